#pragma once
// Reading answers of the Prometheus HTTP query API (/api/v1/query), as Prometheus and
// VictoriaMetrics give them, for tests: an instant vector as label sets and values.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pushrun::testing {

struct QuerySample {
  std::map<std::string, std::string> labels;  // including __name__ when the result keeps it
  double value = 0;
};

// The samples of a {"status":"success","data":{"resultType":"vector","result":[...]}} answer.
// Throws std::runtime_error (quoting the answer) for anything else, such as an error status.
std::vector<QuerySample> ParseVectorAnswer(std::string_view json);

// GET <base>/api/v1/query?query=<promql, URL-encoded>; throws unless the answer is a vector.
std::vector<QuerySample> QueryVector(const std::string& base_url, const std::string& promql);

// QueryVector repeated until it returns `count` samples or more, or `timeout` passes (fresh
// samples take a moment to be searchable, seconds in VictoriaMetrics); returns the last answer.
std::vector<QuerySample> PollVector(const std::string& base_url, const std::string& promql,
                                    std::size_t count, int timeout_ms = 20'000);

}  // namespace pushrun::testing
