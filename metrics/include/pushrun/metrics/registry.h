#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/exposition.h"

namespace pushrun::metrics {

// Holds collectables and serializes them. Thread-safe: registration, collection and
// serialization may run concurrently from any thread.
class Registry {
 public:
  explicit Registry(ExpositionFormat format = ExpositionFormat::kPrometheusText);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Throws std::invalid_argument when a family name is already registered here.
  void Register(std::shared_ptr<Collectable> collectable);
  // Removes the collectable producing `family_name`; returns whether one was found.
  bool Unregister(std::string_view family_name);
  void Clear();

  // Families in a stable order (sorted by name).
  std::vector<MetricFamily> Collect() const;

  // The format used by Serialize() and ContentType(); pushes always use text 0.0.4.
  ExpositionFormat format() const { return format_; }
  void set_format(ExpositionFormat format) { format_ = format; }
  std::string Serialize() const;
  std::string_view ContentType() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Collectable>> collectables_;
  // Family name -> the collectable producing it, for duplicate checks and Unregister.
  std::map<std::string, const Collectable*, std::less<>> owners_;
  ExpositionFormat format_;
};

// The process-wide registry metrics register into when no registry is named.
Registry& DefaultRegistry();

}  // namespace pushrun::metrics
