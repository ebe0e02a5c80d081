// BLAKE3 (the official C implementation, SIMD-dispatched at run time) behind a small wrapper,
// so callers never see blake3.h.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace s3up::integrity {

// Incremental BLAKE3-256. Movable, not copyable.
class Blake3 {
 public:
  Blake3();
  ~Blake3();
  Blake3(Blake3&&) noexcept;
  Blake3& operator=(Blake3&&) noexcept;
  Blake3(const Blake3&) = delete;
  Blake3& operator=(const Blake3&) = delete;

  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The 32-byte digest of everything so far (raw bytes / lower-case hex). Does not end the
  // stream: more update() calls may follow.
  std::string raw() const;
  std::string hex() const;
  // Back to the empty state.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

inline constexpr size_t kBlake3OutLen = 32;

// Hex BLAKE3 of a short string.
std::string blake3_hex(std::string_view data);

// Hex BLAKE3 of a whole file, read with a bounded buffer. Error is one sentence.
Result<std::string> blake3_file_hex(const std::filesystem::path& path);

}  // namespace s3up::integrity
