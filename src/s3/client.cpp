// Typed S3 operations: build the URL, sign, submit to the event loop, turn the answer into a
// value or an S3Error.
#include "s3/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <set>
#include <utility>

#include "auth/sigv4.hpp"
#include "http/aws_chunked.hpp"
#include "integrity/hash.hpp"
#include "s3/xml.hpp"
#include "util/strings.hpp"

namespace s3up::s3 {
namespace {

constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr const char* kTrailerPayload = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

// Whether `bucket` can be the first label of a host name for this scheme. Buckets with dots
// break TLS wildcard certificates, so they go in the path over https (as the AWS SDKs do).
bool virtual_host_compatible(const std::string& bucket, const std::string& scheme) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    (c == '.' && scheme != "https");
    if (!ok) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

bool bucket_in_path(const ClientConfig& cfg) {
  return cfg.endpoint.path_style || !virtual_host_compatible(cfg.bucket, cfg.endpoint.scheme);
}

// host[:port] as sent in the Host header.
std::string request_host(const ClientConfig& cfg) {
  return bucket_in_path(cfg) ? cfg.endpoint.host : cfg.bucket + "." + cfg.endpoint.host;
}

// The encoded path of an object, or of the bucket itself when key is nullptr.
std::string request_path(const ClientConfig& cfg, const std::string* key) {
  std::string path = bucket_in_path(cfg) ? "/" + cfg.bucket : std::string();
  if (key != nullptr) {
    path += "/" + uri_encode(*key, /*keep_slash=*/true);
  } else if (path.empty()) {
    path = "/";
  }
  return path;
}

std::string origin(const ClientConfig& cfg) {
  return cfg.endpoint.scheme + "://" + request_host(cfg);
}

auth::SigningParams signing_params(const ClientConfig& cfg, std::chrono::seconds clock_offset) {
  auth::SigningParams p;
  p.credentials = cfg.credentials;
  p.region = cfg.region.empty() ? "us-east-1" : cfg.region;
  p.service = "s3";
  p.time = cfg.clock() + clock_offset;
  p.normalize_path = false;
  return p;
}

// One attempt of an operation before signing. Built afresh for every attempt.
struct Op {
  std::string method;
  std::optional<std::string> key;  // nullopt: the bucket itself
  auth::QueryParams query;
  auth::Headers headers;  // besides host and what the signer adds
  std::string payload_hash = std::string(integrity::kEmptySha256Hex);
  std::unique_ptr<http::BodySource> body;
  bool expect_continue = false;
};

// Replaces every occurrence of the secrets in s; a server that echoes them (a debugging proxy,
// a broken implementation) must not make them show up in an error message.
void redact(std::string& s, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 8) continue;
    for (size_t pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos + 10)) {
      s.replace(pos, secret.size(), "[redacted]");
    }
  }
}

// Signs the operation; the returned request is ready for the loop. `secrets` gets what must
// never appear in messages about this request.
http::Request build(const ClientConfig& cfg, std::chrono::seconds clock_offset, Op op,
                    std::vector<std::string>* secrets) {
  const std::string host = request_host(cfg);
  auth::SignableRequest sreq;
  sreq.method = op.method;
  sreq.path = request_path(cfg, op.key ? &*op.key : nullptr);
  sreq.query = std::move(op.query);
  sreq.headers.emplace_back("host", host);
  for (auto& h : op.headers) sreq.headers.push_back(std::move(h));
  const bool object_data =
      op.key && (op.method == "HEAD" || op.method == "GET" || op.method == "PUT" ||
                 (op.method == "POST" && !sreq.query.empty() &&
                  (sreq.query[0].first == "uploads" || sreq.query[0].first == "uploadId")));
  if (object_data) {
    for (const auto& h : cfg.object_headers) sreq.headers.push_back(h);
  }
  const auth::SigningResult signed_ =
      auth::sign_request(sreq, op.payload_hash, signing_params(cfg, clock_offset));

  http::Request req;
  req.method = op.method;
  req.url = cfg.endpoint.scheme + "://" + host + sreq.path;
  if (!sreq.query.empty()) req.url += "?" + auth::encode_query(sreq.query);
  req.headers = std::move(sreq.headers);
  req.body = std::move(op.body);
  req.expect_continue = op.expect_continue;
  if (secrets != nullptr) {
    *secrets = {cfg.credentials.secret_access_key, cfg.credentials.session_token,
                signed_.signature};
    for (const auto& [name, value] : cfg.object_headers) secrets->push_back(value);
  }
  return req;
}

std::string code_for_status(long status) {
  switch (status) {
    case 301:
      return "PermanentRedirect";
    case 307:
      return "TemporaryRedirect";
    case 400:
      return "BadRequest";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 412:
      return "PreconditionFailed";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    default:
      return {};
  }
}

