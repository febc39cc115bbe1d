#pragma once
// Counter, Gauge and Histogram. Each is a cheap, copyable handle to shared state owned jointly
// by the handle and the registries it is registered in, so a registry never dangles.
// All operations are thread-safe; updates on an unlabelled metric or a held child are
// lock-free (atomics), Labels() takes a mutex to find or create the child.
// What they refuse (bad names, labels, buckets or amounts) throws UsageError (error.h).

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "pushrun/metrics/error.h"
#include "pushrun/metrics/family.h"

namespace pushrun::metrics {

class Registry;

// Members have default initializers so designated initialization ({.name = "x"}) compiles
// without -Wmissing-field-initializers warnings.
struct MetricOptions {
  std::string name;
  std::string help = {};
  std::vector<std::string> label_names = {};
  // Registries to register in; empty means DefaultRegistry(). Registration fails (throws
  // UsageError) when a registry already has a family of that name.
  std::vector<Registry*> registries = {};
};

struct HistogramOptions : MetricOptions {
  // Upper bounds, strictly increasing; +Inf is implicit. Empty means DefaultBuckets().
  std::vector<double> buckets = {};
};

// .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 — as in the other Prometheus clients.
const std::vector<double>& DefaultBuckets();
std::vector<double> LinearBuckets(double start, double width, int count);
std::vector<double> ExponentialBuckets(double start, double factor, int count);

namespace detail {
struct CounterCell;
struct GaugeCell;
struct HistogramCell;
template <typename Cell>
class FamilyState;
}  // namespace detail

class CounterChild {
 public:
  // Throws UsageError for negative or NaN amounts (a counter only goes up).
  void Inc(double amount = 1);
  double Value() const;

 private:
  friend class Counter;
  explicit CounterChild(std::shared_ptr<detail::CounterCell> cell) : cell_(std::move(cell)) {}
  std::shared_ptr<detail::CounterCell> cell_;
};

// Exposed as "<name>_total" (the name may be given with or without the suffix). The family
// is named "<name>_total" too: the text format 0.0.4 needs "# TYPE" to name the samples
// exactly, and the OpenMetrics writer drops the suffix from its metadata lines. Register
// conflicts and Registry::Unregister() therefore use "<name>_total".
class Counter {
 public:
  explicit Counter(MetricOptions options);
  // The child for these label values (one per label name, in order); created on first use.
  CounterChild Labels(const std::vector<std::string>& values) const;
  // The child for these labels by name, in any order: Labels({{"status", "ok"}, {"db", "a"}}).
  // Every label name must be given once; a missing, unknown or repeated name throws
  // UsageError naming it.
  CounterChild Labels(std::initializer_list<Label> labels) const;
  // Shorthands for the unlabelled metric; throw UsageError if it has label names.
  void Inc(double amount = 1) const;
  double Value() const;

 private:
  std::shared_ptr<detail::FamilyState<detail::CounterCell>> state_;
};

class GaugeChild {
 public:
  void Set(double value);
  void Inc(double amount = 1);
  void Dec(double amount = 1);
  void SetToCurrentTime();  // seconds since the Unix epoch
  double Value() const;

 private:
  friend class Gauge;
  explicit GaugeChild(std::shared_ptr<detail::GaugeCell> cell) : cell_(std::move(cell)) {}
  std::shared_ptr<detail::GaugeCell> cell_;
};

class Gauge {
 public:
  explicit Gauge(MetricOptions options);
  GaugeChild Labels(const std::vector<std::string>& values) const;
  GaugeChild Labels(std::initializer_list<Label> labels) const;  // by name, as Counter's
  void Set(double value) const;
  void Inc(double amount = 1) const;
  void Dec(double amount = 1) const;
  void SetToCurrentTime() const;
  double Value() const;

 private:
  std::shared_ptr<detail::FamilyState<detail::GaugeCell>> state_;
};

class HistogramChild {
 public:
  void Observe(double value);
  std::uint64_t Count() const;
  double Sum() const;

 private:
  friend class Histogram;
  explicit HistogramChild(std::shared_ptr<detail::HistogramCell> cell) : cell_(std::move(cell)) {}
  std::shared_ptr<detail::HistogramCell> cell_;
};

// Exposed as "<name>_bucket{le=...}" (cumulative), "<name>_sum" and "<name>_count".
// "le" may not be a label name.
class Histogram {
 public:
  explicit Histogram(HistogramOptions options);
  HistogramChild Labels(const std::vector<std::string>& values) const;
  HistogramChild Labels(std::initializer_list<Label> labels) const;  // by name, as Counter's
  void Observe(double value) const;
  std::uint64_t Count() const;
  double Sum() const;

 private:
  std::shared_ptr<detail::FamilyState<detail::HistogramCell>> state_;
};

}  // namespace pushrun::metrics
