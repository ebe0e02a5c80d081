// s3upload.toml read by the binary against the strict server (Swift + s3api), and --copy-url
// with a clipboard tool found on PATH.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "harness.hpp"

namespace s3up::itest {
namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

class SwiftConfigFile : public ServerTest {
 protected:
  // The server's settings without the bucket and the prefix: those come from the file.
  std::map<std::string, std::string> env_without_target() const {
    auto e = env();
    e.erase("S3_BUCKET");
    e.erase("S3_TARGET_PATH");
    return e;
  }
};

TEST_F(SwiftConfigFile, BucketPrefixAndExtensionsComeFromTheFile) {
  dir_.write("s3upload.toml", "[s3]\nbucket = \"" + server_.get("S3_BUCKET") +
                                  "\"\ntarget_path = \"" + prefix_ +
                                  "\"\n\n[upload]\nextensions = [\"txt\"]\nmax_concurrent = 2\n");
  dir_.write("d/a.txt", "text");
  dir_.write("d/b.mp4", "video");
  auto r = run_s3upload({"--no-progress", "d"}, env_without_target(), dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(bucket_->list(prefix_ + "/"),
            (std::map<std::string, uint64_t>{{prefix_ + "/a.txt", 4}}));
  // A flag wins over the file.
  r = run_s3upload({"--no-progress", "-e", "mp4", "d"}, env_without_target(), dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(bucket_->list(prefix_ + "/").size(), 2u);
}

TEST_F(SwiftConfigFile, DotenvAndEnvironmentWinOverTheFile) {
  dir_.write("s3upload.toml", "[s3]\nbucket = \"" + server_.get("S3_BUCKET") +
                                  "\"\ntarget_path = \"" + prefix_ + "/file\"\n");
  dir_.write(".env", "S3_TARGET_PATH=" + prefix_ + "/dotenv\n");
  dir_.write("a.mp4", "x");
  auto r = run_s3upload({"--no-progress", "a.mp4"}, env_without_target(), dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto e = env_without_target();
  e["S3_TARGET_PATH"] = prefix_ + "/env";
  r = run_s3upload({"--no-progress", "a.mp4"}, e, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(bucket_->list(prefix_ + "/"),
            (std::map<std::string, uint64_t>{{prefix_ + "/dotenv/a.mp4", 1},
                                             {prefix_ + "/env/a.mp4", 1}}));
}

TEST_F(SwiftConfigFile, ConfigFlagAndErrors) {
  dir_.write("team.toml", "[s3]\nbucket = \"" + server_.get("S3_BUCKET") + "\"\ntarget_path = \"" +
                              prefix_ + "/team\"\n");
  dir_.write("a.mp4", "x");
  auto r = run_s3upload({"--no-progress", "--config", "team.toml", "a.mp4"}, env_without_target(),
                        dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(bucket_->head(prefix_ + "/team/a.mp4").ok());

  r = run_s3upload({"--config", "missing.toml", "a.mp4"}, env(), dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "error: --config missing.toml: no such file")) << r.err;

  dir_.write("s3upload.toml", "[upload]\nmax_concurrent = 4\nmax_concurent = 5\n");
  r = run_s3upload({"a.mp4"}, env(), dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err,
                       "error: s3upload.toml, line 3: unknown key upload.max_concurent "
                       "(did you mean max_concurrent?)"))
      << r.err;
}

class SwiftCopyUrl : public ServerTest {
 protected:
  // PATH with a fake wl-copy that stores what it is given.
  std::map<std::string, std::string> env_with_clipboard() {
    dir_.write("bin/wl-copy", "#!/bin/sh\ncat > '" + clipboard().string() + "'\n");
    fs::permissions(dir_.path() / "bin/wl-copy", fs::perms::owner_all);
    auto e = env();
    e["PATH"] = (dir_.path() / "bin").string() + ":/usr/bin:/bin";
    e["WAYLAND_DISPLAY"] = "wayland-test";
    return e;
  }
  fs::path clipboard() const { return dir_.path() / "clipboard"; }
};

TEST_F(SwiftCopyUrl, TheOneUrlGoesToTheClipboardAndIsPrintedOnce) {
  dir_.write("a.mp4", "data");
  auto r =
      run_s3upload({"--no-progress", "--copy-url", "a.mp4"}, env_with_clipboard(), dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto urls = urls_in(r.out);
  ASSERT_EQ(urls.size(), 1u) << r.out;
  EXPECT_EQ(slurp(clipboard()), urls[0]);
  EXPECT_EQ(count_lines(r.out, "📋 URL copied to the clipboard"), 1) << r.out;
  size_t first = r.out.find(urls[0]);
  EXPECT_EQ(r.out.find(urls[0], first + 1), std::string::npos) << r.out;  // printed once
  EXPECT_EQ(http_get(urls[0]).second, "data");
}

TEST_F(SwiftCopyUrl, SeveralUrlsAreNotCopied) {
  dir_.write("a.mp4", "a");
  dir_.write("b.mp4", "b");
  auto r = run_s3upload({"--no-progress", "--copy-url", "a.mp4", "b.mp4"}, env_with_clipboard(),
                        dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(fs::exists(clipboard()));
  EXPECT_TRUE(contains(r.err,
                       "note: --copy-url: the run made 2 URLs; only a run with exactly "
                       "one is copied"))
      << r.err;
  EXPECT_FALSE(contains(r.out, "📋")) << r.out;
}

TEST_F(SwiftCopyUrl, NoClipboardToolAndNoTerminal) {
  dir_.write("a.mp4", "a");
  auto e = env();
  e["PATH"] = (dir_.path() / "empty-bin").string();
  auto r = run_s3upload({"--no-progress", "--copy-url", "a.mp4"}, e, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "note: --copy-url: no clipboard tool was found")) << r.err;
  EXPECT_EQ(urls_in(r.out).size(), 1u);
}

}  // namespace
}  // namespace s3up::itest
