#pragma once
// Parsing of single setting values from text, shared by flags, environment variables and the
// config file so that each value means the same everywhere. Each function returns nullopt and
// sets `*error` (what is wrong, without the allowed syntax, which is the matching kXxxSyntax).

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

inline constexpr std::string_view kUrlListSyntax =
    "URLs separated by spaces, each http://host[:port][/path] or https://host[:port][/path], "
    "without user:password@, query or fragment";

// A Pushgateway base URL or a remote-write URL; returns it unchanged when
// metrics::ParseGatewayUrl accepts it.
std::optional<std::string> CheckGatewayUrl(std::string_view url, std::string* error);

// Several URLs in one environment variable, separated by spaces, tabs or newlines (a URL
// holds none of these, while it may hold commas), each one checked as CheckGatewayUrl does.
// The empty list when `text` has only blanks.
std::optional<std::vector<std::string>> ParseUrlList(std::string_view text, std::string* error);

// A URL as far as it names a server: scheme and host case-insensitive, the scheme's default
// port implied, trailing slashes ignored. So the same gateway written twice ("https://GW:443/"
// and "https://gw") is one gateway. A URL that metrics::ParseGatewayUrl refuses is its own key.
std::string UrlKey(std::string_view url);

// A URL safe to print: what metrics::ParseGatewayUrl understood of it (no userinfo, query or
// fragment), or "(a URL that is not valid)" when it refuses it.
std::string PrintableUrl(std::string_view url);

// A grouping label name: a valid user label name other than "job".
bool IsValidGroupingName(std::string_view name);

// "k=v,k2=v2" (values may be empty and may contain '='; not ','). An empty text is no pairs.
std::optional<std::map<std::string, std::string>> ParseGrouping(std::string_view text,
                                                                std::string* error);

// A whole number in [min, max].
std::optional<long long> ParseCount(std::string_view text, long long min, long long max,
                                    std::string* error);

}  // namespace pushrun::config