// nullopt when the response is a success. check_error_document: a 2xx whose body is an S3
// <Error> document is a failure too (CompleteMultipartUpload, CopyObject do that); never set
// it for object data.
std::optional<S3Error> failure(const ClientConfig& cfg, const http::Response& r,
                               bool check_error_document, const std::vector<std::string>& secrets) {
  const bool http_failed = r.status < 200 || r.status >= 300;
  if (!r.transport_failed() && !http_failed &&
      !(check_error_document && xml::is_error_document(r.body))) {
    return std::nullopt;
  }
  S3Error e;
  e.endpoint = origin(cfg);
  e.request_region = cfg.region.empty() ? "us-east-1" : cfg.region;
  e.http_status = r.status;
  if (r.transport_failed()) {
    e.curl_code = r.curl_code;
    e.message = r.transport_error;
  } else {
    e.request_id = r.header("x-amz-request-id");
    e.region_hint = r.header("x-amz-bucket-region");
    if (auto doc = xml::parse_error(r.body)) {
      e.code = doc->code;
      e.message = doc->message;
      if (!doc->request_id.empty()) e.request_id = doc->request_id;
      if (e.region_hint.empty()) e.region_hint = doc->region;
    }
    if (e.code.empty()) e.code = code_for_status(r.status);
  }
  redact(e.message, secrets);
  redact(e.code, secrets);
  redact(e.request_id, secrets);
  return e;
}

// Whether the response's ETag can be an MD5 of the content: not with SSE-KMS or SSE-C.
bool etag_is_md5(const http::Response& r) {
  return r.header("x-amz-server-side-encryption") != "aws:kms" &&
         r.header("x-amz-server-side-encryption") != "aws:kms:dsse" &&
         r.header("x-amz-server-side-encryption-customer-algorithm").empty();
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

void add_put_headers(Op& op, const PutOptions& opts) {
  op.headers.emplace_back(
      "content-type", opts.content_type.empty() ? "application/octet-stream" : opts.content_type);
  if (!opts.content_md5.empty()) op.headers.emplace_back("content-md5", opts.content_md5);
  for (const auto& [name, value] : opts.metadata) {
    op.headers.emplace_back("x-amz-meta-" + to_lower(name), value);
  }
  for (const auto& h : opts.headers) op.headers.push_back(h);
}

// Sets the body and the headers that let the server check it (see BodyChecksum).
void add_body(Op& op, std::unique_ptr<http::BodySource> body, const BodyChecksum& c,
              const std::shared_ptr<http::StreamedChecksums>& streamed) {
  using T = integrity::ChecksumTransport;
  op.payload_hash = kUnsignedPayload;
  op.expect_continue = c.expect_continue;
  switch (c.transport) {
    case T::kTrailer: {
      op.payload_hash = kTrailerPayload;
      // aws-chunked comes first; a content encoding the object carries (gzip) follows it.
      auto enc = std::find_if(op.headers.begin(), op.headers.end(),
                              [](const auto& h) { return iequals(h.first, "content-encoding"); });
      if (enc == op.headers.end()) {
        op.headers.emplace_back("content-encoding", "aws-chunked");
      } else {
        enc->second = "aws-chunked," + enc->second;
      }
      op.headers.emplace_back("x-amz-decoded-content-length", std::to_string(body->size()));
      op.headers.emplace_back("x-amz-trailer", integrity::checksum_header(c.algo));
      op.body = http::aws_chunked_body(std::move(body), c.algo, streamed, c.also_md5);
      return;
    }
    case T::kHeader:
      op.headers.emplace_back(integrity::checksum_header(c.algo), c.checksum_b64);
      if (!c.md5_b64.empty()) op.headers.emplace_back("content-md5", c.md5_b64);
      break;
    case T::kContentMd5:
      if (!c.md5_b64.empty()) op.headers.emplace_back("content-md5", c.md5_b64);
      break;
    case T::kPayloadHash:
      op.payload_hash = c.sha256_hex;
      break;
    default:
      break;
  }
  op.body = std::move(body);
}

// The checksum the server reports for the body of a PUT / UploadPart, "" when none.
std::string echoed_checksum(const http::Response& r, const BodyChecksum& c) {
  if (!integrity::has_checksum_header(c.algo)) return "";
  return r.header(integrity::checksum_header(c.algo));
}

S3Error interrupted_error(const ClientConfig& cfg) {
  S3Error e;
  e.curl_code = CURLE_ABORTED_BY_CALLBACK;
  e.message = "interrupted";
  e.endpoint = origin(cfg);
  e.request_region = cfg.region;
  return e;
}

// A success status whose body does not parse.
S3Error malformed(const ClientConfig& cfg, const http::Response& r, std::string code,
                  std::string message) {
  S3Error e;
  e.http_status = r.status;
  e.code = std::move(code);
  e.message = std::move(message);
  e.request_id = r.header("x-amz-request-id");
  e.endpoint = origin(cfg);
  e.request_region = cfg.region.empty() ? "us-east-1" : cfg.region;
  return e;
}

template <typename T>
S3Result<T> parsed(const ClientConfig& cfg, const http::Response& r, Result<T> value,
                   const char* code) {
  if (!value.ok()) return unexpected(malformed(cfg, r, code, std::move(value.error())));
  return std::move(value.value());
}

}  // namespace

bool ObjectInfo::etag_is_md5() const {
  return server_side_encryption != "aws:kms" && server_side_encryption != "aws:kms:dsse" && !sse_c;
}

