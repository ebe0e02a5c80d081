#include "auth/sigv4.hpp"

#include <algorithm>
#include <ctime>
#include <initializer_list>
#include <map>
#include <string_view>
#include <vector>

#include "integrity/hash.hpp"
#include "util/strings.hpp"

namespace s3up::auth {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// S3 (and S3 Express) sign the path as sent; every other service signs the URI-encoded path,
// i.e. the wire path is encoded a second time.
bool double_encodes_path(const std::string& service) {
  return service != "s3" && service != "s3express";
}

std::tm utc_tm(std::chrono::system_clock::time_point t) {
  const std::time_t tt =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

std::string format_time(std::chrono::system_clock::time_point t, const char* fmt) {
  const std::tm tm = utc_tm(t);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), fmt, &tm);
  return std::string(buf, n);
}

// RFC 3986 5.2.4 dot-segment removal plus collapsing of empty segments ("//"), as the AWS
// signing test suite expects for services other than S3.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> out;
  bool trailing_slash = false;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    const std::string_view seg = path.substr(pos, next - pos);
    const bool last = next == path.size();
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = last;
    } else if (seg == ".") {
      trailing_slash = last;
    } else if (seg.empty()) {
      trailing_slash = last;
    } else {
      out.push_back(seg);
      trailing_slash = false;
    }
    pos = next + 1;
  }
  std::string result;
  for (const auto seg : out) {
    result.push_back('/');
    result.append(seg);
  }
  if (result.empty() || trailing_slash) result.push_back('/');
  return result;
}

// Trim, and collapse every run of whitespace (spaces, tabs, folded line breaks) to one space.
std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" lines
  std::string signed_names;  // "a;b;c"
};

CanonicalHeaders canonical_headers(const Headers& headers) {
  std::map<std::string, std::string> merged;
  for (const auto& [name, value] : headers) {
    const std::string key = to_lower(trim(name));
    const std::string v = canonical_header_value(value);
    auto [it, inserted] = merged.try_emplace(key, v);
    if (!inserted) {
      it->second.push_back(',');
      it->second.append(v);
    }
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.block.append(name).append(":").append(value).append("\n");
    if (!out.signed_names.empty()) out.signed_names.push_back(';');
    out.signed_names.append(name);
  }
  return out;
}

void remove_headers(Headers& headers, std::initializer_list<std::string_view> names) {
  std::erase_if(headers, [&](const auto& h) {
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view n) { return iequals(trim(h.first), n); });
  });
}

void remove_query(QueryParams& query, std::initializer_list<std::string_view> names) {
  std::erase_if(query, [&](const auto& q) {
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view n) { return q.first == n; });
  });
}

std::string credential_scope(const SigningParams& params) {
  return date_stamp(params.time) + "/" + params.region + "/" + params.service + "/aws4_request";
}

std::string signing_key(const SigningParams& params) {
  using integrity::hmac_sha256_raw;
  const std::string k_date =
      hmac_sha256_raw("AWS4" + params.credentials.secret_access_key, date_stamp(params.time));
  const std::string k_region = hmac_sha256_raw(k_date, params.region);
  const std::string k_service = hmac_sha256_raw(k_region, params.service);
  return hmac_sha256_raw(k_service, "aws4_request");
}

// Builds canonical request, string to sign and signature over the request as it stands.
SigningResult compute(const SignableRequest& req, const std::string& payload_hash,
                      const SigningParams& params, std::string* signed_names) {
  const CanonicalHeaders ch = canonical_headers(req.headers);
  SigningResult r;
  r.canonical_request.append(req.method).append("\n");
  r.canonical_request
      .append(canonical_uri(req.path, params.normalize_path, double_encodes_path(params.service)))
      .append("\n");
  r.canonical_request.append(canonical_query_string(req.query)).append("\n");
  r.canonical_request.append(ch.block).append("\n");
  r.canonical_request.append(ch.signed_names).append("\n");
  r.canonical_request.append(payload_hash);

  r.string_to_sign.append(kAlgorithm).append("\n");
  r.string_to_sign.append(amz_date(params.time)).append("\n");
  r.string_to_sign.append(credential_scope(params)).append("\n");
  r.string_to_sign.append(integrity::sha256_hex(r.canonical_request));

  r.signature = hex_encode(integrity::hmac_sha256_raw(signing_key(params), r.string_to_sign));
  if (signed_names != nullptr) *signed_names = ch.signed_names;
  return r;
}

}  // namespace

std::string canonical_uri(const std::string& path, bool normalize, bool encode) {
  std::string p = path.empty() ? std::string("/") : path;
  if (normalize) p = normalize_path(p);
  if (encode) p = uri_encode(p, /*keep_slash=*/true);
  return p;
}

std::string canonical_query_string(const QueryParams& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name), uri_encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string encode_query(const QueryParams& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out.push_back('&');
    out.append(uri_encode(name)).append("=").append(uri_encode(value));
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  return format_time(t, "%Y%m%dT%H%M%SZ");
}

std::string date_stamp(std::chrono::system_clock::time_point t) {
  return format_time(t, "%Y%m%d");
}

SigningResult sign_request(SignableRequest& req, const std::string& payload_hash,
                           const SigningParams& params, bool add_content_sha256_header) {
  // Re-signing (a retry) replaces what an earlier signing added.
  remove_headers(req.headers, {"authorization", "x-amz-date", "x-amz-security-token"});
  if (add_content_sha256_header) remove_headers(req.headers, {"x-amz-content-sha256"});

  const std::string& token = params.credentials.session_token;
  req.headers.emplace_back("X-Amz-Date", amz_date(params.time));
  if (!token.empty() && !params.omit_session_token) {
    req.headers.emplace_back("X-Amz-Security-Token", token);
  }
  if (add_content_sha256_header) req.headers.emplace_back("x-amz-content-sha256", payload_hash);

  std::string signed_names;
  SigningResult r = compute(req, payload_hash, params, &signed_names);

  req.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + params.credentials.access_key_id +
                           "/" + credential_scope(params) + ", SignedHeaders=" + signed_names +
                           ", Signature=" + r.signature);
  if (!token.empty() && params.omit_session_token) {
    req.headers.emplace_back("X-Amz-Security-Token", token);
  }
  return r;
}

SigningResult presign_request(SignableRequest& req, std::chrono::seconds expires,
                              const std::string& payload_hash, const SigningParams& params) {
  remove_query(req.query, {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                           "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature"});

  const std::string& token = params.credentials.session_token;
  const CanonicalHeaders ch = canonical_headers(req.headers);
  req.query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  req.query.emplace_back("X-Amz-Credential",
                         params.credentials.access_key_id + "/" + credential_scope(params));
  req.query.emplace_back("X-Amz-Date", amz_date(params.time));
  req.query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  req.query.emplace_back("X-Amz-SignedHeaders", ch.signed_names);
  if (!token.empty() && !params.omit_session_token) {
    req.query.emplace_back("X-Amz-Security-Token", token);
  }

  SigningResult r = compute(req, payload_hash, params, nullptr);

  req.query.emplace_back("X-Amz-Signature", r.signature);
  if (!token.empty() && params.omit_session_token) {
    req.query.emplace_back("X-Amz-Security-Token", token);
  }
  return r;
}

}  // namespace s3up::auth
