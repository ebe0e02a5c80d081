// The results a run prints to stdout, in the original tool's shape.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "transfer/engine.hpp"
#include "ui/format.hpp"

namespace s3up::ui {

struct Counts {
  size_t uploaded = 0, skipped = 0, failed = 0, interrupted = 0;
  size_t would_upload = 0, would_update = 0, would_skip = 0;
  size_t found = 0, not_found = 0;
  uint64_t bytes_uploaded = 0;
  // --sync: objects with no local file deleted (dry run: that would be), or not deleted.
  bool sync = false;
  size_t deleted = 0, would_delete = 0, delete_failed = 0;
};

// --sync, for the report: what happened to objects under the target prefix that have no
// local file.
struct SyncReport {
  std::vector<std::string> deleted;
  std::vector<std::string> would_delete;                    // dry run
  std::vector<std::pair<std::string, std::string>> failed;  // key, why not deleted
  std::string not_run;  // why nothing was deleted when that was decided up front, else ""
};

Counts count_results(const std::vector<transfer::LocalFile>& files,
                     const std::vector<transfer::FileResult>& results);

// "📦 Target: s3://bucket/prefix/" header.
void print_target(std::ostream& out, const Style& st, const std::string& bucket,
                  const std::string& target_path, transfer::Mode mode);

// One entry per file, sorted by display path (files are already sorted), then the summary
// (unless `summary` is false: print_summary() follows later).
void print_results(std::ostream& out, const Style& st, transfer::Mode mode,
                   const std::string& bucket, const std::vector<transfer::LocalFile>& files,
                   const std::vector<transfer::FileResult>& results, const Counts& counts,
                   bool summary = true);

// A blank line and "Summary: 1 uploaded, 1 skipped, 0 failed" (with --sync: ", 2 deleted").
void print_summary(std::ostream& out, const Style& st, transfer::Mode mode, const Counts& counts);

// The whole run as JSON (for --report): target, counts, duration, how the bytes were
// protected ("integrity": TransferOutput::integrity, "" when nothing was sent) and one entry
// per file. With --sync (`sync` set): "sync" holds the deleted keys (or those a dry run
// would delete), the failures and why nothing was deleted, if so.
std::string results_json(transfer::Mode mode, const std::string& bucket,
                         const std::string& target_path,
                         const std::vector<transfer::LocalFile>& files,
                         const std::vector<transfer::FileResult>& results, const Counts& counts,
                         std::chrono::steady_clock::duration elapsed,
                         std::chrono::system_clock::time_point finished,
                         const std::string& integrity = "", const SyncReport* sync = nullptr);

// "🛡  Integrity: CRC32C trailers checked by the server" (printed before the totals).
std::string format_integrity(const std::string& integrity);

// "Total: 1.20 GB uploaded in 12.3s (99.87 MB/s average)".
std::string format_totals(const Counts& counts, std::chrono::steady_clock::duration elapsed);

}  // namespace s3up::ui
