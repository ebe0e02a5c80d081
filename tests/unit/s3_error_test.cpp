// S3 errors (classification, describe()), endpoints and URLs, presigning, and the client's
// requests and answer handling against a loopback server.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "integrity/hash.hpp"
#include "loopback_server.hpp"
#include "s3/client.hpp"
#include "s3_test_config.hpp"

namespace s3up::s3 {
namespace {

using s3up::testing::LoopbackServer;
using s3up::testing::ServerReply;
using s3up::testing::ServerRequest;

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kToken = "FQoGZXIvYXdzEXAMPLESESSIONTOKENxyz0123456789";

S3Error http_error(long status, std::string code, std::string message = "") {
  S3Error e;
  e.http_status = status;
  e.code = std::move(code);
  e.message = std::move(message);
  e.endpoint = "https://bucket.s3.us-east-1.amazonaws.com";
  e.request_region = "us-east-1";
  return e;
}

S3Error transport_error(int curl_code, std::string message) {
  S3Error e;
  e.curl_code = curl_code;
  e.message = std::move(message);
  e.endpoint = "http://127.0.0.1:9";
  e.request_region = "us-east-1";
  return e;
}

// ---- classification -------------------------------------------------------------------------

TEST(S3ErrorClass, NotFound) {
  EXPECT_TRUE(http_error(404, "NotFound").is_not_found());
  EXPECT_TRUE(http_error(404, "NoSuchKey").is_not_found());
  EXPECT_TRUE(http_error(404, "").is_not_found());
  EXPECT_FALSE(http_error(403, "AccessDenied").is_not_found());
  EXPECT_FALSE(transport_error(CURLE_COULDNT_CONNECT, "x").is_not_found());
}

TEST(S3ErrorClass, Auth) {
  for (const char* code : {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId",
                           "ExpiredToken", "InvalidToken", "TokenRefreshRequired"}) {
    EXPECT_TRUE(http_error(400, code).is_auth()) << code;
  }
  EXPECT_TRUE(http_error(403, "").is_auth());
  EXPECT_FALSE(http_error(404, "NoSuchKey").is_auth());
  EXPECT_FALSE(http_error(500, "InternalError").is_auth());
  EXPECT_FALSE(transport_error(CURLE_RECV_ERROR, "x").is_auth());
}

TEST(S3ErrorClass, Retryable) {
  for (long status : {429L, 500L, 502L, 503L, 504L}) {
    EXPECT_TRUE(http_error(status, "").is_retryable()) << status;
  }
  for (const char* code : {"SlowDown", "RequestTimeout", "InternalError", "RequestTimeTooSkewed"}) {
    EXPECT_TRUE(http_error(400, code).is_retryable()) << code;
  }
  for (int c : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING,
                CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE}) {
    EXPECT_TRUE(transport_error(c, "x").is_retryable()) << c;
    EXPECT_TRUE(transport_error(c, "x").is_transport());
  }
  EXPECT_FALSE(transport_error(CURLE_ABORTED_BY_CALLBACK, "interrupted").is_retryable());
  EXPECT_FALSE(transport_error(CURLE_ABORTED_BY_CALLBACK, "read error on /x: EIO").is_retryable());
  EXPECT_FALSE(transport_error(CURLE_PEER_FAILED_VERIFICATION, "x").is_retryable());
  EXPECT_FALSE(http_error(403, "AccessDenied").is_retryable());
  EXPECT_FALSE(http_error(404, "NoSuchKey").is_retryable());
  EXPECT_TRUE(http_error(400, "BadDigest").is_retryable());  // damaged on the way
  EXPECT_FALSE(http_error(400, "InvalidDigest").is_retryable());
  EXPECT_FALSE(http_error(403, "SignatureDoesNotMatch").is_retryable());
}

// ---- describe() ----------------------------------------------------------------------------

TEST(S3ErrorDescribe, Auth) {
  EXPECT_EQ(http_error(403, "AccessDenied", "Access Denied").describe(),
            "access denied by the server (403 AccessDenied): check the credentials and the "
            "bucket policy");
  EXPECT_EQ(http_error(403, "Forbidden").describe(),
            "access denied by the server (403 Forbidden): check the credentials and the bucket "
            "policy");
  EXPECT_EQ(http_error(403, "SignatureDoesNotMatch").describe(),
            "the request signature was rejected (403 SignatureDoesNotMatch): the secret access "
            "key is probably wrong");
  EXPECT_EQ(http_error(403, "InvalidAccessKeyId").describe(),
            "the access key id is not known to the server (403 InvalidAccessKeyId): check the "
            "access key id and the endpoint");
  EXPECT_EQ(http_error(400, "ExpiredToken").describe(),
            "the session token has expired (400 ExpiredToken): refresh your credentials");
  EXPECT_EQ(http_error(400, "TokenRefreshRequired").describe(),
            "the session token has expired (400 TokenRefreshRequired): refresh your credentials");
  EXPECT_NE(http_error(400, "InvalidToken").describe().find("session token is not valid"),
            std::string::npos);
  EXPECT_NE(http_error(403, "RequestTimeTooSkewed").describe().find("clock"), std::string::npos);
}

TEST(S3ErrorDescribe, Region) {
  S3Error e = http_error(301, "PermanentRedirect");
  e.region_hint = "eu-west-1";
  EXPECT_EQ(e.describe(),
            "the bucket is in region eu-west-1, not us-east-1 (301 PermanentRedirect): set "
            "AWS_REGION=eu-west-1");
  S3Error head = http_error(400, "BadRequest");  // HEAD to the wrong regional endpoint
  head.region_hint = "ap-south-1";
  EXPECT_EQ(head.describe(),
            "the bucket is in region ap-south-1, not us-east-1 (400 BadRequest): set "
            "AWS_REGION=ap-south-1");
  S3Error no_hint = http_error(301, "PermanentRedirect");
  EXPECT_EQ(no_hint.describe(),
            "the bucket is in another region or needs another endpoint (301 PermanentRedirect): "
            "set AWS_REGION to the bucket's region");
  // The same region is not a region problem.
  S3Error same = http_error(400, "InvalidArgument", "Invalid argument.");
  same.region_hint = "us-east-1";
  EXPECT_EQ(same.describe(),
            "the server rejected the request (400 InvalidArgument): Invalid argument");
}

TEST(S3ErrorDescribe, Transport) {
  EXPECT_EQ(transport_error(CURLE_COULDNT_CONNECT,
                            "Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect "
                            "to server (Connection refused)")
                .describe(),
            "could not connect to http://127.0.0.1:9 (connection refused): is the endpoint right "
            "and the server running?");
  EXPECT_EQ(transport_error(CURLE_OPERATION_TIMEDOUT,
                            "Operation too slow. Less than 1 bytes/sec transferred the last 60 "
                            "seconds")
                .describe(),
            "timed out talking to http://127.0.0.1:9 (no data moved for too long): check the "
            "network or raise the stall timeout");
  EXPECT_EQ(
      transport_error(CURLE_OPERATION_TIMEDOUT, "Connection timed out after 10001 milliseconds")
          .describe(),
      "timed out connecting to http://127.0.0.1:9: is the endpoint right and reachable?");
  EXPECT_EQ(transport_error(CURLE_COULDNT_RESOLVE_HOST, "Could not resolve host: x").describe(),
            "could not resolve the host name of http://127.0.0.1:9: check the endpoint URL and "
            "the network");
  EXPECT_EQ(transport_error(CURLE_ABORTED_BY_CALLBACK, "interrupted").describe(),
            "the transfer was interrupted");
  EXPECT_EQ(
      transport_error(CURLE_ABORTED_BY_CALLBACK, "read error on /data/f.bin: Input/output error")
          .describe(),
      "read error on /data/f.bin: Input/output error");
  EXPECT_EQ(transport_error(CURLE_GOT_NOTHING, "Empty reply from server").describe(),
            "http://127.0.0.1:9 closed the connection without answering: try again");
  EXPECT_EQ(transport_error(CURLE_RECV_ERROR, "Recv failure: Connection reset by peer").describe(),
            "the connection to http://127.0.0.1:9 broke (Recv failure: Connection reset by "
            "peer): try again");
}

TEST(S3ErrorDescribe, ServerSide) {
  EXPECT_EQ(http_error(503, "SlowDown").describe(),
            "the server asked to slow down (503 SlowDown): try again later or lower the "
            "concurrency");
  EXPECT_EQ(http_error(500, "InternalError").describe(),
            "the server failed with an internal error (500 InternalError): try again later");
  EXPECT_EQ(http_error(200, "InternalError").describe(),
            "the server failed with an internal error (200 InternalError): try again later");
  EXPECT_EQ(http_error(404, "NoSuchBucket").describe(),
            "the bucket does not exist (404 NoSuchBucket): check the bucket name and the endpoint");
  EXPECT_EQ(http_error(404, "NoSuchKey").describe(), "the object does not exist (404 NoSuchKey)");
  EXPECT_EQ(http_error(404, "NotFound").describe(),
            "the object or bucket was not found (404 NotFound)");
  EXPECT_EQ(http_error(400, "BadDigest").describe(),
            "the data the server received does not match its checksum (400 BadDigest): the bytes "
            "were damaged on the way or the file changed during the upload");
  EXPECT_EQ(http_error(418, "").describe(), "the server rejected the request (HTTP 418)");
}

TEST(S3ErrorDescribe, MentionsAttempts) {
  S3Error e = http_error(503, "SlowDown");
  EXPECT_EQ(e.describe().find("attempts"), std::string::npos);
  e.attempts = 6;
  EXPECT_EQ(e.describe(),
            "the server asked to slow down (503 SlowDown): try again later or lower the "
            "concurrency (after 6 attempts)");
  S3Error t = transport_error(CURLE_RECV_ERROR, "Connection reset by peer");
  t.attempts = 2;
  EXPECT_NE(t.describe().find("(after 2 attempts)"), std::string::npos);
}

TEST(S3ErrorDescribe, Multipart) {
  EXPECT_NE(http_error(400, "EntityTooSmall").describe().find("minimum part size"),
            std::string::npos);
  EXPECT_NE(http_error(404, "NoSuchUpload").describe().find("multipart upload does not exist"),
            std::string::npos);
  EXPECT_NE(http_error(400, "InvalidPart").describe().find("parts"), std::string::npos);
  EXPECT_FALSE(http_error(404, "NoSuchUpload").is_retryable());
  EXPECT_FALSE(http_error(400, "EntityTooSmall").is_retryable());
}

TEST(S3ErrorDescribe, OneLineAndShort) {
  const std::string long_message = std::string(1000, 'x') + "\nsecond line";
  const std::string d = http_error(400, "Weird", long_message).describe();
  EXPECT_EQ(d.find('\n'), std::string::npos);
  EXPECT_LT(d.size(), 300u);
}

// ---- endpoints and URLs --------------------------------------------------------------------

ClientConfig config(Endpoint ep, std::string region = "us-east-1") {
  return s3up::testing::example_config(std::move(ep), std::move(region));
}

TEST(S3Endpoint, Aws) {
  Endpoint e = make_endpoint("", "eu-west-1", false);
  EXPECT_EQ(e.scheme, "https");
  EXPECT_EQ(e.host, "s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(e.path_style);
  EXPECT_EQ(make_endpoint("", "us-east-1", false).host, "s3.us-east-1.amazonaws.com");
  EXPECT_TRUE(make_endpoint("", "us-east-1", true).path_style);
}

TEST(S3Endpoint, Custom) {
  Endpoint e = make_endpoint("http://127.0.0.1:9000", "us-east-1", true);
  EXPECT_EQ(e.scheme, "http");
  EXPECT_EQ(e.host, "127.0.0.1:9000");
  EXPECT_TRUE(e.path_style);
  EXPECT_EQ(make_endpoint("https://Minio.Example.com/", "x", false).host, "minio.example.com");
  EXPECT_EQ(make_endpoint("https://s3.example.com:443", "x", false).host, "s3.example.com");
  EXPECT_EQ(make_endpoint("http://s3.example.com:80/path", "x", false).host, "s3.example.com");
  EXPECT_EQ(make_endpoint("http://[::1]:9000", "x", true).host, "[::1]:9000");
}

TEST(S3Url, PathStyleAndVirtualHosted) {
  http::EventLoop loop;
  Client path(loop, config(make_endpoint("http://127.0.0.1:9000", "us-east-1", true)));
  EXPECT_EQ(path.object_url("dir/file.txt"), "http://127.0.0.1:9000/bucket/dir/file.txt");
  Client virt(loop, config(make_endpoint("", "eu-west-1", false), "eu-west-1"));
  EXPECT_EQ(virt.object_url("dir/file.txt"),
            "https://bucket.s3.eu-west-1.amazonaws.com/dir/file.txt");
  // Dotted bucket names over https would break the wildcard certificate: path style.
  ClientConfig dotted = config(make_endpoint("", "eu-west-1", false), "eu-west-1");
  dotted.bucket = "my.bucket";
  EXPECT_EQ(Client(loop, dotted).object_url("k"), "https://s3.eu-west-1.amazonaws.com/my.bucket/k");
}

TEST(S3Url, OddKeysAreEncoded) {
  http::EventLoop loop;
  Client c(loop, config(make_endpoint("http://localhost:9000", "us-east-1", true)));
  EXPECT_EQ(c.object_url("a b+c&d=e"), "http://localhost:9000/bucket/a%20b%2Bc%26d%3De");
  EXPECT_EQ(c.object_url("dir/\xC3\xA9t\xC3\xA9/\xE6\x97\xA5.txt"),
            "http://localhost:9000/bucket/dir/%C3%A9t%C3%A9/%E6%97%A5.txt");
  EXPECT_EQ(c.object_url("a/../b/./c//d"), "http://localhost:9000/bucket/a/../b/./c//d");
  EXPECT_EQ(c.object_url("q?x#y%z~"), "http://localhost:9000/bucket/q%3Fx%23y%25z~");
}

// ---- presigning ----------------------------------------------------------------------------

TEST(S3Presign, MatchesAwsExample) {
  // The example of the AWS "Authenticating Requests: Using Query Parameters" documentation.
  http::EventLoop loop;
  ClientConfig cfg = config(Endpoint{"https", "s3.amazonaws.com", false});
  cfg.bucket = "examplebucket";
  Client c(loop, cfg);
  EXPECT_EQ(c.presign_get("test.txt", std::chrono::hours(24)),
            "https://examplebucket.s3.amazonaws.com/test.txt"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(S3Presign, ShapeWithPathStyleOddKeyAndToken) {
  http::EventLoop loop;
  ClientConfig cfg = config(make_endpoint("http://127.0.0.1:9000", "eu-west-1", true), "eu-west-1");
  cfg.credentials.session_token = kToken;
  Client c(loop, cfg);
  const std::string url = c.presign_get("a b/c+d.txt", std::chrono::seconds(3600));
  EXPECT_EQ(url.rfind("http://127.0.0.1:9000/bucket/a%20b/c%2Bd.txt?", 0), 0u) << url;
  EXPECT_NE(url.find("X-Amz-Expires=3600"), std::string::npos);
  EXPECT_NE(url.find("X-Amz-SignedHeaders=host&"), std::string::npos);
  EXPECT_NE(url.find("%2Feu-west-1%2Fs3%2Faws4_request"), std::string::npos);
  EXPECT_NE(url.find("X-Amz-Security-Token="), std::string::npos);  // the token must travel
  EXPECT_NE(url.find("X-Amz-Signature="), std::string::npos);
  EXPECT_EQ(url.find(kSecret), std::string::npos);
  EXPECT_EQ(url.find("wJalrXUtnFEMI"), std::string::npos);
  // Expiry is clamped to what SigV4 allows.
  EXPECT_NE(c.presign_get("k", std::chrono::hours(24 * 30)).find("X-Amz-Expires=604800"),
            std::string::npos);
  EXPECT_NE(c.presign_get("k", std::chrono::seconds(0)).find("X-Amz-Expires=1&"),
            std::string::npos);
}

// ---- the client against a loopback server -------------------------------------------------

class ClientTest : public ::testing::Test {
 protected:
  void start(LoopbackServer::Handler h, std::string region = "us-east-1") {
    server_ = std::make_unique<LoopbackServer>(std::move(h));
    client_ = std::make_unique<Client>(
        loop_, config(make_endpoint(server_->base_url(), region, true), region));
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  ServerRequest only_request() const {
    auto reqs = server_->requests();
    EXPECT_EQ(reqs.size(), 1u);
    return reqs.empty() ? ServerRequest{} : reqs[0];
  }

  http::EventLoop loop_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<Client> client_;
};

std::string signed_headers(const ServerRequest& r) {
  const std::string auth = r.header("authorization");
  const size_t b = auth.find("SignedHeaders=");
  if (b == std::string::npos) return {};
  const size_t e = auth.find(',', b);
  return auth.substr(b + 14, e - b - 14);
}

TEST_F(ClientTest, HeadObjectParsesInfoAndSigns) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.headers = {{"Content-Length", "1234"},
                 {"ETag", "\"9bb58f26192e4ba00f01e2e7b136bbd8\""},
                 {"Last-Modified", "Wed, 12 Oct 2009 17:50:00 GMT"},
                 {"Content-Type", "text/plain"},
                 {"x-amz-meta-Color", "blue"},
                 {"x-amz-meta-mtime", "1700000000"}};
    return r;
  });
  auto info = head_object_sync(*client_, "dir/a b+c&d=e\xC3\xA9");
  ASSERT_TRUE(info.ok()) << info.error().describe();
  EXPECT_EQ(info->size, 1234u);
  EXPECT_EQ(info->etag, "9bb58f26192e4ba00f01e2e7b136bbd8");
  EXPECT_EQ(info->last_modified, "Wed, 12 Oct 2009 17:50:00 GMT");
  EXPECT_EQ(info->content_type, "text/plain");
  EXPECT_EQ(info->metadata,
            (std::map<std::string, std::string>{{"color", "blue"}, {"mtime", "1700000000"}}));
  const ServerRequest req = only_request();
  EXPECT_EQ(req.method, "HEAD");
  EXPECT_EQ(req.target, "/bucket/dir/a%20b%2Bc%26d%3De%C3%A9");
  EXPECT_EQ(req.header("host"), host());
  EXPECT_EQ(req.header("x-amz-content-sha256"), integrity::kEmptySha256Hex);
  EXPECT_EQ(req.header("x-amz-date"), "20130524T000000Z");
  // Asks for the object's stored checksums (full-object CRC) for the comparison.
  EXPECT_EQ(req.header("x-amz-checksum-mode"), "ENABLED");
  EXPECT_EQ(signed_headers(req), "host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(req.header("authorization")
                .rfind("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                       "aws4_request, SignedHeaders=",
                       0),
            0u);
}

TEST_F(ClientTest, HeadNotFoundHasNoBody) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.status = 404;
    return r;
  });
  auto info = head_object_sync(*client_, "missing");
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(info.error().is_not_found());
  EXPECT_EQ(info.error().code, "NotFound");
  EXPECT_EQ(info.error().http_status, 404);
  EXPECT_FALSE(info.error().is_retryable());
}

