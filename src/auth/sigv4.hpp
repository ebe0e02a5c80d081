// AWS Signature Version 4: pure functions, the clock is an argument.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "auth/credentials.hpp"

namespace s3up::auth {

using Headers = std::vector<std::pair<std::string, std::string>>;
using QueryParams = std::vector<std::pair<std::string, std::string>>;  // decoded name, value

// A request as the signer sees it. Nothing here is tied to curl.
struct SignableRequest {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // the path exactly as sent on the wire, already percent-encoded
                       // (S3: "/bucket/key%20name" with '/' kept)
  QueryParams query;   // decoded; encoded by the signer. Empty value allowed ("uploads" -> "")
  Headers headers;     // must include "host"; names as the caller wrote them
};

struct SigningParams {
  Credentials credentials;
  std::string region;
  std::string service = "s3";
  std::chrono::system_clock::time_point time;
  bool normalize_path = false;      // S3 signs without normalization
  bool omit_session_token = false;  // add the token after signing, unsigned (some services)
};

// What the signer produced, kept for tests and debugging. Never log `signature`.
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

// Header signing. Adds "x-amz-date", "x-amz-security-token" (if a session token) and, when
// add_content_sha256_header, "x-amz-content-sha256: <payload_hash>", then "Authorization".
// payload_hash is hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
SigningResult sign_request(SignableRequest& req, const std::string& payload_hash,
                           const SigningParams& params, bool add_content_sha256_header = true);

// Query ("presigned") signing. Appends X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token (if any) and X-Amz-Signature
// to req.query.
SigningResult presign_request(SignableRequest& req, std::chrono::seconds expires,
                              const std::string& payload_hash, const SigningParams& params);

// Pieces, exposed for tests and for building URLs.
// The canonical URI of a wire path: "/" if empty; dot segments removed and "//" collapsed when
// `normalize`; URI-encoded once more (keeping '/') when `encode` (every service but S3).
std::string canonical_uri(const std::string& path, bool normalize, bool encode = false);
std::string canonical_query_string(const QueryParams& query);     // sorted, encoded
std::string encode_query(const QueryParams& query);               // encoded, in given order
std::string amz_date(std::chrono::system_clock::time_point t);    // 20150830T123600Z
std::string date_stamp(std::chrono::system_clock::time_point t);  // 20150830

}  // namespace s3up::auth
