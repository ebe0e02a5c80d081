// The transfer engine against the strict server (Swift + s3api), with a fault-injecting proxy
// (tests/tools/fault_proxy.py) in front of it where a test needs failures.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "integrity/etag.hpp"
#include "integrity/hash.hpp"
#include "transfer/engine.hpp"

namespace s3up::itest {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

class SwiftEngine : public ServerTest {
 protected:
  // Multipart uploads still open under this test's prefix.
  size_t open_uploads() {
    auto r = s3::list_multipart_uploads_all_sync(bucket_->client(), prefix_ + "/");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
    return r.ok() ? r->size() : 0;
  }
  std::string expected_multipart_etag(const std::string& data, uint64_t part) {
    std::vector<std::string> md5s;
    for (uint64_t off = 0; off < data.size(); off += part) {
      md5s.push_back(integrity::md5_raw(std::string_view(data).substr(off, part)));
    }
    return integrity::multipart_etag(md5s);
  }
};

struct Request {
  std::string method, query;
  double start = 0, end = 0;
  long status = 0;
};

std::vector<Request> requests(const FaultProxy& proxy) {
  std::vector<Request> out;
  for (const auto& line : proxy.log_lines()) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    Request r;
    r.method = j.value("method", "");
    r.query = j.value("query", "");
    r.end = j.value("time", 0.0);
    r.start = r.end - j.value("duration", 0.0);
    if (j.contains("status") && j["status"].is_number()) r.status = j["status"].get<long>();
    out.push_back(r);
  }
  return out;
}

// Most UploadPart requests in progress at one instant.
int max_parts_in_flight(const std::vector<Request>& reqs) {
  int best = 0;
  for (const auto& a : reqs) {
    if (a.query.find("partNumber=") == std::string::npos) continue;
    int n = 0;
    for (const auto& b : reqs) {
      if (b.query.find("partNumber=") != std::string::npos && b.start <= a.start &&
          a.start < b.end) {
        ++n;
      }
    }
    best = std::max(best, n);
  }
  return best;
}

TEST_F(SwiftEngine, LargeFileGoesMultipartWithPartsInParallel) {
  std::string data = random_bytes(200 * kMiB + 12345, 11);
  dir_.write("big.mp4", data);
  FaultProxy proxy(server_.get("AWS_ENDPOINT_URL"), R"({"rules": []})");
  ASSERT_TRUE(proxy.ok());
  auto r = run_s3upload({"--no-progress", "big.mp4"}, env(proxy.endpoint()), dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto info = bucket_->head(prefix_ + "/big.mp4");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->etag, expected_multipart_etag(data, 16 * kMiB));
  EXPECT_EQ(integrity::etag_part_count(info->etag), 13u);
  EXPECT_TRUE(bucket_->get(prefix_ + "/big.mp4") == data);
  auto reqs = requests(proxy);
  // Every part once, plus at most the first one again: the integrity probe's aws-chunked
  // attempt, which Swift refuses (501) before the run falls back.
  int parts = 0;
  std::set<std::string> numbers;
  for (const auto& q : reqs) {
    if (auto at = q.query.find("partNumber="); at != std::string::npos) {
      ++parts;
      numbers.insert(q.query.substr(at, q.query.find('&', at) - at));
    }
  }
  EXPECT_EQ(numbers.size(), 13u);
  EXPECT_GE(parts, 13);
  EXPECT_LE(parts, 14);
  EXPECT_GT(max_parts_in_flight(reqs), 1);
  EXPECT_EQ(open_uploads(), 0u);
  // Nothing is re-sent on a second run: the multipart ETag is recomputed locally.
  auto again = run_s3upload({"--no-progress", "big.mp4"}, env(proxy.endpoint()), dir_.path());
  EXPECT_NE(again.out.find("Summary: 0 uploaded, 1 skipped"), std::string::npos) << again.out;
  EXPECT_EQ(requests(proxy).size(), reqs.size() + 1);  // one HEAD
}