TEST_F(ClientTest, HeadWrongRegionGivesHint) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.status = 301;
    r.headers = {{"x-amz-bucket-region", "eu-west-1"}, {"x-amz-request-id", "RID"}};
    return r;
  });
  auto info = head_object_sync(*client_, "k");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().region_hint, "eu-west-1");
  EXPECT_EQ(info.error().request_id, "RID");
  EXPECT_EQ(info.error().describe(),
            "the bucket is in region eu-west-1, not us-east-1 (301 PermanentRedirect): set "
            "AWS_REGION=eu-west-1");
}

TEST_F(ClientTest, PutFileStreamsUnsignedPayloadWithMd5) {
  const std::string content(300000, 'z');
  const auto path =
      std::filesystem::temp_directory_path() / ("s3up_client_test_" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << content;
  start([](const ServerRequest&) {
    ServerReply r;
    r.headers = {{"ETag", "\"etag-1\""}};
    return r;
  });
  PutOptions opts;
  opts.content_md5 = "q83vEjRWeJCrze8SNFZ4kA==";
  opts.metadata = {{"Color", "blue"}};
  uint64_t progressed = 0;
  std::optional<S3Result<PutResult>> result;
  client_->put_object_file(
      "up/file name.bin", path.string(), content.size(), opts, [&](uint64_t d) { progressed += d; },
      [&](S3Result<PutResult> r) { result.emplace(r); });
  loop_.run();
  std::filesystem::remove(path);
  ASSERT_TRUE(result && result->ok()) << result->error().describe();
  EXPECT_EQ((*result)->etag, "etag-1");
  EXPECT_EQ(progressed, content.size());
  const ServerRequest req = only_request();
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.target, "/bucket/up/file%20name.bin");
  EXPECT_TRUE(req.body == content);
  EXPECT_EQ(req.header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_EQ(req.header("content-md5"), "q83vEjRWeJCrze8SNFZ4kA==");
  EXPECT_EQ(req.header("content-type"), "application/octet-stream");
  EXPECT_EQ(req.header("x-amz-meta-color"), "blue");
  EXPECT_EQ(req.header("content-length"), std::to_string(content.size()));
  EXPECT_EQ(signed_headers(req),
            "content-md5;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-color");
}

TEST_F(ClientTest, PutDataSignsPayloadHashAndSessionToken) {
  start([](const ServerRequest&) { return ServerReply{}; });
  ClientConfig cfg = client_->config();
  cfg.credentials.session_token = kToken;
  Client c(loop_, cfg);
  PutOptions opts;
  opts.content_type = "text/plain";
  auto r = put_object_data_sync(c, "k", "hello", opts);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const ServerRequest req = only_request();
  EXPECT_EQ(req.header("content-type"), "text/plain");
  EXPECT_EQ(req.header("x-amz-content-sha256"), integrity::sha256_hex("hello"));
  EXPECT_EQ(req.header("x-amz-security-token"), kToken);
  EXPECT_EQ(req.body, "hello");
  EXPECT_EQ(signed_headers(req),
            "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
}

TEST_F(ClientTest, ErrorBodyIsParsedAndSecretsNeverLeak) {
  // A server (or proxy) that echoes the request's secrets back in its error message.
  start([](const ServerRequest& req) {
    ServerReply r;
    r.status = 403;
    r.body =
        "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>bad "
        "signature; you sent " +
        req.header("authorization") + " token " + req.header("x-amz-security-token") + " secret " +
        kSecret +
        "</Message><SignatureProvided>x</SignatureProvided><RequestId>R1</RequestId>"
        "</Error>";
    return r;
  });
  ClientConfig cfg = client_->config();
  cfg.credentials.session_token = kToken;
  Client c(loop_, cfg);
  auto r = get_object_sync(c, "k");
  ASSERT_FALSE(r.ok());
  const S3Error& e = r.error();
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.request_id, "R1");
  EXPECT_TRUE(e.is_auth());
  const std::string auth = only_request().header("authorization");
  const std::string signature = auth.substr(auth.find("Signature=") + 10);
  ASSERT_EQ(signature.size(), 64u);
  for (const std::string& text : {e.describe(), e.message, e.code, e.request_id}) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
    EXPECT_EQ(text.find(signature), std::string::npos) << text;
  }
  EXPECT_EQ(e.describe(),
            "the request signature was rejected (403 SignatureDoesNotMatch): the secret access "
            "key is probably wrong");
  // The unknown-code fallback includes the (redacted) message: still nothing secret.
  S3Error other = e;
  other.code = "Weird";
  EXPECT_EQ(other.describe().find(kSecret), std::string::npos);
  EXPECT_EQ(other.describe().find(signature), std::string::npos);
}

