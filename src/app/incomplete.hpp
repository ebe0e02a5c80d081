// Housekeeping of multipart uploads that were started and never completed or aborted:
// --list-incomplete and --abort-incomplete.
#pragma once

#include <chrono>
#include <istream>
#include <optional>
#include <ostream>
#include <string>

#include "s3/client.hpp"
#include "ui/format.hpp"
#include "util/result.hpp"

namespace s3up::app {

struct IncompleteOptions {
  std::string prefix;  // "" = the whole bucket
  bool abort = false;
  std::optional<std::chrono::seconds> older_than;  // abort only uploads at least this old
  bool yes = false;                                // no confirmation prompt
  bool interactive = false;                        // stdin is a terminal
};

// Lists (and with `abort`, aborts) the incomplete multipart uploads under the prefix, with
// age and bytes uploaded so far. Returns the exit status.
int run_incomplete(s3::Client& client, const IncompleteOptions& opts, const ui::Style& style,
                   std::istream& in, std::ostream& out, std::ostream& err,
                   std::chrono::system_clock::time_point now);

// "90s", "30m", "12h", "7d", "2w" (a bare number is seconds).
Result<std::chrono::seconds> parse_duration(const std::string& text);

// ISO 8601 UTC as S3 writes it ("2026-11-24T21:30:00.000Z"); nullopt when it does not parse.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text);

}  // namespace s3up::app
