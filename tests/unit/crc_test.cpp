#include "integrity/crc.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace s3up::integrity {
namespace {

// Bit-at-a-time reflected CRC straight from the definition: the reference everything else is
// checked against.
struct Model {
  int width;
  uint64_t poly;  // normal (non-reflected) form
};

uint64_t reflect_bits(uint64_t v, int width) {
  uint64_t r = 0;
  for (int i = 0; i < width; ++i) {
    if ((v >> i) & 1) r |= uint64_t{1} << (width - 1 - i);
  }
  return r;
}

Model model(CrcAlgo algo) {
  switch (algo) {
    case CrcAlgo::kCrc32:
      return {32, 0x04C11DB7};
    case CrcAlgo::kCrc32c:
      return {32, 0x1EDC6F41};
    case CrcAlgo::kCrc64Nvme:
      break;
  }
  return {64, 0xAD93D23594C93659ULL};
}

uint64_t naive_crc(CrcAlgo algo, const void* data, size_t n) {
  const Model m = model(algo);
  const uint64_t mask = m.width == 64 ? ~uint64_t{0} : (uint64_t{1} << m.width) - 1;
  const uint64_t poly = reflect_bits(m.poly, m.width);
  uint64_t reg = mask;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    reg ^= p[i];
    for (int b = 0; b < 8; ++b) reg = (reg & 1) ? (reg >> 1) ^ poly : reg >> 1;
  }
  return (reg ^ mask) & mask;
}

uint64_t naive_crc(CrcAlgo algo, const std::string& s) {
  return naive_crc(algo, s.data(), s.size());
}

std::vector<unsigned char> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> v(n);
  for (auto& c : v) c = static_cast<unsigned char>(rng());
  return v;
}

constexpr CrcAlgo kAll[] = {CrcAlgo::kCrc32, CrcAlgo::kCrc32c, CrcAlgo::kCrc64Nvme};

TEST(Crc, CheckValues) {
  const std::string s = "123456789";
  EXPECT_EQ(crc_compute(CrcAlgo::kCrc32, s), 0xCBF43926u);
  EXPECT_EQ(crc_compute(CrcAlgo::kCrc32c, s), 0xE3069283u);
  EXPECT_EQ(crc_compute(CrcAlgo::kCrc64Nvme, s), 0xAE8B14860A799888ULL);
  // The reference model agrees, so it can be trusted for the rest.
  EXPECT_EQ(naive_crc(CrcAlgo::kCrc32, s), 0xCBF43926u);
  EXPECT_EQ(naive_crc(CrcAlgo::kCrc32c, s), 0xE3069283u);
  EXPECT_EQ(naive_crc(CrcAlgo::kCrc64Nvme, s), 0xAE8B14860A799888ULL);
}

TEST(Crc, EmptyIsZero) {
  for (CrcAlgo a : kAll) {
    EXPECT_EQ(crc_compute(a, "", 0), 0u);
    EXPECT_EQ(crc_compute(a, nullptr, 0), 0u);
    Crc c(a);
    c.update(nullptr, 0);
    EXPECT_EQ(c.value(), 0u);
  }
}

TEST(Crc, SingleBytes) {
  EXPECT_EQ(crc_compute(CrcAlgo::kCrc32, "a"), 0xE8B7BE43u);
  EXPECT_EQ(crc_compute(CrcAlgo::kCrc32c, "a"), 0xC1D04330u);
  for (CrcAlgo a : kAll) {
    for (int b = 0; b < 256; ++b) {
      const unsigned char byte = static_cast<unsigned char>(b);
      ASSERT_EQ(crc_compute(a, &byte, 1), naive_crc(a, &byte, 1)) << crc_algo_name(a) << " " << b;
    }
  }
}

TEST(Crc, LongBufferMatchesNaive) {
  const auto buf = random_bytes((1 << 20) + 13, 42);
  for (CrcAlgo a : kAll) {
    EXPECT_EQ(crc_compute(a, buf.data(), buf.size()), naive_crc(a, buf.data(), buf.size()))
        << crc_algo_name(a);
  }
}

TEST(Crc, AllSmallLengthsAndAlignmentsMatchNaive) {
  const auto buf = random_bytes(1200, 7);
  for (CrcAlgo a : kAll) {
    for (size_t off = 0; off < 16; off += 3) {
      for (size_t n = 0; n + off <= 1100; n += (n < 300 ? 1 : 37)) {
        ASSERT_EQ(crc_compute(a, buf.data() + off, n), naive_crc(a, buf.data() + off, n))
            << crc_algo_name(a) << " off=" << off << " n=" << n;
      }
    }
  }
}

