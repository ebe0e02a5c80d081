// Typed S3 operations over the event loop. No printing; every failure is an S3Error.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "auth/credentials.hpp"
#include "http/event_loop.hpp"
#include "integrity/checksum.hpp"
#include "s3/error.hpp"
#include "s3/retry.hpp"
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

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;  // without quotes
  std::string last_modified;
  std::string content_type;
  std::string storage_class;           // x-amz-storage-class; "" means STANDARD
  std::string server_side_encryption;  // x-amz-server-side-encryption
  std::string sse_kms_key_id;
  bool sse_c = false;        // stored with a customer key
  bool etag_is_md5() const;  // false for SSE-KMS and SSE-C objects                   //
                             // x-amz-server-side-encryption-aws-kms-key-id
  std::map<std::string, std::string> headers;   // cache-control, content-disposition, ... when set
  std::map<std::string, std::string> metadata;  // x-amz-meta-* without prefix, lower-case names
  // x-amz-checksum-<algo> values the server reports (HEAD asks with x-amz-checksum-mode),
  // keyed by algorithm name ("crc32c"), and x-amz-checksum-type ("FULL_OBJECT"/"COMPOSITE").
  std::map<std::string, std::string> checksums;
  std::string checksum_type;
};

// How a request body's integrity travels to the server (integrity/checksum.hpp).
struct BodyChecksum {
  integrity::ChecksumTransport transport = integrity::ChecksumTransport::kNone;
  integrity::ChecksumAlgo algo = integrity::ChecksumAlgo::kNone;  // trailer / header
  std::string checksum_b64;  // kHeader: the x-amz-checksum-<algo> value
  std::string md5_b64;       // Content-MD5 (kContentMd5; with kHeader too when set)
  std::string sha256_hex;    // kPayloadHash: the body's SHA-256, signed
  bool also_md5 = false;     // kTrailer: also compute the MD5 while streaming
  // A probe of what the server accepts: ask before sending the body (Expect: 100-continue),
  // so a refusal arrives as an answer rather than as a connection reset mid-body.
  bool expect_continue = false;
};

struct PutOptions {
  std::string content_type;  // "" = application/octet-stream
  std::string content_md5;   // base64 MD5, "" = none
  BodyChecksum checksum;     // PUT: how the body is protected
  // CreateMultipartUpload: every part carries this algorithm's checksum (x-amz-checksum-
  // algorithm); a CRC is stored as the full-object checksum (x-amz-checksum-type FULL_OBJECT).
  integrity::ChecksumAlgo multipart_checksum = integrity::ChecksumAlgo::kNone;
  std::map<std::string, std::string> metadata;  // x-amz-meta-*
  // Further headers sent as given (tagging, storage class, ACL, SSE, cache headers...).
  std::vector<std::pair<std::string, std::string>> headers;
};

struct PutResult {
  std::string etag;  // without quotes
  // The ETag is an MD5 of the bytes only without SSE-KMS / SSE-C (the server says which,
  // whatever we asked for: a bucket may encrypt with KMS by default).
  bool etag_is_md5 = true;
  std::string checksum_b64;  // the server's x-amz-checksum-<algo> answer, "" when it sent none
  // Computed while a trailer body streamed (BodyChecksum kTrailer), raw; "" otherwise.
  std::string streamed_checksum_raw, streamed_md5_raw;
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

// Multipart uploads.
struct CompletedPart {
  int number = 0;
  std::string etag;          // without quotes
  std::string checksum_b64;  // the part's checksum (of CompleteOptions.algo), "" = none
};
struct PartResult {
  std::string etag;         // without quotes
  bool etag_is_md5 = true;  // see PutResult
  std::string checksum_b64;
  std::string streamed_checksum_raw, streamed_md5_raw;  // see PutResult
};
struct CompleteOptions {
  integrity::ChecksumAlgo algo = integrity::ChecksumAlgo::kNone;  // of the parts' checksums
  std::string full_object_b64;  // a CRC's full-object value, checked by the server
};
struct MultipartUpload {
  std::string key;
  std::string upload_id;
  std::string initiated;  // ISO 8601 as the server sent it
};
struct MultipartUploadsPage {
  std::vector<MultipartUpload> uploads;
  std::string next_key_marker, next_upload_id_marker;  // "" when done
  bool truncated = false;
};
struct PartInfo {
  int number = 0;
  uint64_t size = 0;
  std::string etag;  // without quotes
  std::string last_modified;
};
struct PartsPage {
  std::vector<PartInfo> parts;
  int next_part_number_marker = 0;
  bool truncated = false;
};

// DeleteObjects: one key that was not deleted, and why.
struct DeleteFailure {
  std::string key;
  S3Error error;  // the server's per-key <Error> (http_status 0), or the whole request's
};
struct DeleteObjectsResult {
  std::vector<std::string> deleted;   // every key the server accepted (absent keys included)
  std::vector<DeleteFailure> failed;  // the others
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
  // Every operation is retried by the client (re-signed, body re-read) per this policy.
  RetryPolicy retry;
  // Headers every request that reads or writes object data must carry (SSE-C key headers):
  // HEAD, GET, PUT, UploadPart, CreateMultipartUpload. Secret: never logged.
  std::vector<std::pair<std::string, std::string>> object_headers;
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
  // GET ?<subresource> of an object ("tagging", "acl"): the raw XML document.
  void get_object_subresource(const std::string& key, const std::string& subresource,
                              Callback<std::string> cb);
  void delete_object(const std::string& key, Callback<bool> cb);
  // DeleteObjects (POST ?delete, quiet, with Content-MD5) in batches of at most 1000 keys, one
  // batch after another. Never an error: every key ends up in `deleted` or `failed` (a batch
  // that fails as a whole fails each of its keys; after an interrupt the rest fail unsent).
  // Keys XML cannot carry (control characters), and every key on a server that answers
  // NotImplemented, go by DeleteObject one at a time.
  void delete_objects(const std::vector<std::string>& keys, Callback<DeleteObjectsResult> cb);
  void list_objects_v2(const std::string& prefix, const std::string& continuation_token,
                       Callback<ListPage> cb, const std::string& delimiter = "",
                       int max_keys = 1000);
  void create_bucket(Callback<bool> cb);
  void head_bucket(Callback<bool> cb);

