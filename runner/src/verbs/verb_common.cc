#include "verb_common.h"

#include <memory>
#include <string_view>

#include "pushrun/config/values.h"
#include "pushrun/metrics/names.h"

namespace pushrun::runner::detail {
namespace {

// `text` for a message: bytes that are not UTF-8, and control characters, as \xNN.
std::string PrintableText(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const std::size_t length = metrics::Utf8SequenceLength(text);
    const auto c = static_cast<unsigned char>(text.front());
    if (length == 0 || c < 0x20 || c == 0x7f) {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
  return out;
}

}  // namespace

DeliveryIo DeliveryIoOf(const RunIo& io) {
  return DeliveryIo{.dry_run = io.dry_run,
                    .dry_run_out = io.out,
                    .fallback_out = io.err,
                    .cancellation = std::make_shared<metrics::Cancellation>()};
}

SidecarRules RulesOf(const config::Settings& settings) {
  SidecarRules rules;
  rules.prefix = settings.prefix;
  rules.reserved_labels.push_back("job");
  for (const auto& [name, value] : settings.grouping) rules.reserved_labels.push_back(name);
  rules.max_bytes = settings.sidecar_max_bytes;
  rules.max_series = settings.max_series;
  return rules;
}

std::string CheckGroup(const config::Settings& settings) {
  if (settings.job_from_command && (settings.job.empty() || !metrics::IsValidUtf8(settings.job))) {
    // "-- /" or "-- dir/", or a base name in another encoding: the default has nothing usable.
    return "the command's base name \"" + PrintableText(settings.job) +
           "\" is not usable as a job name (" +
           (settings.job.empty() ? "it is empty" : "it is not UTF-8") + "): pass --job NAME";
  }
  if (settings.job.empty()) return "no job name: give --job (or a command to name it after)";
  if (!metrics::IsValidUtf8(settings.job)) {
    return "job name \"" + PrintableText(settings.job) +
           "\" is not UTF-8 (the Pushgateway cannot store it): pass a UTF-8 --job";
  }
  for (const auto& [name, value] : settings.grouping) {
    if (!config::IsValidGroupingName(name)) {
      return "grouping label name \"" + name +
             "\" is not allowed (allowed: " + std::string(config::kLabelNameSyntax) + ")";
    }
    if (!metrics::IsValidUtf8(value)) {
      return "grouping label " + name + "'s value \"" + PrintableText(value) +
             "\" is not UTF-8 (the Pushgateway cannot store it): pass a UTF-8 value";
    }
  }
  for (const config::Target& target : settings.targets) {
    std::string error;
    if (!config::CheckGatewayUrl(target.url, &error)) {
      return std::string(target.kind == config::TargetKind::kRemoteWrite ? "remote-write URL: "
                                                                         : "gateway URL: ") +
             error + " (allowed: " + std::string(config::kUrlSyntax) + ")";
    }
  }
  return {};
}

// Whether every target is a gateway (at least one): the checked sidecar text then goes as it

}  // namespace pushrun::runner::detail
