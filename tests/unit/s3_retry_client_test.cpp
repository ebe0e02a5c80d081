// s3::Client retries against a loopback server: backoff on throttling, no retry on refusals,
// dropped connections, clock-skew correction, progress that never counts a byte twice.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "loopback_server.hpp"
#include "s3/client.hpp"
#include "s3_test_config.hpp"

namespace s3up::s3 {
namespace {

using s3up::testing::LoopbackServer;
using s3up::testing::ServerReply;
using s3up::testing::ServerRequest;
using namespace std::chrono_literals;

class RetryClientTest : public ::testing::Test {
 protected:
  void start(LoopbackServer::Handler h) {
    server_ = std::make_unique<LoopbackServer>(std::move(h));
    ClientConfig c =
        s3up::testing::example_config(make_endpoint(server_->base_url(), "us-east-1", true));
    // Every signature reads the clock: one second later each time, so attempts are told apart.
    auto ticks = std::make_shared<int64_t>(0);
    c.clock = [ticks] {
      return std::chrono::system_clock::time_point(
          std::chrono::seconds(s3up::testing::kExampleEpoch + (*ticks)++));
    };
    client_ = std::make_unique<Client>(loop_, c);
  }

  std::string temp_file(const std::string& content) {
    path_ = std::filesystem::temp_directory_path() /
            ("s3up_retry_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::ofstream(path_, std::ios::binary) << content;
    return path_.string();
  }
  void TearDown() override {
    if (!path_.empty()) std::filesystem::remove(path_);
  }

  // put_object_file with a progress total; runs the loop.
  S3Result<PutResult> put_file(const std::string& content, uint64_t& progressed) {
    const std::string path = temp_file(content);
    std::optional<S3Result<PutResult>> result;
    client_->put_object_file(
        "k", path, content.size(), {}, [&](uint64_t d) { progressed += d; },
        [&](S3Result<PutResult> r) { result.emplace(std::move(r)); });
    loop_.run();
    EXPECT_TRUE(result.has_value());
    return result ? std::move(*result) : S3Result<PutResult>(unexpected(S3Error{}));
  }

  http::EventLoop loop_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<Client> client_;
  std::filesystem::path path_;
};

ServerReply slow_down() {
  ServerReply r;
  r.status = 503;
  r.body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please "
      "reduce your request rate.</Message><RequestId>R</RequestId></Error>";
  return r;
}

TEST_F(RetryClientTest, SlowDownTwiceThenSuccess) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest&) {
    if (++n <= 2) return slow_down();
    ServerReply r;
    r.headers = {{"ETag", "\"good\""}};
    return r;
  });
  const std::string content(700'000, 'q');
  uint64_t progressed = 0;
  auto r = put_file(content, progressed);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->etag, "good");
  EXPECT_EQ(progressed, content.size());  // three full bodies sent, counted once
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const auto& req : reqs) EXPECT_TRUE(req.body == content);
  // Each attempt is signed afresh.
  EXPECT_EQ(reqs[0].header("x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(reqs[1].header("x-amz-date"), "20130524T000001Z");
  EXPECT_EQ(reqs[2].header("x-amz-date"), "20130524T000002Z");
  EXPECT_NE(reqs[0].header("authorization"), reqs[1].header("authorization"));
}

TEST_F(RetryClientTest, GivesUpAfterMaxRetriesAndCountsAttempts) {
  start([](const ServerRequest&) { return slow_down(); });
  auto r = get_object_sync(*client_, "k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "SlowDown");
  EXPECT_EQ(r.error().attempts, 6);  // the default policy: 5 retries
  EXPECT_EQ(server_->requests_seen(), 6);
  EXPECT_NE(r.error().describe().find("(after 6 attempts)"), std::string::npos);
}

TEST_F(RetryClientTest, AccessDeniedIsNotRetried) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.status = 403;
    r.body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    return r;
  });
  auto r = put_object_data_sync(*client_, "k", "data");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "AccessDenied");
  EXPECT_EQ(r.error().attempts, 1);
  EXPECT_EQ(server_->requests_seen(), 1);
  EXPECT_EQ(r.error().describe().find("attempts"), std::string::npos);
}

TEST_F(RetryClientTest, StringBodyIsResentWhole) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest&) { return ++n == 1 ? slow_down() : ServerReply{}; });
  ASSERT_TRUE(put_object_data_sync(*client_, "k", "hello world").ok());
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body, "hello world");
  EXPECT_EQ(reqs[1].body, "hello world");
}

TEST_F(RetryClientTest, ConnectionDroppedMidBodyIsRetriedWithoutDoubleProgress) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.headers = {{"ETag", "\"after-drop\""}};
    return r;
  });
  server_->drop_body_after(3 * 1024 * 1024, 1);
  std::string content(12 * 1024 * 1024, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + i / 4096);
  uint64_t progressed = 0;
  auto r = put_file(content, progressed);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->etag, "after-drop");
  EXPECT_EQ(server_->dropped_requests(), 1);
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 1u);  // the dropped one never reached the handler
  EXPECT_TRUE(reqs[0].body == content);
  EXPECT_EQ(progressed, content.size());
}

