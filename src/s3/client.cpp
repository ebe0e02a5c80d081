// Typed S3 operations: build the URL, sign, submit to the event loop, turn the answer into a
// value or an S3Error.
#include "s3/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <utility>

#include "auth/sigv4.hpp"
#include "integrity/hash.hpp"
#include "s3/xml.hpp"
#include "util/strings.hpp"

namespace s3up::s3 {
namespace {

constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";

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

auth::SigningParams signing_params(const ClientConfig& cfg) {
  auth::SigningParams p;
  p.credentials = cfg.credentials;
  p.region = cfg.region.empty() ? "us-east-1" : cfg.region;
  p.service = "s3";
  p.time = cfg.clock();
  p.normalize_path = false;
  return p;
}

// One operation before signing.
struct Op {
  std::string method;
  const std::string* key = nullptr;  // nullptr: the bucket itself
  auth::QueryParams query;
  auth::Headers headers;  // besides host and what the signer adds
  std::string payload_hash = std::string(integrity::kEmptySha256Hex);
  std::unique_ptr<http::BodySource> body;
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
http::Request build(const ClientConfig& cfg, Op op, std::vector<std::string>* secrets) {
  const std::string host = request_host(cfg);
  auth::SignableRequest sreq;
  sreq.method = op.method;
  sreq.path = request_path(cfg, op.key);
  sreq.query = std::move(op.query);
  sreq.headers.emplace_back("host", host);
  for (auto& h : op.headers) sreq.headers.push_back(std::move(h));
  const auth::SigningResult signed_ =
      auth::sign_request(sreq, op.payload_hash, signing_params(cfg));

  http::Request req;
  req.method = op.method;
  req.url = cfg.endpoint.scheme + "://" + host + sreq.path;
  if (!sreq.query.empty()) req.url += "?" + auth::encode_query(sreq.query);
  req.headers = std::move(sreq.headers);
  req.body = std::move(op.body);
  if (secrets != nullptr) {
    *secrets = {cfg.credentials.secret_access_key, cfg.credentials.session_token,
                signed_.signature};
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
}

S3Error interrupted_error(const ClientConfig& cfg) {
  S3Error e;
  e.curl_code = CURLE_ABORTED_BY_CALLBACK;
  e.message = "interrupted";
  e.endpoint = origin(cfg);
  e.request_region = cfg.region;
  return e;
}

}  // namespace

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

Client::Client(http::EventLoop& loop, ClientConfig cfg) : loop_(loop), cfg_(std::move(cfg)) {}

std::string Client::object_url(const std::string& key) const {
  return origin(cfg_) + request_path(cfg_, &key);
}

std::string Client::presign_get(const std::string& key, std::chrono::seconds expires) const {
  expires = std::clamp(expires, std::chrono::seconds(1), std::chrono::seconds(7 * 24 * 3600));
  auth::SignableRequest req;
  req.method = "GET";
  req.path = request_path(cfg_, &key);
  req.headers.emplace_back("host", request_host(cfg_));
  auth::presign_request(req, expires, kUnsignedPayload, signing_params(cfg_));
  return origin(cfg_) + req.path + "?" + auth::encode_query(req.query);
}

void Client::head_object(const std::string& key, Callback<ObjectInfo> cb) {
  Op op;
  op.method = "HEAD";
  op.key = &key;
  auto secrets = std::make_shared<std::vector<std::string>>();
  http::Request req = build(cfg_, std::move(op), secrets.get());
  loop_.submit(std::move(req), [this, secrets, cb = std::move(cb)](http::Response&& r) {
    if (auto err = failure(cfg_, r, false, *secrets)) return cb(unexpected(std::move(*err)));
    ObjectInfo info;
    const std::string len = r.header("content-length");
    info.size = len.empty() ? 0 : std::strtoull(len.c_str(), nullptr, 10);
    info.etag = unquote(r.header("etag"));
    info.last_modified = r.header("last-modified");
    info.content_type = r.header("content-type");
    for (const auto& [name, value] : r.headers) {
      if (name.starts_with("x-amz-meta-")) info.metadata[name.substr(11)] = value;
    }
    cb(std::move(info));
  });
}

void Client::put_object_file(const std::string& key, const std::string& path, uint64_t size,
                             const PutOptions& opts, http::UploadProgress progress,
                             Callback<PutResult> cb) {
  Op op;
  op.method = "PUT";
  op.key = &key;
  // Streamed from disk: the body is not hashed up front; Content-MD5 (when given) lets the
  // server check it instead.
  op.payload_hash = kUnsignedPayload;
  add_put_headers(op, opts);
  op.body = http::file_body(path, 0, size);
  auto secrets = std::make_shared<std::vector<std::string>>();
  http::Request req = build(cfg_, std::move(op), secrets.get());
  loop_.submit(
      std::move(req),
      [this, secrets, cb = std::move(cb)](http::Response&& r) {
        if (auto err = failure(cfg_, r, true, *secrets)) return cb(unexpected(std::move(*err)));
        cb(PutResult{unquote(r.header("etag"))});
      },
      std::move(progress));
}

void Client::put_object_data(const std::string& key, std::string data, const PutOptions& opts,
                             Callback<PutResult> cb) {
  Op op;
  op.method = "PUT";
  op.key = &key;
  op.payload_hash = integrity::sha256_hex(data);
  add_put_headers(op, opts);
  op.body = http::string_body(std::move(data));
  auto secrets = std::make_shared<std::vector<std::string>>();
  http::Request req = build(cfg_, std::move(op), secrets.get());
  loop_.submit(std::move(req), [this, secrets, cb = std::move(cb)](http::Response&& r) {
    if (auto err = failure(cfg_, r, true, *secrets)) return cb(unexpected(std::move(*err)));
    cb(PutResult{unquote(r.header("etag"))});
  });
}

void Client::get_object(const std::string& key, Callback<std::string> cb) {
  Op op;
  op.method = "GET";
  op.key = &key;
  auto secrets = std::make_shared<std::vector<std::string>>();
  http::Request req = build(cfg_, std::move(op), secrets.get());
  loop_.submit(std::move(req), [this, secrets, cb = std::move(cb)](http::Response&& r) {
    // The body is object data: it may legitimately look like an <Error> document.
    if (auto err = failure(cfg_, r, false, *secrets)) return cb(unexpected(std::move(*err)));
    cb(std::move(r.body));
  });
}

void Client::delete_object(const std::string& key, Callback<bool> cb) {
  Op op;
  op.method = "DELETE";
  op.key = &key;
  auto secrets = std::make_shared<std::vector<std::string>>();
  http::Request req = build(cfg_, std::move(op), secrets.get());
  loop_.submit(std::move(req), [this, secrets, cb = std::move(cb)](http::Response&& r) {
    if (auto err = failure(cfg_, r, true, *secrets)) return cb(unexpected(std::move(*err)));
    cb(true);
  });
}

void Client::list_objects_v2(const std::string& prefix, const std::string& continuation_token,
                             Callback<ListPage> cb, const std::string& delimiter, int max_keys) {
  Op op;
  op.method = "GET";
  op.query.emplace_back("list-type", "2");
  if (!continuation_token.empty()) op.query.emplace_back("continuation-token", continuation_token);
  if (!delimiter.empty()) op.query.emplace_back("delimiter", delimiter);
  // Keys come back url-encoded, so keys with control characters survive the XML.
  op.query.emplace_back("encoding-type", "url");
  op.query.emplace_back("max-keys", std::to_string(std::clamp(max_keys, 1, 1000)));
  if (!prefix.empty()) op.query.emplace_back("prefix", prefix);
  auto secrets = std::make_shared<std::vector<std::string>>();
  http::Request req = build(cfg_, std::move(op), secrets.get());
  loop_.submit(std::move(req), [this, secrets, cb = std::move(cb)](http::Response&& r) {
    if (auto err = failure(cfg_, r, true, *secrets)) return cb(unexpected(std::move(*err)));
    Result<ListPage> page = xml::parse_list_objects_v2(r.body);
    if (!page.ok()) {
      S3Error e;
      e.http_status = r.status;
      e.code = "MalformedListing";
      e.message = page.error();
      e.request_id = r.header("x-amz-request-id");
      e.endpoint = origin(cfg_);
      e.request_region = cfg_.region;
      return cb(unexpected(std::move(e)));
    }
    cb(std::move(page.value()));
  });
}

void Client::create_bucket(Callback<bool> cb) {
  Op op;
  op.method = "PUT";
  std::string body = xml::create_bucket_configuration(cfg_.region);
  op.payload_hash = integrity::sha256_hex(body);
  if (!body.empty()) {
    op.headers.emplace_back("content-type", "application/xml");
    op.body = http::string_body(std::move(body));
  }
  auto secrets = std::make_shared<std::vector<std::string>>();
  http::Request req = build(cfg_, std::move(op), secrets.get());
  loop_.submit(std::move(req), [this, secrets, cb = std::move(cb)](http::Response&& r) {
    if (auto err = failure(cfg_, r, true, *secrets)) {
      if (err->code == "BucketAlreadyOwnedByYou") return cb(true);
      return cb(unexpected(std::move(*err)));
    }
    cb(true);
  });
}

void Client::head_bucket(Callback<bool> cb) {
  Op op;
  op.method = "HEAD";
  auto secrets = std::make_shared<std::vector<std::string>>();
  http::Request req = build(cfg_, std::move(op), secrets.get());
  loop_.submit(std::move(req), [this, secrets, cb = std::move(cb)](http::Response&& r) {
    if (auto err = failure(cfg_, r, false, *secrets)) return cb(unexpected(std::move(*err)));
    cb(true);
  });
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

S3Result<bool> delete_object_sync(Client& c, const std::string& key) {
  return run_sync<bool>(c, [&](Callback<bool> cb) { c.delete_object(key, cb); });
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

}  // namespace s3up::s3
