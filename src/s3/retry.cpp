#include "s3/retry.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <ctime>

namespace s3up::s3 {

namespace {

bool is_throttle(const S3Error& e) {
  return e.http_status == 503 || e.http_status == 429 || e.code == "SlowDown" ||
         e.code == "Throttling" || e.code == "ThrottlingException" ||
         e.code == "RequestLimitExceeded" || e.code == "TooManyRequests";
}

}  // namespace

std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy,
                                                     const S3Error& error, int attempt,
                                                     std::mt19937_64& rng) {
  if (!error.is_retryable() || attempt >= policy.max_retries) return std::nullopt;
  if (error.curl_code == CURLE_COULDNT_CONNECT || error.curl_code == CURLE_COULDNT_RESOLVE_HOST) {
    if (attempt >= policy.max_connect_retries) return std::nullopt;
  }
  if (error.code == "RequestTimeTooSkewed") return std::chrono::milliseconds(0);
  // Damaged bytes: re-send at once, twice at most (a file that keeps changing never matches).
  if (error.code == "BadDigest" || error.code == "XAmzContentSHA256Mismatch") {
    if (attempt >= 2) return std::nullopt;
    return std::chrono::milliseconds(0);
  }
  auto ceiling = policy.base * (is_throttle(error) ? 4 : 1);
  for (int i = 0; i < attempt && ceiling < policy.cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.cap);
  std::uniform_int_distribution<long long> dist(0, ceiling.count());
  return std::chrono::milliseconds(dist(rng));
}

std::optional<std::chrono::seconds> clock_offset_from_date(
    const std::string& date_header, std::chrono::system_clock::time_point local_now) {
  if (date_header.empty()) return std::nullopt;
  time_t t = curl_getdate(date_header.c_str(), nullptr);
  if (t < 0) return std::nullopt;
  auto server = std::chrono::system_clock::from_time_t(t);
  return std::chrono::duration_cast<std::chrono::seconds>(server - local_now);
}

}  // namespace s3up::s3
