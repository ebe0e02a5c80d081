#include "integrity/crc.hpp"

#include <isa-l/crc.h>

#include <array>
#include <climits>
#include <cstring>

#include "util/strings.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define S3UP_CRC_HAVE_CLMUL 1
#include <immintrin.h>
#else
#define S3UP_CRC_HAVE_CLMUL 0
#endif

namespace s3up::integrity {
namespace {

// ---------------------------------------------------------------------------------------------
// Polynomials, reflected (bit 63 - i, resp. 31 - i, holds the coefficient of x^i).

constexpr uint64_t reflect(uint64_t v, int width) {
  uint64_t r = 0;
  for (int i = 0; i < width; ++i) {
    if ((v >> i) & 1) r |= uint64_t{1} << (width - 1 - i);
  }
  return r;
}

constexpr uint64_t kPolyCrc32 = reflect(0x04C11DB7, 32);   // 0xEDB88320
constexpr uint64_t kPolyCrc32c = reflect(0x1EDC6F41, 32);  // 0x82F63B78
constexpr uint64_t kPolyCrc64Nvme = reflect(0xAD93D23594C93659ULL, 64);
static_assert(kPolyCrc32 == 0xEDB88320);
static_assert(kPolyCrc32c == 0x82F63B78);
static_assert(kPolyCrc64Nvme == 0x9A6C9329AC4BC9B5ULL);

// ---------------------------------------------------------------------------------------------
// Arithmetic modulo P in the reflected representation (zlib's crc32_combine technique,
// generalised to any width up to 64): multiplication, and x^(2^k) mod P tables, so that
// x^n mod P costs O(log n) multiplications.

class Gf2 {
 public:
  constexpr Gf2(uint64_t poly_reflected, int width)
      : poly_(poly_reflected), top_(uint64_t{1} << (width - 1)), x2n_{} {
    x2n_[0] = top_ >> 1;  // x^1
    for (size_t k = 1; k < x2n_.size(); ++k) x2n_[k] = mul(x2n_[k - 1], x2n_[k - 1]);
  }

  // a * b mod P.
  constexpr uint64_t mul(uint64_t a, uint64_t b) const {
    uint64_t m = top_;
    uint64_t p = 0;
    while (a != 0 && m != 0) {
      if (a & m) {
        p ^= b;
        a ^= m;
      }
      m >>= 1;
      b = (b & 1) ? (b >> 1) ^ poly_ : b >> 1;
    }
    return p;
  }

  // x^(2^k * n) mod P, i.e. x^n with the exponent pre-shifted by k bits (k = 3 → bytes).
  constexpr uint64_t xpow(uint64_t n, size_t k = 0) const {
    uint64_t p = top_;  // x^0
    for (; n != 0; n >>= 1, ++k) {
      if (n & 1) p = mul(x2n_[k], p);
    }
    return p;
  }

  // CRC(A || B) for CRCs whose init and xorout are equal (true for all three here).
  constexpr uint64_t combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b) const {
    return mul(xpow(len_b, 3), crc_a) ^ crc_b;
  }

