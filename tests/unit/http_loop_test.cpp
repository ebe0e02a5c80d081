// http::EventLoop against a loopback server: streaming, pool bounds, keep-alive, timeouts,
// interruption and timers.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "http/event_loop.hpp"
#include "loopback_server.hpp"

namespace s3up::http {
namespace {

using s3up::testing::LoopbackServer;
using s3up::testing::ServerReply;
using s3up::testing::ServerRequest;
using namespace std::chrono_literals;

ServerReply ok_reply(const ServerRequest&) {
  return ServerReply{};
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    path_ = std::filesystem::temp_directory_path() /
            ("s3up_http_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

std::string random_bytes(size_t n) {
  std::mt19937_64 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

Request get(const std::string& url) {
  Request r;
  r.method = "GET";
  r.url = url;
  return r;
}

TEST(EventLoop, StreamsFileBodyByteIdenticalWithProgress) {
  const std::string content = random_bytes(5 * 1024 * 1024 + 123);
  TempFile file(content);
  LoopbackServer server([](const ServerRequest& req) {
    ServerReply r;
    r.headers.emplace_back("ETag", "\"abc\"");
    r.body = std::to_string(req.body.size());
    return r;
  });

  EventLoop loop;
  Request req;
  req.method = "PUT";
  req.url = server.base_url() + "/bucket/key";
  req.headers.emplace_back("x-test", "1");
  req.body = file_body(file.path(), 0, content.size());
  uint64_t progressed = 0;
  int calls = 0;
  std::optional<Response> got;
  loop.submit(
      std::move(req), [&](Response&& r) { got = std::move(r); },
      [&](uint64_t delta) {
        progressed += delta;
        ++calls;
      });
  loop.run();

  ASSERT_TRUE(got);
  EXPECT_EQ(got->curl_code, 0) << got->transport_error;
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->header("etag"), "\"abc\"");
  EXPECT_EQ(got->body, std::to_string(content.size()));
  EXPECT_EQ(progressed, content.size());
  EXPECT_GT(calls, 1);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_TRUE(reqs[0].body == content);
  EXPECT_EQ(reqs[0].header("content-length"), std::to_string(content.size()));
  EXPECT_EQ(reqs[0].header("expect"), "");
  EXPECT_EQ(reqs[0].header("x-test"), "1");
}

TEST(EventLoop, FileRangeBody) {
  TempFile file("0123456789");
  LoopbackServer server(ok_reply);
  EventLoop loop;
  Request req;
  req.method = "PUT";
  req.url = server.base_url() + "/x";
  req.body = file_body(file.path(), 3, 4);
  int code = -1;
  loop.submit(std::move(req), [&](Response&& r) { code = r.curl_code; });
  loop.run();
  EXPECT_EQ(code, 0);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].body, "3456");
}

TEST(EventLoop, MissingFileFailsWithReadError) {
  LoopbackServer server(ok_reply);
  EventLoop loop;
  Request req;
  req.method = "PUT";
  req.url = server.base_url() + "/x";
  req.body = file_body("/nonexistent/s3up-missing-file", 0, 100);
  std::optional<Response> got;
  loop.submit(std::move(req), [&](Response&& r) { got = std::move(r); });
  loop.run();
  ASSERT_TRUE(got);
  EXPECT_NE(got->curl_code, 0);
  EXPECT_EQ(got->transport_error,
            "cannot open /nonexistent/s3up-missing-file: No such file or directory");
}

TEST(EventLoop, FileShorterThanDeclaredFails) {
  TempFile file("short");
  LoopbackServer server(ok_reply);
  EventLoop loop;
  Request req;
  req.method = "PUT";
  req.url = server.base_url() + "/x";
  req.body = file_body(file.path(), 0, 100);
  std::optional<Response> got;
  loop.submit(std::move(req), [&](Response&& r) { got = std::move(r); });
  loop.run();
  ASSERT_TRUE(got);
  EXPECT_NE(got->curl_code, 0);
  EXPECT_NE(got->transport_error.find("read error on " + file.path()), std::string::npos)
      << got->transport_error;
}

TEST(EventLoop, MethodsPathsAndHeaders) {
  LoopbackServer server([](const ServerRequest& req) {
    ServerReply r;
    r.headers.emplace_back("X-Amz-Request-Id", "REQ1");
    r.body = req.method == "HEAD" ? "should-not-arrive" : "hello";
    return r;
  });
  EventLoop loop;
  std::vector<Response> got;
  auto collect = [&](Response&& r) { got.push_back(std::move(r)); };
  Request head = get(server.base_url() + "/a/../b/./c%20d");
  head.method = "HEAD";
  loop.submit(std::move(head), collect);
  Request put = get(server.base_url() + "/empty");
  put.method = "PUT";
  loop.submit(std::move(put), collect);
  Request post = get(server.base_url() + "/post?uploads=");
  post.method = "POST";
  post.body = string_body("<xml/>");
  loop.submit(std::move(post), collect);
  Request del = get(server.base_url() + "/del");
  del.method = "DELETE";
  del.headers.emplace_back("x-empty", "");
  loop.submit(std::move(del), collect);
  loop.submit(get(server.base_url() + "/get"), collect);
  loop.run();

  ASSERT_EQ(got.size(), 5u);
  for (const auto& r : got) {
    EXPECT_EQ(r.curl_code, 0) << r.transport_error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-request-id"), "REQ1");
  }
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5u);
  std::map<std::string, ServerRequest> by_method;
  for (const auto& r : reqs) by_method[r.method] = r;
  EXPECT_EQ(by_method["HEAD"].target, "/a/../b/./c%20d");
  EXPECT_EQ(by_method["PUT"].header("content-length"), "0");
  EXPECT_EQ(by_method["POST"].body, "<xml/>");
  EXPECT_EQ(by_method["POST"].target, "/post?uploads=");
  EXPECT_EQ(by_method["DELETE"].target, "/del");
  EXPECT_TRUE(by_method["DELETE"].headers.count("x-empty"));
  EXPECT_EQ(by_method["GET"].body, "");
  for (const auto& r : got) {
    if (r.body == "hello") continue;
    EXPECT_EQ(r.body, "");  // the HEAD answer carries no body
  }
}

TEST(EventLoop, RespectsMaxConnections) {
  LoopbackServer server([](const ServerRequest&) {
    ServerReply r;
    r.delay = 50ms;
    return r;
  });
  LoopOptions opts;
  opts.max_connections = 3;
  EventLoop loop(opts);
  int done = 0;
  size_t max_in_flight = 0;
  for (int i = 0; i < 12; ++i) {
    loop.submit(get(server.base_url() + "/" + std::to_string(i)), [&](Response&& r) {
      EXPECT_EQ(r.curl_code, 0) << r.transport_error;
      ++done;
    });
  }
  loop.post_after(20ms, [&] { max_in_flight = std::max(max_in_flight, loop.in_flight()); });
  loop.run();
  EXPECT_EQ(done, 12);
  EXPECT_LE(server.max_concurrent_connections(), 3);
  EXPECT_LE(server.max_concurrent_requests(), 3);
  EXPECT_GE(server.max_concurrent_requests(), 2);  // it does run in parallel
  EXPECT_LE(server.connections_accepted(), 3);     // and reuses the connections
  EXPECT_EQ(max_in_flight, 3u);
}

TEST(EventLoop, QueuedRequestsRunInFifoOrder) {
  LoopbackServer server(ok_reply);
  LoopOptions opts;
  opts.max_connections = 1;
  EventLoop loop(opts);
  std::vector<int> order;
  for (int i = 0; i < 6; ++i) {
    loop.submit(get(server.base_url() + "/" + std::to_string(i)),
                [&, i](Response&&) { order.push_back(i); });
  }
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(EventLoop, ReusesKeepAliveConnectionForSequentialRequests) {
  LoopbackServer server(ok_reply);
  EventLoop loop;
  int remaining = 5;
  std::function<void(Response &&)> next = [&](Response&& r) {
    EXPECT_EQ(r.curl_code, 0) << r.transport_error;
    if (--remaining > 0) loop.submit(get(server.base_url() + "/again"), next);  // re-entrant
  };
  loop.submit(get(server.base_url() + "/first"), next);
  loop.run();
  EXPECT_EQ(remaining, 0);
  EXPECT_EQ(server.requests_seen(), 5);
  EXPECT_EQ(server.connections_accepted(), 1);
}

TEST(EventLoop, StalledServerTimesOut) {
  LoopbackServer server([](const ServerRequest&) {
    ServerReply r;
    r.stall = true;
    return r;
  });
  LoopOptions opts;
  opts.stall_timeout = 1s;
  EventLoop loop(opts);
  std::optional<Response> got;
  const auto start = std::chrono::steady_clock::now();
  loop.submit(get(server.base_url() + "/slow"), [&](Response&& r) { got = std::move(r); });
  loop.run();
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got);
  EXPECT_EQ(got->curl_code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_TRUE(got->transport_failed());
  EXPECT_FALSE(got->transport_error.empty());
  EXPECT_LT(took, 5s);
}

TEST(EventLoop, ConnectionRefused) {
  const int port = LoopbackServer::unused_port();
  EventLoop loop;
  std::optional<Response> got;
  loop.submit(get("http://127.0.0.1:" + std::to_string(port) + "/"),
              [&](Response&& r) { got = std::move(r); });
  loop.run();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->curl_code, CURLE_COULDNT_CONNECT);
  EXPECT_EQ(got->status, 0);
  EXPECT_NE(got->transport_error.find("Connection refused"), std::string::npos)
      << got->transport_error;
}

TEST(EventLoop, InterruptFromAnotherThreadAbortsEverything) {
  LoopbackServer server([](const ServerRequest&) {
    ServerReply r;
    r.stall = true;
    return r;
  });
  LoopOptions opts;
  opts.max_connections = 2;
  EventLoop loop(opts);
  std::vector<Response> got;
  for (int i = 0; i < 5; ++i) {
    loop.submit(get(server.base_url() + "/" + std::to_string(i)),
                [&](Response&& r) { got.push_back(std::move(r)); });
  }
  bool timer_fired = false;
  loop.post_after(10s, [&] { timer_fired = true; });
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    loop.interrupt();
  });
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  const auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  EXPECT_LT(took, 2s);
  EXPECT_TRUE(loop.interrupted());
  EXPECT_FALSE(timer_fired);
  EXPECT_EQ(loop.in_flight(), 0u);
  ASSERT_EQ(got.size(), 5u);
  for (const auto& r : got) {
    EXPECT_EQ(r.curl_code, CURLE_ABORTED_BY_CALLBACK);
    EXPECT_EQ(r.transport_error, "interrupted");
  }
}

