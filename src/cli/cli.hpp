// Command-line parsing (CLI11) into app::Options.
#pragma once

#include <optional>
#include <ostream>

#include "app/options.hpp"

namespace s3up::cli {

struct ParseResult {
  std::optional<app::Options> options;  // set when the run should go ahead
  int exit_code = 0;                    // otherwise: 0 after --help/--version, 2 on errors
};

ParseResult parse(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace s3up::cli
