#include "pushrun/metrics/registry.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace pushrun::metrics {

Registry::Registry(ExpositionFormat format) : format_(format) {}

void Registry::Register(std::shared_ptr<Collectable> collectable) {
  if (!collectable) throw std::invalid_argument("cannot register a null collectable");
  std::vector<std::string> names = collectable->FamilyNames();
  std::sort(names.begin(), names.end());
  if (auto twin = std::adjacent_find(names.begin(), names.end()); twin != names.end()) {
    throw std::invalid_argument("metric family \"" + *twin +
                                "\" is produced twice by one collectable");
  }
  std::lock_guard lock(mutex_);
  for (const std::string& name : names) {
    if (owners_.contains(name)) {
      throw std::invalid_argument("metric family \"" + name +
                                  "\" is already registered in this registry");
    }
  }
  for (std::string& name : names) owners_.emplace(std::move(name), collectable.get());
  collectables_.push_back(std::move(collectable));
}

bool Registry::Unregister(std::string_view family_name) {
  std::lock_guard lock(mutex_);
  const auto found = owners_.find(family_name);
  if (found == owners_.end()) return false;
  const Collectable* owner = found->second;
  std::erase_if(owners_, [owner](const auto& entry) { return entry.second == owner; });
  std::erase_if(collectables_, [owner](const auto& c) { return c.get() == owner; });
  return true;
}

void Registry::Clear() {
  std::lock_guard lock(mutex_);
  owners_.clear();
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
  AppendExposition(out, families, format_);
  return out;
}

std::string_view Registry::ContentType() const { return ContentTypeOf(format_); }

Registry& DefaultRegistry() {
  // Never destroyed: metrics in other static objects or threads may still use it at exit.
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace pushrun::metrics
