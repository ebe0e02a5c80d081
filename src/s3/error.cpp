// Classification and plain-language description of S3 failures.
#include <curl/curl.h>

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "s3/error.hpp"

namespace s3up::s3 {
namespace {

bool one_of(const std::string& code, std::initializer_list<std::string_view> codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

bool contains(const std::string& s, std::string_view what) {
  return s.find(what) != std::string::npos;
}

// The first line of a server or curl message, kept short.
std::string short_message(const std::string& m) {
  std::string s = m.substr(0, m.find_first_of("\r\n"));
  while (!s.empty() && (s.back() == ' ' || s.back() == '.')) s.pop_back();
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return s;
}

std::string transport_description(const S3Error& e) {
  const std::string target = e.endpoint.empty() ? std::string("the server") : e.endpoint;
  const std::string& m = e.message;
  switch (e.curl_code) {
    case CURLE_COULDNT_CONNECT: {
      std::string reason = "no connection";
      if (contains(m, "refused")) {
        reason = "connection refused";
      } else if (contains(m, "timed out") || contains(m, "Timeout")) {
        reason = "timed out";
      } else if (contains(m, "No route")) {
        reason = "no route to host";
      } else if (contains(m, "unreachable")) {
        reason = "network unreachable";
      }
      return "could not connect to " + target + " (" + reason +
             "): is the endpoint right and the server running?";
    }
    case CURLE_OPERATION_TIMEDOUT:
      if (contains(m, "onnection timed out") || contains(m, "onnection timeout") ||
          contains(m, "Resolving timed out")) {
        return "timed out connecting to " + target + ": is the endpoint right and reachable?";
      }
      return "timed out talking to " + target +
             " (no data moved for too long): check the network or raise the stall timeout";
    case CURLE_COULDNT_RESOLVE_HOST:
      return "could not resolve the host name of " + target +
             ": check the endpoint URL and the network";
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "could not resolve the proxy host: check the proxy settings";
    case CURLE_PEER_FAILED_VERIFICATION:
      return "the TLS certificate of " + target +
             " could not be verified: set AWS_CA_BUNDLE if the server uses a private CA";
    case CURLE_SSL_CACERT_BADFILE:
      return "the CA bundle could not be read: check AWS_CA_BUNDLE";
    case CURLE_SSL_CONNECT_ERROR:
      return "the TLS handshake with " + target + " failed (" + short_message(m) +
             "): is the endpoint really https?";
    case CURLE_GOT_NOTHING:
      return target + " closed the connection without answering: try again";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      return "the connection to " + target + " broke (" + short_message(m) + "): try again";
    case CURLE_PARTIAL_FILE:
      return "the answer from " + target + " was cut off: try again";
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
      if (m.empty() || m == "interrupted") return "the transfer was interrupted";
      return short_message(m);  // e.g. "read error on /path: Input/output error"
    default:
      return "network error talking to " + target + " (" + short_message(m) + ")";
  }
}

std::string describe_once(const S3Error& e) {
  if (e.is_transport()) return transport_description(e);

  std::string tag;
  if (e.http_status != 0 && !e.code.empty()) {
    tag = "(" + std::to_string(e.http_status) + " " + e.code + ")";
  } else if (!e.code.empty()) {
    tag = "(" + e.code + ")";
  } else {
    tag = "(HTTP " + std::to_string(e.http_status) + ")";
  }

  const bool region_problem =
      e.http_status == 301 || e.http_status == 307 || e.http_status == 400 ||
      one_of(e.code, {"PermanentRedirect", "TemporaryRedirect", "AuthorizationHeaderMalformed",
                      "IllegalLocationConstraintException"});
  if (region_problem && !e.region_hint.empty() && e.region_hint != e.request_region) {
    std::string s = "the bucket is in region " + e.region_hint;
    if (!e.request_region.empty()) s += ", not " + e.request_region;
    return s + " " + tag + ": set AWS_REGION=" + e.region_hint;
  }
  if (e.code == "PermanentRedirect" || (e.http_status == 301 && e.code.empty())) {
    return "the bucket is in another region or needs another endpoint " + tag +
           ": set AWS_REGION to the bucket's region";
  }
  if (e.code == "SignatureDoesNotMatch") {
    return "the request signature was rejected " + tag +
           ": the secret access key is probably wrong";
  }
  if (e.code == "InvalidAccessKeyId") {
    return "the access key id is not known to the server " + tag +
           ": check the access key id and the endpoint";
  }
  if (one_of(e.code, {"ExpiredToken", "TokenRefreshRequired"})) {
    return "the session token has expired " + tag + ": refresh your credentials";
  }
  if (e.code == "InvalidToken") {
    return "the session token is not valid " + tag +
           ": check AWS_SESSION_TOKEN or refresh your credentials";
  }
  if (e.code == "RequestTimeTooSkewed") {
    return "the local clock is too far from the server's " + tag + ": correct the system time";
  }
  if (e.code == "AuthorizationHeaderMalformed") {
    return "the server rejected the request's credentials scope " + tag +
           ": check the region and the access key id";
  }
  if (e.code == "NoSuchBucket") {
    return "the bucket does not exist " + tag + ": check the bucket name and the endpoint";
  }
  if (e.code == "BucketAlreadyExists") {
    return "the bucket name is already taken by another account " + tag + ": choose another name";
  }
  if (e.code == "InvalidBucketName") {
    return "the bucket name is not valid " + tag + ": check the bucket name";
  }
  if (one_of(e.code, {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})) {
    return "the data the server received does not match its checksum " + tag +
           ": the bytes were damaged on the way or the file changed during the upload";
  }
  if (e.code == "EntityTooLarge") {
    return "the object is too large for a single upload " + tag;
  }
  if (e.code == "EntityTooSmall") {
    return "a part of the multipart upload is smaller than the server's minimum part size " + tag +
           ": use larger parts";
  }
  if (e.code == "NoSuchUpload") {
    return "the multipart upload does not exist any more " + tag +
           ": it was completed or aborted; start the upload again";
  }
  if (one_of(e.code, {"InvalidPart", "InvalidPartOrder"})) {
    return "the server does not have the parts the multipart upload lists " + tag +
           ": start the upload again";
  }
  if (e.code == "RequestTimeout") {
    return "the server gave up waiting for the request data " + tag + ": check the network";
  }
  if (e.http_status == 403 || one_of(e.code, {"AccessDenied", "AllAccessDisabled", "Forbidden"})) {
    return "access denied by the server " + tag + ": check the credentials and the bucket policy";
  }
  if (e.code == "NoSuchKey") {
    return "the object does not exist " + tag;
  }
  if (e.http_status == 404) {
    return "the object or bucket was not found " + tag;
  }
  if (e.http_status == 429 || e.http_status == 503 ||
      one_of(e.code, {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
                      "TooManyRequests", "ServiceUnavailable"})) {
    return "the server asked to slow down " + tag + ": try again later or lower the concurrency";
  }
  if (e.code == "NotImplemented" || e.http_status == 501) {
    return "the server does not support this operation " + tag;
  }
  if (e.http_status >= 500 || e.code == "InternalError") {
    return "the server failed with an internal error " + tag + ": try again later";
  }
  std::string s = "the server rejected the request " + tag;
  const std::string m = short_message(e.message);
  if (!m.empty()) s += ": " + m;
  return s;
}

}  // namespace

bool S3Error::is_not_found() const {
  if (is_transport()) return false;
  return http_status == 404 || one_of(code, {"NoSuchKey", "NoSuchBucket", "NotFound"});
}

bool S3Error::is_auth() const {
  if (is_transport()) return false;
  return http_status == 403 ||
         one_of(code, {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId",
                       "ExpiredToken", "InvalidToken", "TokenRefreshRequired"});
}

bool S3Error::is_retryable() const {
  if (is_transport()) {
    switch (curl_code) {
      case CURLE_COULDNT_CONNECT:  // the caller caps these: a wrong endpoint never recovers
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_GOT_NOTHING:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_PARTIAL_FILE:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
        return true;
      default:
        return false;  // interrupted, file read errors, certificates, bad URLs
    }
  }
  if (http_status == 429 || http_status == 500 || http_status == 502 || http_status == 503 ||
      http_status == 504) {
    return true;
  }
  // BadDigest / XAmzContentSHA256Mismatch: the bytes were damaged on the way; sending them
  // again (re-read from disk) is the cure.
  return one_of(code, {"SlowDown", "RequestTimeout", "InternalError", "RequestTimeTooSkewed",
                       "BadDigest", "XAmzContentSHA256Mismatch", "ServiceUnavailable", "Throttling",
                       "ThrottlingException", "RequestLimitExceeded", "TooManyRequests"});
}

std::string S3Error::describe() const {
  std::string s = describe_once(*this);
  if (attempts > 1) s += " (after " + std::to_string(attempts) + " attempts)";
  return s;
}

}  // namespace s3up::s3
