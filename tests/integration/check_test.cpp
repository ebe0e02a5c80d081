// --check against the strict server (Swift + s3api): passes with the right keys, fails with a
// wrong secret or a missing bucket and says why; --write-test writes and deletes its object.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace s3up::itest {
namespace {

class SwiftCheck : public ServerTest {};

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST_F(SwiftCheck, PassesWithTheRightKeys) {
  auto r = run_s3upload({"--check"}, env(), dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "🔍 Checking s3://" + server_.get("S3_BUCKET") + "/" + prefix_ +
                                  "/ at " + server_.get("AWS_ENDPOINT_URL")))
      << r.out;
  EXPECT_EQ(count_lines(r.out, "✓ HeadBucket: the bucket exists"), 1) << r.out;
  EXPECT_EQ(count_lines(r.out, "✓ ListObjectsV2 " + prefix_ + "/: listing works"), 1) << r.out;
  EXPECT_TRUE(contains(r.out,
                       "Summary: all 2 checks passed (uploads also need s3:PutObject: "
                       "add --write-test to try it)"))
      << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(SwiftCheck, WriteTestPutsAndDeletesAZeroByteObject) {
  FaultProxy proxy(server_.get("AWS_ENDPOINT_URL"), R"({"rules": []})");
  ASSERT_TRUE(proxy.ok());
  auto r = run_s3upload({"--check", "--write-test"}, env(proxy.endpoint()), dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count_lines(r.out, "✓ "), 4) << r.out;
  EXPECT_EQ(count_lines(r.out, "✓ PutObject " + prefix_ + "/.s3upload-check-"), 1) << r.out;
  EXPECT_EQ(count_lines(r.out, "✓ DeleteObject " + prefix_ + "/.s3upload-check-"), 1) << r.out;
  EXPECT_TRUE(contains(r.out, "Summary: all 4 checks passed\n")) << r.out;
  // What went over the wire: HEAD bucket, one GET listing, a zero-byte PUT and its DELETE.
  std::vector<std::string> methods;
  std::string put_path, delete_path;
  for (const auto& line : proxy.log_lines()) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    methods.push_back(j.value("method", ""));
    if (methods.back() == "PUT") put_path = j.value("path", "");
    if (methods.back() == "DELETE") delete_path = j.value("path", "");
  }
  EXPECT_EQ(methods, (std::vector<std::string>{"HEAD", "GET", "PUT", "DELETE"}));
  EXPECT_TRUE(contains(put_path, "/.s3upload-check-")) << put_path;
  EXPECT_EQ(put_path, delete_path);
  EXPECT_TRUE(bucket_->list(prefix_ + "/").empty());  // nothing left behind
}

TEST_F(SwiftCheck, WrongSecretFailsWithTheRightSentence) {
  auto e = env();
  e["AWS_SECRET_ACCESS_KEY"] = "not-the-secret";
  auto r = run_s3upload({"--check", "--write-test"}, e, dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(count_lines(r.out,
                        "✗ HeadBucket: the request signature was rejected (403 "
                        "SignatureDoesNotMatch): the secret access key is probably wrong"),
            1)
      << r.out;
  // The same failure would repeat: the other checks are not tried, and nothing is written.
  EXPECT_EQ(count_lines(r.out, "– "), 3) << r.out;
  EXPECT_EQ(count_lines(r.out, "✓ "), 0) << r.out;
  EXPECT_TRUE(contains(r.out, "Summary: 1 of 4 checks failed, 3 not tried")) << r.out;
  EXPECT_TRUE(bucket_->list(prefix_ + "/").empty());
}

TEST_F(SwiftCheck, MissingBucketFails) {
  auto e = env();
  e["S3_BUCKET"] = "s3upload-no-such-bucket-here";
  auto r = run_s3upload({"--check"}, e, dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(count_lines(r.out,
                        "✗ HeadBucket: the bucket does not exist (404 NoSuchBucket): "
                        "check the bucket name and the endpoint"),
            1)
      << r.out;
  EXPECT_EQ(count_lines(r.out, "– ListObjectsV2 " + prefix_ + "/: not tried"), 1) << r.out;
}

TEST_F(SwiftCheck, UnreachableEndpointFails) {
  auto r = run_s3upload({"--check", "--max-retries", "0"}, env("http://127.0.0.1:9"), dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(count_lines(r.out, "✗ HeadBucket: could not connect to http://127.0.0.1:9"), 1)
      << r.out;
}

}  // namespace
}  // namespace s3up::itest
