#include "pushrun/metrics/collectable.h"

#include <utility>

namespace pushrun::metrics {

StaticCollectable::StaticCollectable(std::vector<MetricFamily> families)
    : families_(std::move(families)) {}

std::vector<std::string> StaticCollectable::FamilyNames() const {
  std::vector<std::string> names;
  names.reserve(families_.size());
  for (const MetricFamily& family : families_) names.push_back(family.name);
  return names;
}

std::vector<MetricFamily> StaticCollectable::Collect() const { return families_; }

}  // namespace pushrun::metrics
