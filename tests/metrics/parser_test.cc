#include "pushrun/metrics/parser.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

using namespace std::string_view_literals;
using pushrun::metrics::Label;
using pushrun::metrics::MetricFamily;
using pushrun::metrics::MetricType;
using pushrun::metrics::ParseError;
using pushrun::metrics::ParseOptions;
using pushrun::metrics::ParseResult;
using pushrun::metrics::ParseText;

namespace {

// Parses input that must be valid; shows the error if it is not.
ParseResult ParseOk(std::string_view text) {
  ParseResult result = ParseText(text);
  INFO("input: " << text);
  if (result.error) FAIL_CHECK(result.error->Format("input"));
  REQUIRE(result.ok());
  return result;
}

}  // namespace

TEST_CASE("Parser: HELP and TYPE lines describe the family of the samples that follow",
          "[metrics][parser]") {
  const ParseResult result = ParseOk(
      "# HELP requests_total Requests served.\n"
      "# TYPE requests_total counter\n"
      "requests_total{code=\"200\",method=\"get\"} 1027\n"
      "requests_total{code=\"400\",method=\"post\"} 3\n"
      "# A plain comment is ignored.\n"
      "#\n"
      "\n"
      "# HELP temperature_celsius Room temperature.\n"
      "# TYPE temperature_celsius gauge\n"
      "temperature_celsius -3.5\n");
  REQUIRE(result.families.size() == 2);
  const MetricFamily& requests = result.families[0];
  CHECK(requests.name == "requests_total");
  CHECK(requests.help == "Requests served.");
  CHECK(requests.type == MetricType::kCounter);
  REQUIRE(requests.samples.size() == 2);
  CHECK(requests.samples[0].name == "requests_total");
  CHECK(requests.samples[0].labels == pushrun::metrics::Labels{{"code", "200"}, {"method", "get"}});
  CHECK(requests.samples[0].value == 1027);
  CHECK_FALSE(requests.samples[0].timestamp_ms.has_value());
  CHECK(requests.samples[1].value == 3);
  const MetricFamily& temperature = result.families[1];
  CHECK(temperature.type == MetricType::kGauge);
  CHECK(temperature.samples.at(0).value == -3.5);
}

TEST_CASE("Parser: empty input and comment-only input give no families", "[metrics][parser]") {
  const auto text = GENERATE("", "\n", "# just a comment\n", "   \n\t\n", "#\n# TYPE x gauge\n");
  CHECK(ParseOk(text).families.empty());
}

TEST_CASE("Parser: every value spelling Go's ParseFloat accepts (as expfmt does) is read",
          "[metrics][parser]") {
  struct Case {
    std::string_view text;
    double value;
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const Case c = GENERATE_COPY(values<Case>({
      {"0", 0},
      {"42", 42},
      {"-7", -7},
      {"+1.5", 1.5},
      {"-2.5", -2.5},
      {".5", 0.5},
      {"5.", 5},
      {"00012", 12},
      {"000000000000000000001", 1},
      {"1234567890123456789", 1234567890123456789.0},
      {"1e3", 1000},
      {"1E3", 1000},
      {"1e+3", 1000},
      {"2.5e-3", 0.0025},
      {"-.5E-1", -0.05},
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"4.9e-324", 4.9e-324},
      {"1e-400", 0},  // underflow is zero in Go, not an error
      {"+Inf", kInf},
      {"-Inf", -kInf},
      {"Inf", kInf},
      {"inf", kInf},
      {"+infinity", kInf},
      {"-Infinity", -kInf},
  }));
  const std::string text = "x " + std::string(c.text) + "\n";
  const ParseResult result = ParseOk(text);
  INFO(c.text);
  CHECK(result.families.at(0).samples.at(0).value == c.value);
}