TEST_F(SwiftEngine, ThresholdBoundariesAndEmptyFile) {
  std::string at = random_bytes(5 * kMiB, 1), over = random_bytes(5 * kMiB + 1, 2);
  dir_.write("f/at.mp4", at);
  dir_.write("f/over.mp4", over);
  dir_.write("f/empty.mp4", "");
  auto r =
      run_s3upload({"--no-progress", "--multipart-threshold", "5MiB", "--part-size", "5MiB", "f"},
                   env(), dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto h_at = bucket_->head(prefix_ + "/at.mp4");
  auto h_over = bucket_->head(prefix_ + "/over.mp4");
  auto h_empty = bucket_->head(prefix_ + "/empty.mp4");
  ASSERT_TRUE(h_at.ok() && h_over.ok() && h_empty.ok());
  EXPECT_EQ(h_at->etag, expected_multipart_etag(at, 5 * kMiB));      // "-1": at the threshold
  EXPECT_EQ(h_over->etag, expected_multipart_etag(over, 5 * kMiB));  // "-2"
  EXPECT_EQ(integrity::etag_part_count(h_over->etag), 2u);
  EXPECT_EQ(h_empty->etag, integrity::md5_hex(""));  // single PUT
  EXPECT_EQ(h_empty->size, 0u);
  EXPECT_TRUE(bucket_->get(prefix_ + "/at.mp4") == at);
  EXPECT_TRUE(bucket_->get(prefix_ + "/over.mp4") == over);
  EXPECT_EQ(open_uploads(), 0u);
}

struct FaultCase {
  const char* name;
  const char* plan;
  std::vector<std::string> extra_args;
  bool expect_success;
};

void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << c.name;
}

class SwiftFaults : public SwiftEngine, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(SwiftFaults, EndWithTheRightBytesOrAClearFailureAndNoOpenUpload) {
  const FaultCase& c = GetParam();
  std::string big = random_bytes(24 * kMiB + 7, 5), small = random_bytes(300000, 6);
  dir_.write("d/big.mov", big);
  dir_.write("d/small.mp4", small);
  FaultProxy proxy(server_.get("AWS_ENDPOINT_URL"), c.plan);
  ASSERT_TRUE(proxy.ok());
  std::vector<std::string> args = {"--no-progress", "--multipart-threshold", "8MiB", "--part-size",
                                   "8MiB"};
  args.insert(args.end(), c.extra_args.begin(), c.extra_args.end());
  args.push_back("d");
  auto r = run_s3upload(args, env(proxy.endpoint()), dir_.path());
  if (c.expect_success) {
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(bucket_->get(prefix_ + "/big.mov") == big);
    EXPECT_TRUE(bucket_->get(prefix_ + "/small.mp4") == small);
  } else {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("✗ big.mov - "), std::string::npos) << r.out;
    EXPECT_FALSE(bucket_->head(prefix_ + "/big.mov").ok());  // no partial object visible
  }
  EXPECT_EQ(open_uploads(), 0u);
  // Some rule fired: the test exercised what it names.
  bool fired = false;
  for (const auto& line : proxy.log_lines()) {
    if (line.find("\"action\": null") == std::string::npos &&
        line.find("\"action\":null") == std::string::npos) {
      fired = true;
    }
  }
  EXPECT_TRUE(fired);
}

INSTANTIATE_TEST_SUITE_P(
    SwiftFaults, SwiftFaults,
    ::testing::Values(
        FaultCase{"ConnectionDroppedMidPart",
                  R"({"rules":[{"match":{"method":"PUT","query_regex":"partNumber=2"},"times":1,
                      "action":"drop_after_request_bytes","bytes":1000000}]})",
                  {},
                  true},
        FaultCase{"SlowDownBurst",
                  R"({"rules":[{"match":{"method":"PUT"},"times":4,"action":"respond","status":503,
                      "body":"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"}]})",
                  {},
                  true},
        FaultCase{
            "InternalErrors",
            R"({"rules":[{"match":{"method":["PUT","POST"]},"skip":1,"times":3,"action":"respond",
                      "status":500,"body":"<Error><Code>InternalError</Code><Message>oops</Message></Error>"}]})",
            {},
            true},
        FaultCase{"StalledResponse",
                  R"({"rules":[{"match":{"method":"PUT","query_regex":"partNumber=3"},"times":1,
                      "action":"stall","forever":true}]})",
                  {"--timeout", "3"},
                  true},
        FaultCase{"CompleteAnswers200WithError",
                  R"({"rules":[{"match":{"method":"POST","query_regex":"uploadId="},"times":1,
                      "action":"respond","status":200,
                      "body":"<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"}]})",
                  {},
                  true},
        FaultCase{"CompleteSucceededButTheAnswerWasLost",
                  R"({"rules":[{"match":{"method":"POST","query_regex":"uploadId="},"times":1,
                      "action":"replace_response","status":200,
                      "body":"<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"}]})",
                  {},
                  true},
        FaultCase{"AccessDeniedOnAPartIsNotRetried",
                  R"({"rules":[{"match":{"method":"PUT","query_regex":"partNumber=2"},"times":-1,
                      "action":"respond","status":403,
                      "body":"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"}]})",
                  {},
                  false},
        FaultCase{"RetriesRunOut",
                  R"({"rules":[{"match":{"method":"PUT","query_regex":"partNumber=1"},"times":-1,
                      "action":"respond","status":503,
                      "body":"<Error><Code>SlowDown</Code><Message>slow</Message></Error>"}]})",
                  // Resume would keep the upload for the next run (resume_test.cpp); without it
                  // the failure must abort.
                  {"--max-retries", "2", "--no-resume"},
                  false}),
    [](const ::testing::TestParamInfo<FaultCase>& i) { return std::string(i.param.name); });