TEST(Crc, Crc64KernelsAgree) {
  const auto buf = random_bytes(70000, 9);
  for (size_t n : {0, 1, 15, 16, 17, 127, 128, 255, 256, 257, 383, 384, 1000, 4096, 65537, 70000}) {
    for (size_t off : {0, 1, 8}) {
      if (off + n > buf.size()) continue;
      const uint64_t want = naive_crc(CrcAlgo::kCrc64Nvme, buf.data() + off, n);
      EXPECT_EQ(detail::crc64nvme_slice8(0, buf.data() + off, n), want) << n;
      EXPECT_EQ(detail::crc64nvme_clmul(0, buf.data() + off, n), want) << n;
    }
  }
  // Chaining through the standard form.
  const uint64_t a = detail::crc64nvme_clmul(0, buf.data(), 1000);
  EXPECT_EQ(detail::crc64nvme_clmul(a, buf.data() + 1000, 69000),
            naive_crc(CrcAlgo::kCrc64Nvme, buf.data(), buf.size()));
  EXPECT_EQ(detail::crc64nvme_slice8(a, buf.data() + 1000, 69000),
            naive_crc(CrcAlgo::kCrc64Nvme, buf.data(), buf.size()));
}

TEST(Crc, StreamingRandomChunksEqualsOneShot) {
  const auto buf = random_bytes(3 << 20, 11);
  std::mt19937 rng(5);
  for (CrcAlgo a : kAll) {
    const uint64_t want = crc_compute(a, buf.data(), buf.size());
    for (int round = 0; round < 5; ++round) {
      Crc c(a);
      size_t pos = 0;
      while (pos < buf.size()) {
        // Mix tiny, odd, and large chunks (including empty updates).
        const uint32_t r = rng();
        size_t n = (r % 4 == 0) ? r % 8 : (r % 4 == 1) ? r % 300 : r % 200000;
        n = std::min(n, buf.size() - pos);
        c.update(buf.data() + pos, n);
        pos += n;
      }
      EXPECT_EQ(c.value(), want) << crc_algo_name(a);
    }
  }
}

TEST(Crc, ValueDoesNotEndStreamAndCopyForks) {
  for (CrcAlgo a : kAll) {
    Crc c(a);
    c.update("1234");
    EXPECT_EQ(c.value(), crc_compute(a, "1234"));
    Crc fork = c;
    c.update("56789");
    fork.update("5");
    EXPECT_EQ(c.value(), crc_compute(a, "123456789"));
    EXPECT_EQ(fork.value(), crc_compute(a, "12345"));
    EXPECT_EQ(c.algo(), a);
  }
}

TEST(Crc, Base64BigEndian) {
  EXPECT_EQ(crc_base64_be(CrcAlgo::kCrc32c, 0xE3069283), "4waSgw==");
  EXPECT_EQ(crc_base64_be(CrcAlgo::kCrc32, 0xCBF43926), "y/Q5Jg==");
  EXPECT_EQ(crc_base64_be(CrcAlgo::kCrc64Nvme, 0xAE8B14860A799888ULL), "rosUhgp5mIg=");
  EXPECT_EQ(crc_base64_be(CrcAlgo::kCrc32, 0), "AAAAAA==");
  EXPECT_EQ(crc_base64_be(CrcAlgo::kCrc64Nvme, 0), "AAAAAAAAAAA=");
  Crc c(CrcAlgo::kCrc32c);
  c.update("123456789");
  EXPECT_EQ(c.base64_be(), "4waSgw==");
  Crc d(CrcAlgo::kCrc64Nvme);
  d.update("123456789");
  EXPECT_EQ(d.base64_be(), "rosUhgp5mIg=");
}

TEST(Crc, NamesAndWidths) {
  EXPECT_EQ(crc_algo_name(CrcAlgo::kCrc32), "CRC32");
  EXPECT_EQ(crc_algo_name(CrcAlgo::kCrc32c), "CRC32C");
  EXPECT_EQ(crc_algo_name(CrcAlgo::kCrc64Nvme), "CRC64NVME");
  EXPECT_EQ(crc_width_bytes(CrcAlgo::kCrc32), 4u);
  EXPECT_EQ(crc_width_bytes(CrcAlgo::kCrc32c), 4u);
  EXPECT_EQ(crc_width_bytes(CrcAlgo::kCrc64Nvme), 8u);
}

TEST(CrcCombine, CheckStringSplits) {
  const std::string s = "123456789";
  for (CrcAlgo a : kAll) {
    for (size_t i = 0; i <= s.size(); ++i) {
      const uint64_t ca = crc_compute(a, s.substr(0, i));
      const uint64_t cb = crc_compute(a, s.substr(i));
      EXPECT_EQ(crc_combine(a, ca, cb, s.size() - i), crc_compute(a, s)) << i;
    }
  }
}