TEST_CASE("Parser: NaN is read in any case, and -0 keeps its sign", "[metrics][parser]") {
  const auto spelling = GENERATE("NaN", "nan", "NAN");
  const std::string text = "x " + std::string(spelling) + "\n";
  CHECK(std::isnan(ParseOk(text).families.at(0).samples.at(0).value));
  const double zero = ParseOk("y -0\n").families.at(0).samples.at(0).value;
  CHECK(zero == 0);
  CHECK(std::signbit(zero));
}

TEST_CASE("Parser: label values unescape \\\\, \\\" and \\n and keep UTF-8 as it is",
          "[metrics][parser]") {
  const ParseResult result = ParseOk(
      "x{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",lines=\"a\\nb\",utf8=\"größe ✓ 🚀\","
      "empty=\"\",raw_cr=\"a\rb\"} 1\n");
  const auto& labels = result.families.at(0).samples.at(0).labels;
  CHECK(labels == pushrun::metrics::Labels{{"path", "C:\\dir"},
                                           {"quote", "say \"hi\""},
                                           {"lines", "a\nb"},
                                           {"utf8", "größe ✓ 🚀"},
                                           {"empty", ""},
                                           {"raw_cr", "a\rb"}});
}

TEST_CASE("Parser: HELP text unescapes \\\\ and \\n and keeps quotes as they are",
          "[metrics][parser]") {
  const ParseResult result =
      ParseOk("# HELP x Path C:\\\\tmp, \"quoted\",\\nsecond line, größe\nx 1\n");
  CHECK(result.families.at(0).help == "Path C:\\tmp, \"quoted\",\nsecond line, größe");
  CHECK(ParseOk("#HELP y\ny 1\n").families.at(0).help.empty());
}

TEST_CASE("Parser: whitespace may surround tokens, labels may end with a comma",
          "[metrics][parser]") {
  const auto text = GENERATE("x{a=\"1\",b=\"2\"} 3\n", "x{a=\"1\",b=\"2\",} 3\n",
                             "  x { a = \"1\" , b = \"2\" , } \t 3\n", "\tx{a=\"1\",b=\"2\"}3\n",
                             "x{ a=\"1\",\tb=\"2\" }  3\n");
  const ParseResult result = ParseOk(text);
  const auto& sample = result.families.at(0).samples.at(0);
  CHECK(sample.name == "x");
  CHECK(sample.labels == pushrun::metrics::Labels{{"a", "1"}, {"b", "2"}});
  CHECK(sample.value == 3);
}

TEST_CASE("Parser: an empty label set is no labels; names may use colons and digits",
          "[metrics][parser]") {
  const ParseResult result = ParseOk("job:rate5m{} 1\n_x9:y{_l9=\"v\"} 2\n");
  REQUIRE(result.families.size() == 2);
  CHECK(result.families[0].samples.at(0).labels.empty());
  CHECK(result.families[1].name == "_x9:y");
}

TEST_CASE("Parser: timestamps are reported in milliseconds", "[metrics][parser]") {
  struct Case {
    std::string_view text;
    std::int64_t timestamp;
  };
  const Case c = GENERATE(values<Case>({{"x 1 1700000000000\n", 1700000000000},
                                        {"x 1 -5\n", -5},
                                        {"x 1 +5\n", 5},
                                        {"x{a=\"b\"} NaN \t 0\n", 0},
                                        {"x 1 9223372036854775807\n", INT64_MAX}}));
  const ParseResult result = ParseOk(c.text);
  CHECK(result.families.at(0).samples.at(0).timestamp_ms == c.timestamp);
}

