// Runs the per-file work (check, compare, upload, presign) for many files at once over the
// event loop. No printing: results and progress events go back to the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "s3/client.hpp"
#include "transfer/walk.hpp"

namespace s3up::transfer {

enum class Mode { kUpload, kDryRun, kUrlOnly };

enum class Outcome {
  kUploaded,     // new object written
  kUpdated,      // existing object with different content replaced
  kSkipped,      // already in the bucket with the same content
  kWouldUpload,  // dry run
  kWouldUpdate,  // dry run
  kWouldSkip,    // dry run
  kFound,        // url-only: present, URL generated
  kNotFound,     // url-only: not in the bucket
  kFailed,
  kInterrupted,  // Ctrl-C before this file finished
};

struct FileResult {
  Outcome outcome = Outcome::kFailed;
  std::string error;  // one sentence, for kFailed / kInterrupted
  std::string note;   // qualifies a skip, e.g. how identity was established
  std::string url;    // presigned GET URL, when one was made
};

// What the engine tells a progress display. All calls come from the loop thread.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void on_start(size_t /*index*/, const LocalFile& /*file*/) {}
  // Body bytes handed to the network for this file (never counts a byte twice).
  virtual void on_bytes(size_t /*index*/, uint64_t /*delta*/) {}
  virtual void on_finish(size_t /*index*/, const FileResult& /*result*/) {}
};

struct EngineOptions {
  Mode mode = Mode::kUpload;
  int max_concurrent = 4;  // files in flight
  std::chrono::seconds url_expiry{7 * 24 * 3600};
};

// results[i] belongs to files[i]. Returns when every file has a result.
std::vector<FileResult> run_transfers(s3::Client& client, const std::vector<LocalFile>& files,
                                      const EngineOptions& opts, ProgressSink* progress);

// True for a single-part ETag: 32 lower/upper-case hex digits (an MD5 of the content).
bool is_md5_etag(const std::string& etag);

}  // namespace s3up::transfer
