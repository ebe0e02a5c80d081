// Typed S3 operations over the event loop. No printing; every failure is an S3Error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/credentials.hpp"
#include "http/event_loop.hpp"
#include "util/result.hpp"

namespace s3up::s3 {

// Where requests go and how keys map to URLs.
struct Endpoint {
  std::string scheme = "https";
  std::string host;         // host[:port] of the service, e.g. "s3.us-east-1.amazonaws.com"
  bool path_style = false;  // true: scheme://host/bucket/key, else scheme://bucket.host/key
};
// From Settings.endpoint_url (may be "") and region. AWS default: s3.<region>.amazonaws.com.
Endpoint make_endpoint(const std::string& endpoint_url, const std::string& region, bool path_style);

// Every failed operation. Classify with the helpers; describe() is one plain sentence.
struct S3Error {
  long http_status = 0;  // 0 when no HTTP answer
  std::string code;      // S3 error code, e.g. "AccessDenied", "NoSuchKey"
  std::string message;   // S3 message, or curl's
  std::string request_id;
  int curl_code = 0;
  std::string region_hint;     // x-amz-bucket-region when the server says it
  std::string endpoint;        // scheme://host[:port] the request went to (for messages)
  std::string request_region;  // the region the request was signed for (for messages)

  bool is_not_found() const;  // 404 / NoSuchKey (HEAD has no body: 404 alone)
  bool is_transport() const { return curl_code != 0; }
  bool is_auth() const;          // 403 family, signature mismatch, invalid key, expired token
  bool is_retryable() const;     // transport errors, 500/502/503/504/429, SlowDown etc.
  std::string describe() const;  // e.g. "access denied (403 AccessDenied): ..."
};

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;  // without quotes
  std::string last_modified;
  std::string content_type;
  std::map<std::string, std::string> metadata;  // x-amz-meta-* without prefix, lower-case names
};

struct PutOptions {
  std::string content_type;                     // "" = application/octet-stream
  std::string content_md5;                      // base64 MD5, "" = none
  std::map<std::string, std::string> metadata;  // x-amz-meta-*
};

struct PutResult {
  std::string etag;  // without quotes
};

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  std::string etag;
};
struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;
  std::string next_continuation_token;  // "" when done
  bool truncated = false;
};

struct ClientConfig {
  Endpoint endpoint;
  std::string region;
  std::string bucket;
  auth::Credentials credentials;
  // The clock used for signing (tests pass a fixed one).
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
};

template <typename T>
using S3Result = Result<T, S3Error>;
template <typename T>
using Callback = std::function<void(S3Result<T>)>;

class Client {
 public:
  Client(http::EventLoop& loop, ClientConfig cfg);

  const ClientConfig& config() const { return cfg_; }
  http::EventLoop& loop() { return loop_; }

  // Asynchronous operations: the callback runs on the loop thread.
  void head_object(const std::string& key, Callback<ObjectInfo> cb);
  // Streams the file [0, size) as the body. progress gets bytes-sent deltas.
  void put_object_file(const std::string& key, const std::string& path, uint64_t size,
                       const PutOptions& opts, http::UploadProgress progress,
                       Callback<PutResult> cb);
  void put_object_data(const std::string& key, std::string data, const PutOptions& opts,
                       Callback<PutResult> cb);
  void get_object(const std::string& key, Callback<std::string> cb);
  void delete_object(const std::string& key, Callback<bool> cb);
  void list_objects_v2(const std::string& prefix, const std::string& continuation_token,
                       Callback<ListPage> cb, const std::string& delimiter = "",
                       int max_keys = 1000);
  void create_bucket(Callback<bool> cb);
  void head_bucket(Callback<bool> cb);

  // Presigned GET URL (pure apart from the clock read). expires: 1 s .. 7 days.
  std::string presign_get(const std::string& key, std::chrono::seconds expires) const;
  // The URL of an object (no query), for messages and tests.
  std::string object_url(const std::string& key) const;

 private:
  http::EventLoop& loop_;
  ClientConfig cfg_;
};

// Blocking helpers for tests and one-off calls: run the loop until the operation ends.
S3Result<ObjectInfo> head_object_sync(Client& c, const std::string& key);
S3Result<std::string> get_object_sync(Client& c, const std::string& key);
S3Result<PutResult> put_object_data_sync(Client& c, const std::string& key, std::string data,
                                         const PutOptions& opts = {});
S3Result<bool> delete_object_sync(Client& c, const std::string& key);
S3Result<bool> create_bucket_sync(Client& c);
// All pages.
S3Result<std::vector<ListedObject>> list_all_sync(Client& c, const std::string& prefix);

}  // namespace s3up::s3
