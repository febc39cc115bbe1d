#pragma once
// The first gateway target of resolved settings, which most config tests look at.

#include <catch2/catch.hpp>

#include "pushrun/config/settings.h"

namespace pushrun::config::testing {

inline const Target& FirstGateway(const Settings& settings) {
  REQUIRE_FALSE(settings.targets.empty());
  REQUIRE(settings.targets.front().kind == TargetKind::kPushgateway);
  return settings.targets.front();
}

// The first gateway's URL, or "" when there is none.
inline std::string FirstGatewayUrl(const Settings& settings) {
  return settings.targets.empty() || settings.targets.front().kind != TargetKind::kPushgateway
             ? std::string()
             : settings.targets.front().url;
}

}  // namespace pushrun::config::testing