TEST_F(RetryClientTest, PartProgressNeverCountsTwice) {
  // Part uploads too, with a range of the file: attempt 1 is dropped after 3 MiB.
  start([](const ServerRequest&) {
    ServerReply r;
    r.headers = {{"ETag", "\"p\""}};
    return r;
  });
  server_->drop_body_after(3 * 1024 * 1024, 1);
  const std::string content(10 * 1024 * 1024, 'p');
  const std::string path = temp_file(content);
  uint64_t progressed = 0, calls = 0;
  std::optional<S3Result<PartResult>> result;
  client_->upload_part_file(
      "k", "ID", 2, path, 1024, 8 * 1024 * 1024, "", [&](uint64_t d) { progressed += d, ++calls; },
      [&](S3Result<PartResult> r) { result.emplace(std::move(r)); });
  loop_.run();
  ASSERT_TRUE(result && result->ok()) << result->error().describe();
  EXPECT_EQ(server_->dropped_requests(), 1);
  EXPECT_EQ(progressed, 8u * 1024 * 1024);
  EXPECT_GT(calls, 0u);
}

// The server's clock is an hour ahead of ours: it refuses, we learn the offset from its Date
// header and sign again with the corrected time.
TEST_F(RetryClientTest, RequestTimeTooSkewedCorrectsTheClock) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest&) {
    ServerReply r;
    if (++n == 1) {
      r.status = 403;
      r.headers = {{"Date", "Fri, 24 May 2013 01:00:00 GMT"}};
      r.body =
          "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request "
          "time and the current time is too large.</Message><RequestTime>20130524T000000Z"
          "</RequestTime><ServerTime>2013-05-24T01:00:00Z</ServerTime></Error>";
    }
    return r;
  });
  auto r = put_object_data_sync(*client_, "k", "x");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("x-amz-date"), "20130524T000000Z");
  // Offset learnt at local 00:00:01 (the clock ticks per read): +3599 s; signed at 00:00:02.
  EXPECT_EQ(client_->clock_offset(), 3599s);
  EXPECT_EQ(reqs[1].header("x-amz-date"), "20130524T010001Z");
  // Presigned URLs use the corrected clock too.
  const std::string url = client_->presign_get("k", 60s);
  EXPECT_NE(url.find("X-Amz-Date=20130524T01"), std::string::npos) << url;
}

TEST_F(RetryClientTest, SkewedHeadWithoutBodyIsCorrectedFromDate) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest&) {
    ServerReply r;
    if (++n == 1) {
      r.status = 403;
      r.headers = {{"Date", "Thu, 23 May 2013 22:00:00 GMT"}};  // two hours behind
    }
    return r;
  });
  auto r = head_object_sync(*client_, "k");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(server_->requests_seen(), 2);
  EXPECT_LT(client_->clock_offset(), -7000s);
  EXPECT_EQ(server_->requests()[1].header("x-amz-date").substr(0, 11), "20130523T22");
}

TEST_F(RetryClientTest, SkewThatDoesNotGoAwayIsNotRetriedForever) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.status = 403;
    r.headers = {{"Date", "Fri, 24 May 2013 01:00:00 GMT"}};
    r.body = "<Error><Code>RequestTimeTooSkewed</Code><Message>skewed</Message></Error>";
    return r;
  });
  auto r = get_object_sync(*client_, "k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "RequestTimeTooSkewed");
  EXPECT_EQ(r.error().attempts, 2);
  EXPECT_EQ(server_->requests_seen(), 2);
}

TEST_F(RetryClientTest, ForbiddenWithSaneDateIsNotRetried) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.status = 403;
    r.headers = {{"Date", "Fri, 24 May 2013 00:01:00 GMT"}};  // a minute off: not skew
    r.body = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
    return r;
  });
  auto r = get_object_sync(*client_, "k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server_->requests_seen(), 1);
  EXPECT_EQ(client_->clock_offset(), 0s);
}

TEST_F(RetryClientTest, ErrorDocumentIn200IsRetriedWhenRetryable) {
  std::atomic<int> n{0};
  start([&n](const ServerRequest&) {
    ServerReply r;
    if (++n == 1) {
      r.body =
          "<Error><Code>InternalError</Code><Message>We encountered an internal error."
          "</Message></Error>";
    } else {
      r.body = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
    }
    return r;
  });
  auto all = list_all_sync(*client_, "");
  ASSERT_TRUE(all.ok()) << all.error().describe();
  EXPECT_EQ(server_->requests_seen(), 2);
}

TEST_F(RetryClientTest, InterruptStopsRetrying) {
  start([this](const ServerRequest&) {
    loop_.interrupt();
    return slow_down();
  });
  auto r = get_object_sync(*client_, "k");
  ASSERT_FALSE(r.ok());
  EXPECT_LE(server_->requests_seen(), 1);
}

}  // namespace
}  // namespace s3up::s3

namespace s3up::s3 {
namespace {

TEST_F(RetryClientTest, KmsEncryptedPutSaysItsEtagIsNoMd5) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.headers = {{"ETag", "\"0123456789abcdef0123456789abcdef\""},
                 {"x-amz-server-side-encryption", "aws:kms"}};
    return r;
  });
  uint64_t progressed = 0;
  auto res = put_file("data", progressed);
  ASSERT_TRUE(res.ok());
  EXPECT_FALSE(res->etag_is_md5);
}

TEST_F(RetryClientTest, PlainPutEtagIsAnMd5) {
  start([](const ServerRequest&) {
    ServerReply r;
    r.headers = {{"ETag", "\"0123456789abcdef0123456789abcdef\""}};
    return r;
  });
  uint64_t progressed = 0;
  auto res = put_file("data", progressed);
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->etag_is_md5);
}

}  // namespace
}  // namespace s3up::s3