TEST(CrcCombine, RandomSplitsIncludingEmptyPieces) {
  const auto buf = random_bytes(1 << 20, 21);
  std::mt19937 rng(3);
  for (CrcAlgo a : kAll) {
    const uint64_t want = crc_compute(a, buf.data(), buf.size());
    for (int round = 0; round < 20; ++round) {
      // Cut into parts (some empty), fold the part CRCs left to right like a multipart upload.
      std::vector<size_t> cuts = {0, buf.size()};
      const int ncuts = static_cast<int>(rng() % 12);
      for (int i = 0; i < ncuts; ++i) cuts.push_back(rng() % (buf.size() + 1));
      if (round % 3 == 0) cuts.push_back(cuts.back());  // a guaranteed empty piece
      std::sort(cuts.begin(), cuts.end());
      uint64_t full = 0;  // CRC of the empty prefix
      for (size_t i = 0; i + 1 < cuts.size(); ++i) {
        const size_t len = cuts[i + 1] - cuts[i];
        full = crc_combine(a, full, crc_compute(a, buf.data() + cuts[i], len), len);
      }
      EXPECT_EQ(full, want) << crc_algo_name(a) << " round " << round;
    }
    // Combining with an empty B is the identity; an empty A gives B.
    EXPECT_EQ(crc_combine(a, want, 0, 0), want);
    EXPECT_EQ(crc_combine(a, 0, want, buf.size()), want);
  }
}

// CRC of n zero bytes, by doubling with crc_combine (independent of the data kernels).
uint64_t zeros_crc(CrcAlgo a, uint64_t n) {
  uint64_t result = 0;
  uint64_t pow = crc_compute(a, std::string(1, '\0')), pow_len = 1;
  while (n != 0) {
    if (n & 1) {
      result = crc_combine(a, result, pow, pow_len);
    }
    n >>= 1;
    if (n != 0) {
      pow = crc_combine(a, pow, pow, pow_len);
      pow_len *= 2;
    }
  }
  return result;
}

TEST(CrcCombine, ZerosByDoublingMatchDirect) {
  for (CrcAlgo a : kAll) {
    for (size_t n : {1, 2, 3, 1000, 65536, 1 << 20, (16 << 20) + 5}) {
      const std::vector<unsigned char> z(n, 0);
      EXPECT_EQ(zeros_crc(a, n), crc_compute(a, z.data(), z.size())) << n;
    }
  }
}

// A 5 GiB + 3 byte object hashed directly versus "abc" combined with a 5 GiB zero part
// (len_b needs more than 32 bits). CRC32C only, the fastest kernel; combine is shared code.
TEST(CrcCombine, FiveGiBDirectVersusCombine) {
  constexpr uint64_t kLen = 5ULL << 30;
  const std::vector<unsigned char> zeros(64 << 20, 0);
  const CrcAlgo a = CrcAlgo::kCrc32c;
  Crc direct(a);
  direct.update("abc");
  for (uint64_t done = 0; done < kLen; done += zeros.size()) {
    direct.update(zeros.data(), zeros.size());
  }
  EXPECT_EQ(direct.value(), crc_combine(a, crc_compute(a, "abc"), zeros_crc(a, kLen), kLen));
}

// One update of more than 2 GiB for every algorithm (ISA-L's CRC32C takes an int length, so
// we chunk), over a mapping of zero pages (huge zero pages where available) that costs no
// memory.
TEST(CrcCombine, SingleUpdateOver2GiB) {
  constexpr uint64_t kLen = (2ULL << 30) + 4099;
  void* map = ::mmap(nullptr, kLen, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED) GTEST_SKIP() << "cannot map 2 GiB of address space";
  (void)::madvise(map, kLen, MADV_HUGEPAGE);
  for (CrcAlgo a : kAll) {
    EXPECT_EQ(crc_compute(a, map, kLen), zeros_crc(a, kLen)) << crc_algo_name(a);
  }
  ::munmap(map, kLen);
}

TEST(CrcCombine, HugeLengthsAreAssociative) {
  // (A||B)||C == A||(B||C) with multi-TiB B and C (far past what can be hashed directly).
  constexpr uint64_t kTiB = 1ULL << 40;
  for (CrcAlgo a : kAll) {
    const uint64_t ca = crc_compute(a, "first part");
    const uint64_t lb = 5 * kTiB - 12345, lc = 3 * kTiB + 7;
    const uint64_t cb = zeros_crc(a, lb) ^ 0x1234;  // any values work: combine is linear
    const uint64_t cc = crc_compute(a, "last");
    const uint64_t left = crc_combine(a, crc_combine(a, ca, cb, lb), cc, lc);
    const uint64_t right = crc_combine(a, ca, crc_combine(a, cb, cc, lc), lb + lc);
    EXPECT_EQ(left, right) << crc_algo_name(a);
    // Splitting a zero run: Z(lb) = Z(x) || Z(lb - x).
    EXPECT_EQ(zeros_crc(a, lb),
              crc_combine(a, zeros_crc(a, kTiB), zeros_crc(a, lb - kTiB), lb - kTiB));
  }
}

}  // namespace
}  // namespace s3up::integrity
