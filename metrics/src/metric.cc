#include "pushrun/metrics/metric.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <utility>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/names.h"
#include "pushrun/metrics/registry.h"

namespace pushrun::metrics {
namespace detail {

// Updates need atomicity only, not ordering against other memory: relaxed everywhere.
constexpr auto kRelaxed = std::memory_order_relaxed;

struct CounterCell {
  std::atomic<double> value{0};
};

struct GaugeCell {
  std::atomic<double> value{0};
};

struct HistogramLayout {
  std::vector<double> bounds;   // finite upper bounds, strictly increasing
  std::vector<std::string> le;  // the "le" label values: the bounds, then "+Inf"
};

struct HistogramCell {
  explicit HistogramCell(std::shared_ptr<const HistogramLayout> shape)
      : layout(std::move(shape)),
        buckets(new std::atomic<std::uint64_t>[layout->bounds.size() + 1]()) {}

  std::uint64_t Count() const {
    // _count is the sum of the buckets, so it always equals the +Inf bucket.
    std::uint64_t total = 0;
    for (std::size_t i = 0; i <= layout->bounds.size(); ++i) total += buckets[i].load(kRelaxed);
    return total;
  }

  std::shared_ptr<const HistogramLayout> layout;
  // Observations per bucket (not cumulative); the last one is +Inf.
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;
  std::atomic<double> sum{0};
};

// The shared state of one metric family: its metadata and a child (cell) per label-value
// tuple. It is the Collectable that registries hold.
template <typename Cell>
class FamilyState final : public Collectable {
 public:
  FamilyState(std::string name, std::string help, std::vector<std::string> label_names,
              MetricType type, std::function<std::shared_ptr<Cell>()> make_cell)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        type_(type),
        make_cell_(std::move(make_cell)) {
    if (label_names_.empty()) {
      unlabelled_ = make_cell_();
      children_.emplace(std::vector<std::string>{}, unlabelled_);
    }
    if constexpr (std::is_same_v<Cell, HistogramCell>) {
      bucket_name_ = name_ + "_bucket";
      sum_name_ = name_ + "_sum";
      count_name_ = name_ + "_count";
    }
  }

  std::shared_ptr<Cell> Child(const std::vector<std::string>& values) {
    if (values.size() != label_names_.size()) {
      throw UsageError("metric \"" + name_ + "\" has " + std::to_string(label_names_.size()) +
                       " label name(s) but " + std::to_string(values.size()) +
                       " label value(s) were given");
    }
    std::lock_guard lock(mutex_);
    auto found = children_.find(values);
    if (found != children_.end()) return found->second;
    for (const std::string& value : values) {
      if (!IsValidUtf8(value)) {
        throw UsageError("label value \"" + value + "\" of metric \"" + name_ +
                         "\" is not valid UTF-8");
      }
    }
    return children_.emplace(values, make_cell_()).first->second;
  }

  // The child for labels given by name, in any order; each label name exactly once.
  std::shared_ptr<Cell> ChildByName(std::initializer_list<Label> labels) {
    std::vector<std::string> values(label_names_.size());
    std::vector<bool> given(label_names_.size(), false);
    for (const Label& label : labels) {
      const auto at = std::find(label_names_.begin(), label_names_.end(), label.name);
      if (at == label_names_.end()) {
        throw UsageError("metric \"" + name_ + "\" has no label named \"" + label.name + "\"" +
                         LabelNamesNote());
      }
      const auto index = static_cast<std::size_t>(at - label_names_.begin());
      if (given[index]) {
        throw UsageError("label \"" + label.name + "\" of metric \"" + name_ + "\" is given twice");
      }
      given[index] = true;
      values[index] = label.value;
    }
    for (std::size_t i = 0; i < given.size(); ++i) {
      if (!given[i]) {
        throw UsageError("label \"" + label_names_[i] + "\" of metric \"" + name_ +
                         "\" is missing" + LabelNamesNote());
      }
    }
    return Child(values);
  }

  Cell& Unlabelled() const {
    if (!unlabelled_) {
      throw UsageError("metric \"" + name_ + "\" has label names; use Labels() to pick a child");
    }
    return *unlabelled_;
  }

  std::vector<std::string> FamilyNames() const override { return {name_}; }

  // " (its labels: a, b)" for messages about label names.
  std::string LabelNamesNote() const {
    if (label_names_.empty()) return " (it has no labels)";
    std::string note = " (its labels: ";
    for (std::size_t i = 0; i < label_names_.size(); ++i) {
      if (i > 0) note += ", ";
      note += label_names_[i];
    }
    return note + ")";
  }

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> families(1);
    MetricFamily& family = families.front();
    family.name = name_;
    family.help = help_;
    family.type = type_;
    std::lock_guard lock(mutex_);
    family.samples.reserve(children_.size() * SamplesPerChild());
    for (const auto& [values, cell] : children_) {
      Labels labels;
      labels.reserve(values.size() + 1);
      for (std::size_t i = 0; i < values.size(); ++i) {
        labels.push_back(Label{label_names_[i], values[i]});
      }
      AppendSamples(*cell, std::move(labels), family.samples);
    }
    return families;
  }

 private:
  std::size_t SamplesPerChild() const {
    if constexpr (std::is_same_v<Cell, HistogramCell>) {
      // Every child shares one layout; called with the lock held.
      return children_.empty() ? 0 : children_.begin()->second->layout->le.size() + 2;
    } else {
      return 1;
    }
  }

  void AppendSamples(const CounterCell& cell, Labels labels, std::vector<Sample>& out) const {
    out.push_back(Sample{name_, std::move(labels), cell.value.load(kRelaxed), {}});
  }
  void AppendSamples(const GaugeCell& cell, Labels labels, std::vector<Sample>& out) const {
    out.push_back(Sample{name_, std::move(labels), cell.value.load(kRelaxed), {}});
  }
  void AppendSamples(const HistogramCell& cell, Labels labels, std::vector<Sample>& out) const {
    const HistogramLayout& layout = *cell.layout;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < layout.le.size(); ++i) {
      cumulative += cell.buckets[i].load(kRelaxed);
      Labels with_le = labels;
      with_le.push_back(Label{"le", layout.le[i]});
      out.push_back(Sample{bucket_name_, std::move(with_le), static_cast<double>(cumulative), {}});
    }
    out.push_back(Sample{sum_name_, labels, cell.sum.load(kRelaxed), {}});
    out.push_back(Sample{count_name_, std::move(labels), static_cast<double>(cumulative), {}});
  }

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const MetricType type_;
  const std::function<std::shared_ptr<Cell>()> make_cell_;
  std::string bucket_name_, sum_name_, count_name_;
  std::shared_ptr<Cell> unlabelled_;  // set iff there are no label names
  mutable std::mutex mutex_;
  // Ordered by label values, so Collect() is stable.
  std::map<std::vector<std::string>, std::shared_ptr<Cell>> children_;
};

}  // namespace detail

namespace {

using detail::CounterCell;
using detail::FamilyState;
using detail::GaugeCell;
using detail::HistogramCell;
using detail::kRelaxed;

constexpr std::string_view kTotalSuffix = "_total";

// Validates the parts every metric type shares. `reserved` is a label name the type
// generates itself ("le" for histograms, "quantile" for summaries).
void CheckOptions(const MetricOptions& options, std::string_view reserved = {}) {
  CheckMetricName(options.name);
  if (!IsValidUtf8(options.help)) {
    throw UsageError("help text of metric \"" + options.name + "\" is not valid UTF-8");
  }
  const auto& names = options.label_names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    CheckUserLabelName(names[i]);
    if (!reserved.empty() && names[i] == reserved) {
      throw UsageError("label name \"" + names[i] + "\" of metric \"" + options.name +
                       "\" is reserved: the metric type sets it itself");
    }
    if (std::find(names.begin(), names.begin() + i, names[i]) != names.begin() + i) {
      throw UsageError("label name \"" + names[i] + "\" appears twice in metric \"" + options.name +
                       "\"");
    }
  }
}

