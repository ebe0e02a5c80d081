#include "integrity/checksum.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "util/strings.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace s3up::integrity {
namespace {

struct AlgoRow {
  ChecksumAlgo algo;
  std::string_view name, s3;
  size_t b64;
};
constexpr AlgoRow kAlgos[] = {
    {ChecksumAlgo::kNone, "none", "", 0},
    {ChecksumAlgo::kCrc32, "crc32", "CRC32", 8},
    {ChecksumAlgo::kCrc32c, "crc32c", "CRC32C", 8},
    {ChecksumAlgo::kCrc64Nvme, "crc64nvme", "CRC64NVME", 12},
    {ChecksumAlgo::kSha1, "sha1", "SHA1", 28},
    {ChecksumAlgo::kSha256, "sha256", "SHA256", 44},
    {ChecksumAlgo::kMd5, "md5", "", 24},
};

const AlgoRow& row(ChecksumAlgo a) {
  for (const auto& r : kAlgos) {
    if (r.algo == a) return r;
  }
  return kAlgos[0];
}

constexpr std::pair<ChecksumTransport, std::string_view> kTransports[] = {
    {ChecksumTransport::kAuto, "auto"},
    {ChecksumTransport::kTrailer, "trailer"},
    {ChecksumTransport::kHeader, "header"},
    {ChecksumTransport::kContentMd5, "content-md5"},
    {ChecksumTransport::kPayloadHash, "payload-hash"},
    {ChecksumTransport::kNone, "none"},
};

constexpr std::pair<MetadataDigest, std::string_view> kDigests[] = {
    {MetadataDigest::kNone, "none"},
    {MetadataDigest::kBlake3, "blake3"},
    {MetadataDigest::kSha256, "sha256"},
};

template <typename E, size_t N>
std::optional<E> parse_in(const std::pair<E, std::string_view> (&table)[N], std::string_view s) {
  for (const auto& [value, name] : table) {
    if (iequals(s, name)) return value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string_view name_in(const std::pair<E, std::string_view> (&table)[N], E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "?";
}

}  // namespace

std::string_view algo_name(ChecksumAlgo a) {
  return row(a).name;
}

std::optional<ChecksumAlgo> parse_checksum_algo(std::string_view s) {
  std::string t(trim(s));
  t.erase(std::remove(t.begin(), t.end(), '-'), t.end());  // "crc-32c", "sha-256"
  for (const auto& r : kAlgos) {
    if (iequals(t, r.name)) return r.algo;
  }
  return std::nullopt;
}

std::string_view algo_s3_name(ChecksumAlgo a) {
  return row(a).s3;
}

std::string checksum_header(ChecksumAlgo a) {
  if (!has_checksum_header(a)) return "";
  return "x-amz-checksum-" + std::string(row(a).name);
}

bool has_checksum_header(ChecksumAlgo a) {
  return a != ChecksumAlgo::kNone && a != ChecksumAlgo::kMd5;
}

bool is_crc(ChecksumAlgo a) {
  return crc_of(a).has_value();
}

std::optional<CrcAlgo> crc_of(ChecksumAlgo a) {
  switch (a) {
    case ChecksumAlgo::kCrc32:
      return CrcAlgo::kCrc32;
    case ChecksumAlgo::kCrc32c:
      return CrcAlgo::kCrc32c;
    case ChecksumAlgo::kCrc64Nvme:
      return CrcAlgo::kCrc64Nvme;
    default:
      return std::nullopt;
  }
}

size_t checksum_base64_length(ChecksumAlgo a) {
  return row(a).b64;
}

std::string_view transport_name(ChecksumTransport t) {
  return name_in(kTransports, t);
}
std::optional<ChecksumTransport> parse_transport(std::string_view s) {
  return parse_in(kTransports, trim(s));
}
std::string_view metadata_digest_name(MetadataDigest d) {
  return name_in(kDigests, d);
}
std::optional<MetadataDigest> parse_metadata_digest(std::string_view s) {
  return parse_in(kDigests, trim(s));
}

Checksum::Checksum(ChecksumAlgo a) : algo_(a) {
  if (auto crc = crc_of(a)) {
    state_.emplace<Crc>(*crc);
  } else if (a == ChecksumAlgo::kSha1) {
    state_.emplace<Hasher>(HashAlgo::kSha1);
  } else if (a == ChecksumAlgo::kSha256) {
    state_.emplace<Hasher>(HashAlgo::kSha256);
  } else if (a == ChecksumAlgo::kMd5) {
    state_.emplace<Hasher>(HashAlgo::kMd5);
  }
}

void Checksum::update(const void* data, size_t n) {
  if (auto* c = std::get_if<Crc>(&state_)) c->update(data, n);
  if (auto* h = std::get_if<Hasher>(&state_)) h->update(data, n);
}

std::string Checksum::finish_raw() {
  if (auto* c = std::get_if<Crc>(&state_)) {
    const size_t width = crc_width_bytes(c->algo());
    const uint64_t v = c->value();
    std::string out(width, '\0');
    for (size_t i = 0; i < width; ++i) {
      out[i] = static_cast<char>((v >> (8 * (width - 1 - i))) & 0xff);
    }
    return out;
  }
  if (auto* h = std::get_if<Hasher>(&state_)) return h->finish();
  return "";
}

Result<void> read_file_range(const std::filesystem::path& path, uint64_t offset, uint64_t length,
                             const std::function<void(const char*, size_t)>& each) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected("cannot open " + path.string() + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  std::vector<char> buf(1 << 20);
  uint64_t pos = offset, left = length;
  while (left > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), left));
    const ssize_t got = ::pread(fd, buf.data(), want, static_cast<off_t>(pos));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return unexpected("read error on " + path.string() + ": " + std::strerror(errno));
    if (got == 0) {
      if (length == UINT64_MAX) break;
      return unexpected("read error on " + path.string() +
                        ": the file became shorter while it was being read");
    }
    each(buf.data(), static_cast<size_t>(got));
    pos += static_cast<uint64_t>(got);
    if (left != UINT64_MAX) left -= static_cast<uint64_t>(got);
  }
  return {};
}

