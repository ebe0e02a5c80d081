// Finding the local files to transfer: walking, the extension filter, key building.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace s3up::transfer {

// Which files a directory walk takes. "*" takes every file. Case-insensitive; spaces and
// leading dots ignored ("MP4", " .mov" and "mov" are the same).
class ExtensionFilter {
 public:
  static Result<ExtensionFilter> parse(const std::vector<std::string>& specs);
  bool matches(const std::filesystem::path& file) const;
  bool takes_all() const { return all_; }
  const std::vector<std::string>& extensions() const { return exts_; }
  std::string describe() const;  // "mp4, mov" or "every file"

 private:
  std::vector<std::string> exts_;
  bool all_ = false;
};

// S3 keys are at most 1024 bytes of UTF-8.
inline constexpr size_t kMaxKeyBytes = 1024;

// target_path (normalized, may be "") + "/" + relative path with '/' separators.
std::string build_key(std::string_view target_path, std::string_view relative);

// One file to transfer, or one that cannot be (error set). Every file found is reported:
// nothing found is dropped silently.
struct LocalFile {
  std::filesystem::path path;  // as found on disk
  std::string display;         // relative path shown to the user (the sort key)
  std::string key;             // S3 key
  uint64_t size = 0;
  std::string error;  // non-empty: this entry failed before any request
};

struct WalkOptions {
  bool follow_symlinks = false;
  std::string target_path;  // normalized
  bool flatten = false;     // key = target + file name only
};

// Walks every PATH argument, handing each entry to `emit` as it is found (directory order;
// the caller sorts and checks for duplicate keys). A directory contributes the filtered files
// below it (hidden files included, symlinks skipped unless followed); a file named explicitly
// is always taken. Problems (missing path, unreadable directory, key too long, names that are
// not valid UTF-8) become LocalFile entries with `error` set. `emit` returns false to stop.
void walk_files(const std::vector<std::string>& paths, const ExtensionFilter& filter,
                const WalkOptions& opts, const std::function<bool(LocalFile)>& emit);

// Sets `later`'s error: it maps to the same key as `earlier`.
void mark_duplicate_key(LocalFile& later, const LocalFile& earlier);

// True when s is valid UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace s3up::transfer