// Registers in every named registry or in none: a conflict in a later registry undoes the
// earlier registrations before the exception leaves.
void RegisterAll(const std::shared_ptr<Collectable>& state, const std::string& family_name,
                 const std::vector<Registry*>& registries) {
  if (registries.empty()) {
    DefaultRegistry().Register(state);
    return;
  }
  for (std::size_t i = 0; i < registries.size(); ++i) {
    if (registries[i] == nullptr) throw UsageError("null registry in MetricOptions");
    try {
      registries[i]->Register(state);
    } catch (...) {
      for (std::size_t k = 0; k < i; ++k) registries[k]->Unregister(family_name);
      throw;
    }
  }
}

double SecondsSinceEpoch() {
  using Seconds = std::chrono::duration<double>;
  return std::chrono::duration_cast<Seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<double> CheckedBounds(std::vector<double> bounds, const std::string& name) {
  if (bounds.empty()) return DefaultBuckets();
  // +Inf is implicit; accept it written out as the last bound.
  if (std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const bool increasing = i == 0 || bounds[i - 1] < bounds[i];
    if (!std::isfinite(bounds[i]) || !increasing) {
      throw UsageError("bucket bounds of histogram \"" + name +
                       "\" must be finite and strictly increasing; bound " + std::to_string(i) +
                       " is " + FormatNumber(bounds[i]));
    }
  }
  return bounds;
}

}  // namespace

const std::vector<double>& DefaultBuckets() {
  static const std::vector<double> buckets = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
  return buckets;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  if (count < 1 || !(width > 0) || !std::isfinite(start) || !std::isfinite(width)) {
    throw UsageError("LinearBuckets needs count >= 1, a finite start and width > 0");
  }
  std::vector<double> buckets(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) buckets[i] = start + i * width;
  return buckets;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (count < 1 || !(start > 0) || !(factor > 1) || !std::isfinite(start) ||
      !std::isfinite(factor)) {
    throw UsageError("ExponentialBuckets needs count >= 1, start > 0 and factor > 1");
  }
  std::vector<double> buckets(static_cast<std::size_t>(count));
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) buckets[i] = bound;
  return buckets;
}

// Counter

void CounterChild::Inc(double amount) {
  if (!(amount >= 0)) {
    throw UsageError("a counter can only go up; cannot add " + FormatNumber(amount));
  }
  cell_->value.fetch_add(amount, kRelaxed);
}

double CounterChild::Value() const { return cell_->value.load(kRelaxed); }

Counter::Counter(MetricOptions options) {
  CheckOptions(options);
  std::string family_name = options.name;
  if (!family_name.ends_with(kTotalSuffix)) family_name += kTotalSuffix;
  state_ = std::make_shared<FamilyState<CounterCell>>(
      family_name, std::move(options.help), std::move(options.label_names), MetricType::kCounter,
      [] { return std::make_shared<CounterCell>(); });
  RegisterAll(state_, family_name, options.registries);
}

CounterChild Counter::Labels(const std::vector<std::string>& values) const {
  return CounterChild(state_->Child(values));
}

CounterChild Counter::Labels(std::initializer_list<Label> labels) const {
  return CounterChild(state_->ChildByName(labels));
}

void Counter::Inc(double amount) const {
  CounterCell& cell = state_->Unlabelled();
  if (!(amount >= 0)) {
    throw UsageError("a counter can only go up; cannot add " + FormatNumber(amount));
  }
  cell.value.fetch_add(amount, kRelaxed);
}

