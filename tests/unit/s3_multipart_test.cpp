// Multipart operations of s3::Client against a loopback server: the requests they send and
// how they read the answers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "integrity/hash.hpp"
#include "loopback_server.hpp"
#include "s3/client.hpp"
#include "s3_test_config.hpp"

namespace s3up::s3 {
namespace {

using s3up::testing::LoopbackServer;
using s3up::testing::ServerReply;
using s3up::testing::ServerRequest;
using namespace std::chrono_literals;

class MultipartTest : public ::testing::Test {
 protected:
  void start(LoopbackServer::Handler h) {
    server_ = std::make_unique<LoopbackServer>(std::move(h));
    client_ = std::make_unique<Client>(loop_, s3up::testing::example_config(make_endpoint(
                                                  server_->base_url(), "us-east-1", true)));
  }
  ServerRequest only_request() const {
    auto reqs = server_->requests();
    EXPECT_EQ(reqs.size(), 1u);
    return reqs.empty() ? ServerRequest{} : reqs[0];
  }
  void TearDown() override {
    if (!path_.empty()) std::filesystem::remove(path_);
  }

  http::EventLoop loop_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<Client> client_;
  std::filesystem::path path_;
};

ServerReply xml_reply(std::string body) {
  ServerReply r;
  r.headers = {{"Content-Type", "application/xml"}};
  r.body = std::move(body);
  return r;
}

TEST_F(MultipartTest, CreateSendsHeadersAndParsesUploadId) {
  start([](const ServerRequest&) {
    return xml_reply(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>bucket</Bucket>"
        "<Key>dir/a b+c</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
        "</UploadId></InitiateMultipartUploadResult>");
  });
  PutOptions opts;
  opts.content_type = "video/mp2t";
  opts.content_md5 = "q83vEjRWeJCrze8SNFZ4kA==";  // describes a body: not sent here
  opts.metadata = {{"Mtime", "1700000000"}};
  auto id = create_multipart_upload_sync(*client_, "dir/a b+c", opts);
  ASSERT_TRUE(id.ok()) << id.error().describe();
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  const ServerRequest req = only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/bucket/dir/a%20b%2Bc?uploads=");
  EXPECT_EQ(req.header("content-type"), "video/mp2t");
  EXPECT_EQ(req.header("x-amz-meta-mtime"), "1700000000");
  EXPECT_EQ(req.header("content-md5"), "");
  EXPECT_EQ(req.header("content-length"), "0");
  EXPECT_EQ(req.header("x-amz-content-sha256"), integrity::kEmptySha256Hex);
}

TEST_F(MultipartTest, CreateWithoutUploadIdIsMalformed) {
  start([](const ServerRequest&) {
    return xml_reply("<InitiateMultipartUploadResult></InitiateMultipartUploadResult>");
  });
  auto id = create_multipart_upload_sync(*client_, "k");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "MalformedResponse");
}

TEST_F(MultipartTest, UploadPartStreamsTheRangeWithMd5) {
  std::string content(1 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i % 251);
  path_ = std::filesystem::temp_directory_path() / ("s3up_mpu_test_" + std::to_string(::getpid()));
  std::ofstream(path_, std::ios::binary) << content;
  start([](const ServerRequest&) {
    ServerReply r;
    r.headers = {{"ETag", "\"b54357faf0632cce46e942fa68356b38\""}};
    return r;
  });
  uint64_t progressed = 0;
  std::optional<S3Result<PartResult>> result;
  client_->upload_part_file(
      "a/b c", "id+/=", 3, path_.string(), 1000, 300000,
      "1B2M2Y8AsgTpgAmY7PhCfg==", [&](uint64_t d) { progressed += d; },
      [&](S3Result<PartResult> r) { result.emplace(std::move(r)); });
  loop_.run();
  ASSERT_TRUE(result && result->ok()) << result->error().describe();
  EXPECT_EQ((*result)->etag, "b54357faf0632cce46e942fa68356b38");
  EXPECT_EQ(progressed, 300000u);
  const ServerRequest req = only_request();
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.target, "/bucket/a/b%20c?partNumber=3&uploadId=id%2B%2F%3D");
  EXPECT_TRUE(req.body == content.substr(1000, 300000));
  EXPECT_EQ(req.header("content-md5"), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(req.header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_EQ(req.header("content-length"), "300000");
}

TEST_F(MultipartTest, BadDigestIsSentAgainTwiceAtMost) {
  path_ = std::filesystem::temp_directory_path() / ("s3up_mpu_bd_" + std::to_string(::getpid()));
  std::ofstream(path_, std::ios::binary) << "hello";
  start([](const ServerRequest&) {
    ServerReply r;
    r.status = 400;
    r.body =
        "<Error><Code>BadDigest</Code><Message>The Content-MD5 you specified did not match "
        "what we received.</Message></Error>";
    return r;
  });
  auto r = upload_part_file_sync(*client_, "k", "id", 1, path_.string(), 0, 5,
                                 "AAAAAAAAAAAAAAAAAAAAAA==");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "BadDigest");
  EXPECT_EQ(server_->requests_seen(), 3);
}

TEST_F(MultipartTest, CompleteSendsSortedQuotedPartsAndParsesEtag) {
  start([](const ServerRequest&) {
    return xml_reply(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://b.s3.amazonaws.com/"
        "k</Location><Bucket>bucket</Bucket><Key>k</Key>"
        "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
        "</CompleteMultipartUploadResult>");
  });
  auto r = complete_multipart_upload_sync(*client_, "k k", "ID",
                                          {{2, "bbb", ""}, {1, "\"aaa\"", ""}, {3, "ccc", ""}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->etag, "3858f62230ac3c915f300c664312c11f-9");
  const ServerRequest req = only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/bucket/k%20k?uploadId=ID");
  EXPECT_EQ(req.body,
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;aaa&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;bbb&quot;</ETag></Part>"
            "<Part><PartNumber>3</PartNumber><ETag>&quot;ccc&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(req.header("x-amz-content-sha256"), integrity::sha256_hex(req.body));
  EXPECT_EQ(req.header("content-type"), "application/xml");
}

// S3 answers 200 at once and reports a failure in the body: a retryable code is retried.
TEST_F(MultipartTest, CompleteErrorIn200IsRetriedWhenRetryable) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest&) {
    if (++n == 1) {
      return xml_reply(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code>"
          "<Message>We encountered an internal error. Please try again.</Message>"
          "<RequestId>656c76696e6727732072657175657374</RequestId></Error>");
    }
    return xml_reply(
        "<CompleteMultipartUploadResult><ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>");
  });
  auto r = complete_multipart_upload_sync(*client_, "k", "ID", {{1, "a", ""}, {2, "b", ""}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->etag, "abc-2");
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body, reqs[1].body);
}