TEST_F(SwiftEngine, WarmHashCacheMeansNoHashingAndEditsAreStillSeen) {
  std::string data = random_bytes(24 * kMiB + 5, 21);
  dir_.write("cached.mp4", data);
  sleep(3);  // past the cache's racy-clean window, so the upload may record its digests
  auto e = env();
  e["XDG_CACHE_HOME"] = (dir_.path() / "cache").string();
  std::vector<std::string> args = {"--no-progress", "-v", "cached.mp4"};
  auto first = run_s3upload(args, e, dir_.path());
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  auto second = run_s3upload(args, e, dir_.path());
  EXPECT_NE(second.out.find("Summary: 0 uploaded, 1 skipped"), std::string::npos) << second.out;
  EXPECT_NE(second.err.find("hashing: 0 file(s) read, 1 digest(s) from the hash cache"),
            std::string::npos)
      << second.err;
  // Same size, one byte different: the cached digest is not trusted, the file goes up again.
  data[12345] = static_cast<char>(data[12345] ^ 1);
  dir_.write("cached.mp4", data);
  auto third = run_s3upload(args, e, dir_.path());
  EXPECT_NE(third.out.find("Summary: 1 uploaded, 0 skipped"), std::string::npos) << third.out;
  EXPECT_TRUE(bucket_->get(prefix_ + "/cached.mp4") == data);
}

TEST_F(SwiftEngine, SpeedCapHoldsOverTenSeconds) {
  std::string data = random_bytes(40 * kMiB, 9);
  dir_.write("capped.mp4", data);
  auto t0 = std::chrono::steady_clock::now();
  auto r =
      run_s3upload({"--no-progress", "--max-speed-mbps", "4", "capped.mp4"}, env(), dir_.path());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // 40 MiB at 4 MiB/s is 10 s; allow ±10% on the rate plus start-up.
  EXPECT_GT(secs, 10.0 / 1.1) << secs;
  EXPECT_LT(secs, 10.0 / 0.9 + 1.0) << secs;
  EXPECT_TRUE(bucket_->get(prefix_ + "/capped.mp4") == data);
}

// With resume (the default) Ctrl-C keeps the upload: resume_test.cpp. Without, it aborts it.
TEST_F(SwiftEngine, CtrlCWithoutResumeAbortsTheMultipartUploadAndExits130) {
  std::string data = random_bytes(64 * kMiB, 10);
  dir_.write("slow.mp4", data);
  // Run in the background through the harness: fork here to send SIGINT mid-upload.
  TempDir io;
  pid_t pid = fork();
  if (pid == 0) {
    auto r = run_s3upload({"--no-progress", "--no-resume", "--max-speed-mbps", "8", "--part-size",
                           "5MiB", "--multipart-threshold", "5MiB", "slow.mp4"},
                          env(), dir_.path());
    std::ofstream(io.path() / "out") << r.out << "\n---\n" << r.err;
    _exit(r.exit_code);
  }
  // The grandchild is the s3upload process: interrupt it via its process group after 3 s.
  sleep(3);
  std::string self = std::to_string(pid);
  // s3upload is the only child of `pid`; signal it by name within that tree.
  std::system(("pkill -INT -P " + self).c_str());
  int st = 0;
  waitpid(pid, &st, 0);
  std::ifstream in(io.path() / "out");
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 130) << ss.str();
  EXPECT_NE(ss.str().find("interrupted"), std::string::npos) << ss.str();
  EXPECT_NE(ss.str().find("aborted"), std::string::npos) << ss.str();
  EXPECT_EQ(open_uploads(), 0u);
  EXPECT_FALSE(bucket_->head(prefix_ + "/slow.mp4").ok());
}

}  // namespace
}  // namespace s3up::itest

