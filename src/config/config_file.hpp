// The configuration file (TOML): ./s3upload.toml, else $XDG_CONFIG_HOME/s3upload/config.toml,
// or the file --config names. It has the lowest precedence of all sources: flags win over the
// environment, the environment over .env, .env over this file, and this file over the built-in
// defaults.
//
//   [aws]       region, profile, endpoint_url
//   [s3]        bucket, target_path, force_path_style
//   [upload]    max_concurrent, extensions, url_expiry_hours, multipart_threshold, part_size,
//               max_requests, max_speed_mbps, checksum_algorithm, metadata_checksum, compare
//   [behavior]  dry_run, yes
//
// [aws], [s3] and the integrity keys of [upload] stand for the configuration keys the
// environment already understands (AWS_REGION, S3_BUCKET, S3_COMPARE, ...) and are merged into
// the environment below everything else; the rest are settings that otherwise only flags give.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/env.hpp"
#include "util/result.hpp"

namespace s3up::config {

struct ConfigFile {
  std::filesystem::path path;  // the file read ("" when parsed from text)
  std::string name;            // how messages name it

  // A configuration key the file gives, e.g. {"S3_BUCKET", "media", "s3.bucket (line 5)"}.
  struct Key {
    std::string env_name;
    std::string value;
    std::string origin;
  };
  std::vector<Key> keys;  // in file order

  // Settings that are otherwise only flags; nullopt = not in the file. All checked already.
  std::optional<int> max_concurrent, url_expiry_hours, max_requests;
  std::optional<std::vector<std::string>> extensions;
  std::optional<std::string> multipart_threshold, part_size;  // text transfer::parse_size reads
  std::optional<double> max_speed_mbps;
  std::optional<bool> dry_run, yes;
};

// Parses and checks the file's text. `name` is how messages name the file. Every problem is one
// sentence naming the file, the line and the key: a syntax error (with its column), an unknown
// section or key, a value of the wrong type, a value out of range.
Result<ConfigFile, std::vector<std::string>> parse_config_file(std::string_view text,
                                                               const std::string& name);

// ./s3upload.toml in `cwd`, else $XDG_CONFIG_HOME/s3upload/config.toml (~/.config when
// XDG_CONFIG_HOME is unset, empty or relative); nullopt when neither exists.
std::optional<std::filesystem::path> find_config_file(const Environment& env,
                                                      const std::filesystem::path& cwd);

// Reads the file `explicit_path` names (--config, relative to `cwd`; it must exist), or else the
// one find_config_file() finds. nullopt: there is none.
Result<std::optional<ConfigFile>, std::vector<std::string>> load_config_file(
    const Environment& env, const std::filesystem::path& cwd, const std::string& explicit_path);

// Merges the file's keys into `env` below what is there already (the environment and .env): a
// key is set only when neither it nor a variable that takes precedence over it has a value
// (AWS_REGION yields to AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 to AWS_ENDPOINT_URL; an empty
// S3_TARGET_PATH counts as set, since "" is the bucket's root). Returns the keys set.
std::vector<ConfigFile::Key> merge_config_keys(Environment& env, const ConfigFile& file);

}  // namespace s3up::config