TEST_F(MultipartTest, CompleteErrorIn200IsAFailure) {
  start([](const ServerRequest&) {
    return xml_reply(
        "<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not "
        "be found.</Message></Error>");
  });
  auto r = complete_multipart_upload_sync(*client_, "k", "ID", {{1, "a", ""}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 200);
  EXPECT_EQ(r.error().code, "InvalidPart");
  EXPECT_EQ(server_->requests_seen(), 1);
}

TEST_F(MultipartTest, AbortTreatsNoSuchUploadAsDone) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest&) {
    ServerReply r;
    if (++n == 1) {
      r.status = 204;
    } else if (n == 2) {
      r.status = 404;
      r.body = "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>";
    } else {
      r.status = 403;
      r.body = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
    }
    return r;
  });
  EXPECT_TRUE(abort_multipart_upload_sync(*client_, "a b", "I/D").ok());
  EXPECT_TRUE(abort_multipart_upload_sync(*client_, "a b", "I/D").ok());
  auto denied = abort_multipart_upload_sync(*client_, "a b", "I/D");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDenied");
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "DELETE");
  EXPECT_EQ(reqs[0].target, "/bucket/a%20b?uploadId=I%2FD");
}

TEST_F(MultipartTest, ListUploadsFollowsMarkersAndDecodesKeys) {
  start([](const ServerRequest& req) {
    if (req.target.find("key-marker=") == std::string::npos) {
      return xml_reply(
          "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<Bucket>bucket</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
          "<NextKeyMarker>p/a+b%2Bc%C3%A9</NextKeyMarker><NextUploadIdMarker>U2</"
          "NextUploadIdMarker>"
          "<EncodingType>url</EncodingType><MaxUploads>2</MaxUploads>"
          "<IsTruncated>true</IsTruncated>"
          "<Upload><Key>p/a+b%2Bc%C3%A9</Key><UploadId>U1</UploadId>"
          "<Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>"
          "<Upload><Key>p/a+b%2Bc%C3%A9</Key><UploadId>U2</UploadId>"
          "<Initiated>2010-11-10T20:49:33.000Z</Initiated></Upload>"
          "</ListMultipartUploadsResult>");
    }
    return xml_reply(
        "<ListMultipartUploadsResult><EncodingType>url</EncodingType>"
        "<IsTruncated>false</IsTruncated>"
        "<Upload><Key>p/z</Key><UploadId>U3</UploadId><Initiated>x</Initiated></Upload>"
        "</ListMultipartUploadsResult>");
  });
  auto all = list_multipart_uploads_all_sync(*client_, "p/");
  ASSERT_TRUE(all.ok()) << all.error().describe();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].key, "p/a b+c\xC3\xA9");
  EXPECT_EQ((*all)[0].upload_id, "U1");
  EXPECT_EQ((*all)[0].initiated, "2010-11-10T20:48:33.000Z");
  EXPECT_EQ((*all)[2].key, "p/z");
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/bucket?uploads=&prefix=p%2F&encoding-type=url");
  EXPECT_EQ(reqs[1].target,
            "/bucket?uploads=&prefix=p%2F&key-marker=p%2Fa%20b%2Bc%C3%A9&upload-id-marker=U2"
            "&encoding-type=url");
}

