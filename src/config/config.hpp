// Configuration: .env loading, layering with the environment and flag overrides, validation.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "integrity/checksum.hpp"
#include "transfer/engine.hpp"
#include "util/env.hpp"
#include "util/result.hpp"

namespace s3up::config {

// Parses .env text: KEY=VALUE lines, blank lines and '#' comments, optional "export ",
// single-quoted (literal) and double-quoted (\n \t \" \\ escapes) values, inline " #" comments
// after unquoted values. Bad lines are reported as "line N: ..." in `errors` and skipped.
std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text,
                                                              std::vector<std::string>* errors);

// The nearest .env in `start` or one of its parents.
std::optional<std::filesystem::path> find_dotenv(const std::filesystem::path& start);

// Merges the .env found from `cwd` into env without overriding what is already set.
// Returns the path loaded (if any). Error sentence if the file is unreadable or malformed.
Result<std::optional<std::filesystem::path>> load_dotenv(Environment& env,
                                                         const std::filesystem::path& cwd);

// Values given on the command line; they win over the environment.
struct Overrides {
  std::optional<std::string> bucket, region, profile, target_path, endpoint_url;
  std::optional<bool> path_style;
  // Integrity, comparison and resume, as typed (resolve_integrity() checks them).
  std::optional<std::string> checksum_algorithm, checksum_transport, metadata_checksum, compare,
      state_dir;
  std::optional<bool> resume;  // false: --no-resume
};

struct Settings {
  std::string region;   // e.g. us-east-1
  std::string profile;  // "" when none was chosen (means "default" for shared files)
  std::string bucket;
  std::string target_path;   // normalized: no leading/trailing '/', may be empty
  std::string endpoint_url;  // "" = AWS; else scheme://host[:port] without trailing '/'
  bool path_style = false;   // true when forced or when the endpoint host is an IP or localhost
};

// Region: flag, AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the shared config.
// Endpoint: flag, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL. Path style: flag,
// S3_FORCE_PATH_STYLE=true|1|yes, or automatic for IP/localhost endpoints.
// Every problem found is one sentence in the error list (all of them, not just the first).
Result<Settings, std::vector<std::string>> resolve_settings(const Environment& env,
                                                            const Overrides& overrides);

// How uploads are protected, how existing objects are compared, and where resume journals
// live: what EngineOptions needs beyond the transfer knobs.
struct IntegritySettings {
  integrity::ChecksumAlgo checksum_algo = integrity::ChecksumAlgo::kCrc32c;
  integrity::ChecksumTransport checksum_transport = integrity::ChecksumTransport::kAuto;
  integrity::MetadataDigest metadata_digest = integrity::MetadataDigest::kBlake3;
  transfer::CompareMode compare = transfer::CompareMode::kEtag;
  std::filesystem::path state_dir;    // "" = no resume; may be relative (to the working dir)
  std::vector<std::string> warnings;  // one sentence each, e.g. resume off for want of a place
};

// Each value: the flag, else its key (S3_CHECKSUM_ALGORITHM, S3_CHECKSUM_TRANSPORT,
// S3_METADATA_CHECKSUM, S3_COMPARE, S3_STATE_DIR, S3_RESUME; "" counts as unset), else the
// default (crc32c, auto, blake3, etag, Journal::default_dir(env), resume on). An algorithm or
// transport is "explicit" when a flag or a key gives it. Algorithm and transport must agree:
//   - algorithm none goes with transport none (auto becomes none); transport none turns a
//     default algorithm into none and is an error with any other explicit one;
//   - md5 travels only as Content-MD5 (auto becomes content-md5);
//   - trailer and header need an algorithm with an x-amz-checksum header (not md5/none);
//   - payload-hash is the body's SHA-256 and content-md5 its MD5: with the algorithm left at
//     its default it becomes sha256 / md5, any other explicit algorithm is an error.
// Resume off (--no-resume, S3_RESUME=false) leaves state_dir empty; --state-dir together with
// --no-resume is an error. A leading "~/" in the directory is $HOME. Every problem is one
// sentence naming its source.
Result<IntegritySettings, std::vector<std::string>> resolve_integrity(const Environment& env,
                                                                      const Overrides& overrides);

// One clear sentence when invalid, nullopt when fine.
std::optional<std::string> validate_bucket_name(std::string_view bucket);
std::optional<std::string> validate_region(std::string_view region);
std::optional<std::string> validate_target_path(std::string_view path);
std::optional<std::string> validate_endpoint_url(std::string_view url);

// Strips leading/trailing '/' from a valid target path.
std::string normalize_target_path(std::string_view path);

}  // namespace s3up::config
