#include "realistic_families.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string_view>

namespace pushrun::bench {
namespace {

using metrics::Label;
using metrics::MetricFamily;
using metrics::MetricType;
using metrics::Sample;

constexpr std::size_t kFamilySize = 1000;
constexpr std::array<std::string_view, 12> kBuckets = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};
constexpr std::size_t kSeriesPerHistogram = kBuckets.size() + 2;  // buckets, _sum, _count
constexpr std::array<std::string_view, 4> kMethods = {"GET", "POST", "PUT", "DELETE"};
constexpr std::array<std::string_view, 5> kCodes = {"200", "201", "404", "500", "503"};

// A small deterministic generator (splitmix64): the same families on every run and machine.
class Random {
 public:
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

 private:
  std::uint64_t state_ = 42;
};

std::string Handler(std::size_t i) { return "/api/item_" + std::to_string(i); }

void AddCounter(MetricFamily& family, std::size_t index, std::size_t count, Random& random) {
  family.name = "app_requests_" + std::to_string(index) + "_total";
  family.help = "Requests handled, by method, handler and status code.";
  family.type = MetricType::kCounter;
  for (std::size_t i = 0; i < count; ++i) {
    family.samples.push_back(
        Sample{family.name,
               {{"method", std::string(kMethods[i % kMethods.size()])},
                {"handler", Handler(i / (kMethods.size() * kCodes.size()))},
                {"code", std::string(kCodes[(i / kMethods.size()) % kCodes.size()])}},
               static_cast<double>(random.Below(1'000'000)),
               {}});
  }
}

void AddGauge(MetricFamily& family, std::size_t index, std::size_t count, Random& random) {
  family.name = "app_queue_depth_" + std::to_string(index);
  family.help = "Items waiting in the queue \"by name\", per shard.";
  family.type = MetricType::kGauge;
  for (std::size_t i = 0; i < count; ++i) {
    family.samples.push_back(
        Sample{family.name,
               {{"queue", "orders-" + std::to_string(i / 8)}, {"shard", std::to_string(i % 8)}},
               static_cast<double>(random.Below(100'000)) / 8,
               {}});
  }
}

void AddHistogram(MetricFamily& family, std::size_t index, std::size_t count, Random& random) {
  family.name = "app_latency_" + std::to_string(index) + "_seconds";
  family.help = "Request latency.\nIn seconds.";
  family.type = MetricType::kHistogram;
  for (std::size_t child = 0; child < count / kSeriesPerHistogram; ++child) {
    std::string handler = Handler(child);
    std::uint64_t cumulative = 0;
    for (std::string_view le : kBuckets) {
      cumulative += random.Below(1000);
      family.samples.push_back(Sample{family.name + "_bucket",
                                      {{"handler", handler}, {"le", std::string(le)}},
                                      static_cast<double>(cumulative),
                                      {}});
    }
    family.samples.push_back(Sample{family.name + "_sum",
                                    {{"handler", handler}},
                                    static_cast<double>(random.Below(10'000'000)) / 1024,
                                    {}});
    family.samples.push_back(Sample{
        family.name + "_count", {{"handler", handler}}, static_cast<double>(cumulative), {}});
  }
}

void AppendEscaped(std::string& out, std::string_view text, bool quotes) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::vector<MetricFamily> RealisticFamilies(std::size_t series) {
  std::vector<MetricFamily> families;
  Random random;
  std::size_t remaining = series;
  for (std::size_t index = 0; remaining > 0; ++index) {
    std::size_t budget = std::min(kFamilySize, remaining);
    MetricFamily family;
    switch (index % 3) {
      case 0:
        AddCounter(family, index, budget, random);
        break;
      case 1:
        AddGauge(family, index, budget, random);
        break;
      default:
        if (budget >= kSeriesPerHistogram) {
          AddHistogram(family, index, budget, random);
        } else {
          AddGauge(family, index, budget, random);
        }
    }
    remaining -= family.samples.size();
    families.push_back(std::move(family));
  }
  return families;
}

std::string RealisticText(const std::vector<MetricFamily>& families) {
  std::string out;
  char number[32];
  for (const auto& family : families) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    AppendEscaped(out, family.help, false);
    out += "\n# TYPE ";
    out += family.name;
    out += ' ';
    out += metrics::TypeName(family.type);
    out += '\n';
    for (const auto& sample : family.samples) {
      out += sample.name;
      if (!sample.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < sample.labels.size(); ++i) {
          if (i > 0) out += ',';
          out += sample.labels[i].name;
          out += "=\"";
          AppendEscaped(out, sample.labels[i].value, true);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      auto result = std::to_chars(number, number + sizeof number, sample.value);
      out.append(number, result.ptr);
      out += '\n';
    }
  }
  return out;
}

}  // namespace pushrun::bench
