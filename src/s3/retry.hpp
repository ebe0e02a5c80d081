// When and how long to wait before retrying a failed request. Pure: the random source is an
// argument.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "s3/error.hpp"

namespace s3up::s3 {

struct RetryPolicy {
  int max_retries = 5;                    // retries after the first attempt
  std::chrono::milliseconds base{250};    // first backoff ceiling
  std::chrono::milliseconds cap{20'000};  // largest backoff ceiling
  int max_connect_retries = 2;            // connection refused / DNS: a wrong endpoint never heals
};

// nullopt: do not retry. Otherwise the delay before attempt `attempt + 1` (attempt counts
// from 0 for the first try). Exponential backoff with full jitter: uniform(0, min(cap,
// base * 2^attempt)). Throttling (SlowDown, 503, 429) starts from a 4x higher ceiling.
// RequestTimeTooSkewed retries at once (the caller corrects its clock first).
std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy,
                                                     const S3Error& error, int attempt,
                                                     std::mt19937_64& rng);

// Seconds to add to the local clock so it matches the server's, from an HTTP Date header
// ("Tue, 24 Nov 2026 21:30:00 GMT"). nullopt when the header does not parse.
std::optional<std::chrono::seconds> clock_offset_from_date(
    const std::string& date_header, std::chrono::system_clock::time_point local_now);

}  // namespace s3up::s3