Endpoint make_endpoint(const std::string& endpoint_url, const std::string& region,
                       bool path_style) {
  Endpoint ep;
  ep.path_style = path_style;
  if (endpoint_url.empty()) {
    ep.scheme = "https";
    ep.host = "s3." + (region.empty() ? std::string("us-east-1") : region) + ".amazonaws.com";
    return ep;
  }
  std::string rest = endpoint_url;
  const size_t sep = rest.find("://");
  if (sep != std::string::npos) {
    ep.scheme = to_lower(rest.substr(0, sep));
    rest = rest.substr(sep + 3);
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  ep.host = to_lower(rest);
  // A default port is not part of the Host header curl would send; keep host and URL simple.
  const std::string default_port = ep.scheme == "http" ? ":80" : ep.scheme == "https" ? ":443" : "";
  if (!default_port.empty() && ep.host.size() > default_port.size() &&
      ep.host.ends_with(default_port)) {
    ep.host.resize(ep.host.size() - default_port.size());
  }
  return ep;
}

// One operation across its attempts. `make` builds the request afresh for every attempt (new
// signature and x-amz-date, a new body reader); `done` gets the first success or the final
// failure.
struct Client::Call {
  std::function<Op()> make;
  bool check_error_document = true;
  RetryPolicy policy;
  http::UploadProgress progress;  // the caller's; null = none
  uint64_t reported = 0;          // bytes already given to `progress` (high-water mark)
  int attempt = 0;                // 0 for the first try
  std::function<void(S3Result<http::Response>)> done;
};

Client::Client(http::EventLoop& loop, ClientConfig cfg)
    : loop_(loop), cfg_(std::move(cfg)), rng_(std::random_device{}()) {}

std::string Client::object_url(const std::string& key) const {
  return origin(cfg_) + request_path(cfg_, &key);
}

std::string Client::presign_get(const std::string& key, std::chrono::seconds expires) const {
  expires = std::clamp(expires, std::chrono::seconds(1), std::chrono::seconds(7 * 24 * 3600));
  auth::SignableRequest req;
  req.method = "GET";
  req.path = request_path(cfg_, &key);
  req.headers.emplace_back("host", request_host(cfg_));
  auth::presign_request(req, expires, kUnsignedPayload, signing_params(cfg_, clock_offset_.load()));
  return origin(cfg_) + req.path + "?" + auth::encode_query(req.query);
}

void Client::attempt(std::shared_ptr<Call> call) {
  auto secrets = std::make_shared<std::vector<std::string>>();
  const std::chrono::seconds signed_offset = clock_offset_.load();
  http::Request req = build(cfg_, signed_offset, call->make(), secrets.get());
  http::UploadProgress progress;
  if (call->progress) {
    // Bytes a retry sends again were reported by an earlier attempt: report only what goes
    // beyond the high-water mark.
    auto sent = std::make_shared<uint64_t>(0);
    progress = [call, sent](uint64_t delta) {
      *sent += delta;
      if (*sent > call->reported) {
        const uint64_t fresh = *sent - call->reported;
        call->reported = *sent;
        call->progress(fresh);
      }
    };
  }
  auto on_done = [this, call, secrets, signed_offset](http::Response&& r) {
    std::optional<S3Error> err = failure(cfg_, r, call->check_error_document, *secrets);
    if (!err) return call->done(std::move(r));
    err->attempts = call->attempt + 1;

    // Clock skew: the server says so (RequestTimeTooSkewed), or refuses with a Date far from
    // the time this attempt was signed with (HEAD has no body to say why). Learn the offset and
    // sign again. Compared with this attempt's own offset, so requests that were in flight
    // when another one corrected the clock retry too, and a server that keeps complaining
    // after the correction is not retried forever.
    bool skew_corrected = false;
    if (!err->is_transport() && (err->code == "RequestTimeTooSkewed" || err->http_status == 403)) {
      if (auto server = clock_offset_from_date(r.header("date"), cfg_.clock())) {
        const auto off_by =
            *server > signed_offset ? *server - signed_offset : signed_offset - *server;
        const auto limit = err->code == "RequestTimeTooSkewed" ? std::chrono::seconds(10)
                                                               : std::chrono::seconds(5 * 60);
        if (off_by > limit) {
          clock_offset_.store(*server);
          skew_corrected = true;
        }
      }
    }
    std::optional<std::chrono::milliseconds> delay;
    if (skew_corrected) {
      if (call->attempt < call->policy.max_retries) delay = std::chrono::milliseconds(0);
    } else if (err->code != "RequestTimeTooSkewed") {  // retrying without a correction is futile
      delay = retry_delay(call->policy, *err, call->attempt, rng_);
    }
    if (!delay || loop_.interrupted()) return call->done(unexpected(std::move(*err)));
    ++call->attempt;
    loop_.post_after(*delay, [this, call] { attempt(call); });
  };
  loop_.submit(std::move(req), std::move(on_done), std::move(progress));
}

template <typename T, typename Make, typename Parse>
void Client::run(Make make, bool check_error_document, http::UploadProgress progress,
                 Callback<T> cb, Parse parse) {
  auto call = std::make_shared<Call>();
  call->make = std::move(make);
  call->check_error_document = check_error_document;
  call->policy = cfg_.retry;
  call->progress = std::move(progress);
  call->done = [cb = std::move(cb), parse = std::move(parse)](S3Result<http::Response> r) {
    cb(parse(std::move(r)));
  };
  attempt(std::move(call));
}

namespace {

bool needs_diagnosis(const S3Error& e) {
  // failure() fills in "Forbidden" from the status when the answer had no error document.
  return !e.is_transport() && e.http_status == 403 && e.code == "Forbidden" && e.message.empty();
}

}  // namespace

void Client::diagnose_forbidden(S3Error head_error, bool bucket, const std::string& key,
                                std::function<void(S3Error)> deliver) {
  auto call = std::make_shared<Call>();
  call->make = [bucket, key] {
    Op op;
    op.method = "GET";
    if (bucket) {
      op.query.emplace_back("list-type", "2");
      op.query.emplace_back("max-keys", "1");
    } else {
      op.key = key;
      op.headers.emplace_back("range", "bytes=0-0");
    }
    return op;
  };
  call->check_error_document = false;
  call->policy = cfg_.retry;
  call->policy.max_retries = 0;  // a diagnosis, not the operation
  call->done = [head_error = std::move(head_error),
                deliver = std::move(deliver)](S3Result<http::Response> r) mutable {
    if (!r.ok()) {
      const S3Error& g = r.error();
      if (!g.is_transport() && g.http_status == 403 && !g.code.empty() && !g.message.empty()) {
        head_error.code = g.code;
        head_error.message = g.message;
        if (!g.request_id.empty()) head_error.request_id = g.request_id;
        if (head_error.region_hint.empty()) head_error.region_hint = g.region_hint;
      }
    }
    deliver(std::move(head_error));
  };
  attempt(std::move(call));
}

void Client::head_object(const std::string& key, Callback<ObjectInfo> cb) {
  auto call = std::make_shared<Call>();
  call->make = [key] {
    Op op;
    op.method = "HEAD";
    op.key = key;
    op.headers.emplace_back("x-amz-checksum-mode", "ENABLED");
    return op;
  };
  call->check_error_document = false;
  call->policy = cfg_.retry;
  call->done = [this, key, cb = std::move(cb)](S3Result<http::Response> r) {
    if (!r.ok()) {
      if (needs_diagnosis(r.error())) {
        return diagnose_forbidden(std::move(r.error()), false, key,
                                  [cb](S3Error e) { cb(unexpected(std::move(e))); });
      }
      return cb(unexpected(std::move(r.error())));
    }
    ObjectInfo info;
    const std::string len = r->header("content-length");
    info.size = len.empty() ? 0 : std::strtoull(len.c_str(), nullptr, 10);
    info.etag = unquote(r->header("etag"));
    info.last_modified = r->header("last-modified");
    info.content_type = r->header("content-type");
    info.storage_class = r->header("x-amz-storage-class");
    info.server_side_encryption = r->header("x-amz-server-side-encryption");
    info.sse_kms_key_id = r->header("x-amz-server-side-encryption-aws-kms-key-id");
    info.sse_c = !r->header("x-amz-server-side-encryption-customer-algorithm").empty();
    for (const char* h : {"cache-control", "content-disposition", "content-encoding", "expires"}) {
      if (auto v = r->header(h); !v.empty()) info.headers[h] = v;
    }
    for (const auto& [name, value] : r->headers) {
      if (name.starts_with("x-amz-meta-")) info.metadata[name.substr(11)] = value;
      if (name.starts_with("x-amz-checksum-") && name != "x-amz-checksum-type" &&
          name != "x-amz-checksum-algorithm") {
        info.checksums[name.substr(15)] = value;
      }
    }
    info.checksum_type = r->header("x-amz-checksum-type");
    cb(std::move(info));
  };
  attempt(std::move(call));
}

void Client::put_object_file(const std::string& key, const std::string& path, uint64_t size,
                             const PutOptions& opts, http::UploadProgress progress,
                             Callback<PutResult> cb) {
  auto streamed = std::make_shared<http::StreamedChecksums>();
  run<PutResult>(
      [key, path, size, opts, streamed] {
        Op op;
        op.method = "PUT";
        op.key = key;
        add_put_headers(op, opts);
        // Streamed from disk: the checksum travels as a trailer, header, Content-MD5 or
        // signed payload hash, as opts.checksum says.
        add_body(op, http::file_body(path, 0, size), opts.checksum, streamed);
        return op;
      },
      true, std::move(progress), std::move(cb),
      [streamed, checksum = opts.checksum](S3Result<http::Response> r) -> S3Result<PutResult> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        PutResult out;
        out.etag = unquote(r->header("etag"));
        out.etag_is_md5 = etag_is_md5(*r);
        out.checksum_b64 = echoed_checksum(*r, checksum);
        if (streamed->complete) {
          out.streamed_checksum_raw = streamed->checksum_raw;
          out.streamed_md5_raw = streamed->md5_raw;
        }
        return out;
      });
}