Result<std::string> checksum_file_raw(const std::filesystem::path& path, ChecksumAlgo a,
                                      uint64_t offset, uint64_t length) {
  Checksum sum(a);
  auto read =
      read_file_range(path, offset, length, [&sum](const char* p, size_t n) { sum.update(p, n); });
  if (!read) return unexpected(read.error());
  return sum.finish_raw();
}

std::optional<std::string> combine_crcs_raw(ChecksumAlgo a,
                                            const std::vector<std::string>& part_raw,
                                            const std::vector<uint64_t>& part_sizes) {
  auto crc = crc_of(a);
  if (!crc || part_raw.size() != part_sizes.size()) return std::nullopt;
  const size_t width = crc_width_bytes(*crc);
  auto value_of = [width](const std::string& raw) {
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(raw[i]);
    return v;
  };
  uint64_t total = crc_compute(*crc, "", 0);
  for (size_t i = 0; i < part_raw.size(); ++i) {
    if (part_raw[i].size() != width) return std::nullopt;
    total = i == 0 ? value_of(part_raw[i])
                   : crc_combine(*crc, total, value_of(part_raw[i]), part_sizes[i]);
  }
  std::string out(width, '\0');
  for (size_t i = 0; i < width; ++i) {
    out[i] = static_cast<char>((total >> (8 * (width - 1 - i))) & 0xff);
  }
  return out;
}

bool sha256_is_fast() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ebx & (1u << 29)) != 0;  // SHA extensions
#elif defined(__aarch64__) && defined(__linux__)
  return (getauxval(AT_HWCAP) & (1ul << 6)) != 0;  // HWCAP_SHA2
#else
  return false;
#endif
}

}  // namespace s3up::integrity