TEST_CASE("Parser: histogram samples are grouped into the family named by TYPE",
          "[metrics][parser]") {
  const ParseResult result = ParseOk(
      "# HELP latency_seconds Latency.\n"
      "# TYPE latency_seconds histogram\n"
      "latency_seconds_bucket{path=\"/\",le=\"0.1\"} 3\n"
      "latency_seconds_bucket{path=\"/\",le=\"1\"} 5\n"
      "latency_seconds_bucket{path=\"/\",le=\"+Inf\"} 6\n"
      "latency_seconds_sum{path=\"/\"} 2.75\n"
      "latency_seconds_count{path=\"/\"} 6\n"
      "latency_seconds_bucket{path=\"/a\",le=\"+Inf\"} 0\n"
      "latency_seconds_sum{path=\"/a\"} 0\n"
      "latency_seconds_count{path=\"/a\"} 0\n"
      "after 1\n");
  REQUIRE(result.families.size() == 2);
  const MetricFamily& histogram = result.families[0];
  CHECK(histogram.name == "latency_seconds");
  CHECK(histogram.type == MetricType::kHistogram);
  REQUIRE(histogram.samples.size() == 8);
  CHECK(histogram.samples[0].name == "latency_seconds_bucket");
  CHECK(histogram.samples[2].labels.at(1) == Label{"le", "+Inf"});
  CHECK(histogram.samples[3].name == "latency_seconds_sum");
  CHECK(histogram.samples[3].value == 2.75);
  CHECK(histogram.samples[4].name == "latency_seconds_count");
  CHECK(result.families[1].name == "after");
  CHECK(result.families[1].type == MetricType::kUntyped);
}

TEST_CASE("Parser: summary quantiles, _sum and _count are grouped into the summary",
          "[metrics][parser]") {
  const ParseResult result = ParseOk(
      "# TYPE rpc_seconds summary\n"
      "rpc_seconds{quantile=\"0.5\"} 0.01\n"
      "rpc_seconds{quantile=\"0.99\"} NaN\n"
      "rpc_seconds_sum 12.5\n"
      "rpc_seconds_count 100\n");
  REQUIRE(result.families.size() == 1);
  const MetricFamily& summary = result.families[0];
  CHECK(summary.type == MetricType::kSummary);
  REQUIRE(summary.samples.size() == 4);
  CHECK(summary.samples[0].name == "rpc_seconds");
  CHECK(summary.samples[2].name == "rpc_seconds_sum");
  CHECK(summary.samples[3].name == "rpc_seconds_count");
  CHECK(summary.samples[3].value == 100);
}

TEST_CASE("Parser: samples without TYPE form untyped families named after the sample",
          "[metrics][parser]") {
  // Without "# TYPE x histogram" the suffixes mean nothing; with a counter TYPE for "x",
  // "x_total" is a family of its own, as the text format names samples exactly.
  const ParseResult result = ParseOk(
      "x_bucket{le=\"1\"} 1\n"
      "x_count 2\n"
      "# TYPE y counter\n"
      "y_total 3\n");
  REQUIRE(result.families.size() == 3);
  CHECK(result.families[0].name == "x_bucket");
  CHECK(result.families[0].type == MetricType::kUntyped);
  CHECK(result.families[1].name == "x_count");
  CHECK(result.families[2].name == "y_total");
  CHECK(result.families[2].type == MetricType::kUntyped);
}

TEST_CASE("Parser: families keep the order of first appearance; declared-only ones are dropped",
          "[metrics][parser]") {
  const ParseResult result = ParseOk(
      "# TYPE b gauge\n"
      "# TYPE unused counter\n"
      "# TYPE a gauge\n"
      "b 1\n"
      "a 2\n");
  REQUIRE(result.families.size() == 2);
  CHECK(result.families[0].name == "b");
  CHECK(result.families[1].name == "a");
}

TEST_CASE("Parser: HELP may follow the samples of its family while they are contiguous",
          "[metrics][parser]") {
  const ParseResult result = ParseOk("x 1\n# HELP x late help\nx{a=\"b\"} 2\n");
  REQUIRE(result.families.size() == 1);
  CHECK(result.families[0].help == "late help");
  CHECK(result.families[0].samples.size() == 2);
}

