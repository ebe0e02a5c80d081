#include <gtest/gtest.h>

#include <sstream>

#include "cli/cli.hpp"

using s3up::cli::parse;

namespace {

struct Parsed {
  s3up::cli::ParseResult r;
  std::string out, err;
};

Parsed run(std::vector<const char*> args) {
  args.insert(args.begin(), "s3upload");
  std::ostringstream out, err;
  Parsed p{parse(static_cast<int>(args.size()), args.data(), out, err), "", ""};
  p.out = out.str();
  p.err = err.str();
  return p;
}

}  // namespace

TEST(Cli, DefaultsMatchTheOriginalTool) {
  auto p = run({"videos"});
  ASSERT_TRUE(p.r.options);
  EXPECT_EQ(p.r.options->paths, std::vector<std::string>{"videos"});
  EXPECT_EQ(p.r.options->max_concurrent, 4);
  EXPECT_EQ(p.r.options->url_expiry_hours, 168);
  EXPECT_TRUE(p.r.options->extensions.empty());
  EXPECT_FALSE(p.r.options->url_only);
  EXPECT_FALSE(p.r.options->dry_run);
}

TEST(Cli, ExtensionsRepeatAndDoNotSwallowPaths) {
  auto p = run({"-e", "mp4,mov", "videos", "-e", "mkv", "more"});
  ASSERT_TRUE(p.r.options) << p.err;
  EXPECT_EQ(p.r.options->extensions, (std::vector<std::string>{"mp4,mov", "mkv"}));
  EXPECT_EQ(p.r.options->paths, (std::vector<std::string>{"videos", "more"}));
}

TEST(Cli, OverridesAreRecordedOnlyWhenGiven) {
  auto p = run({"--bucket", "b-1", "--endpoint-url", "http://127.0.0.1:9000", "--path-style",
                "--prefix", "x/y", "f.mp4"});
  ASSERT_TRUE(p.r.options) << p.err;
  const auto& o = p.r.options->overrides;
  EXPECT_EQ(o.bucket, "b-1");
  EXPECT_EQ(o.endpoint_url, "http://127.0.0.1:9000");
  EXPECT_EQ(o.path_style, true);
  EXPECT_EQ(o.target_path, "x/y");
  EXPECT_FALSE(o.region);
  EXPECT_FALSE(o.profile);
}

TEST(Cli, ZeroConcurrencyIsAUsageError) {
  auto p = run({"-c", "0", "f.mp4"});
  EXPECT_FALSE(p.r.options);
  EXPECT_EQ(p.r.exit_code, 2);
  EXPECT_NE(p.err.find("--max-concurrent"), std::string::npos);
}

TEST(Cli, ExpiryOutsideRangeIsAnErrorNotAClamp) {
  for (const char* v : {"0", "169", "1000"}) {
    auto p = run({"--url-expiry-hours", v, "f.mp4"});
    EXPECT_FALSE(p.r.options) << v;
    EXPECT_EQ(p.r.exit_code, 2);
    EXPECT_NE(p.err.find("between 1 and 168"), std::string::npos) << p.err;
  }
  auto ok = run({"--url-expiry-hours", "1", "f.mp4"});
  ASSERT_TRUE(ok.r.options);
  EXPECT_EQ(ok.r.options->url_expiry_hours, 1);
}

TEST(Cli, UrlOnlyAndDryRunConflict) {
  auto p = run({"--url-only", "--dry-run", "f.mp4"});
  EXPECT_FALSE(p.r.options);
  EXPECT_EQ(p.r.exit_code, 2);
}

TEST(Cli, MissingPathIsAUsageError) {
  auto p = run({});
  EXPECT_FALSE(p.r.options);
  EXPECT_EQ(p.r.exit_code, 2);
}

TEST(Cli, HelpAndVersionExitZero) {
  auto h = run({"--help"});
  EXPECT_FALSE(h.r.options);
  EXPECT_EQ(h.r.exit_code, 0);
  EXPECT_NE(h.out.find("--url-expiry-hours"), std::string::npos);
  auto v = run({"-V"});
  EXPECT_EQ(v.r.exit_code, 0);
  EXPECT_NE(v.out.find("s3upload "), std::string::npos);
}

TEST(Cli, CompletionsPrintAScriptWithEveryFlag) {
  auto p = run({"--completions", "bash"});
  EXPECT_FALSE(p.r.options);
  EXPECT_EQ(p.r.exit_code, 0);
  for (const char* flag : {"--url-only", "--storage-class", "--abort-incomplete", "--report"}) {
    EXPECT_NE(p.out.find(flag), std::string::npos) << flag;
  }
  auto bad = run({"--completions", "tcsh"});
  EXPECT_EQ(bad.r.exit_code, 2);
}
