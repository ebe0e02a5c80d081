// The resume journal: one small file per multipart upload in progress, recording what is
// needed to finish it after the process died (kill -9, power loss, network gone): which
// upload, which local file (identity), which part layout, and each part the server
// acknowledged. Append-only records, each with its own CRC, fdatasync'd: a crash at any
// instant leaves a readable prefix. Lives under $XDG_STATE_HOME/s3upload/uploads/ (or
// --state-dir), never beside the user's files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "integrity/hash_cache.hpp"
#include "util/env.hpp"
#include "util/result.hpp"

namespace s3up::transfer {

struct JournalHeader {
  std::string endpoint;  // scheme://host[:port] the upload was sent to
  std::string bucket;
  std::string key;
  std::string upload_id;
  uint64_t part_size = 0;
  uint64_t part_count = 0;
  std::string checksum_algo;       // integrity::algo_name(), "" = none
  std::string checksum_transport;  // integrity::transport_name() that was used
  integrity::FileIdentity file;    // the local file when the upload started
  std::string local_path;          // absolute path, for messages
  int64_t created_unix = 0;        // seconds since the epoch
};

struct JournalPart {
  int number = 0;
  uint64_t size = 0;
  std::string etag;          // without quotes
  std::string checksum_b64;  // of the header's algorithm, "" when none
};

struct LoadedJournal {
  JournalHeader header;
  // As recorded, sorted by part number (a later record for a number replaces the earlier).
  std::vector<JournalPart> parts;
  // Non-empty when records after a valid prefix were damaged or torn and were ignored:
  // one sentence for a verbose log (the parts before the damage are still good).
  std::string damage;
};

class Journal {
 public:
  // $XDG_STATE_HOME/s3upload (when set and absolute), else ~/.local/state/s3upload.
  static std::optional<std::filesystem::path> default_dir(const Environment& env);
  // dir/uploads/<hex sha256 of endpoint, bucket and key>.journal
  static std::filesystem::path path_for(const std::filesystem::path& dir,
                                        const std::string& endpoint, const std::string& bucket,
                                        const std::string& key);

  // nullopt: no journal there. Error (one sentence): it exists but its header is unreadable
  // (garbage, truncated inside the header, other version) — the caller starts afresh.
  static Result<std::optional<LoadedJournal>> load(const std::filesystem::path& path);

  // Writes a new journal (temp file + fsync + rename, replacing any old one) and keeps it
  // open for appends. Creates the directories (mode 0700).
  static Result<Journal> create(const std::filesystem::path& path, const JournalHeader& header);
  // Opens an existing journal for appends (after load() said it is good). Error when its
  // header is unreadable. When no other process holds the lock it takes it (as try_lock()
  // would) and cuts off anything after the last good record (a torn or damaged tail), so the
  // records appended next are read back by load().
  static Result<Journal> open_for_append(const std::filesystem::path& path);
  // Removes a journal (no error when it is already gone).
  static void remove(const std::filesystem::path& path);

  // Appends one part record and makes it durable (write + fdatasync). Thread-compatible:
  // call from one thread.
  Result<void> append_part(const JournalPart& part);

  // Exclusive advisory lock (flock, non-blocking) so two runs never drive one upload:
  // false when another process holds it. The lock ends with the object.
  bool try_lock();

  const std::filesystem::path& path() const { return path_; }

  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

 private:
  Journal(std::filesystem::path path, int fd, uint64_t part_size, uint64_t part_count)
      : path_(std::move(path)), fd_(fd), part_size_(part_size), part_count_(part_count) {}
  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t part_size_ = 0;   // from the header: append_part() refuses records load() would
  uint64_t part_count_ = 0;  // reject (they would hide every record after them)
};

}  // namespace s3up::transfer
