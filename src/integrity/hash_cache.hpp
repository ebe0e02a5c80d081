// A persistent local cache of file digests, so a re-run over unchanged files re-hashes nothing.
//
// Entries are keyed by the file's identity as stat(2) reports it (device, inode, size, mtime
// and ctime with nanoseconds) plus a caller-chosen "kind" naming the digest ("md5",
// "md5-parts:16777216", "crc32c-full", "blake3", ...); the value is an opaque caller-defined
// string. Any identity field that differs is a miss, so a stale entry is never trusted.
//
// The cache is advisory: it never throws and never fails the caller. An unreadable or
// unwritable cache directory just means no caching (or read-only caching).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "util/env.hpp"
#include "util/result.hpp"

namespace s3up::integrity {

// What stat(2) says about a file; equal identities mean "unchanged" for caching purposes.
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  int64_t ctime_sec = 0;
  int64_t ctime_nsec = 0;

  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// stat(2) of path (following symlinks). Error is one sentence.
Result<FileIdentity> identify(const std::filesystem::path& path);

class HashCache {
 public:
  struct Options {
    // Live entries kept at most; compaction evicts the least recently written beyond this.
    size_t max_entries = 200'000;
    // The log is compacted when it holds more than max(compact_min_records, 4 * live) records.
    size_t compact_min_records = 4096;
    // put() ignores files whose mtime or ctime is this close to now (or in the future): a
    // write later within the same timestamp tick could change the content without changing
    // the identity ("racily clean", as git calls it). Such files get cached on a later run.
    std::chrono::nanoseconds racy_window = std::chrono::seconds(2);
  };

  // $XDG_CACHE_HOME/s3upload (when set and absolute), else ~/.cache/s3upload; nullopt when
  // neither can be determined.
  static std::optional<std::filesystem::path> default_dir(const Environment& env);
  // The cache in default_dir(env), or a disabled one when there is none.
  static HashCache open_default(const Environment& env, Options options);
  static HashCache open_default(const Environment& env) { return open_default(env, Options{}); }

  // A disabled cache: every get() misses, put() does nothing.
  HashCache();
  // Opens (creating if needed) the cache stored in dir. Never throws.
  explicit HashCache(std::filesystem::path dir) : HashCache(std::move(dir), Options{}) {}
  HashCache(std::filesystem::path dir, Options options);
  ~HashCache();
  HashCache(HashCache&&) noexcept;
  HashCache& operator=(HashCache&&) noexcept;
  HashCache(const HashCache&) = delete;
  HashCache& operator=(const HashCache&) = delete;

  // The value stored for exactly this identity and kind, or nullopt. Sees entries other
  // processes appended since this cache was opened.
  std::optional<std::string> get(const FileIdentity& id, const std::string& kind);
  // Stores value for (id, kind), replacing any older entry for the same file and kind. Pass the
  // identity taken *before* hashing, and only if it still matches after hashing. Records that
  // would exceed kMaxRecordBytes are not stored.
  void put(const FileIdentity& id, const std::string& kind, const std::string& value);

  // False for a disabled cache (no directory, or the log could not be opened at all).
  bool enabled() const;
  // True when entries are persisted (the log is open for writing).
  bool writable() const;
  // Live entries known to this process.
  size_t size() const;
  // Rewrites the log with only the live entries, unless another process is using it right
  // now. put() does this on its own when the log grows; exposed for tests and maintenance.
  void compact();
  // The log file ("<dir>/hashes.v1.log"); empty for a disabled cache.
  std::filesystem::path log_path() const;

  // A record is written with a single write(2) and kept below PIPE_BUF (4096).
  static constexpr size_t kMaxRecordBytes = 4000;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s3up::integrity
