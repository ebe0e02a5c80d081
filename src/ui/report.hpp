// The results a run prints to stdout, in the original tool's shape.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "transfer/engine.hpp"
#include "ui/format.hpp"

namespace s3up::ui {

struct Counts {
  size_t uploaded = 0, skipped = 0, failed = 0, interrupted = 0;
  size_t would_upload = 0, would_update = 0, would_skip = 0;
  size_t found = 0, not_found = 0;
  uint64_t bytes_uploaded = 0;
};

Counts count_results(const std::vector<transfer::LocalFile>& files,
                     const std::vector<transfer::FileResult>& results);

// "📦 Target: s3://bucket/prefix/" header.
void print_target(std::ostream& out, const Style& st, const std::string& bucket,
                  const std::string& target_path, transfer::Mode mode);

// One entry per file, sorted by display path (files are already sorted), then the summary.
void print_results(std::ostream& out, const Style& st, transfer::Mode mode,
                   const std::string& bucket, const std::vector<transfer::LocalFile>& files,
                   const std::vector<transfer::FileResult>& results, const Counts& counts);

// The whole run as JSON (for --report): target, counts, duration, how the bytes were
// protected ("integrity": TransferOutput::integrity, "" when nothing was sent) and one entry
// per file.
std::string results_json(transfer::Mode mode, const std::string& bucket,
                         const std::string& target_path,
                         const std::vector<transfer::LocalFile>& files,
                         const std::vector<transfer::FileResult>& results, const Counts& counts,
                         std::chrono::steady_clock::duration elapsed,
                         std::chrono::system_clock::time_point finished,
                         const std::string& integrity = "");

// "🛡  Integrity: CRC32C trailers checked by the server" (printed before the totals).
std::string format_integrity(const std::string& integrity);

// "Total: 1.20 GB uploaded in 12.3s (99.87 MB/s average)".
std::string format_totals(const Counts& counts, std::chrono::steady_clock::duration elapsed);

}  // namespace s3up::ui
