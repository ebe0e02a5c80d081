// The error every failed S3 operation reports. Classify with the helpers; describe() is one
// plain sentence for people.
#pragma once

#include <string>

namespace s3up::s3 {

struct S3Error {
  long http_status = 0;  // 0 when no HTTP answer
  std::string code;      // S3 error code, e.g. "AccessDenied", "NoSuchKey"
  std::string message;   // S3 message, or curl's
  std::string request_id;
  int curl_code = 0;
  std::string region_hint;     // x-amz-bucket-region when the server says it
  std::string endpoint;        // scheme://host[:port] the request went to (for messages)
  std::string request_region;  // the region the request was signed for (for messages)
  int attempts = 1;            // how many times the request was sent (retries + 1)

  bool is_not_found() const;  // 404 / NoSuchKey (HEAD has no body: 404 alone)
  bool is_transport() const { return curl_code != 0; }
  bool is_auth() const;          // 403 family, signature mismatch, invalid key, expired token
  bool is_retryable() const;     // transport errors, 500/502/503/504/429, SlowDown etc.
  std::string describe() const;  // e.g. "access denied (403 AccessDenied): ..."; mentions
                                 // "after N attempts" when attempts > 1
};

}  // namespace s3up::s3
