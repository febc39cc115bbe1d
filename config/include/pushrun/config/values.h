#pragma once
// Parsing of single setting values from text, shared by flags, environment variables and the
// config file so that each value means the same everywhere. Each function returns nullopt and
// sets `*error` (what is wrong, without the allowed syntax, which is the matching kXxxSyntax).

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pushrun/config/settings.h"

namespace pushrun::config {

inline constexpr std::string_view kBoolSyntax = "true, false, 1, 0, yes, no, on, off";
inline constexpr std::string_view kMethodSyntax = "post, put";
inline constexpr std::string_view kUrlSyntax =
    "http://host[:port][/path] or https://host[:port][/path], without user:password@, query "
    "or fragment";
inline constexpr std::string_view kLabelNameSyntax =
    "[a-zA-Z_][a-zA-Z0-9_]*, not starting with __, not \"job\"";
inline constexpr std::string_view kGroupingSyntax =
    "name=value pairs separated by commas, e.g. \"env=prod,db=main\"; names "
    "[a-zA-Z_][a-zA-Z0-9_]*, not starting with __, not \"job\"";
inline constexpr std::string_view kCountSyntax = "a whole number";

std::optional<bool> ParseBool(std::string_view text, std::string* error);
std::optional<PushMethod> ParseMethod(std::string_view text, std::string* error);
std::string_view MethodName(PushMethod method);  // "post" / "put"

// A Pushgateway base URL; returns it unchanged when metrics::ParseGatewayUrl accepts it.
std::optional<std::string> CheckGatewayUrl(std::string_view url, std::string* error);

// A grouping label name: a valid user label name other than "job".
bool IsValidGroupingName(std::string_view name);

// "k=v,k2=v2" (values may be empty and may contain '='; not ','). An empty text is no pairs.
std::optional<std::map<std::string, std::string>> ParseGrouping(std::string_view text,
                                                                std::string* error);

// A whole number in [min, max].
std::optional<long long> ParseCount(std::string_view text, long long min, long long max,
                                    std::string* error);

}  // namespace pushrun::config