TEST_CASE("Parser: malformed input is refused with the line, column and what was expected",
          "[metrics][parser]") {
  struct Case {
    std::string_view text;
    std::size_t line;
    std::size_t column;
    std::string_view message;
  };
  const Case c = GENERATE(values<Case>({
      // Syntax of sample lines.
      {"x{code} 1\n", 1, 7, "expected '=' after label name \"code\", found '}'"},
      {"1x 2\n", 1, 1, "expected a metric name, '#' or an empty line, found '1'"},
      {"{a=\"b\"} 1\n", 1, 1, "expected a metric name, '#' or an empty line, found '{'"},
      {"x-1 2\n", 1, 2, "expected ' ' or '{' after metric name \"x\", found '-'"},
      {"x\n", 1, 2, "expected a value after metric name \"x\", found end of line"},
      {"x \n", 1, 3, "expected a sample value for \"x\", found end of line"},
      {"x{1a=\"b\"} 1\n", 1, 3, "expected a label name or '}', found '1'"},
      {"x{,} 1\n", 1, 3, "expected a label name or '}', found ','"},
      {"x{a=\"b\",,} 1\n", 1, 9, "expected a label name or '}' after ',', found ','"},
      {"x{a=b} 1\n", 1, 5, "expected '\"' to open the value of label \"a\", found 'b'"},
      {"x{a=\"b\" c=\"d\"} 1\n", 1, 9,
       "expected ',' or '}' after the value of label \"a\", found 'c'"},
      {"x{__name__=\"y\"} 1\n", 1, 3, "expected a label name other than \"__name__\""},
      {"x{a=\"1\",a=\"2\"} 1\n", 1, 9,
       "expected each label name once per sample, found \"a\" a second time"},
      // Label values.
      {"x{a=\"\\t\"} 1\n", 1, 6,
       "expected \\\\, \\\" or \\n after '\\' in the value of label \"a\", found 't'"},
      {"x{a=\"b\nc\"} 1\n", 1, 7,
       "expected '\"' to close the value of label \"a\", found end of line"},
      {"x{a=\"b", 1, 7, "expected '\"' to close the value of label \"a\", found end of input"},
      {"x{a=\"\xff\"} 1\n", 1, 6,
       "expected UTF-8 text in the value of label \"a\", found byte 0xff"},
      {"x{a=\"\xc0\xaf\"} 1\n", 1, 6, "found byte 0xc0 that is not valid UTF-8"},
      {"x{a=\"\xed\xa0\x80\"} 1\n", 1, 6, "found byte 0xed that is not valid UTF-8"},
      {"x{a=\"ab\0\"} 1\n"sv, 1, 8, "found a NUL byte"},
      // Values and timestamps.
      {"x abc\n", 1, 3,
       "expected a float sample value (like 1, -2.5, 1e3, +Inf or NaN), found \"abc\""},
      {"x 0x1A\n", 1, 3, "found \"0x1A\""},
      {"x 0x1p3\n", 1, 3, "found \"0x1p3\""},
      {"x 1_000\n", 1, 3, "found \"1_000\""},
      {"x +NaN\n", 1, 3, "found \"+NaN\""},
      {"x nan(1)\n", 1, 3, "found \"nan(1)\""},
      {"x 1e400\n", 1, 3, "found \"1e400\""},
      {"x 1e\n", 1, 3, "found \"1e\""},
      {"x{a=\"b\"}} 1\n", 1, 9, "found \"}\""},
      {"x 1 \n", 1, 4,
       "expected end of line right after the sample value, found trailing whitespace"},
      {"x 1 1.5\n", 1, 5,
       "expected an integer timestamp in milliseconds after the value, found \"1.5\""},
      {"x 1 9223372036854775808\n", 1, 5, "found \"9223372036854775808\""},
      {"x 1 2 3\n", 1, 7, "expected end of line after the timestamp, found \"3\""},
      {"x 1 2 \n", 1, 6,
       "expected end of line right after the timestamp, found trailing whitespace"},
      // Line endings and bytes.
      {"x 1\r\n", 1, 4, "found '\\r' (lines must end with \"\\n\", not \"\\r\\n\")"},
      {"\r\n", 1, 1, "found '\\r'"},
      {"# comment\r\n", 1, 10, "found '\\r'"},
      {"x 1\ny 2", 2, 4,
       "expected ' ' or end of line after the sample value, found end of input (the last line must "
       "end with \"\\n\" too)"},
      {"x 1\n  ", 2, 3, "expected \"\\n\" at the end of the line, found end of input"},
      {"x 1 5", 1, 6,
       "expected end of line after the timestamp, found end of input (the last line must end "
       "with \"\\n\" too)"},
      {"# TYPE x gauge", 1, 15,
       "expected end of line after the type \"gauge\", found end of input"},
      {"# HELP x doc", 1, 13, "expected \"\\n\" at the end of the # HELP line, found end of input"},
      {"# hello", 1, 8, "expected \"\\n\" at the end of the comment, found end of input"},
      {"# hi\0\n"sv, 1, 5, "expected comment text or end of line, found a NUL byte"},
      {"x 1\n\x01\n", 2, 1, "found byte 0x01"},
      // HELP and TYPE lines.
      {"# HELP x a\\tb\n", 1, 11, "expected \\\\ or \\n after '\\' in HELP text, found 't'"},
      {"# HELP x a\\\"b\n", 1, 11, "expected \\\\ or \\n after '\\' in HELP text, found '\"'"},
      {"# HELP x \xe2\x82\n", 1, 10, "expected UTF-8 text in HELP for \"x\", found byte 0xe2"},
      {"# HELP x doc\r\n", 1, 13, "expected HELP text or end of line, found '\\r'"},
      {"# HELP\n", 1, 7, "expected a metric name after # HELP, found end of line"},
      {"# HELP 9x doc\n", 1, 8, "expected a metric name after # HELP, found '9'"},
      {"# TYPE x{} gauge\n", 1, 9,
       "expected whitespace after metric name \"x\" in # TYPE line, found '{'"},
      {"# TYPE x\n", 1, 9,
       "expected a metric type (counter, gauge, histogram, summary or untyped) after \"x\", found "
       "end of line"},
      {"# TYPE x Counter\n", 1, 10,
       "expected a metric type (counter, gauge, histogram, summary or untyped), found \"Counter\""},
      {"# TYPE x gaugehistogram\n", 1, 10, "found \"gaugehistogram\""},
      {"# TYPE x gauge \n", 1, 15, "expected end of line after the type \"gauge\", found ' '"},
      {"# HELP x a\n# HELP x b\n", 2, 8,
       "expected one # HELP line for \"x\", found a second one (the first is at line 1)"},
      {"# TYPE x gauge\n# TYPE x gauge\n", 2, 8,
       "expected one # TYPE line for \"x\", found a second one (the first is at line 1)"},
      {"# TYPE x gauge\n# TYPE x counter\n", 2, 10,
       "conflicting TYPE for \"x\": found counter, expected gauge as declared at line 1"},
      {"x 1\n# TYPE x gauge\n", 2, 8,
       "expected # TYPE for \"x\" before its samples, found it after them (first sample at line "
       "1)"},
      {"# TYPE h histogram\n# TYPE h_count gauge\n", 2, 8,
       "expected # TYPE for a metric of its own, found \"h_count\", which belongs to histogram "
       "\"h\" (TYPE at line 1)"},
      {"# TYPE s summary\n# HELP s_sum doc\n", 2, 8,
       "found \"s_sum\", which belongs to summary \"s\""},
      {"h_bucket{le=\"1\"} 1\n# TYPE h histogram\n", 2, 8,
       "expected \"h_bucket\" to be free for histogram \"h\", found it already used as a family of "
       "its own (line 1)"},
      // Families, histograms, summaries and series.
      {"a 1\nb 1\na 2\n", 3, 1,
       "expected the lines of \"a\" to be contiguous, found more after other families (its lines "
       "ended at line 1)"},
      {"a 1\n# HELP b doc\n# HELP a doc\n", 3, 8, "expected the lines of \"a\" to be contiguous"},
      {"x{a=\"1\",b=\"2\"} 1\nx{b=\"2\",a=\"1\"} 2\n", 2, 1,
       "expected each series once, found \"x\" with the same labels again (first at line 1)"},
      {"x 1\nx 2\n", 2, 1,
       "expected each series once, found \"x\" with the same labels again (first at line 1)"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"1.0\"} 1\n", 3, 1,
       "expected each series once, found \"h_bucket\""},
      {"# TYPE h histogram\nh_bucket 1\n", 2, 1,
       "expected an \"le\" label on histogram bucket \"h_bucket\", found none"},
      {"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", 2, 14,
       "expected a float as the value of label \"le\" (like 0.5 or +Inf), found \"x\""},
      {"# TYPE h histogram\nh_bucket{le=\"\"} 1\n", 2, 14, "found \"\""},
      {"# TYPE h histogram\nh 1\n", 2, 1,
       "expected \"h_bucket\", \"h_sum\" or \"h_count\" as a sample of histogram \"h\", found "
       "\"h\""},
      {"# TYPE h histogram\nh_sum{le=\"1\"} 1\n", 2, 7, "expected no \"le\" label on \"h_sum\""},
      {"# TYPE s summary\ns 1\n", 2, 1,
       "expected a \"quantile\" label on sample \"s\" of summary \"s\", found none"},
      {"# TYPE s summary\ns{quantile=\"high\"} 1\n", 2, 13,
       "expected a float as the value of label \"quantile\""},
      {"# TYPE s summary\ns_count{quantile=\"0.5\"} 1\n", 2, 9,
       "expected no \"quantile\" label on \"s_count\""},
  }));
  const ParseResult result = ParseText(c.text);
  INFO("input: " << std::string(c.text));
  REQUIRE(result.error.has_value());
  INFO("error: " << result.error->Format("input"));
  CHECK(result.families.empty());
  CHECK(result.error->line == c.line);
  CHECK(result.error->column == c.column);
  CHECK_THAT(result.error->message, Catch::Contains(std::string(c.message)));
}