 private:
  uint64_t poly_;
  uint64_t top_;
  std::array<uint64_t, 3 + 64> x2n_;  // x^(2^k) for k < 67: enough for 8 * (2^64 - 1) bits
};

const Gf2& gf_for(CrcAlgo algo) {
  static const Gf2 crc32(kPolyCrc32, 32);
  static const Gf2 crc32c(kPolyCrc32c, 32);
  static const Gf2 crc64(kPolyCrc64Nvme, 64);
  switch (algo) {
    case CrcAlgo::kCrc32:
      return crc32;
    case CrcAlgo::kCrc32c:
      return crc32c;
    case CrcAlgo::kCrc64Nvme:
      break;
  }
  return crc64;
}

// ---------------------------------------------------------------------------------------------
// CRC64/NVME, slice-by-8. Operates on the raw register (no init/xorout).

using Tables = std::array<std::array<uint64_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolyCrc64Nvme : c >> 1;
    t[0][i] = c;
  }
  for (size_t s = 1; s < 8; ++s) {
    for (size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = make_tables();

inline uint64_t load_le64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

uint64_t slice8_reg(uint64_t reg, const unsigned char* p, size_t n) {
  while (n >= 8) {
    reg ^= load_le64(p);
    reg = kTables[7][reg & 0xFF] ^ kTables[6][(reg >> 8) & 0xFF] ^ kTables[5][(reg >> 16) & 0xFF] ^
          kTables[4][(reg >> 24) & 0xFF] ^ kTables[3][(reg >> 32) & 0xFF] ^
          kTables[2][(reg >> 40) & 0xFF] ^ kTables[1][(reg >> 48) & 0xFF] ^ kTables[0][reg >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) reg = kTables[0][(reg ^ *p++) & 0xFF] ^ (reg >> 8);
  return reg;
}

// ---------------------------------------------------------------------------------------------
// CRC64/NVME by carry-less multiplication (folding), x86-64 PCLMULQDQ.
//
// The reflected CRC register with no init/xorout is crc0(M) = M(x) * x^64 mod P, and depends
// on M only modulo P. XOR the register into the first 8 message bytes, then repeatedly
// replace a 16-byte block X = H*x^64 + L (H = its first 8 bytes) that is followed by D more
// bits by H*(x^(64+D) mod P) + L*(x^D mod P) XORed into the block D bits later: a
// congruent, shorter message. Each product of two 64-bit polynomials fits in 128 bits, so no
// reduction is needed inside the loop. When fewer than 16 bytes are left, the single 16-byte
// accumulator and the tail go through the table kernel starting from a zero register, which
// avoids a Barrett reduction entirely. PCLMULQDQ on reflected operands yields the product
// divided by x, so the constants carry one extra factor of x^-1: x^(64+D-1) and x^(D-1).

#if S3UP_CRC_HAVE_CLMUL

struct FoldConstants {
  uint64_t k1024_hi, k1024_lo;  // D = 1024 (8 accumulators, 128 bytes per step)
  uint64_t k128_hi, k128_lo;    // D = 128 (one accumulator, 16 bytes per step)
};

const FoldConstants& fold_constants() {
  static const FoldConstants c = [] {
    const Gf2& g = gf_for(CrcAlgo::kCrc64Nvme);
    return FoldConstants{g.xpow(64 + 1024 - 1), g.xpow(1024 - 1), g.xpow(64 + 128 - 1),
                         g.xpow(128 - 1)};
  }();
  return c;
}

__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse4.1"))) uint64_t clmul_reg(uint64_t reg, const unsigned char* p,
                                                            size_t n) {
  if (n < 256) return slice8_reg(reg, p, n);
  const FoldConstants& fc = fold_constants();
  const auto load = [](const unsigned char* q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  };
  // _mm_set_epi64x takes (high, low): low qword multiplies H, high qword multiplies L.
  const __m128i k1024 =
      _mm_set_epi64x(static_cast<long long>(fc.k1024_lo), static_cast<long long>(fc.k1024_hi));
  const __m128i k128 =
      _mm_set_epi64x(static_cast<long long>(fc.k128_lo), static_cast<long long>(fc.k128_hi));

  __m128i x[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) x[i] = load(p + 16 * i);
  x[0] = _mm_xor_si128(x[0], _mm_cvtsi64_si128(static_cast<long long>(reg)));
  p += 128;
  n -= 128;
  while (n >= 128) {
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) x[i] = _mm_xor_si128(fold(x[i], k1024), load(p + 16 * i));
    p += 128;
    n -= 128;
  }
  __m128i acc = x[0];
#pragma GCC unroll 8
  for (int i = 1; i < 8; ++i) acc = _mm_xor_si128(fold(acc, k128), x[i]);
  while (n >= 16) {
    acc = _mm_xor_si128(fold(acc, k128), load(p));
    p += 16;
    n -= 16;
  }
  alignas(16) unsigned char buf[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(buf), acc);
  return slice8_reg(slice8_reg(0, buf, 16), p, n);
}

bool cpu_has_clmul() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  }();
  return has;
}

#endif  // S3UP_CRC_HAVE_CLMUL

uint64_t crc64_best_reg(uint64_t reg, const unsigned char* p, size_t n) {
#if S3UP_CRC_HAVE_CLMUL
  if (cpu_has_clmul()) return clmul_reg(reg, p, n);
#endif
  return slice8_reg(reg, p, n);
}