TEST_F(ClientTest, ListSendsV2QueryAndDecodesKeys) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.body =
        "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
        "<Contents><Key>p/a+b%2Bc</Key><Size>3</Size><ETag>\"e1\"</ETag></Contents>"
        "<CommonPrefixes><Prefix>p/d%20ir/</Prefix></CommonPrefixes></ListBucketResult>";
    return r;
  });
  std::optional<S3Result<ListPage>> page;
  client_->list_objects_v2(
      "p/ x+", "tok/=", [&](S3Result<ListPage> r) { page.emplace(r); }, "/", 10);
  loop_.run();
  ASSERT_TRUE(page && page->ok()) << page->error().describe();
  ASSERT_EQ((*page)->objects.size(), 1u);
  EXPECT_EQ((*page)->objects[0].key, "p/a b+c");
  EXPECT_EQ((*page)->objects[0].etag, "e1");
  EXPECT_EQ((*page)->common_prefixes, std::vector<std::string>{"p/d ir/"});
  const ServerRequest req = only_request();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target,
            "/bucket?list-type=2&continuation-token=tok%2F%3D&delimiter=%2F&encoding-type=url"
            "&max-keys=10&prefix=p%2F%20x%2B");
}

TEST_F(ClientTest, ListAllFollowsContinuationTokens) {
  start([](const ServerRequest& req) {
    ServerReply r;
    if (req.target.find("continuation-token=page2") == std::string::npos) {
      r.body =
          "<ListBucketResult><IsTruncated>true</IsTruncated>"
          "<NextContinuationToken>page2</NextContinuationToken>"
          "<Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>";
    } else {
      r.body =
          "<ListBucketResult><IsTruncated>false</IsTruncated>"
          "<Contents><Key>b</Key><Size>2</Size></Contents></ListBucketResult>";
    }
    return r;
  });
  auto all = list_all_sync(*client_, "");
  ASSERT_TRUE(all.ok()) << all.error().describe();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key, "a");
  EXPECT_EQ((*all)[1].key, "b");
  EXPECT_EQ(server_->requests_seen(), 2);
}

