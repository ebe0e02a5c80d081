#include <gtest/gtest.h>

#include <curl/curl.h>

#include "s3/retry.hpp"

using namespace s3up::s3;
using namespace std::chrono_literals;

namespace {
S3Error status(long s, std::string code = "") {
  S3Error e;
  e.http_status = s;
  e.code = std::move(code);
  return e;
}
S3Error transport(int curl) {
  S3Error e;
  e.curl_code = curl;
  e.message = "x";
  return e;
}
}  // namespace

TEST(RetryDelay, RetriesServerErrorsAndThrottling) {
  std::mt19937_64 rng(1);
  RetryPolicy p;
  for (long s : {500L, 502L, 503L, 504L, 429L}) {
    EXPECT_TRUE(retry_delay(p, status(s), 0, rng)) << s;
  }
  EXPECT_TRUE(retry_delay(p, status(400, "RequestTimeout"), 0, rng));
  EXPECT_TRUE(retry_delay(p, status(503, "SlowDown"), 0, rng));
  for (int c : {CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR}) {
    EXPECT_TRUE(retry_delay(p, transport(c), 0, rng)) << c;
  }
}

TEST(RetryDelay, NeverRetriesClientErrors) {
  std::mt19937_64 rng(1);
  RetryPolicy p;
  EXPECT_FALSE(retry_delay(p, status(403, "AccessDenied"), 0, rng));
  EXPECT_FALSE(retry_delay(p, status(403, "SignatureDoesNotMatch"), 0, rng));
  EXPECT_FALSE(retry_delay(p, status(404, "NoSuchBucket"), 0, rng));
  EXPECT_FALSE(retry_delay(p, status(400, "InvalidDigest"), 0, rng));
  // Damaged bytes are sent again at once, twice at most.
  EXPECT_EQ(retry_delay(p, status(400, "BadDigest"), 0, rng), std::chrono::milliseconds(0));
  EXPECT_EQ(retry_delay(p, status(400, "XAmzContentSHA256Mismatch"), 1, rng),
            std::chrono::milliseconds(0));
  EXPECT_FALSE(retry_delay(p, status(400, "BadDigest"), 2, rng));
  EXPECT_FALSE(retry_delay(p, transport(CURLE_ABORTED_BY_CALLBACK), 0, rng));
  EXPECT_FALSE(retry_delay(p, transport(CURLE_READ_ERROR), 0, rng));
}

TEST(RetryDelay, StopsAfterMaxRetries) {
  std::mt19937_64 rng(1);
  RetryPolicy p;
  p.max_retries = 3;
  EXPECT_TRUE(retry_delay(p, status(500), 2, rng));
  EXPECT_FALSE(retry_delay(p, status(500), 3, rng));
  // A refused connection is retried only briefly.
  EXPECT_TRUE(retry_delay(p, transport(CURLE_COULDNT_CONNECT), 1, rng));
  EXPECT_FALSE(retry_delay(p, transport(CURLE_COULDNT_CONNECT), 2, rng));
}

TEST(RetryDelay, FullJitterWithinAnExponentialCeiling) {
  std::mt19937_64 rng(7);
  RetryPolicy p;
  p.max_retries = 20;
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto ceiling = std::min<std::chrono::milliseconds>(p.base * (1 << attempt), p.cap);
    std::chrono::milliseconds max_seen{0}, min_seen{ceiling};
    for (int i = 0; i < 400; ++i) {
      auto d = *retry_delay(p, status(500), attempt, rng);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d, ceiling);
      max_seen = std::max(max_seen, d);
      min_seen = std::min(min_seen, d);
    }
    // Spread over the whole range, not a fixed delay.
    EXPECT_GT(max_seen, ceiling * 3 / 4) << attempt;
    EXPECT_LT(min_seen, ceiling / 4) << attempt;
  }
}

TEST(RetryDelay, ThrottlingBacksOffHarder) {
  std::mt19937_64 rng(3);
  RetryPolicy p;
  std::chrono::milliseconds max_slow{0};
  for (int i = 0; i < 400; ++i)
    max_slow = std::max(max_slow, *retry_delay(p, status(503, "SlowDown"), 0, rng));
  EXPECT_GT(max_slow, p.base);
}

TEST(RetryDelay, SkewIsRetriedAtOnce) {
  std::mt19937_64 rng(3);
  RetryPolicy p;
  EXPECT_EQ(*retry_delay(p, status(403, "RequestTimeTooSkewed"), 0, rng), 0ms);
}

TEST(ClockOffset, FromDateHeader) {
  auto local = std::chrono::system_clock::from_time_t(1790000000);
  auto off = clock_offset_from_date("Tue, 24 Nov 2026 21:30:00 GMT", local);
  ASSERT_TRUE(off);
  auto server = std::chrono::system_clock::from_time_t(
      curl_getdate("Tue, 24 Nov 2026 21:30:00 GMT", nullptr));
  EXPECT_EQ(local + *off, server);
  EXPECT_FALSE(clock_offset_from_date("", local));
  EXPECT_FALSE(clock_offset_from_date("not a date", local));
}
