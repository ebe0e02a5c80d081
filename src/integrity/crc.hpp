// The CRC checksums S3 accepts for object integrity (x-amz-checksum-crc32, -crc32c,
// -crc64nvme): streaming computation, the base64 header form, and combination of the CRCs of
// adjacent pieces into the CRC of their concatenation (how a full-object checksum is built
// from part checksums without re-reading the data).
//
// CRC32 and CRC32C use ISA-L's hardware-accelerated kernels. CRC64/NVME is our own:
// slice-by-8 tables everywhere, plus a PCLMULQDQ folding kernel picked at run time on x86-64
// CPUs that have it. All values are the standard ("check") form: init and xorout all ones,
// reflected, e.g. CRC32C("123456789") = 0xE3069283.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace s3up::integrity {

enum class CrcAlgo {
  kCrc32,      // IEEE 802.3 / zlib, poly 0x04C11DB7 reflected
  kCrc32c,     // Castagnoli, poly 0x1EDC6F41 reflected
  kCrc64Nvme,  // NVMe (a.k.a. CRC-64/Rocksoft), poly 0xAD93D23594C93659 reflected
};

// Width of the checksum in bytes: 4, 4, 8.
size_t crc_width_bytes(CrcAlgo algo);
// The S3 name: "CRC32", "CRC32C", "CRC64NVME" (x-amz-checksum-algorithm values).
std::string_view crc_algo_name(CrcAlgo algo);

// Streaming CRC. Cheap to copy (a copy forks the running state).
class Crc {
 public:
  using Algo = CrcAlgo;

  explicit Crc(CrcAlgo algo);

  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The CRC of everything so far (standard form). Does not end the stream.
  uint64_t value() const;
  // S3 header form: the value's big-endian bytes (4 or 8 of them), base64-encoded.
  std::string base64_be() const;
  CrcAlgo algo() const { return algo_; }

 private:
  CrcAlgo algo_;
  uint64_t state_;  // internal register; the representation differs per algorithm
};

// One-shot CRC of a buffer (standard form).
uint64_t crc_compute(CrcAlgo algo, const void* data, size_t n);
inline uint64_t crc_compute(CrcAlgo algo, std::string_view s) {
  return crc_compute(algo, s.data(), s.size());
}

// The S3 header form of a CRC value: big-endian bytes of the algorithm's width, base64.
std::string crc_base64_be(CrcAlgo algo, uint64_t value);

// CRC(A || B) from CRC(A), CRC(B) and len(B) in bytes, in O(log len_b) time. Works for any
// len_b (including 0, and multi-TiB lengths). Fold part CRCs left to right to get the
// full-object CRC: full = combine(combine(p1, p2, len2), p3, len3) ...
uint64_t crc_combine(CrcAlgo algo, uint64_t crc_a, uint64_t crc_b, uint64_t len_b);

namespace detail {
// Exposed for tests and benchmarks: the CRC64/NVME kernels, each taking and returning the
// standard-form CRC so they chain (crc64nvme_x(crc64nvme_x(0, A), B) == CRC(A||B)).
uint64_t crc64nvme_slice8(uint64_t crc, const void* data, size_t n);
// Carry-less multiply folding; falls back to slice-by-8 on CPUs without PCLMULQDQ.
uint64_t crc64nvme_clmul(uint64_t crc, const void* data, size_t n);
// True when the CPU supports the accelerated kernel and crc_compute uses it.
bool crc64nvme_has_clmul();
}  // namespace detail

}  // namespace s3up::integrity
