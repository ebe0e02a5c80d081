// The client configuration the S3 unit tests share: AWS's documented example keys, a fixed
// clock (2013-05-24T00:00:00Z, the date of AWS's signing examples), fast retries.
#pragma once

#include <chrono>
#include <string>

#include "s3/client.hpp"

namespace s3up::testing {

inline constexpr const char* kExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
inline constexpr int64_t kExampleEpoch = 1369353600;

inline s3::ClientConfig example_config(s3::Endpoint ep, std::string region = "us-east-1") {
  s3::ClientConfig c;
  c.endpoint = std::move(ep);
  c.region = std::move(region);
  c.bucket = "bucket";
  c.credentials.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.credentials.secret_access_key = kExampleSecret;
  c.clock = [] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(kExampleEpoch));
  };
  c.retry.base = std::chrono::milliseconds(1);  // keep retries fast
  c.retry.cap = std::chrono::milliseconds(4);
  return c;
}

}  // namespace s3up::testing
