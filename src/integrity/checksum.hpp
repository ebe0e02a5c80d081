// The integrity vocabulary of an upload: which checksum algorithm protects the bytes in
// transit, how it travels to the server (trailer, header, Content-MD5, signed payload hash),
// and which whole-file digest is stored in the object's metadata. Names, parsing and a
// streaming checksum over any of the algorithms.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "integrity/blake3.hpp"
#include "integrity/crc.hpp"
#include "integrity/hash.hpp"
#include "util/result.hpp"

namespace s3up::integrity {

// --checksum-algorithm
enum class ChecksumAlgo { kNone, kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256, kMd5 };

// How the checksum reaches the server (--checksum-transport).
enum class ChecksumTransport {
  kAuto,         // probe once per run: trailer, then header, then Content-MD5 / payload hash
  kTrailer,      // aws-chunked body, STREAMING-UNSIGNED-PAYLOAD-TRAILER, checksum as trailer
  kHeader,       // x-amz-checksum-<algo> header computed before sending
  kContentMd5,   // Content-MD5 header (every S3 server checks it)
  kPayloadHash,  // x-amz-content-sha256 = the body's SHA-256, covered by the signature
  kNone,         // nothing (only when the user chose --checksum-algorithm none)
};

// --metadata-checksum: the whole-file digest stored as x-amz-meta-s3upload-<name>.
enum class MetadataDigest { kNone, kBlake3, kSha256 };

// Lower-case CLI names: "crc32c", "crc64nvme", "sha256", "md5", "none"...
std::string_view algo_name(ChecksumAlgo a);
std::optional<ChecksumAlgo> parse_checksum_algo(std::string_view s);  // case-insensitive
// The S3 spelling ("CRC32C", "CRC64NVME", "SHA256"; "" for md5/none): values of
// x-amz-checksum-algorithm and the suffix of <ChecksumCRC32C> elements.
std::string_view algo_s3_name(ChecksumAlgo a);
// "x-amz-checksum-crc32c" etc.; "" for md5 and none (they have no x-amz-checksum header).
std::string checksum_header(ChecksumAlgo a);
// Whether the algorithm can travel as x-amz-checksum-* (header or trailer).
bool has_checksum_header(ChecksumAlgo a);
bool is_crc(ChecksumAlgo a);
std::optional<CrcAlgo> crc_of(ChecksumAlgo a);
// Length of the base64 value of the algorithm's checksum (8 for CRC32/C, 12 for CRC64,
// 28 for SHA-1, 44 for SHA-256, 24 for MD5; 0 for none).
size_t checksum_base64_length(ChecksumAlgo a);

std::string_view transport_name(ChecksumTransport t);  // "auto", "trailer", "header",
                                                       // "content-md5", "payload-hash", "none"
std::optional<ChecksumTransport> parse_transport(std::string_view s);

std::string_view metadata_digest_name(MetadataDigest d);  // "none", "blake3", "sha256"
std::optional<MetadataDigest> parse_metadata_digest(std::string_view s);

// Streaming checksum over any algorithm (none: always empty). Movable.
class Checksum {
 public:
  explicit Checksum(ChecksumAlgo a);
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The raw value: a CRC's big-endian bytes (4 or 8), a hash's digest. Ends the stream.
  std::string finish_raw();
  ChecksumAlgo algo() const { return algo_; }

 private:
  ChecksumAlgo algo_;
  std::variant<std::monostate, Crc, Hasher> state_;
};

// Feeds [offset, offset+length) of a file to `each` in blocks of at most 1 MiB (length
// UINT64_MAX: to the end). A file shorter than an explicit length is an error. One sentence.
Result<void> read_file_range(const std::filesystem::path& path, uint64_t offset, uint64_t length,
                             const std::function<void(const char*, size_t)>& each);

// Checksum of [offset, offset+length) of a file, raw. Error is one sentence.
Result<std::string> checksum_file_raw(const std::filesystem::path& path, ChecksumAlgo a,
                                      uint64_t offset = 0, uint64_t length = UINT64_MAX);

// The full-object CRC of the concatenation of parts, from each part's raw CRC (big-endian
// bytes) and size. nullopt when the algorithm is no CRC or a value has the wrong width.
std::optional<std::string> combine_crcs_raw(ChecksumAlgo a,
                                            const std::vector<std::string>& part_raw,
                                            const std::vector<uint64_t>& part_sizes);

// Whether SHA-256 runs in hardware here (x86 SHA-NI, ARMv8 SHA2): then a signed payload hash
// costs less CPU than Content-MD5.
bool sha256_is_fast();

}  // namespace s3up::integrity