TEST_F(ClientTest, ErrorDocumentIn200IsAFailure) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
        "<Message>We encountered an internal error.</Message></Error>";
    return r;
  });
  auto all = list_all_sync(*client_, "");
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().http_status, 200);
  EXPECT_EQ(all.error().code, "InternalError");
  EXPECT_TRUE(all.error().is_retryable());
  // Object data that merely looks like an error document is data.
  auto got = get_object_sync(*client_, "k");
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->find("<Error>"), std::string::npos);
}

TEST_F(ClientTest, CreateBucketSendsLocationAndAcceptsOwned) {
  start(
      [](const ServerRequest&) {
        ServerReply r;
        r.status = 409;
        r.body = "<Error><Code>BucketAlreadyOwnedByYou</Code><Message>yours</Message></Error>";
        return r;
      },
      "eu-west-1");
  auto r = create_bucket_sync(*client_);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const ServerRequest req = only_request();
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.target, "/bucket");
  EXPECT_NE(req.body.find("<LocationConstraint>eu-west-1</LocationConstraint>"), std::string::npos);
  EXPECT_EQ(req.header("x-amz-content-sha256"), integrity::sha256_hex(req.body));
}

TEST_F(ClientTest, CreateBucketUsEast1HasEmptyBody) {
  start([](const ServerRequest&) { return ServerReply{}; });
  ASSERT_TRUE(create_bucket_sync(*client_).ok());
  const ServerRequest req = only_request();
  EXPECT_EQ(req.body, "");
  EXPECT_EQ(req.header("content-length"), "0");
  EXPECT_EQ(req.header("x-amz-content-sha256"), integrity::kEmptySha256Hex);
}