void Client::put_object_data(const std::string& key, std::string data, const PutOptions& opts,
                             Callback<PutResult> cb) {
  auto shared = std::make_shared<const std::string>(std::move(data));
  auto hash = integrity::sha256_hex(*shared);
  run<PutResult>(
      [key, shared, hash, opts] {
        Op op;
        op.method = "PUT";
        op.key = key;
        op.payload_hash = hash;
        add_put_headers(op, opts);
        op.body = http::string_body(*shared);
        return op;
      },
      true, nullptr, std::move(cb),
      [](S3Result<http::Response> r) -> S3Result<PutResult> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        PutResult out;
        out.etag = unquote(r->header("etag"));
        out.etag_is_md5 = etag_is_md5(*r);
        return out;
      });
}

void Client::get_object(const std::string& key, Callback<std::string> cb) {
  run<std::string>(
      [key] {
        Op op;
        op.method = "GET";
        op.key = key;
        return op;
      },
      // The body is object data: it may legitimately look like an <Error> document.
      false, nullptr, std::move(cb),
      [](S3Result<http::Response> r) -> S3Result<std::string> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        return std::move(r->body);
      });
}

void Client::get_object_subresource(const std::string& key, const std::string& subresource,
                                    Callback<std::string> cb) {
  run<std::string>(
      [key, subresource] {
        Op op;
        op.method = "GET";
        op.key = key;
        op.query.emplace_back(subresource, "");
        return op;
      },
      true, nullptr, std::move(cb),
      [](S3Result<http::Response> r) -> S3Result<std::string> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        return std::move(r->body);
      });
}

