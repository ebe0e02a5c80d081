// The configuration file's part in a run: its keys go into the environment below .env, its
// upload settings into the options wherever the command line did not give the flag.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/options.hpp"
#include "config/config_file.hpp"
#include "util/env.hpp"
#include "util/result.hpp"

namespace s3up::app {

// Loads the file (--config, else ./s3upload.toml, else $XDG_CONFIG_HOME/s3upload/config.toml),
// merges its keys into `env` (call after .env has been loaded) and its settings into `opts`.
// Returns the file used (nullopt: none). Error: every problem, one sentence each.
Result<std::optional<std::filesystem::path>, std::vector<std::string>> apply_config_file(
    Options& opts, Environment& env, const std::filesystem::path& cwd);

// The settings part: each value the file gives replaces the built-in default unless the flag
// was on the command line (opts.given). dry_run also yields to --url-only.
void apply_file_settings(Options& opts, const config::ConfigFile& file);

}  // namespace s3up::app
