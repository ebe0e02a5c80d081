// Hashes and MACs over OpenSSL 3 EVP. Streaming objects for file data, one-shot helpers for
// short strings.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace s3up::integrity {

enum class HashAlgo { kMd5, kSha1, kSha256 };

// Incremental hash. Not copyable; movable.
class Hasher {
 public:
  explicit Hasher(HashAlgo algo);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Raw digest bytes. The hasher must not be used afterwards.
  std::string finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_raw(std::string_view data);
std::string sha256_hex(std::string_view data);
std::string md5_raw(std::string_view data);
std::string md5_hex(std::string_view data);
std::string hmac_sha256_raw(std::string_view key, std::string_view data);

// Hex SHA-256 of the empty string (the payload hash of a body-less request).
inline constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Hashes a whole file (or a range of it) with a bounded buffer. Error is one sentence.
Result<std::string> hash_file_raw(const std::filesystem::path& path, HashAlgo algo,
                                  uint64_t offset = 0, uint64_t length = UINT64_MAX);

}  // namespace s3up::integrity