void Client::delete_object(const std::string& key, Callback<bool> cb) {
  run<bool>(
      [key] {
        Op op;
        op.method = "DELETE";
        op.key = key;
        return op;
      },
      true, nullptr, std::move(cb),
      [](S3Result<http::Response> r) -> S3Result<bool> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        return true;
      });
}

void Client::delete_objects(const std::vector<std::string>& keys,
                            Callback<DeleteObjectsResult> cb) {
  static constexpr size_t kMaxBatch = 1000;  // S3's (and Swift's default) limit per request
  struct State {
    std::vector<std::string> bulk, single;  // for DeleteObjects / one DeleteObject each
    size_t bulk_pos = 0, single_pos = 0;
    DeleteObjectsResult result;
    Callback<DeleteObjectsResult> cb;
  };
  auto st = std::make_shared<State>();
  st->cb = std::move(cb);
  for (const auto& k : keys) (xml::can_carry_in_xml(k) ? st->bulk : st->single).push_back(k);
  // Each step sends one request; its completion runs the next step. In-flight callbacks own
  // the step function, which only refers to itself weakly (no cycle).
  auto step = std::make_shared<std::function<void()>>();
  *step = [this, st, weak = std::weak_ptr<std::function<void()>>(step)] {
    auto self = weak.lock();
    if (loop_.interrupted()) {
      for (size_t i = st->bulk_pos; i < st->bulk.size(); ++i) {
        st->result.failed.push_back({st->bulk[i], interrupted_error(cfg_)});
      }
      for (size_t i = st->single_pos; i < st->single.size(); ++i) {
        st->result.failed.push_back({st->single[i], interrupted_error(cfg_)});
      }
      st->bulk_pos = st->bulk.size();
      st->single_pos = st->single.size();
    }
    if (st->bulk_pos < st->bulk.size()) {
      const size_t n = std::min(kMaxBatch, st->bulk.size() - st->bulk_pos);
      auto batch = std::make_shared<std::vector<std::string>>(
          st->bulk.begin() + static_cast<std::ptrdiff_t>(st->bulk_pos),
          st->bulk.begin() + static_cast<std::ptrdiff_t>(st->bulk_pos + n));
      st->bulk_pos += n;
      const std::string body = xml::delete_objects(*batch);
      const std::string md5 = base64_encode(integrity::md5_raw(body));
      const std::string hash = integrity::sha256_hex(body);
      run<xml::DeleteResultDoc>(
          [body, md5, hash] {
            Op op;
            op.method = "POST";
            op.query.emplace_back("delete", "");
            op.headers.emplace_back("content-type", "application/xml");
            op.headers.emplace_back("content-md5", md5);  // required by S3 and Swift
            op.payload_hash = hash;
            op.body = http::string_body(body);
            return op;
          },
          true, nullptr,
          [this, st, self, batch](S3Result<xml::DeleteResultDoc> r) {
            if (!r.ok()) {
              const S3Error& e = r.error();
              if (!e.is_transport() && (e.code == "NotImplemented" || e.http_status == 501)) {
                // No DeleteObjects here: this batch and the rest go one key at a time.
                st->single.insert(st->single.end(), batch->begin(), batch->end());
                st->single.insert(st->single.end(),
                                  st->bulk.begin() + static_cast<std::ptrdiff_t>(st->bulk_pos),
                                  st->bulk.end());
                st->bulk_pos = st->bulk.size();
              } else {
                for (const auto& k : *batch) st->result.failed.push_back({k, e});
              }
              return (*self)();
            }
            std::set<std::string> failed;
            for (auto& f : r->errors) {
              if (f.error.code == "NoSuchKey") continue;  // already gone: what we wanted
              failed.insert(f.key);
              st->result.failed.push_back(std::move(f));
            }
            for (const auto& k : *batch) {
              if (!failed.count(k)) st->result.deleted.push_back(k);
            }
            (*self)();
          },
          [this](S3Result<http::Response> r) -> S3Result<xml::DeleteResultDoc> {
            if (!r.ok()) return unexpected(std::move(r.error()));
            return parsed(cfg_, *r, xml::parse_delete_result(r->body), "MalformedResponse");
          });
      return;
    }
    if (st->single_pos < st->single.size()) {
      std::string key = st->single[st->single_pos++];
      delete_object(key, [st, self, key](S3Result<bool> r) {
        if (r.ok() || r.error().code == "NoSuchKey") {
          st->result.deleted.push_back(key);
        } else {
          st->result.failed.push_back({key, std::move(r.error())});
        }
        (*self)();
      });
      return;
    }
    auto done = std::move(st->cb);
    done(std::move(st->result));
  };
  (*step)();
}

