#pragma once
// The one check of an extra request header, shared by the library (PushOptions::headers) and
// the settings (--header, config files), so a header is refused before any command starts.

#include <string>
#include <string_view>

namespace pushrun::metrics {

// Empty when the header may be sent; otherwise the problem, naming the header (when its name is
// a valid one) and never quoting its value, which is often a credential.
// Refused: a name that is not an RFC 9110 token; a value with CR, LF, NUL or another control
// character (tab is fine); the headers pushrun sets itself (Content-Length, Transfer-Encoding,
// Host, Content-Type, Content-Encoding), in any case.
std::string CheckHeader(std::string_view name, std::string_view value);

// Splits "Name: value" (the --header syntax; blanks around the value are dropped) and checks
// it with CheckHeader. Returns false with `*error` set on failure; the error never quotes the
// text, which without a ':' is typically "Authorization Bearer <token>".
bool ParseHeaderLine(std::string_view line, std::string* name, std::string* value,
                     std::string* error);

}  // namespace pushrun::metrics
