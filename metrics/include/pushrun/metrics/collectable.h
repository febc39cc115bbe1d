#pragma once

#include <string>
#include <vector>

#include "pushrun/metrics/family.h"

namespace pushrun::metrics {

// Anything a Registry can collect from. Implementations must be thread-safe: Collect() may
// run concurrently with updates.
class Collectable {
 public:
  virtual ~Collectable() = default;
  // The family names this collectable produces; used to refuse duplicates at registration.
  virtual std::vector<std::string> FamilyNames() const = 0;
  virtual std::vector<MetricFamily> Collect() const = 0;
};

// A fixed set of families (a report assembled elsewhere, a parsed sidecar).
class StaticCollectable final : public Collectable {
 public:
  explicit StaticCollectable(std::vector<MetricFamily> families);
  std::vector<std::string> FamilyNames() const override;
  std::vector<MetricFamily> Collect() const override;

 private:
  std::vector<MetricFamily> families_;
};

}  // namespace pushrun::metrics
