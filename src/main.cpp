// s3upload: a thin shell over the library.
#include <filesystem>
#include <iostream>

#include "app/run.hpp"
#include "cli/cli.hpp"
#include "util/env.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  auto parsed = s3up::cli::parse(argc, argv, std::cout, std::cerr);
  if (!parsed.options) return parsed.exit_code;
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  int code =
      s3up::app::run(*parsed.options, s3up::Environment::from_process(), cwd, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
