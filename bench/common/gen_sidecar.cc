// Writes the benchmarks' realistic sidecar: bench_gen_sidecar SERIES OUT
// (100,000 series make about 6.5 MB).

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "realistic_families.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bench_gen_sidecar SERIES OUT\n";
    return 2;
  }
  const auto series = static_cast<std::size_t>(std::strtoull(argv[1], nullptr, 10));
  const std::string text = pushrun::bench::RealisticText(pushrun::bench::RealisticFamilies(series));
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "bench_gen_sidecar: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