TEST_CASE("Parser: errors format as source:line:column: message", "[metrics][parser]") {
  const ParseResult result = ParseText("ok 1\nx{code} 1\n");
  REQUIRE(result.error.has_value());
  CHECK(result.error->Format("metrics.prom") ==
        "metrics.prom:2:7: expected '=' after label name \"code\", found '}'");
}

TEST_CASE("Parser: input above max_bytes is refused before parsing", "[metrics][parser]") {
  ParseOptions options;
  options.max_bytes = 8;
  const ParseResult result = ParseText("x 1\ny 22\n", options);
  REQUIRE(result.error.has_value());
  CHECK(result.error->line == 1);
  CHECK(result.error->column == 1);
  CHECK(result.error->message == "input is 9 bytes, more than the limit of 8");
  options.max_bytes = 9;
  CHECK(ParseText("x 1\ny 22\n", options).ok());
}

TEST_CASE("Parser: more series than max_series are refused at the first one too many",
          "[metrics][parser]") {
  ParseOptions options;
  options.max_series = 2;
  CHECK(ParseText("a 1\nb 1\n", options).ok());
  const ParseResult result = ParseText("a 1\nb 1\n# comment\n c 1\n", options);
  REQUIRE(result.error.has_value());
  CHECK(result.error->line == 4);
  CHECK(result.error->column == 2);
  CHECK_THAT(result.error->message, Catch::Contains("expected at most 2 series"));
}