TEST(EventLoop, InterruptFromCallbackAbortsRequestsSubmittedLater) {
  EventLoop loop;
  std::vector<int> codes;
  loop.post_after(1ms, [&] {
    loop.interrupt();
    loop.submit(get("http://127.0.0.1:1/"), [&](Response&& r) {
      codes.push_back(r.curl_code);
      // A completion that submits again during the abort is aborted too.
      loop.submit(get("http://127.0.0.1:1/"),
                  [&](Response&& r2) { codes.push_back(r2.curl_code); });
    });
  });
  loop.run();
  EXPECT_EQ(codes, (std::vector<int>{CURLE_ABORTED_BY_CALLBACK, CURLE_ABORTED_BY_CALLBACK}));
}

TEST(EventLoop, TimersFireInOrder) {
  EventLoop loop;
  std::vector<std::string> order;
  const auto start = std::chrono::steady_clock::now();
  loop.post_after(60ms, [&] { order.push_back("60"); });
  loop.post_after(20ms, [&] {
    order.push_back("20");
    loop.post_after(10ms, [&] { order.push_back("20+10"); });
  });
  loop.post_after(0ms, [&] { order.push_back("0a"); });
  loop.post_after(0ms, [&] { order.push_back("0b"); });
  loop.post_after(40ms, [&] { order.push_back("40"); });
  loop.run();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 60ms);
  EXPECT_EQ(order, (std::vector<std::string>{"0a", "0b", "20", "20+10", "40", "60"}));
}

