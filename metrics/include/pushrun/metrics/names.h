#pragma once
// Validation of metric and label names, shared by metrics, parser and Pushgateway client.

#include <cstddef>
#include <string_view>

#include "pushrun/metrics/error.h"

namespace pushrun::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]* (any prefix)
bool IsValidLabelName(std::string_view name);
// A label name a user may set: valid and not starting with "__" (reserved for Prometheus).
bool IsValidUserLabelName(std::string_view name);
// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF); label values
// and HELP texts must be UTF-8 for Prometheus.
bool IsValidUtf8(std::string_view text);
// The length of the well-formed UTF-8 character `text` starts with; 0 when it starts with a
// byte that begins none (or is empty).
std::size_t Utf8SequenceLength(std::string_view text);

// Throw UsageError (error.h) naming the offending string and the allowed syntax.
void CheckMetricName(std::string_view name);
void CheckUserLabelName(std::string_view name);

}  // namespace pushrun::metrics
