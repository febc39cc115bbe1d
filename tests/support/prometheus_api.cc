#include "support/prometheus_api.h"

#include <curl/curl.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>

#include "support/pushgateway_process.h"

namespace pushrun::testing {
namespace {

// Just enough JSON for the query API's answers: objects, arrays, strings (with the escapes
// Go's encoder writes), numbers, true/false/null.
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  double number = 0;
  std::string text;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json* Member(std::string_view name) const {
    for (const auto& [key, value] : members) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  Json ReadDocument() {
    Json value = Read();
    Skip();
    if (pos_ != text_.size()) Fail("trailing text");
    return value;
  }

 private:
  [[noreturn]] void Fail(const std::string& why) {
    throw std::runtime_error("bad JSON at " + std::to_string(pos_) + " (" + why +
                             "): " + std::string(text_.substr(0, 500)));
  }
  void Skip() {
    while (pos_ < text_.size() && std::string_view(" \t\r\n").find(text_[pos_]) != text_.npos) {
      ++pos_;
    }
  }
  char Peek() {
    Skip();
    if (pos_ >= text_.size()) Fail("unexpected end");
    return text_[pos_];
  }
  void Expect(char c) {
    if (Peek() != c) Fail(std::string("expected ") + c);
    ++pos_;
  }
  Json Read() {
    Json value;
    const char c = Peek();
    if (c == '{') {
      value.kind = Json::kObject;
      ++pos_;
      if (Peek() == '}') {
        ++pos_;
        return value;
      }
      for (;;) {
        std::string key = ReadString();
        Expect(':');
        value.members.emplace_back(std::move(key), Read());
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        Expect('}');
        return value;
      }
    }
    if (c == '[') {
      value.kind = Json::kArray;
      ++pos_;
      if (Peek() == ']') {
        ++pos_;
        return value;
      }
      for (;;) {
        value.items.push_back(Read());
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        Expect(']');
        return value;
      }
    }
    if (c == '"') {
      value.kind = Json::kString;
      value.text = ReadString();
      return value;
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        value.kind = word == "null" ? Json::kNull : Json::kBool;
        value.number = word == "true";
        return value;
      }
    }
    const std::string rest(text_.substr(pos_, 64));
    char* end = nullptr;
    value.kind = Json::kNumber;
    value.number = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str()) Fail("expected a value");
    pos_ += end - rest.c_str();
    return value;
  }
  std::string ReadString() {
    Expect('"');
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) Fail("unterminated escape");
      c = text_[pos_++];
      switch (c) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) Fail("short \\u escape");
          const unsigned code = std::stoul(std::string(text_.substr(pos_, 4)), nullptr, 16);
          pos_ += 4;
          // The answers quote only ASCII this way (<, >, & and control characters).
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xc0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3f));
          } else {
            out += static_cast<char>(0xe0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (code & 0x3f));
          }
          break;
        }
        default:
          out += c;  // \" \\ \/
      }
    }
    if (pos_ >= text_.size()) Fail("unterminated string");
    ++pos_;
    return out;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

double ParseSampleValue(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  return std::strtod(text.c_str(), nullptr);
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::vector<QuerySample> ParseVectorAnswer(std::string_view json) {
  const Json answer = JsonReader(json).ReadDocument();
  const Json* status = answer.Member("status");
  const Json* data = answer.Member("data");
  const Json* type = data ? data->Member("resultType") : nullptr;
  const Json* result = data ? data->Member("result") : nullptr;
  if (!status || status->text != "success" || !type || type->text != "vector" || !result) {
    throw std::runtime_error("not a vector answer: " + std::string(json.substr(0, 500)));
  }
  std::vector<QuerySample> samples;
  for (const Json& item : result->items) {
    QuerySample sample;
    if (const Json* metric = item.Member("metric")) {
      for (const auto& [name, value] : metric->members) sample.labels[name] = value.text;
    }
    const Json* value = item.Member("value");
    if (!value || value->items.size() != 2) {
      throw std::runtime_error("a vector sample without [time, value]: " +
                               std::string(json.substr(0, 500)));
    }
    sample.value = ParseSampleValue(value->items[1].text);
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::vector<QuerySample> QueryVector(const std::string& base_url, const std::string& promql) {
  std::string body;
  const std::string url = base_url + "/api/v1/query?query=" + UrlEncode(promql);
  const int status = HttpGet(url, &body);
  if (status != 200) {
    throw std::runtime_error("GET " + url + " answered " + std::to_string(status) + ": " + body);
  }
  return ParseVectorAnswer(body);
}

std::vector<QuerySample> PollVector(const std::string& base_url, const std::string& promql,
                                    std::size_t count, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    std::vector<QuerySample> samples = QueryVector(base_url, promql);
    if (samples.size() >= count || std::chrono::steady_clock::now() >= deadline) return samples;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace pushrun::testing