TEST_F(MultipartTest, ListUploadsRepeatingMarkersIsAnError) {
  start([](const ServerRequest&) {
    return xml_reply(
        "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>k"
        "</NextKeyMarker><NextUploadIdMarker>u</NextUploadIdMarker></ListMultipartUploadsResult>");
  });
  auto all = list_multipart_uploads_all_sync(*client_, "");
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().code, "MalformedListing");
  EXPECT_EQ(server_->requests_seen(), 2);
}

TEST_F(MultipartTest, ListPartsFollowsPartNumberMarker) {
  start([](const ServerRequest& req) {
    if (req.target.find("part-number-marker=2") == std::string::npos) {
      return xml_reply(
          "<ListPartsResult><Bucket>bucket</Bucket><Key>k</Key><UploadId>ID</UploadId>"
          "<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker>"
          "<MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>"
          "<Part><PartNumber>1</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>"
          "<ETag>\"7778aef83f66abc1fa1e8477f296d394\"</ETag><Size>10485760</Size></Part>"
          "<Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:33.000Z</LastModified>"
          "<ETag>&quot;aaaa18db4cc2f85cedef654fccc4a4x8&quot;</ETag><Size>10485760</Size></Part>"
          "</ListPartsResult>");
    }
    return xml_reply(
        "<ListPartsResult><IsTruncated>false</IsTruncated><Part><PartNumber>3</PartNumber>"
        "<ETag>\"c3\"</ETag><Size>17</Size></Part></ListPartsResult>");
  });
  auto parts = list_parts_all_sync(*client_, "a b", "I+D");
  ASSERT_TRUE(parts.ok()) << parts.error().describe();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].number, 1);
  EXPECT_EQ((*parts)[0].size, 10485760u);
  EXPECT_EQ((*parts)[0].etag, "7778aef83f66abc1fa1e8477f296d394");
  EXPECT_EQ((*parts)[0].last_modified, "2010-11-10T20:48:34.000Z");
  EXPECT_EQ((*parts)[1].etag, "aaaa18db4cc2f85cedef654fccc4a4x8");
  EXPECT_EQ((*parts)[2].number, 3);
  EXPECT_EQ((*parts)[2].size, 17u);
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/bucket/a%20b?uploadId=I%2BD");
  EXPECT_EQ(reqs[1].target, "/bucket/a%20b?uploadId=I%2BD&part-number-marker=2");
}

}  // namespace
}  // namespace s3up::s3