void Client::list_objects_v2(const std::string& prefix, const std::string& continuation_token,
                             Callback<ListPage> cb, const std::string& delimiter, int max_keys) {
  auth::QueryParams query;
  query.emplace_back("list-type", "2");
  if (!continuation_token.empty()) query.emplace_back("continuation-token", continuation_token);
  if (!delimiter.empty()) query.emplace_back("delimiter", delimiter);
  // Keys come back url-encoded, so keys with control characters survive the XML.
  query.emplace_back("encoding-type", "url");
  query.emplace_back("max-keys", std::to_string(std::clamp(max_keys, 1, 1000)));
  if (!prefix.empty()) query.emplace_back("prefix", prefix);
  get_listing<ListPage>(std::nullopt, std::move(query), &xml::parse_list_objects_v2, std::move(cb));
}

template <typename T>
void Client::get_listing(std::optional<std::string> key, auth::QueryParams query,
                         Result<T> (*parse)(std::string_view), Callback<T> cb) {
  run<T>(
      [key, query] {
        Op op;
        op.method = "GET";
        op.key = key;
        op.query = query;
        return op;
      },
      true, nullptr, std::move(cb),
      [this, parse](S3Result<http::Response> r) -> S3Result<T> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        return parsed(cfg_, *r, parse(r->body), "MalformedListing");
      });
}

void Client::create_bucket(Callback<bool> cb) {
  const std::string body = xml::create_bucket_configuration(cfg_.region);
  run<bool>(
      [body] {
        Op op;
        op.method = "PUT";
        op.payload_hash = integrity::sha256_hex(body);
        if (!body.empty()) {
          op.headers.emplace_back("content-type", "application/xml");
          op.body = http::string_body(body);
        }
        return op;
      },
      true, nullptr, std::move(cb),
      [](S3Result<http::Response> r) -> S3Result<bool> {
        if (!r.ok() && r.error().code != "BucketAlreadyOwnedByYou") {
          return unexpected(std::move(r.error()));
        }
        return true;
      });
}

void Client::head_bucket(Callback<bool> cb) {
  auto call = std::make_shared<Call>();
  call->make = [] {
    Op op;
    op.method = "HEAD";
    return op;
  };
  call->check_error_document = false;
  call->policy = cfg_.retry;
  call->done = [this, cb = std::move(cb)](S3Result<http::Response> r) {
    if (!r.ok()) {
      if (needs_diagnosis(r.error())) {
        return diagnose_forbidden(std::move(r.error()), true, std::string(),
                                  [cb](S3Error e) { cb(unexpected(std::move(e))); });
      }
      return cb(unexpected(std::move(r.error())));
    }
    cb(true);
  };
  attempt(std::move(call));
}

// ---- multipart uploads ------------------------------------------------------------------------

void Client::create_multipart_upload(const std::string& key, const PutOptions& opts,
                                     Callback<std::string> cb) {
  PutOptions headers = opts;
  headers.content_md5.clear();  // describes a body; this request has none
  run<std::string>(
      [key, headers] {
        Op op;
        op.method = "POST";
        op.key = key;
        op.query.emplace_back("uploads", "");
        add_put_headers(op, headers);
        if (integrity::has_checksum_header(headers.multipart_checksum)) {
          op.headers.emplace_back("x-amz-checksum-algorithm",
                                  std::string(integrity::algo_s3_name(headers.multipart_checksum)));
          if (integrity::is_crc(headers.multipart_checksum)) {
            op.headers.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
          }
        }
        return op;
      },
      true, nullptr, std::move(cb),
      [this](S3Result<http::Response> r) -> S3Result<std::string> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        return parsed(cfg_, *r, xml::parse_initiate_multipart_upload(r->body), "MalformedResponse");
      });
}

void Client::upload_part_file(const std::string& key, const std::string& upload_id, int part_number,
                              const std::string& path, uint64_t offset, uint64_t length,
                              const std::string& content_md5_base64, http::UploadProgress progress,
                              Callback<PartResult> cb) {
  BodyChecksum c;
  if (!content_md5_base64.empty()) {
    c.transport = integrity::ChecksumTransport::kContentMd5;
    c.md5_b64 = content_md5_base64;
  }
  upload_part_file(key, upload_id, part_number, path, offset, length, c, std::move(progress),
                   std::move(cb));
}

