// AWS Signature V4: the AWS signing test suite (shared test data) plus S3's documented examples.
#include "auth/sigv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "integrity/hash.hpp"
#include "util/strings.hpp"

namespace s3up::auth {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using std::chrono::sys_days;

// ---------------------------------------------------------------------------------------------
// Test-suite plumbing

fs::path vectors_dir() {
  if (const char* env = std::getenv("S3UPLOAD_SHARED_TESTDATA"); env != nullptr && *env != '\0') {
    return fs::path(env) / "sigv4";
  }
#ifdef S3UPLOAD_SHARED_TESTDATA
  return fs::path(S3UPLOAD_SHARED_TESTDATA) / "sigv4";
#else
  return fs::path("../shared/testdata/sigv4");
#endif
}

std::vector<std::string> vector_names() {
  std::vector<std::string> names;
  std::error_code ec;
  const fs::path dir = vectors_dir();
  if (!fs::is_directory(dir, ec)) return names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "request.txt")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An HTTP request as written in request.txt / *-signed-request.txt.
struct ParsedRequest {
  std::string method;
  std::string path;   // as written (the wire path for the signer)
  QueryParams query;  // decoded
  Headers headers;    // folded continuation lines joined with one space
  std::string body;
};

ParsedRequest parse_request(const std::string& text) {
  ParsedRequest r;
  size_t pos = 0;
  const auto next_line = [&](std::string& line) {
    if (pos > text.size()) return false;
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = end + 1;
    return true;
  };
  std::string line;
  next_line(line);
  // "METHOD target HTTP/1.1"; the target may contain spaces (get-space-*).
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t qmark = target.find('?');
  r.path = target.substr(0, qmark);
  if (qmark != std::string::npos) {
    for (const std::string& part : split(target.substr(qmark + 1), '&')) {
      if (part.empty()) continue;
      const size_t eq = part.find('=');
      if (eq == std::string::npos) {
        r.query.emplace_back(uri_decode(part), "");
      } else {
        r.query.emplace_back(uri_decode(part.substr(0, eq)), uri_decode(part.substr(eq + 1)));
      }
    }
  }
  while (pos <= text.size() && next_line(line)) {
    if (line.empty()) {
      r.body = pos <= text.size() ? text.substr(pos) : std::string();
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += " " + trim(line);
      continue;
    }
    const size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

std::chrono::system_clock::time_point parse_timestamp(const std::string& s) {
  // "2015-08-30T12:36:00Z"
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// Headers and query compared as multisets: the order a signer appends them is not part of the
// signature, and the suite's own order is an artefact of the signer that produced it.
std::vector<std::pair<std::string, std::string>> header_set(const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [n, v] : headers) out.emplace_back(to_lower(trim(n)), trim(v));
  std::sort(out.begin(), out.end());
  return out;
}

QueryParams query_set(QueryParams q) {
  std::sort(q.begin(), q.end());
  return q;
}

struct VectorCase {
  fs::path dir;
  nlohmann::json context;
  ParsedRequest request;
  SigningParams params;
  std::string payload_hash;

  bool has(const std::string& file) const { return fs::exists(dir / file); }
  std::string expected(const std::string& file) const { return read_file(dir / file); }
};

VectorCase load_case(const std::string& name) {
  VectorCase c;
  c.dir = vectors_dir() / name;
  c.context = nlohmann::json::parse(read_file(c.dir / "context.json"));
  c.request = parse_request(read_file(c.dir / "request.txt"));
  const auto& creds = c.context.at("credentials");
  c.params.credentials.access_key_id = creds.at("access_key_id").get<std::string>();
  c.params.credentials.secret_access_key = creds.at("secret_access_key").get<std::string>();
  c.params.credentials.session_token = creds.value("token", std::string());
  c.params.region = c.context.at("region").get<std::string>();
  c.params.service = c.context.at("service").get<std::string>();
  c.params.time = parse_timestamp(c.context.at("timestamp").get<std::string>());
  c.params.normalize_path = c.context.value("normalize", true);
  c.params.omit_session_token = c.context.value("omit_session_token", false);
  c.payload_hash = integrity::sha256_hex(c.request.body);
  return c;
}

SignableRequest to_signable(const ParsedRequest& p) {
  return SignableRequest{p.method, p.path, p.query, p.headers};
}

class SigV4Vectors : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4Vectors, HeaderSigning) {
  const VectorCase c = load_case(GetParam());
  if (!c.has("header-canonical-request.txt") && !c.has("header-string-to-sign.txt") &&
      !c.has("header-signature.txt") && !c.has("header-signed-request.txt")) {
    GTEST_SKIP() << GetParam() << " has no header-signing expectations";
  }
  SignableRequest req = to_signable(c.request);
  const bool sign_body = c.context.value("sign_body", false);
  const SigningResult r = sign_request(req, c.payload_hash, c.params, sign_body);

  if (c.has("header-canonical-request.txt")) {
    EXPECT_EQ(r.canonical_request, c.expected("header-canonical-request.txt"));
  }
  if (c.has("header-string-to-sign.txt")) {
    EXPECT_EQ(r.string_to_sign, c.expected("header-string-to-sign.txt"));
  }
  if (c.has("header-signature.txt")) {
    EXPECT_EQ(r.signature, trim(c.expected("header-signature.txt")));
  }
  if (c.has("header-signed-request.txt")) {
    const ParsedRequest want = parse_request(c.expected("header-signed-request.txt"));
    EXPECT_EQ(req.method, want.method);
    EXPECT_EQ(req.path, want.path);
    EXPECT_EQ(query_set(req.query), query_set(want.query));
    EXPECT_EQ(header_set(req.headers), header_set(want.headers));
    EXPECT_EQ(c.request.body, want.body);
  }
}

TEST_P(SigV4Vectors, QuerySigning) {
  const VectorCase c = load_case(GetParam());
  if (!c.has("query-canonical-request.txt") && !c.has("query-string-to-sign.txt") &&
      !c.has("query-signature.txt") && !c.has("query-signed-request.txt")) {
    GTEST_SKIP() << GetParam() << " has no query-signing expectations";
  }
  SignableRequest req = to_signable(c.request);
  const seconds expires(c.context.at("expiration_in_seconds").get<int64_t>());
  const SigningResult r = presign_request(req, expires, c.payload_hash, c.params);

  if (c.has("query-canonical-request.txt")) {
    EXPECT_EQ(r.canonical_request, c.expected("query-canonical-request.txt"));
  }
  if (c.has("query-string-to-sign.txt")) {
    EXPECT_EQ(r.string_to_sign, c.expected("query-string-to-sign.txt"));
  }
  if (c.has("query-signature.txt")) {
    EXPECT_EQ(r.signature, trim(c.expected("query-signature.txt")));
  }
  if (c.has("query-signed-request.txt")) {
    const ParsedRequest want = parse_request(c.expected("query-signed-request.txt"));
    EXPECT_EQ(req.method, want.method);
    EXPECT_EQ(req.path, want.path);
    EXPECT_EQ(query_set(req.query), query_set(want.query));
    EXPECT_EQ(header_set(req.headers), header_set(want.headers));
    EXPECT_EQ(c.request.body, want.body);
  }
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4Vectors, ::testing::ValuesIn(vector_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });
// With the data absent the suite is empty; SigV4VectorData says so visibly instead.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SigV4Vectors);

TEST(SigV4VectorData, Present) {
  if (!fs::is_directory(vectors_dir())) {
    GTEST_SKIP() << "../shared/testdata/sigv4 not present: SigV4 vector tests skipped";
  }
  // The README promises 38 cases; all of them must have been picked up.
  EXPECT_EQ(vector_names().size(), 38u) << "in " << vectors_dir();
}

// ---------------------------------------------------------------------------------------------
// S3 examples from the SigV4 documentation for Amazon S3

constexpr const char* kExampleAkid = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

SigningParams s3_example_params() {
  SigningParams p;
  p.credentials.access_key_id = kExampleAkid;
  p.credentials.secret_access_key = kExampleSecret;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = sys_days{std::chrono::year{2013} / 5 / 24};
  return p;
}

std::string header_value(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return {};
}

size_t header_count(const Headers& headers, std::string_view name) {
  return static_cast<size_t>(std::count_if(headers.begin(), headers.end(),
                                           [&](const auto& h) { return iequals(h.first, name); }));
}

TEST(SigV4S3, DocumentedGetObjectWithRange) {
  SignableRequest req{
      "GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}}};
  const SigningResult r =
      sign_request(req, std::string(integrity::kEmptySha256Hex), s3_example_params());
  EXPECT_EQ(r.canonical_request,
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(r.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header_value(req.headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header_value(req.headers, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(header_value(req.headers, "x-amz-content-sha256"), integrity::kEmptySha256Hex);
}

TEST(SigV4S3, DocumentedPutObject) {
  const std::string body = "Welcome to Amazon S3.";
  const std::string payload = integrity::sha256_hex(body);
  EXPECT_EQ(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  SignableRequest req{"PUT",
                      "/test%24file.text",
                      {},
                      {{"Host", "examplebucket.s3.amazonaws.com"},
                       {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                       {"x-amz-storage-class", "REDUCED_REDUNDANCY"}}};
  const SigningResult r = sign_request(req, payload, s3_example_params());
  EXPECT_EQ(r.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(r.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3, DocumentedGetBucketLifecycle) {
  SignableRequest req{
      "GET", "/", {{"lifecycle", ""}}, {{"Host", "examplebucket.s3.amazonaws.com"}}};
  const SigningResult r =
      sign_request(req, std::string(integrity::kEmptySha256Hex), s3_example_params());
  EXPECT_EQ(r.canonical_request.substr(0, 17), "GET\n/\nlifecycle=\n");
  EXPECT_EQ(r.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3, DocumentedListObjects) {
  SignableRequest req{"GET",
                      "/",
                      {{"prefix", "J"}, {"max-keys", "2"}},
                      {{"Host", "examplebucket.s3.amazonaws.com"}}};
  const SigningResult r =
      sign_request(req, std::string(integrity::kEmptySha256Hex), s3_example_params());
  EXPECT_EQ(r.canonical_request.substr(0, 26), "GET\n/\nmax-keys=2&prefix=J\n");
  EXPECT_EQ(r.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4S3, DocumentedPresignedUrl) {
  SigningParams p = s3_example_params();
  SignableRequest req{"GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}}};
  const SigningResult r = presign_request(req, seconds(86400), "UNSIGNED-PAYLOAD", p);
  EXPECT_EQ(r.canonical_request,
            "GET\n/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host\n"
            "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(r.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
  EXPECT_EQ(r.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(encode_query(req.query),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_TRUE(req.headers.size() == 1) << "presigning must not add headers";
}

TEST(SigV4S3, KeyWithSpecialCharactersIsEncodedOnceWithSlashesKept) {
  const std::string key = "dir one/a+b&c=d/caf\xC3\xA9 %.txt";
  const std::string wire = "/bucket/" + uri_encode(key, /*keep_slash=*/true);
  EXPECT_EQ(wire, "/bucket/dir%20one/a%2Bb%26c%3Dd/caf%C3%A9%20%25.txt");
  SignableRequest req{"PUT", wire, {}, {{"Host", "s3.us-east-1.amazonaws.com"}}};
  const SigningResult r =
      sign_request(req, std::string(integrity::kEmptySha256Hex), s3_example_params());
  EXPECT_EQ(split(r.canonical_request, '\n')[1],
            "/bucket/dir%20one/a%2Bb%26c%3Dd/caf%C3%A9%20%25.txt");
  EXPECT_EQ(req.path, wire) << "the request path is not rewritten";
}

TEST(SigV4S3, DotSegmentsAndDoubleSlashesKeptForS3) {
  SignableRequest req{"GET", "/bucket/./a//b/../c", {}, {{"Host", "s3.amazonaws.com"}}};
  const SigningResult r =
      sign_request(req, std::string(integrity::kEmptySha256Hex), s3_example_params());
  EXPECT_EQ(split(r.canonical_request, '\n')[1], "/bucket/./a//b/../c");
  EXPECT_EQ(canonical_uri("/bucket/./a//b/../c", false), "/bucket/./a//b/../c");
  EXPECT_EQ(canonical_uri("", false), "/");
}

TEST(SigV4S3, CanonicalUriNormalization) {
  EXPECT_EQ(canonical_uri("/a/./b//c/../d", true), "/a/b/d");
  EXPECT_EQ(canonical_uri("/a/b/..", true), "/a/");
  EXPECT_EQ(canonical_uri("/../..", true), "/");
  EXPECT_EQ(canonical_uri("//x//", true), "/x/");
  EXPECT_EQ(canonical_uri("/a%20b", false, true), "/a%2520b");
}

TEST(SigV4S3, QueryEncodingAndOrdering) {
  const QueryParams q{{"uploads", ""}, {"b", "x/y=z"}, {"a", "2"}, {"a", "1"}, {"sp ace", "+"}};
  EXPECT_EQ(canonical_query_string(q), "a=1&a=2&b=x%2Fy%3Dz&sp%20ace=%2B&uploads=");
  EXPECT_EQ(encode_query(q), "uploads=&b=x%2Fy%3Dz&a=2&a=1&sp%20ace=%2B");
}

TEST(SigV4S3, SessionTokenInHeaderMode) {
  SigningParams p = s3_example_params();
  p.credentials.session_token = "tok/en+=";
  SignableRequest req{"GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}}};
  const SigningResult r = sign_request(req, "UNSIGNED-PAYLOAD", p);
  EXPECT_NE(r.canonical_request.find("\nx-amz-security-token:tok/en+=\n"), std::string::npos);
  EXPECT_NE(r.canonical_request.find("host;x-amz-content-sha256;x-amz-date;x-amz-security-token"),
            std::string::npos);
  EXPECT_EQ(header_value(req.headers, "x-amz-security-token"), "tok/en+=");
  EXPECT_EQ(header_value(req.headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");

  // Signing again (a retry) replaces rather than duplicates what signing added.
  const SigningResult again = sign_request(req, "UNSIGNED-PAYLOAD", p);
  EXPECT_EQ(again.signature, r.signature);
  EXPECT_EQ(header_count(req.headers, "authorization"), 1u);
  EXPECT_EQ(header_count(req.headers, "x-amz-security-token"), 1u);
  EXPECT_EQ(header_count(req.headers, "x-amz-date"), 1u);
  EXPECT_EQ(header_count(req.headers, "x-amz-content-sha256"), 1u);
}

TEST(SigV4S3, SessionTokenInQueryMode) {
  SigningParams p = s3_example_params();
  p.credentials.session_token = "tok/en+=";
  SignableRequest req{"GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}}};
  const SigningResult r = presign_request(req, seconds(60), "UNSIGNED-PAYLOAD", p);
  EXPECT_NE(r.canonical_request.find("&X-Amz-Security-Token=tok%2Fen%2B%3D&"), std::string::npos);
  ASSERT_FALSE(req.query.empty());
  EXPECT_EQ(req.query.back().first, "X-Amz-Signature");

  SignableRequest omitted{"GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}}};
  p.omit_session_token = true;
  const SigningResult r2 = presign_request(omitted, seconds(60), "UNSIGNED-PAYLOAD", p);
  EXPECT_EQ(r2.canonical_request.find("X-Amz-Security-Token"), std::string::npos);
  ASSERT_GE(omitted.query.size(), 2u);
  EXPECT_EQ(omitted.query.back(),
            (std::pair<std::string, std::string>{"X-Amz-Security-Token", "tok/en+="}));
  EXPECT_EQ(omitted.query[omitted.query.size() - 2].first, "X-Amz-Signature");
  EXPECT_NE(r2.signature, r.signature);
}

TEST(SigV4S3, NoContentShaHeaderWhenNotRequested) {
  SignableRequest req{"GET", "/", {}, {{"Host", "example.com"}}};
  const SigningResult r = sign_request(req, "UNSIGNED-PAYLOAD", s3_example_params(), false);
  EXPECT_EQ(header_count(req.headers, "x-amz-content-sha256"), 0u);
  EXPECT_NE(r.canonical_request.find("\nhost;x-amz-date\nUNSIGNED-PAYLOAD"), std::string::npos);
}

TEST(SigV4S3, DateFormatting) {
  const auto t = sys_days{std::chrono::year{2015} / 8 / 30} + std::chrono::hours(12) +
                 std::chrono::minutes(36) + std::chrono::milliseconds(999);
  EXPECT_EQ(amz_date(t), "20150830T123600Z");
  EXPECT_EQ(date_stamp(t), "20150830");
}

}  // namespace
}  // namespace s3up::auth
