#include "pushrun/metrics/http_header.h"

#include <array>

namespace pushrun::metrics {
namespace {

// RFC 9110 section 5.6.2: token = 1*tchar.
bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Framing and content headers pushrun computes for each request: a second value would make the
// request ambiguous or wrong (a request-smuggling risk behind a proxy).
constexpr std::array<std::string_view, 5> kOwnHeaders = {
    "Content-Length", "Transfer-Encoding", "Host", "Content-Type", "Content-Encoding"};

std::string_view Trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

}  // namespace

std::string CheckHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return "a header has an empty name";
  for (char c : name) {
    // The name is not quoted: an invalid one is often a whole "Name value" line with a secret.
    if (!IsTokenChar(c)) {
      return "a header name has a character other than letters, digits and "
             "!#$%&'*+-.^_`|~ (the name is not shown: it may hold a secret)";
    }
  }
  const std::string quoted = "\"" + std::string(name) + "\"";
  for (std::string_view own : kOwnHeaders) {
    if (EqualsIgnoreCase(name, own)) {
      return "the header " + quoted + " is set by pushrun itself and cannot be given";
    }
  }
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < ' ' && c != '\t') || byte == 0x7f) {
      return "the value of the header " + quoted +
             " contains a line break, NUL or other control character (the value is not shown)";
    }
  }
  return "";
}

bool ParseHeaderLine(std::string_view line, std::string* name, std::string* value,
                     std::string* error) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    *error =
        "a header has no ':' between its name and value (the text is not shown: it may "
        "hold a secret)";
    return false;
  }
  const std::string_view header_name = line.substr(0, colon);
  const std::string_view header_value = Trim(line.substr(colon + 1));
  if (std::string problem = CheckHeader(header_name, header_value); !problem.empty()) {
    *error = std::move(problem);
    return false;
  }
  *name = std::string(header_name);
  *value = std::string(header_value);
  return true;
}

}  // namespace pushrun::metrics