void Client::upload_part_file(const std::string& key, const std::string& upload_id, int part_number,
                              const std::string& path, uint64_t offset, uint64_t length,
                              const BodyChecksum& checksum, http::UploadProgress progress,
                              Callback<PartResult> cb) {
  auto streamed = std::make_shared<http::StreamedChecksums>();
  run<PartResult>(
      [key, upload_id, part_number, path, offset, length, checksum, streamed] {
        Op op;
        op.method = "PUT";
        op.key = key;
        op.query.emplace_back("partNumber", std::to_string(part_number));
        op.query.emplace_back("uploadId", upload_id);
        add_body(op, http::file_body(path, offset, length), checksum, streamed);
        return op;
      },
      true, std::move(progress), std::move(cb),
      [this, streamed, checksum](S3Result<http::Response> r) -> S3Result<PartResult> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        std::string etag = unquote(r->header("etag"));
        if (etag.empty()) {
          return unexpected(malformed(cfg_, *r, "MalformedResponse",
                                      "the server accepted the part but sent no ETag"));
        }
        PartResult out;
        out.etag = std::move(etag);
        out.etag_is_md5 = etag_is_md5(*r);
        out.checksum_b64 = echoed_checksum(*r, checksum);
        if (streamed->complete) {
          out.streamed_checksum_raw = streamed->checksum_raw;
          out.streamed_md5_raw = streamed->md5_raw;
        }
        return out;
      });
}

void Client::complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                       const std::vector<CompletedPart>& parts,
                                       Callback<PutResult> cb, const CompleteOptions& opts) {
  std::vector<CompletedPart> sorted = parts;
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const CompletedPart& a, const CompletedPart& b) { return a.number < b.number; });
  const std::string element = integrity::has_checksum_header(opts.algo)
                                  ? "Checksum" + std::string(integrity::algo_s3_name(opts.algo))
                                  : std::string();
  const std::string body = xml::complete_multipart_upload(sorted, element);
  const std::string hash = integrity::sha256_hex(body);
  run<PutResult>(
      [key, upload_id, body, hash, opts] {
        Op op;
        op.method = "POST";
        op.key = key;
        op.query.emplace_back("uploadId", upload_id);
        op.headers.emplace_back("content-type", "application/xml");
        if (!opts.full_object_b64.empty() && integrity::is_crc(opts.algo)) {
          op.headers.emplace_back(integrity::checksum_header(opts.algo), opts.full_object_b64);
          op.headers.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
        }
        op.payload_hash = hash;
        op.body = http::string_body(body);
        return op;
      },
      // S3 answers 200 at once and may then fail: the <Error> body decides.
      true, nullptr, std::move(cb),
      [this](S3Result<http::Response> r) -> S3Result<PutResult> {
        if (!r.ok()) return unexpected(std::move(r.error()));
        return parsed(cfg_, *r, xml::parse_complete_multipart_upload(r->body), "MalformedResponse");
      });
}

void Client::abort_multipart_upload(const std::string& key, const std::string& upload_id,
                                    Callback<bool> cb) {
  run<bool>(
      [key, upload_id] {
        Op op;
        op.method = "DELETE";
        op.key = key;
        op.query.emplace_back("uploadId", upload_id);
        return op;
      },
      true, nullptr, std::move(cb),
      [](S3Result<http::Response> r) -> S3Result<bool> {
        // Already gone (aborted before, or a retried abort whose first try went through).
        if (!r.ok() && r.error().code != "NoSuchUpload") return unexpected(std::move(r.error()));
        return true;
      });
}

void Client::list_multipart_uploads(const std::string& prefix, const std::string& key_marker,
                                    const std::string& upload_id_marker,
                                    Callback<MultipartUploadsPage> cb) {
  auth::QueryParams query;
  query.emplace_back("uploads", "");
  if (!prefix.empty()) query.emplace_back("prefix", prefix);
  if (!key_marker.empty()) {
    query.emplace_back("key-marker", key_marker);
    if (!upload_id_marker.empty()) query.emplace_back("upload-id-marker", upload_id_marker);
  }
  query.emplace_back("encoding-type", "url");
  get_listing<MultipartUploadsPage>(std::nullopt, std::move(query),
                                    &xml::parse_list_multipart_uploads, std::move(cb));
}

void Client::list_parts(const std::string& key, const std::string& upload_id,
                        int part_number_marker, Callback<PartsPage> cb) {
  auth::QueryParams query = {{"uploadId", upload_id}};
  if (part_number_marker > 0) {
    query.emplace_back("part-number-marker", std::to_string(part_number_marker));
  }
  get_listing<PartsPage>(key, std::move(query), &xml::parse_list_parts, std::move(cb));
}

namespace {

// Starts an operation, runs the loop until it ends (or is interrupted).
template <typename T, typename Start>
S3Result<T> run_sync(Client& c, Start&& start) {
  std::optional<S3Result<T>> out;
  start([&out](S3Result<T> r) { out.emplace(std::move(r)); });
  c.loop().run();
  if (!out) return unexpected(interrupted_error(c.config()));
  return std::move(*out);
}

}  // namespace

S3Result<ObjectInfo> head_object_sync(Client& c, const std::string& key) {
  return run_sync<ObjectInfo>(c, [&](Callback<ObjectInfo> cb) { c.head_object(key, cb); });
}

S3Result<std::string> get_object_sync(Client& c, const std::string& key) {
  return run_sync<std::string>(c, [&](Callback<std::string> cb) { c.get_object(key, cb); });
}