  // Multipart uploads. CreateMultipartUpload sends the PutOptions headers except
  // content-md5; the result is the UploadId.
  void create_multipart_upload(const std::string& key, const PutOptions& opts,
                               Callback<std::string> cb);
  // Streams [offset, offset+length) of the file as part `part_number` (UNSIGNED-PAYLOAD;
  // content_md5_base64 "" = none). progress gets bytes-sent deltas, never counting bytes twice
  // across retries.
  void upload_part_file(const std::string& key, const std::string& upload_id, int part_number,
                        const std::string& path, uint64_t offset, uint64_t length,
                        const std::string& content_md5_base64, http::UploadProgress progress,
                        Callback<PartResult> cb);
  void upload_part_file(const std::string& key, const std::string& upload_id, int part_number,
                        const std::string& path, uint64_t offset, uint64_t length,
                        const BodyChecksum& checksum, http::UploadProgress progress,
                        Callback<PartResult> cb);
  // Parts are sent in ascending part-number order. A 200 whose body is <Error> is a failure.
  void complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                 const std::vector<CompletedPart>& parts, Callback<PutResult> cb,
                                 const CompleteOptions& opts = {});
  // NoSuchUpload counts as success.
  void abort_multipart_upload(const std::string& key, const std::string& upload_id,
                              Callback<bool> cb);
  void list_multipart_uploads(const std::string& prefix, const std::string& key_marker,
                              const std::string& upload_id_marker,
                              Callback<MultipartUploadsPage> cb);
  void list_parts(const std::string& key, const std::string& upload_id, int part_number_marker,
                  Callback<PartsPage> cb);

  // Presigned GET URL (pure apart from the clock read). expires: 1 s .. 7 days.
  std::string presign_get(const std::string& key, std::chrono::seconds expires) const;
  // The URL of an object (no query), for messages and tests.
  std::string object_url(const std::string& key) const;

  // Seconds added to cfg.clock() when signing; learnt from the server's Date header after a
  // RequestTimeTooSkewed (or a 403 from a server whose clock is far from ours).
  std::chrono::seconds clock_offset() const { return clock_offset_.load(); }

 private:
  struct Call;  // one operation across its attempts (client.cpp)
  void attempt(std::shared_ptr<Call> call);
  template <typename T, typename Make, typename Parse>
  void run(Make make, bool check_error_document, http::UploadProgress progress, Callback<T> cb,
           Parse parse);
  // A GET whose answer is an XML listing document (objects, uploads, parts).
  template <typename T>
  void get_listing(std::optional<std::string> key,
                   std::vector<std::pair<std::string, std::string>> query,
                   Result<T> (*parse)(std::string_view), Callback<T> cb);
  void diagnose_forbidden(S3Error head_error, bool bucket, const std::string& key,
                          std::function<void(S3Error)> deliver);

  http::EventLoop& loop_;
  ClientConfig cfg_;
  std::atomic<std::chrono::seconds> clock_offset_{std::chrono::seconds(0)};
  std::mt19937_64 rng_;
};

// Blocking helpers for tests and one-off calls: run the loop until the operation ends.
S3Result<ObjectInfo> head_object_sync(Client& c, const std::string& key);
S3Result<std::string> get_object_sync(Client& c, const std::string& key);
S3Result<PutResult> put_object_data_sync(Client& c, const std::string& key, std::string data,
                                         const PutOptions& opts = {});
S3Result<bool> delete_object_sync(Client& c, const std::string& key);
S3Result<DeleteObjectsResult> delete_objects_sync(Client& c, const std::vector<std::string>& keys);
S3Result<std::string> get_object_subresource_sync(Client& c, const std::string& key,
                                                  const std::string& subresource);
S3Result<bool> create_bucket_sync(Client& c);
// All pages.
S3Result<std::vector<ListedObject>> list_all_sync(Client& c, const std::string& prefix);
S3Result<std::string> create_multipart_upload_sync(Client& c, const std::string& key,
                                                   const PutOptions& opts = {});
S3Result<PartResult> upload_part_file_sync(Client& c, const std::string& key,
                                           const std::string& upload_id, int part_number,
                                           const std::string& path, uint64_t offset,
                                           uint64_t length,
                                           const std::string& content_md5_base64 = "");
S3Result<PutResult> complete_multipart_upload_sync(Client& c, const std::string& key,
                                                   const std::string& upload_id,
                                                   const std::vector<CompletedPart>& parts);
S3Result<bool> abort_multipart_upload_sync(Client& c, const std::string& key,
                                           const std::string& upload_id);
// All pages.
S3Result<std::vector<MultipartUpload>> list_multipart_uploads_all_sync(Client& c,
                                                                       const std::string& prefix);
S3Result<std::vector<PartInfo>> list_parts_all_sync(Client& c, const std::string& key,
                                                    const std::string& upload_id);

}  // namespace s3up::s3
