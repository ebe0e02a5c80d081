// s3::Client::delete_objects (DeleteObjects, used by --sync) against a loopback server: the
// requests it sends and how it reads the answers.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "integrity/hash.hpp"
#include "loopback_server.hpp"
#include "s3/client.hpp"
#include "s3/xml.hpp"
#include "s3_test_config.hpp"
#include "util/strings.hpp"

namespace s3up::s3 {
namespace {

using s3up::testing::LoopbackServer;
using s3up::testing::ServerReply;
using s3up::testing::ServerRequest;

class SyncDeleteObjects : public ::testing::Test {
 protected:
  void start(LoopbackServer::Handler h) {
    server_ = std::make_unique<LoopbackServer>(std::move(h));
    client_ = std::make_unique<Client>(loop_, s3up::testing::example_config(make_endpoint(
                                                  server_->base_url(), "us-east-1", true)));
  }

  http::EventLoop loop_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<Client> client_;
};

ServerReply xml_reply(std::string body) {
  ServerReply r;
  r.headers = {{"Content-Type", "application/xml"}};
  r.body = std::move(body);
  return r;
}

ServerReply quiet_ok(const ServerRequest&) {
  return xml_reply(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>");
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST_F(SyncDeleteObjects, PostsQuietDocumentWithContentMd5) {
  start(quiet_ok);
  const std::vector<std::string> keys = {"up/a b.mp4", "up/caf\xC3\xA9 & co.MP4", "up/x+y.mov"};
  auto r = delete_objects_sync(*client_, keys);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->deleted, keys);
  EXPECT_TRUE(r->failed.empty());
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  const ServerRequest& req = reqs[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/bucket?delete=");
  EXPECT_EQ(req.body, xml::delete_objects(keys));
  EXPECT_NE(req.body.find("<Quiet>true</Quiet>"), std::string::npos);
  EXPECT_NE(req.body.find("<Key>up/caf\xC3\xA9 &amp; co.MP4</Key>"), std::string::npos);
  EXPECT_EQ(req.header("content-md5"), base64_encode(integrity::md5_raw(req.body)));
  EXPECT_EQ(req.header("x-amz-content-sha256"), integrity::sha256_hex(req.body));
  EXPECT_EQ(req.header("content-type"), "application/xml");
  EXPECT_EQ(req.header("content-length"), std::to_string(req.body.size()));
  EXPECT_NE(req.header("authorization").find("content-md5"), std::string::npos)
      << "Content-MD5 is signed";
}

TEST_F(SyncDeleteObjects, BatchesOfAtMostAThousandKeys) {
  start(quiet_ok);
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) keys.push_back("p/" + std::to_string(i) + ".mp4");
  auto r = delete_objects_sync(*client_, keys);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted.size(), 2500u);
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(count(reqs[0].body, "<Object>"), 1000u);
  EXPECT_EQ(count(reqs[1].body, "<Object>"), 1000u);
  EXPECT_EQ(count(reqs[2].body, "<Object>"), 500u);
  EXPECT_NE(reqs[0].body.find("<Key>p/0.mp4</Key>"), std::string::npos);
  EXPECT_NE(reqs[1].body.find("<Key>p/1000.mp4</Key>"), std::string::npos);
  EXPECT_NE(reqs[2].body.find("<Key>p/2499.mp4</Key>"), std::string::npos);
}

TEST_F(SyncDeleteObjects, PerKeyErrorsAreFailuresNoSuchKeyIsDone) {
  start([](const ServerRequest&) {
    return xml_reply(
        "<DeleteResult><Error><Key>p/locked.mp4</Key><Code>AccessDenied</Code>"
        "<Message>Access Denied</Message></Error>"
        "<Error><Key>p/gone.mp4</Key><Code>NoSuchKey</Code><Message>x</Message></Error>"
        "</DeleteResult>");
  });
  auto r = delete_objects_sync(*client_, {"p/a.mp4", "p/locked.mp4", "p/gone.mp4"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted, (std::vector<std::string>{"p/a.mp4", "p/gone.mp4"}));
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].key, "p/locked.mp4");
  EXPECT_EQ(r->failed[0].error.code, "AccessDenied");
  EXPECT_NE(r->failed[0].error.describe().find("access denied"), std::string::npos);
}

TEST_F(SyncDeleteObjects, WholeBatchFailureFailsItsKeysAndTheNextBatchIsStillSent) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest& req) {
    if (++n == 1) {
      ServerReply r;
      r.status = 403;
      r.body = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
      return r;
    }
    return quiet_ok(req);
  });
  std::vector<std::string> keys;
  for (int i = 0; i < 1001; ++i) keys.push_back("k" + std::to_string(i));
  auto r = delete_objects_sync(*client_, keys);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed.size(), 1000u);
  EXPECT_EQ(r->failed[0].error.code, "AccessDenied");
  EXPECT_EQ(r->failed[0].error.http_status, 403);
  EXPECT_EQ(r->deleted, std::vector<std::string>{"k1000"});
  EXPECT_EQ(server_->requests_seen(), 2);
}

TEST_F(SyncDeleteObjects, ErrorDocumentIn200IsRetried) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest& req) {
    if (++n == 1) {
      return xml_reply("<Error><Code>InternalError</Code><Message>try again</Message></Error>");
    }
    return quiet_ok(req);
  });
  auto r = delete_objects_sync(*client_, {"a.mp4"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted, std::vector<std::string>{"a.mp4"});
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body, reqs[1].body);
}

TEST_F(SyncDeleteObjects, MalformedAnswerFailsTheBatch) {
  start([](const ServerRequest&) { return xml_reply("<html>proxy page</html>"); });
  auto r = delete_objects_sync(*client_, {"a.mp4"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->deleted.empty());
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].error.code, "MalformedResponse");
}

TEST_F(SyncDeleteObjects, NotImplementedFallsBackToOneDeleteEach) {
  start([](const ServerRequest& req) {
    ServerReply r;
    if (req.method == "POST") {
      r.status = 501;
      r.body = "<Error><Code>NotImplemented</Code><Message>no</Message></Error>";
    } else {
      r.status = 204;
    }
    return r;
  });
  auto r = delete_objects_sync(*client_, {"p/a b.mp4", "p/c.mp4"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted, (std::vector<std::string>{"p/a b.mp4", "p/c.mp4"}));
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[1].method, "DELETE");
  EXPECT_EQ(reqs[1].target, "/bucket/p/a%20b.mp4");
  EXPECT_EQ(reqs[2].target, "/bucket/p/c.mp4");
}

TEST_F(SyncDeleteObjects, KeysXmlCannotCarryGoOneByOne) {
  start([](const ServerRequest& req) {
    if (req.method == "POST") return quiet_ok(req);
    ServerReply r;
    r.status = 204;
    return r;
  });
  auto r = delete_objects_sync(*client_, {"p/bell\x07.mp4", "p/ok.mp4"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted.size(), 2u);
  EXPECT_TRUE(r->failed.empty());
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].body.find("bell"), std::string::npos);
  EXPECT_EQ(reqs[1].method, "DELETE");
  EXPECT_EQ(reqs[1].target, "/bucket/p/bell%07.mp4");
}

TEST_F(SyncDeleteObjects, NothingToDeleteSendsNothing) {
  start(quiet_ok);
  auto r = delete_objects_sync(*client_, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_EQ(server_->requests_seen(), 0);
}

}  // namespace
}  // namespace s3up::s3
