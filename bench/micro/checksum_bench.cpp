// Throughput of the integrity primitives on a 256 MiB buffer (not built by default). Build and
// run from the repository root with one command line (leaves ./checksum_bench):
// clang-format off
// gcc -O2 -c /usr/share/cargo/registry/blake3-1.3.1/c/blake3{,_dispatch,_portable}.c /usr/share/cargo/registry/blake3-1.3.1/c/blake3_{sse2,sse41,avx2,avx512}_x86-64_unix.S && g++ -std=c++20 -O2 -Isrc -I/usr/share/cargo/registry/blake3-1.3.1/c bench/micro/checksum_bench.cpp src/integrity/crc.cpp src/integrity/blake3.cpp src/util/strings.cpp blake3*.o -lisal -lbenchmark -lbenchmark_main -pthread -o checksum_bench && rm blake3*.o && ./checksum_bench
// clang-format on
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "integrity/blake3.hpp"
#include "integrity/crc.hpp"

namespace {

using s3up::integrity::Blake3;
using s3up::integrity::CrcAlgo;

const std::vector<unsigned char>& buffer() {
  static const std::vector<unsigned char> buf = [] {
    std::vector<unsigned char> b(size_t{256} << 20);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < b.size(); i += 8) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      std::memcpy(&b[i], &x, 8);
    }
    return b;
  }();
  return buf;
}

template <typename F>
void run(benchmark::State& state, F f) {
  const auto& buf = buffer();
  for (auto _ : state) benchmark::DoNotOptimize(f(buf.data(), buf.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}

void BM_Crc32(benchmark::State& s) {
  run(s,
      [](const void* p, size_t n) { return s3up::integrity::crc_compute(CrcAlgo::kCrc32, p, n); });
}
void BM_Crc32c(benchmark::State& s) {
  run(s,
      [](const void* p, size_t n) { return s3up::integrity::crc_compute(CrcAlgo::kCrc32c, p, n); });
}
void BM_Crc64Nvme(benchmark::State& s) {
  run(s, [](const void* p, size_t n) {
    return s3up::integrity::crc_compute(CrcAlgo::kCrc64Nvme, p, n);
  });
}
void BM_Crc64NvmeSlice8(benchmark::State& s) {
  run(s,
      [](const void* p, size_t n) { return s3up::integrity::detail::crc64nvme_slice8(0, p, n); });
}
void BM_Blake3(benchmark::State& s) {
  run(s, [](const void* p, size_t n) {
    Blake3 b;
    b.update(p, n);
    return b.raw();
  });
}

BENCHMARK(BM_Crc32)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_Crc32c)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_Crc64Nvme)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_Crc64NvmeSlice8)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_Blake3)->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace
