#include "pushrun/metrics/registry.h"

#include <algorithm>
#include <utility>

#include "pushrun/metrics/error.h"

namespace pushrun::metrics {
namespace {

constexpr std::string_view kTotal = "_total";

// A name one family is exposed under, in the text format 0.0.4 or OpenMetrics (or both).
struct ExposedName {
  std::string name;
  bool open_metrics_only = false;  // a counter's OpenMetrics family name, without "_total"
  std::string role;                // how the family comes to use it, for the error message
};

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Every name a family's exposition uses: its metadata name(s) and its sample names.
std::vector<ExposedName> ExposedNames(const std::string& family, MetricType type) {
  std::vector<ExposedName> names;
  const std::string what = std::string(TypeName(type)) + " " + Quoted(family);
  switch (type) {
    case MetricType::kCounter: {
      // OpenMetrics: "# TYPE x counter" and samples "x_total", whichever way it is named here;
      // the text format uses the name as it is.
      const bool named_total = family.ends_with(kTotal);
      const std::string base =
          named_total ? family.substr(0, family.size() - kTotal.size()) : family;
      const std::string total = base + std::string(kTotal);
      names.push_back({base, named_total,
                       named_total ? what + " is the OpenMetrics family " + Quoted(base) : what});
      names.push_back({total, !named_total,
                       named_total ? what : what + " has OpenMetrics samples " + Quoted(total)});
      return names;
    }
    case MetricType::kHistogram:
    case MetricType::kSummary: {
      names.push_back({family, false, what});
      std::vector<std::string_view> suffixes = {"_sum", "_count"};
      if (type == MetricType::kHistogram) suffixes.insert(suffixes.begin(), "_bucket");
      for (std::string_view suffix : suffixes) {
        const std::string sample = family + std::string(suffix);
        names.push_back({sample, false, what + " has the samples " + Quoted(sample)});
      }
      return names;
    }
    case MetricType::kGauge:
    case MetricType::kUntyped:
      break;
  }
  names.push_back({family, false, what});
  return names;
}

}  // namespace

Registry::Registry(ExpositionFormat format) : format_(format) {}

void Registry::Register(std::shared_ptr<Collectable> collectable) {
  if (!collectable) throw UsageError("cannot register a null collectable");
  std::vector<std::string> names = collectable->FamilyNames();
  std::sort(names.begin(), names.end());
  if (auto twin = std::adjacent_find(names.begin(), names.end()); twin != names.end()) {
    throw UsageError("metric family \"" + *twin + "\" is produced twice by one collectable");
  }
  // The types decide which names a family is exposed under; FamilyNames() does not give
  // them, so the collectable is collected once (outside the lock: it may be slow). A family
  // it does not collect yet counts as untyped: just its name.
  std::map<std::string, MetricType, std::less<>> types;
  for (const std::string& name : names) types.emplace(name, MetricType::kUntyped);
  for (const MetricFamily& family : collectable->Collect()) {
    if (auto it = types.find(family.name); it != types.end()) it->second = family.type;
  }
  std::lock_guard lock(mutex_);
  for (const std::string& name : names) {
    if (owners_.contains(name)) {
      throw UsageError("metric family \"" + name + "\" is already registered in this registry");
    }
  }
  // Families of one collectable are its own business (a parsed text 0.0.4 report may hold a
  // counter "x_total" and a gauge "x"); families of different metrics must never clash.
  std::vector<std::pair<std::string, Claim>> claims;
  for (const auto& [family, type] : types) {
    for (ExposedName& exposed : ExposedNames(family, type)) {
      const auto taken = claims_.find(exposed.name);
      if (taken != claims_.end()) {
        const Claim& other = taken->second;
        const std::vector<ExposedName> others = ExposedNames(other.family, other.type);
        const auto other_role = std::find_if(others.begin(), others.end(),
                                             [&](const auto& e) { return e.name == exposed.name; });
        const bool open_metrics_only = exposed.open_metrics_only || (other_role != others.end() &&
                                                                     other_role->open_metrics_only);
        throw UsageError("metric families clash: " + exposed.role + " and the already registered " +
                         (other_role != others.end() ? other_role->role : Quoted(other.family)) +
                         ", so both would be exposed as " + Quoted(exposed.name) +
                         (open_metrics_only ? " in OpenMetrics" : "") + "; rename one of them");
      }
      claims.emplace_back(std::move(exposed.name), Claim{family, type, collectable.get()});
    }
  }
  for (auto& [name, claim] : claims) claims_.insert_or_assign(std::move(name), std::move(claim));
  for (std::string& name : names) owners_.emplace(std::move(name), collectable.get());
  collectables_.push_back(std::move(collectable));
}

bool Registry::Unregister(std::string_view family_name) {
  std::lock_guard lock(mutex_);
  const auto found = owners_.find(family_name);
  if (found == owners_.end()) return false;
  const Collectable* owner = found->second;
  std::erase_if(owners_, [owner](const auto& entry) { return entry.second == owner; });
  std::erase_if(claims_, [owner](const auto& entry) { return entry.second.owner == owner; });
  std::erase_if(collectables_, [owner](const auto& c) { return c.get() == owner; });
  return true;
}

void Registry::Clear() {
  std::lock_guard lock(mutex_);
  owners_.clear();
  claims_.clear();
  collectables_.clear();
}

std::vector<MetricFamily> Registry::Collect() const {
  std::vector<std::shared_ptr<Collectable>> collectables;
  {
    // Collect outside the lock: a slow collectable must not block registration.
    std::lock_guard lock(mutex_);
    collectables = collectables_;
  }
  std::vector<MetricFamily> families;
  for (const auto& collectable : collectables) {
    std::vector<MetricFamily> collected = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  std::stable_sort(families.begin(), families.end(),
                   [](const MetricFamily& a, const MetricFamily& b) { return a.name < b.name; });
  return families;
}

std::string Registry::Serialize() const {
  const std::vector<MetricFamily> families = Collect();
  std::string out;
  AppendExposition(out, families, format());
  return out;
}

std::string_view Registry::ContentType() const { return ContentTypeOf(format()); }

Registry& DefaultRegistry() {
  // Never destroyed: metrics in other static objects or threads may still use it at exit.
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace pushrun::metrics