S3Result<PutResult> put_object_data_sync(Client& c, const std::string& key, std::string data,
                                         const PutOptions& opts) {
  return run_sync<PutResult>(
      c, [&](Callback<PutResult> cb) { c.put_object_data(key, std::move(data), opts, cb); });
}

S3Result<std::string> get_object_subresource_sync(Client& c, const std::string& key,
                                                  const std::string& subresource) {
  return run_sync<std::string>(
      c, [&](Callback<std::string> cb) { c.get_object_subresource(key, subresource, cb); });
}

S3Result<bool> delete_object_sync(Client& c, const std::string& key) {
  return run_sync<bool>(c, [&](Callback<bool> cb) { c.delete_object(key, cb); });
}

S3Result<DeleteObjectsResult> delete_objects_sync(Client& c, const std::vector<std::string>& keys) {
  return run_sync<DeleteObjectsResult>(
      c, [&](Callback<DeleteObjectsResult> cb) { c.delete_objects(keys, cb); });
}

S3Result<bool> create_bucket_sync(Client& c) {
  return run_sync<bool>(c, [&](Callback<bool> cb) { c.create_bucket(cb); });
}

S3Result<std::vector<ListedObject>> list_all_sync(Client& c, const std::string& prefix) {
  std::vector<ListedObject> all;
  std::string token;
  for (;;) {
    S3Result<ListPage> page =
        run_sync<ListPage>(c, [&](Callback<ListPage> cb) { c.list_objects_v2(prefix, token, cb); });
    if (!page.ok()) return unexpected(std::move(page.error()));
    for (auto& o : page->objects) all.push_back(std::move(o));
    if (!page->truncated) break;
    if (page->next_continuation_token == token) {
      S3Error e;
      e.code = "MalformedListing";
      e.message = "the server repeated the same continuation token";
      e.endpoint = origin(c.config());
      return unexpected(std::move(e));
    }
    token = page->next_continuation_token;
  }
  return all;
}

S3Result<std::string> create_multipart_upload_sync(Client& c, const std::string& key,
                                                   const PutOptions& opts) {
  return run_sync<std::string>(
      c, [&](Callback<std::string> cb) { c.create_multipart_upload(key, opts, cb); });
}

S3Result<PartResult> upload_part_file_sync(Client& c, const std::string& key,
                                           const std::string& upload_id, int part_number,
                                           const std::string& path, uint64_t offset,
                                           uint64_t length, const std::string& content_md5_base64) {
  return run_sync<PartResult>(c, [&](Callback<PartResult> cb) {
    c.upload_part_file(key, upload_id, part_number, path, offset, length, content_md5_base64,
                       nullptr, cb);
  });
}

S3Result<PutResult> complete_multipart_upload_sync(Client& c, const std::string& key,
                                                   const std::string& upload_id,
                                                   const std::vector<CompletedPart>& parts) {
  return run_sync<PutResult>(
      c, [&](Callback<PutResult> cb) { c.complete_multipart_upload(key, upload_id, parts, cb); });
}

S3Result<bool> abort_multipart_upload_sync(Client& c, const std::string& key,
                                           const std::string& upload_id) {
  return run_sync<bool>(c,
                        [&](Callback<bool> cb) { c.abort_multipart_upload(key, upload_id, cb); });
}

S3Result<std::vector<MultipartUpload>> list_multipart_uploads_all_sync(Client& c,
                                                                       const std::string& prefix) {
  std::vector<MultipartUpload> all;
  std::string key_marker, id_marker;
  for (;;) {
    S3Result<MultipartUploadsPage> page =
        run_sync<MultipartUploadsPage>(c, [&](Callback<MultipartUploadsPage> cb) {
          c.list_multipart_uploads(prefix, key_marker, id_marker, cb);
        });
    if (!page.ok()) return unexpected(std::move(page.error()));
    for (auto& u : page->uploads) all.push_back(std::move(u));
    if (!page->truncated) break;
    if (page->next_key_marker == key_marker && page->next_upload_id_marker == id_marker) {
      S3Error e;
      e.code = "MalformedListing";
      e.message = "the server repeated the same upload listing markers";
      e.endpoint = origin(c.config());
      return unexpected(std::move(e));
    }
    key_marker = page->next_key_marker;
    id_marker = page->next_upload_id_marker;
  }
  return all;
}

S3Result<std::vector<PartInfo>> list_parts_all_sync(Client& c, const std::string& key,
                                                    const std::string& upload_id) {
  std::vector<PartInfo> all;
  int marker = 0;
  for (;;) {
    S3Result<PartsPage> page = run_sync<PartsPage>(
        c, [&](Callback<PartsPage> cb) { c.list_parts(key, upload_id, marker, cb); });
    if (!page.ok()) return unexpected(std::move(page.error()));
    for (auto& p : page->parts) all.push_back(std::move(p));
    if (!page->truncated) break;
    if (page->next_part_number_marker <= marker) {
      S3Error e;
      e.code = "MalformedListing";
      e.message = "the server's part listing did not advance";
      e.endpoint = origin(c.config());
      return unexpected(std::move(e));
    }
    marker = page->next_part_number_marker;
  }
  return all;
}

}  // namespace s3up::s3
