#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/exposition.h"

namespace pushrun::metrics {

// Holds collectables and serializes them. Thread-safe: registration, collection and
// serialization may run concurrently from any thread.
class Registry {
 public:
  explicit Registry(ExpositionFormat format = ExpositionFormat::kPrometheusText);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Throws UsageError when a family name is already registered here, or when a
  // family would be exposed under a name another collectable's family already uses in either
  // format: a counter "x" (family "x_total") is the OpenMetrics family "x", so it clashes
  // with a gauge "x"; a histogram "x" clashes with a gauge "x_count", "x_sum" or "x_bucket".
  void Register(std::shared_ptr<Collectable> collectable);
  // Removes the collectable producing `family_name`; returns whether one was found.
  bool Unregister(std::string_view family_name);
  void Clear();

  // Families in a stable order (sorted by name).
  std::vector<MetricFamily> Collect() const;

  // The format used by Serialize() and ContentType(). Pushes do not use it: they send text
  // 0.0.4 or protobuf (PushOptions::format), as the Pushgateway cannot read OpenMetrics.
  // Safe to call while other threads serialize: a Serialize() running meanwhile uses one of
  // the two formats for its whole output.
  ExpositionFormat format() const { return format_.load(std::memory_order_relaxed); }
  void set_format(ExpositionFormat format) { format_.store(format, std::memory_order_relaxed); }
  std::string Serialize() const;
  std::string_view ContentType() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Collectable>> collectables_;
  // Family name -> the collectable producing it, for duplicate checks and Unregister.
  std::map<std::string, const Collectable*, std::less<>> owners_;
  // Every name a family is exposed under (see Register) -> that family, for the clash checks.
  struct Claim {
    std::string family;
    MetricType type;
    const Collectable* owner;
  };
  std::map<std::string, Claim, std::less<>> claims_;
  std::atomic<ExpositionFormat> format_;
};

// The process-wide registry metrics register into when no registry is named.
Registry& DefaultRegistry();

}  // namespace pushrun::metrics