namespace s3up::itest {
namespace {

TEST_F(SwiftEngine, ListAndAbortIncompleteUploads) {
  // Two uploads left behind by another client, one outside our prefix.
  auto a = s3::create_multipart_upload_sync(bucket_->client(), prefix_ + "/left behind.mp4", {});
  auto b = s3::create_multipart_upload_sync(bucket_->client(), prefix_ + "/sub/other.mov", {});
  auto outside = s3::create_multipart_upload_sync(bucket_->client(), prefix_ + "-x/keep.mp4", {});
  ASSERT_TRUE(a.ok() && b.ok() && outside.ok());
  dir_.write("part.bin", random_bytes(5 * kMiB, 3));
  auto part = s3::upload_part_file_sync(bucket_->client(), prefix_ + "/left behind.mp4", *a, 1,
                                        (dir_.path() / "part.bin").string(), 0, 5 * kMiB, "");
  ASSERT_TRUE(part.ok()) << part.error().describe();

  auto list = run_s3upload({"--list-incomplete"}, env(), dir_.path());
  ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
  EXPECT_NE(list.out.find("left behind.mp4 (started"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("1 part(s), 5.00 MB so far"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("sub/other.mov"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("keep.mp4"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("Summary: 2 incomplete upload(s)"), std::string::npos) << list.out;

  // Not at a terminal and no --yes: refuse, change nothing.
  auto refused = run_s3upload({"--abort-incomplete"}, env(), dir_.path());
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("--yes"), std::string::npos) << refused.err;
  // Too young for --older-than: kept.
  auto young =
      run_s3upload({"--abort-incomplete", "--older-than", "1h", "--yes"}, env(), dir_.path());
  EXPECT_EQ(young.exit_code, 0) << young.out << young.err;
  EXPECT_NE(young.out.find("nothing to abort"), std::string::npos) << young.out;
  EXPECT_EQ(open_uploads(), 2u);

  auto aborted = run_s3upload({"--abort-incomplete", "--yes"}, env(), dir_.path());
  EXPECT_EQ(aborted.exit_code, 0) << aborted.out << aborted.err;
  EXPECT_NE(aborted.out.find("Summary: 2 aborted, 0 failed"), std::string::npos) << aborted.out;
  EXPECT_EQ(open_uploads(), 0u);
  // The upload outside the prefix is untouched.
  auto left = s3::list_multipart_uploads_all_sync(bucket_->client(), prefix_ + "-x/");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->size(), 1u);
  s3::abort_multipart_upload_sync(bucket_->client(), prefix_ + "-x/keep.mp4", *outside);
}

}  // namespace
}  // namespace s3up::itest

namespace s3up::itest {
namespace {

TEST_F(SwiftEngine, UploadsStartBeforeTheWalkEnds) {
  // A feed that finds one file, then waits until that file is done before it finds the next:
  // an engine that waited for the whole walk would never finish the first one in time.
  auto make = [&](const std::string& name, const std::string& data) {
    transfer::LocalFile f;
    f.path = dir_.write(name, data);
    f.display = name;
    f.key = prefix_ + "/" + name;
    f.size = data.size();
    return f;
  };
  transfer::LocalFile a = make("first.mp4", "first"), b = make("second.mp4", "second!");
  struct Sink : transfer::ProgressSink {
    std::atomic<int> finished{0};
    void on_finish(size_t, const transfer::FileResult&) override { ++finished; }
  } sink;
  bool first_done_before_walk_end = false;
  auto feed = [&](const std::function<bool(transfer::LocalFile)>& emit) {
    emit(a);
    for (int i = 0; i < 400 && sink.finished.load() == 0; ++i) usleep(50000);
    first_done_before_walk_end = sink.finished.load() == 1;
    emit(b);
  };
  transfer::EngineOptions eo;
  eo.use_listing = false;
  auto out = transfer::run_transfers(bucket_->client(), feed, eo, &sink);
  EXPECT_TRUE(first_done_before_walk_end);
  ASSERT_EQ(out.files.size(), 2u);
  EXPECT_EQ(out.results[0].outcome, transfer::Outcome::kUploaded);
  EXPECT_EQ(out.results[1].outcome, transfer::Outcome::kUploaded);
  EXPECT_EQ(bucket_->get(prefix_ + "/first.mp4"), "first");
  EXPECT_EQ(bucket_->get(prefix_ + "/second.mp4"), "second!");
}

}  // namespace
}  // namespace s3up::itest