TEST_F(ClientTest, DeleteAndHeadBucket) {
  start([](const ServerRequest& req) {
    ServerReply r;
    r.status = req.method == "DELETE" ? 204 : 200;
    return r;
  });
  ASSERT_TRUE(delete_object_sync(*client_, "x y").ok());
  std::optional<S3Result<bool>> hb;
  client_->head_bucket([&](S3Result<bool> r) { hb.emplace(r); });
  loop_.run();
  ASSERT_TRUE(hb && hb->ok());
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "DELETE");
  EXPECT_EQ(reqs[0].target, "/bucket/x%20y");
  EXPECT_EQ(reqs[1].method, "HEAD");
  EXPECT_EQ(reqs[1].target, "/bucket");
}

// HEAD answers 403 without a body: one signed GET of the first byte learns the real reason.
TEST_F(ClientTest, HeadForbiddenIsDiagnosedWithRangedGet) {
  start([](const ServerRequest& req) {
    ServerReply r;
    r.status = 403;
    if (req.method == "GET") {
      r.body =
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>"
          "<Message>The request signature we calculated does not match the signature you "
          "provided.</Message><RequestId>RID-GET</RequestId></Error>";
    }
    return r;
  });
  auto info = head_object_sync(*client_, "dir/a b");
  ASSERT_FALSE(info.ok());
  const S3Error& e = info.error();
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.request_id, "RID-GET");
  EXPECT_EQ(e.attempts, 1);
  EXPECT_NE(e.describe().find("secret access key"), std::string::npos) << e.describe();
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "HEAD");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].target, "/bucket/dir/a%20b");
  EXPECT_EQ(reqs[1].header("range"), "bytes=0-0");
  EXPECT_EQ(signed_headers(reqs[1]), "host;range;x-amz-content-sha256;x-amz-date");
}

