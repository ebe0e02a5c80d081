// Runs the per-file work (check, compare, upload, presign) for many files at once over the
// event loop: single PUTs for small files, concurrent multipart uploads for large ones,
// hashing on worker threads. No printing: results and progress events go back to the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "integrity/checksum.hpp"
#include "integrity/hash_cache.hpp"
#include "s3/client.hpp"
#include "s3/content_type.hpp"
#include "s3/object_options.hpp"
#include "transfer/part_plan.hpp"
#include "transfer/walk.hpp"

namespace s3up::transfer {

enum class Mode { kUpload, kDryRun, kUrlOnly };

// How an existing object is judged identical to the local file (--compare).
enum class CompareMode {
  kSize,      // same size is enough (said so in the output)
  kEtag,      // size, then MD5/multipart ETag, or our stored digest where the ETag cannot tell
  kChecksum,  // size, then a whole-content digest: our stored metadata digest or the
              // object's full-object checksum (one HEAD per object); the ETag when neither
};
std::string_view compare_mode_name(CompareMode m);  // "size", "etag", "checksum"
std::optional<CompareMode> parse_compare_mode(std::string_view s);

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
  std::string error;           // one sentence, for kFailed / kInterrupted
  std::string note;            // qualifies a skip, e.g. how identity was established
  std::string url;             // presigned GET URL, when one was made
  uint64_t parts = 0;          // multipart uploads: parts sent
  uint64_t bytes_resumed = 0;  // bytes an interrupted earlier run had already uploaded
};

// What the engine tells a progress display. All calls come from the loop thread.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // A file was found by the walk (index = order of discovery).
  virtual void on_discovered(size_t /*index*/, const LocalFile& /*file*/) {}
  virtual void on_start(size_t /*index*/, const LocalFile& /*file*/) {}
  // Body bytes the network layer sent for this file (a retry never counts a byte twice).
  virtual void on_bytes(size_t /*index*/, uint64_t /*delta*/) {}
  // Bytes of this file the server has acknowledged (a PUT or a part answered with success,
  // or parts an interrupted upload already had): what the overall progress counts.
  virtual void on_acked(size_t /*index*/, uint64_t /*bytes*/) {}
  virtual void on_finish(size_t /*index*/, const FileResult& /*result*/) {}
};

// --interactive: what to do with an object that exists with different content.
enum class OverwriteDecision { kOverwrite, kKeep, kQuit };
using ConfirmOverwrite =
    std::function<OverwriteDecision(const LocalFile& file, const std::string& why)>;

struct EngineOptions {
  Mode mode = Mode::kUpload;
  int max_concurrent = 4;  // files in flight
  int max_requests = 16;   // part uploads in progress at once, across all files
  std::chrono::seconds url_expiry{7 * 24 * 3600};
  uint64_t multipart_threshold = 16 * kMiB;
  uint64_t part_size = 16 * kMiB;
  bool use_listing = true;  // one ListObjectsV2 of list_prefix instead of a HEAD per file
  std::string list_prefix;  // every key starts with it (the target path + "/", or "")
  unsigned hash_threads = 2;
  // What every object carries (metadata, tags, content type, SSE...); null = nothing extra.
  const s3::ObjectOptions* object_options = nullptr;
  // Content-Type detection by extension; null = application/octet-stream.
  const s3::ContentTypes* content_types = nullptr;
  // Digests of unchanged files from earlier runs (thread-safe); null = always hash.
  integrity::HashCache* hash_cache = nullptr;
  // Integrity (see integrity/checksum.hpp).
  integrity::ChecksumAlgo checksum_algo = integrity::ChecksumAlgo::kCrc32c;
  integrity::ChecksumTransport checksum_transport = integrity::ChecksumTransport::kAuto;
  integrity::MetadataDigest metadata_digest = integrity::MetadataDigest::kBlake3;
  CompareMode compare = CompareMode::kEtag;
  // Resume: journals of multipart uploads live here; "" = no journal (--no-resume).
  std::filesystem::path state_dir;
  // --no-resume: an interrupted upload journaled here is aborted (not resumed) and its
  // journal removed, so nothing is left behind unmentioned.
  std::filesystem::path stale_journal_dir;
  std::string tool_version;  // stored as x-amz-meta-s3upload-tool ("s3upload/<version>")
  // Asked on the loop thread (transfers pause meanwhile) before an existing object with
  // different content is replaced; null = always replace.
  ConfirmOverwrite confirm_overwrite;
};

// Counters for tests and the verbose log.
struct EngineStats {
  uint64_t head_requests = 0, list_requests = 0, put_requests = 0, part_requests = 0;
  uint64_t aborted_uploads = 0;
  uint64_t files_hashed = 0, digests_from_cache = 0;  // compare/upload digests
};

// Produces the files to transfer by calling `emit` for each (on a thread of its own);
// `emit` returns false when the run is being stopped.
using FileFeed = std::function<void(const std::function<bool(LocalFile)>& emit)>;

struct TransferOutput {
  std::vector<LocalFile> files;     // sorted by display path
  std::vector<FileResult> results;  // results[i] belongs to files[i]
  // How the bytes were protected in transit, one line for the user ("" when nothing was
  // sent), e.g. "CRC32C trailers checked by the server".
  std::string integrity;
};

// Transfers start while the feed is still walking (a pipeline); a key found twice fails the
// later file. Returns when every file found has a result (or after Ctrl-C, once in-flight
// multipart uploads have been aborted).
TransferOutput run_transfers(s3::Client& client, FileFeed feed, const EngineOptions& opts,
                             ProgressSink* progress, EngineStats* stats = nullptr);

// True for a single-part ETag: 32 hex digits (an MD5 of the content).
bool is_md5_etag(const std::string& etag);

// Part sizes to try when recomputing a multipart ETag of `size` bytes with `parts` parts:
// ours first, then common tools' defaults (aws 8 MiB, 5 MiB, the old tool's 10 MiB, ...).
std::vector<uint64_t> candidate_part_sizes(uint64_t size, unsigned parts, uint64_t ours);

}  // namespace s3up::transfer