double Counter::Value() const { return state_->Unlabelled().value.load(kRelaxed); }

// Gauge

void GaugeChild::Set(double value) { cell_->value.store(value, kRelaxed); }
void GaugeChild::Inc(double amount) { cell_->value.fetch_add(amount, kRelaxed); }
void GaugeChild::Dec(double amount) { cell_->value.fetch_sub(amount, kRelaxed); }
void GaugeChild::SetToCurrentTime() { Set(SecondsSinceEpoch()); }
double GaugeChild::Value() const { return cell_->value.load(kRelaxed); }

Gauge::Gauge(MetricOptions options) {
  CheckOptions(options);
  std::string family_name = options.name;
  state_ = std::make_shared<FamilyState<GaugeCell>>(
      family_name, std::move(options.help), std::move(options.label_names), MetricType::kGauge,
      [] { return std::make_shared<GaugeCell>(); });
  RegisterAll(state_, family_name, options.registries);
}

GaugeChild Gauge::Labels(const std::vector<std::string>& values) const {
  return GaugeChild(state_->Child(values));
}

GaugeChild Gauge::Labels(std::initializer_list<Label> labels) const {
  return GaugeChild(state_->ChildByName(labels));
}

void Gauge::Set(double value) const { state_->Unlabelled().value.store(value, kRelaxed); }
void Gauge::Inc(double amount) const { state_->Unlabelled().value.fetch_add(amount, kRelaxed); }
void Gauge::Dec(double amount) const { state_->Unlabelled().value.fetch_sub(amount, kRelaxed); }
void Gauge::SetToCurrentTime() const { Set(SecondsSinceEpoch()); }
double Gauge::Value() const { return state_->Unlabelled().value.load(kRelaxed); }

// Histogram

namespace {

void ObserveInto(HistogramCell& cell, double value) {
  const std::vector<double>& bounds = cell.layout->bounds;
  // The first bucket whose bound is >= value; NaN compares false everywhere and lands in +Inf.
  std::size_t index = bounds.size();
  if (!std::isnan(value)) {
    index = static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) -
                                     bounds.begin());
  }
  cell.buckets[index].fetch_add(1, kRelaxed);
  cell.sum.fetch_add(value, kRelaxed);
}

}  // namespace

void HistogramChild::Observe(double value) { ObserveInto(*cell_, value); }
std::uint64_t HistogramChild::Count() const { return cell_->Count(); }
double HistogramChild::Sum() const { return cell_->sum.load(kRelaxed); }

Histogram::Histogram(HistogramOptions options) {
  CheckOptions(options, "le");
  auto layout = std::make_shared<detail::HistogramLayout>();
  layout->bounds = CheckedBounds(std::move(options.buckets), options.name);
  layout->le.reserve(layout->bounds.size() + 1);
  for (double bound : layout->bounds) layout->le.push_back(FormatNumber(bound));
  layout->le.emplace_back("+Inf");
  std::shared_ptr<const detail::HistogramLayout> shared_layout = std::move(layout);

  std::string family_name = options.name;
  state_ = std::make_shared<FamilyState<HistogramCell>>(
      family_name, std::move(options.help), std::move(options.label_names), MetricType::kHistogram,
      [shared_layout] { return std::make_shared<HistogramCell>(shared_layout); });
  RegisterAll(state_, family_name, options.registries);
}

HistogramChild Histogram::Labels(const std::vector<std::string>& values) const {
  return HistogramChild(state_->Child(values));
}

HistogramChild Histogram::Labels(std::initializer_list<Label> labels) const {
  return HistogramChild(state_->ChildByName(labels));
}

void Histogram::Observe(double value) const { ObserveInto(state_->Unlabelled(), value); }
std::uint64_t Histogram::Count() const { return state_->Unlabelled().Count(); }
double Histogram::Sum() const { return state_->Unlabelled().sum.load(kRelaxed); }

}  // namespace pushrun::metrics