TEST_F(ClientTest, HeadBucketForbiddenIsDiagnosedWithListing) {
  start([](const ServerRequest& req) {
    ServerReply r;
    r.status = 403;
    if (req.method == "GET") {
      r.body =
          "<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided "
          "does not exist in our records.</Message></Error>";
    }
    return r;
  });
  std::optional<S3Result<bool>> hb;
  client_->head_bucket([&](S3Result<bool> r) { hb.emplace(r); });
  loop_.run();
  ASSERT_TRUE(hb && !hb->ok());
  EXPECT_EQ(hb->error().code, "InvalidAccessKeyId");
  EXPECT_NE(hb->error().describe().find("access key id"), std::string::npos);
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].target, "/bucket?list-type=2&max-keys=1");
}

TEST_F(ClientTest, HeadForbiddenStaysForbiddenWhenTheGetWorksOrIsPlain) {
  int n = 0;
  start([&n](const ServerRequest& req) {
    ServerReply r;
    if (req.method == "HEAD") r.status = 403;
    if (req.method == "GET" && ++n == 1) r.body = "x";  // first: the GET succeeds
    if (req.method == "GET" && n == 2) r.status = 403;  // second: no body either
    return r;
  });
  for (int i = 0; i < 2; ++i) {
    auto info = head_object_sync(*client_, "k");
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().code, "Forbidden");
    EXPECT_EQ(info.error().http_status, 403);
    EXPECT_TRUE(info.error().is_auth());
  }
  EXPECT_EQ(server_->requests_seen(), 4);
}

TEST_F(ClientTest, HeadNotFoundIsNotDiagnosed) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.status = 404;
    return r;
  });
  EXPECT_FALSE(head_object_sync(*client_, "k").ok());
  EXPECT_EQ(server_->requests_seen(), 1);
}

TEST(ClientTransport, ConnectionRefusedIsDescribed) {
  const int port = LoopbackServer::unused_port();
  http::EventLoop loop;
  Client c(loop,
           config(make_endpoint("http://127.0.0.1:" + std::to_string(port), "us-east-1", true)));
  auto r = head_object_sync(c, "k");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_transport());
  EXPECT_TRUE(r.error().is_retryable());
  // Retried max_connect_retries times: a wrong endpoint never heals, so not more.
  EXPECT_EQ(r.error().attempts, 3);
  EXPECT_EQ(r.error().describe(), "could not connect to http://127.0.0.1:" + std::to_string(port) +
                                      " (connection refused): is the endpoint right and the "
                                      "server running? (after 3 attempts)");
}

}  // namespace
}  // namespace s3up::s3