TEST_CASE("Parser: long lines and many labels are handled in one pass", "[metrics][parser]") {
  SECTION("a label value of a megabyte") {
    std::string text = "x{a=\"" + std::string(1 << 20, 'v') + "\"} 1\n";
    const ParseResult result = ParseOk(text);
    CHECK(result.families.at(0).samples.at(0).labels.at(0).value.size() == (1u << 20));
  }
  SECTION("a hundred thousand distinct labels on one line") {
    std::string text = "x{";
    for (int i = 0; i < 100'000; ++i) text += "l" + std::to_string(i) + "=\"v\",";
    text += "} 1\n";
    CHECK(ParseOk(text).families.at(0).samples.at(0).labels.size() == 100'000);
  }
  SECTION("the same label name repeated a hundred thousand times") {
    std::string text = "x{";
    for (int i = 0; i < 100'000; ++i) text += "a=\"v\",";
    text += "} 1\n";
    const ParseResult result = ParseText(text);
    REQUIRE(result.error.has_value());
    CHECK(result.error->column == 9);
    CHECK_THAT(result.error->message, Catch::Contains("found \"a\" a second time"));
  }
  SECTION("a repeated label name found only after the first sixteen") {
    std::string text = "x{";
    for (int i = 0; i < 20; ++i) text += "l" + std::to_string(i) + "=\"v\",";
    const std::size_t column = text.size() + 1;
    text += "l3=\"w\"} 1\n";
    const ParseResult result = ParseText(text);
    REQUIRE(result.error.has_value());
    CHECK(result.error->column == column);
    CHECK_THAT(result.error->message, Catch::Contains("found \"l3\" a second time"));
  }
  SECTION("many series of one family") {
    std::string text = "# TYPE x gauge\n";
    for (int i = 0; i < 50'000; ++i)
      text += "x{i=\"" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
    CHECK(ParseOk(text).families.at(0).samples.size() == 50'000);
  }
}

TEST_CASE("Parser: on_family sees each complete family in order; false stops the parse",
          "[metrics][parser]") {
  const std::string text =
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
      "# TYPE declared_only gauge\na 1\na{x=\"y\"} 2\nb 3\n";
  std::vector<std::pair<std::string, std::size_t>> seen;
  ParseOptions options;
  options.on_family = [&](const MetricFamily& family) {
    seen.emplace_back(family.name, family.samples.size());
    return true;
  };
  SECTION("all families, each with all of its samples") {
    const ParseResult result = ParseText(text, options);
    REQUIRE(result.ok());
    CHECK(seen == std::vector<std::pair<std::string, std::size_t>>{{"h", 4}, {"a", 2}, {"b", 1}});
    CHECK(result.families.size() == 3);
    CHECK(result.families[0].samples.size() == 4);
  }
  SECTION("keep_samples = false: names, help and types come back without samples") {
    options.keep_samples = false;
    const ParseResult result = ParseText(text, options);
    REQUIRE(result.ok());
    CHECK(seen.size() == 3);
    REQUIRE(result.families.size() == 3);
    CHECK(result.families[0].name == "h");
    CHECK(result.families[0].type == MetricType::kHistogram);
    for (const MetricFamily& family : result.families) CHECK(family.samples.empty());
  }
  SECTION("keep_samples = false still finds repeated series and non-contiguous families") {
    options.keep_samples = false;
    CHECK_FALSE(ParseText("a{x=\"1\"} 1\na{x=\"1\"} 2\n", options).ok());
    CHECK_FALSE(ParseText("a 1\nb 1\na{x=\"1\"} 2\n", options).ok());
  }
  SECTION("false refuses the input where the next family starts") {
    options.on_family = [&](const MetricFamily& family) { return family.name != "a"; };
    const ParseResult result = ParseText(text, options);
    REQUIRE_FALSE(result.ok());
    CHECK(result.families.empty());
    CHECK(result.error->line == 9);
    CHECK_THAT(result.error->message, Catch::Contains("\"a\""));
  }
}
