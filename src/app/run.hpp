// The commands: upload (default), --dry-run, --url-only.
#pragma once

#include <filesystem>
#include <ostream>

#include "app/options.hpp"
#include "util/env.hpp"

namespace s3up::app {

// Runs one invocation. `out` gets results, `err` gets progress, warnings and errors.
// Returns the process exit status. Installs a SIGINT/SIGTERM handler for the duration.
int run(const Options& opts, Environment env, const std::filesystem::path& cwd, std::ostream& out,
        std::ostream& err);

}  // namespace s3up::app
