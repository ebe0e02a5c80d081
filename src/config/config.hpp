// Configuration: .env loading, layering with the environment and flag overrides, validation.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// One clear sentence when invalid, nullopt when fine.
std::optional<std::string> validate_bucket_name(std::string_view bucket);
std::optional<std::string> validate_region(std::string_view region);
std::optional<std::string> validate_target_path(std::string_view path);
std::optional<std::string> validate_endpoint_url(std::string_view url);

// Strips leading/trailing '/' from a valid target path.
std::string normalize_target_path(std::string_view path);

}  // namespace s3up::config
