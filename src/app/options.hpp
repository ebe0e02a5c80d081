// Everything a run needs from the command line, already parsed.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "s3/object_options.hpp"

namespace s3up::app {

struct Options {
  std::vector<std::string> paths;
  std::vector<std::string> extensions;  // raw -e values; empty = default "mp4,mov"
  int max_concurrent = 4;
  bool url_only = false;
  bool dry_run = false;
  bool sync = false;  // also delete objects under the target prefix with no local file
  int url_expiry_hours = 168;
  bool follow_symlinks = false;
  bool flatten = false;
  bool no_progress = false;
  bool verbose = false;
  // Transfer engine.
  std::string multipart_threshold = "16MiB";
  std::string part_size = "16MiB";
  int max_requests = 16;              // part uploads / connections in flight across all files
  int max_retries = 5;                // per request
  int timeout_seconds = 60;           // connect timeout and stall timeout
  double max_speed_mbps = 0;          // MiB/s across all transfers; 0 = unlimited
  std::string max_memory = "256MiB";  // buffers in flight (requests, hashing, files)
  bool no_list = false;               // HEAD every file instead of one listing of the prefix
  bool no_cache = false;              // do not read or write the local hash cache
  std::string report_path;            // write the results as JSON here too ("" = no report)
  // Housekeeping of incomplete multipart uploads (instead of uploading).
  bool list_incomplete = false;
  bool abort_incomplete = false;
  std::string older_than;  // with abort_incomplete: only uploads at least this old
  bool yes = false;        // no confirmation prompt
  // Object options as given on the command line (merged over S3_* configuration keys).
  s3::ObjectOptionsInput object;
  config::Overrides overrides;
  // Configuration file (s3upload.toml): --config FILE ("" = look for one), and the long names
  // of the flags given on the command line (e.g. "--max-concurrent"): the file's settings apply
  // only where the flag was not given.
  std::string config_file;
  std::set<std::string> given;
  // --check: preflight of the bucket and permissions instead of uploading; --write-test: also
  // PUT and DELETE a zero-byte object.
  bool check = false;
  bool write_test = false;
  bool interactive = false;  // -i: ask before replacing an object with different content
  bool copy_url = false;     // put the URL on the clipboard when the run made exactly one
};

inline constexpr const char* kDefaultExtensions = "mp4,mov";

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // one or more files failed (url-only: not found)
inline constexpr int kExitUsage = 2;   // bad flags or configuration
inline constexpr int kExitInterrupted = 130;

}  // namespace s3up::app