// ---------------------------------------------------------------------------------------------
// ISA-L wrappers. crc32_iscsi works on the raw register (callers supply ~0 and invert the
// result) and takes an int length; crc32_gzip_refl takes and returns the standard form.

uint32_t crc32c_reg(uint32_t reg, const unsigned char* p, size_t n) {
  constexpr size_t kMaxChunk = size_t{1} << 30;
  while (n > 0) {
    const size_t chunk = n < kMaxChunk ? n : kMaxChunk;
    reg = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(chunk), reg);
    p += chunk;
    n -= chunk;
  }
  return reg;
}

}  // namespace

size_t crc_width_bytes(CrcAlgo algo) {
  return algo == CrcAlgo::kCrc64Nvme ? 8 : 4;
}

std::string_view crc_algo_name(CrcAlgo algo) {
  switch (algo) {
    case CrcAlgo::kCrc32:
      return "CRC32";
    case CrcAlgo::kCrc32c:
      return "CRC32C";
    case CrcAlgo::kCrc64Nvme:
      break;
  }
  return "CRC64NVME";
}

// State per algorithm: CRC32 keeps the standard form (ISA-L's convention); CRC32C and
// CRC64/NVME keep the raw register, initialised to all ones; value() applies xorout.
Crc::Crc(CrcAlgo algo)
    : algo_(algo),
      state_(algo == CrcAlgo::kCrc32    ? 0
             : algo == CrcAlgo::kCrc32c ? uint64_t{0xFFFFFFFF}
                                        : ~uint64_t{0}) {}

void Crc::update(const void* data, size_t n) {
  if (n == 0) return;
  const auto* p = static_cast<const unsigned char*>(data);
  switch (algo_) {
    case CrcAlgo::kCrc32:
      state_ = crc32_gzip_refl(static_cast<uint32_t>(state_), p, n);
      return;
    case CrcAlgo::kCrc32c:
      state_ = crc32c_reg(static_cast<uint32_t>(state_), p, n);
      return;
    case CrcAlgo::kCrc64Nvme:
      state_ = crc64_best_reg(state_, p, n);
      return;
  }
}

uint64_t Crc::value() const {
  switch (algo_) {
    case CrcAlgo::kCrc32:
      return state_;
    case CrcAlgo::kCrc32c:
      return state_ ^ 0xFFFFFFFF;
    case CrcAlgo::kCrc64Nvme:
      break;
  }
  return ~state_;
}

std::string Crc::base64_be() const {
  return crc_base64_be(algo_, value());
}

uint64_t crc_compute(CrcAlgo algo, const void* data, size_t n) {
  Crc c(algo);
  c.update(data, n);
  return c.value();
}

std::string crc_base64_be(CrcAlgo algo, uint64_t value) {
  const size_t width = crc_width_bytes(algo);
  std::string bytes(width, '\0');
  for (size_t i = 0; i < width; ++i) {
    bytes[i] = static_cast<char>((value >> (8 * (width - 1 - i))) & 0xFF);
  }
  return base64_encode(bytes);
}

uint64_t crc_combine(CrcAlgo algo, uint64_t crc_a, uint64_t crc_b, uint64_t len_b) {
  if (algo != CrcAlgo::kCrc64Nvme) {
    crc_a &= 0xFFFFFFFF;
    crc_b &= 0xFFFFFFFF;
  }
  return gf_for(algo).combine(crc_a, crc_b, len_b);
}

namespace detail {

uint64_t crc64nvme_slice8(uint64_t crc, const void* data, size_t n) {
  return ~slice8_reg(~crc, static_cast<const unsigned char*>(data), n);
}

uint64_t crc64nvme_clmul(uint64_t crc, const void* data, size_t n) {
  return ~crc64_best_reg(~crc, static_cast<const unsigned char*>(data), n);
}

bool crc64nvme_has_clmul() {
#if S3UP_CRC_HAVE_CLMUL
  return cpu_has_clmul();
#else
  return false;
#endif
}

}  // namespace detail

}  // namespace s3up::integrity
