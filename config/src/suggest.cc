#include "pushrun/config/suggest.h"

#include <algorithm>
#include <vector>

namespace pushrun::config {

namespace {

// Levenshtein distance, one row at a time.
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string_view Closest(std::string_view word, std::span<const std::string_view> names,
                         std::size_t max_distance) {
  if (word.size() > kMaxSuggestedWordLength) return {};
  std::string_view best;
  std::size_t best_distance = max_distance + 1;
  for (std::string_view name : names) {
    const std::size_t d = Distance(word, name);
    if (d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace pushrun::config
