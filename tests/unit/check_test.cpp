// --check: the lines printed, the exit status, what to grant, and the flags.
#include "app/check.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/cli.hpp"

namespace s3up::app {
namespace {

using State = CheckStep::State;

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(CheckPrint, AllPassed) {
  std::ostringstream out;
  int code = print_checks({{"HeadBucket", State::kPassed, "the bucket exists"},
                           {"ListObjectsV2 up/", State::kPassed, "listing works"}},
                          false, ui::Style{}, out);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.str(),
            "✓ HeadBucket: the bucket exists\n"
            "✓ ListObjectsV2 up/: listing works\n"
            "\n"
            "Summary: all 2 checks passed (uploads also need s3:PutObject: add --write-test to "
            "try it)\n");
}

TEST(CheckPrint, AFailureOrAnUntriedCheckFails) {
  std::ostringstream out;
  int code = print_checks(
      {{"HeadBucket", State::kFailed, "the bucket does not exist (404 NoSuchBucket): check"},
       {"ListObjectsV2 up/", State::kNotTried, "not tried: the bucket could not be reached"}},
      false, ui::Style{}, out);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(contains(out.str(), "✗ HeadBucket: the bucket does not exist")) << out.str();
  EXPECT_TRUE(contains(out.str(), "– ListObjectsV2 up/: not tried")) << out.str();
  EXPECT_TRUE(contains(out.str(), "Summary: 1 of 2 checks failed, 1 not tried\n")) << out.str();

  std::ostringstream out2;
  EXPECT_EQ(print_checks({{"HeadBucket", State::kPassed, "ok"},
                          {"PutObject k", State::kPassed, "ok"},
                          {"DeleteObject k", State::kPassed, "ok"}},
                         true, ui::Style{}, out2),
            0);
  EXPECT_TRUE(contains(out2.str(), "Summary: all 3 checks passed\n")) << out2.str();
}

TEST(CheckGrant, OnlyForAPlainDenial) {
  s3::S3Error denied;
  denied.http_status = 403;
  denied.code = "AccessDenied";
  EXPECT_EQ(grant_advice(denied, "s3:PutObject", "arn:aws:s3:::b/p/*"),
            "grant s3:PutObject on arn:aws:s3:::b/p/*");
  s3::S3Error bare;
  bare.http_status = 403;
  EXPECT_EQ(grant_advice(bare, "s3:ListBucket", "arn:aws:s3:::b"),
            "grant s3:ListBucket on arn:aws:s3:::b");
  s3::S3Error signature;
  signature.http_status = 403;
  signature.code = "SignatureDoesNotMatch";
  EXPECT_EQ(grant_advice(signature, "s3:ListBucket", "arn:aws:s3:::b"), "");
  s3::S3Error missing;
  missing.http_status = 404;
  missing.code = "NoSuchBucket";
  EXPECT_EQ(grant_advice(missing, "s3:ListBucket", "arn:aws:s3:::b"), "");
  s3::S3Error network;
  network.curl_code = 7;
  EXPECT_EQ(grant_advice(network, "s3:ListBucket", "arn:aws:s3:::b"), "");
}

// ---- flags ----------------------------------------------------------------------------------

struct Parsed {
  cli::ParseResult r;
  std::string err;
};

Parsed parse(std::vector<const char*> args) {
  args.insert(args.begin(), "s3upload");
  std::ostringstream out, err;
  Parsed p{cli::parse(static_cast<int>(args.size()), args.data(), out, err), ""};
  p.err = err.str();
  return p;
}

TEST(CheckFlags, CheckNeedsNoPath) {
  auto p = parse({"--check"});
  ASSERT_TRUE(p.r.options) << p.err;
  EXPECT_TRUE(p.r.options->check);
  EXPECT_FALSE(p.r.options->write_test);
  p = parse({"--check", "--write-test"});
  ASSERT_TRUE(p.r.options) << p.err;
  EXPECT_TRUE(p.r.options->write_test);
}

TEST(CheckFlags, Conflicts) {
  struct Case {
    std::vector<const char*> args;
    const char* message;
  } cases[] = {
      {{"--check", "a.mp4"}, "--check takes no PATH"},
      {{"--check", "--dry-run"}, "--check runs on its own"},
      {{"--check", "--list-incomplete"}, "--check runs on its own"},
      {{"--write-test", "a.mp4"}, "--write-test only goes with --check"},
  };
  for (const auto& c : cases) {
    auto p = parse(c.args);
    EXPECT_FALSE(p.r.options) << c.message;
    EXPECT_EQ(p.r.exit_code, 2);
    EXPECT_TRUE(contains(p.err, c.message)) << p.err;
  }
}

TEST(OtherFlags, InteractiveAndCopyUrl) {
  auto p = parse({"-i", "--copy-url", "a.mp4"});
  ASSERT_TRUE(p.r.options) << p.err;
  EXPECT_TRUE(p.r.options->interactive);
  EXPECT_TRUE(p.r.options->copy_url);
  p = parse({"--interactive", "a.mp4"});
  ASSERT_TRUE(p.r.options) << p.err;
  EXPECT_TRUE(p.r.options->interactive);
  EXPECT_FALSE(p.r.options->copy_url);
}

}  // namespace
}  // namespace s3up::app