TEST(EventLoop, TimerCanSubmitRequests) {
  LoopbackServer server(ok_reply);
  EventLoop loop;
  int status = 0;
  loop.post_after(30ms, [&] {
    loop.submit(get(server.base_url() + "/late"), [&](Response&& r) { status = r.status; });
  });
  loop.run();
  EXPECT_EQ(status, 200);
}

TEST(EventLoop, RunWithNothingReturnsImmediately) {
  EventLoop loop;
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
}

TEST(EventLoop, HeadersResetOnEachStatusLine) {
  // Two status lines in one answer: "100 Continue" then the real one.
  LoopbackServer server([](const ServerRequest&) {
    ServerReply r;
    r.preamble = "HTTP/1.1 100 Continue\r\nX-Stale: 1\r\n\r\n";
    r.headers.emplace_back("X-Final", "yes");
    return r;
  });
  EventLoop loop;
  std::optional<Response> got;
  loop.submit(get(server.base_url() + "/"), [&](Response&& r) { got = std::move(r); });
  loop.run();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->header("x-final"), "yes");
  EXPECT_EQ(got->header("x-stale"), "");
  EXPECT_EQ(got->header("X-Final"), "");  // lookups are by lower-case name
}

TEST(Bodies, StringBodyReadsAndRewinds) {
  auto b = string_body("hello world");
  EXPECT_EQ(b->size(), 11u);
  char buf[6];
  EXPECT_EQ(b->read(buf, 5), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(b->read(buf, 6), 6);
  EXPECT_EQ(b->read(buf, 6), 0);
  EXPECT_TRUE(b->rewind());
  EXPECT_EQ(b->read(buf, 5), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
}

TEST(Bodies, FileBodyReadsRangeAndRewinds) {
  TempFile file("abcdefghij");
  auto b = file_body(file.path(), 2, 5);
  EXPECT_EQ(b->size(), 5u);
  std::string all;
  char buf[2];
  for (int64_t n; (n = b->read(buf, sizeof(buf))) > 0;) all.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(all, "cdefg");
  EXPECT_TRUE(b->rewind());
  EXPECT_EQ(b->read(buf, 2), 2);
  EXPECT_EQ(std::string(buf, 2), "cd");
  EXPECT_EQ(b->error(), "");
}

}  // namespace
}  // namespace s3up::http
