// --sync against the strict server (Swift + s3api): objects under the target prefix with no
// local file are deleted (DeleteObjects), and nothing else, and nothing at all after a run in
// which something went wrong.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace s3up::itest {
namespace {

class SwiftSync : public ServerTest {
 protected:
  bool exists(const std::string& key) {
    auto r = bucket_->head(key);
    if (!r.ok()) {
      EXPECT_TRUE(r.error().is_not_found()) << key << ": " << r.error().describe();
    }
    return r.ok();
  }
  // d/ with three videos, uploaded; returns the first run's output.
  RunResult upload_tree() {
    dir_.write("d/a.mp4", "aaa");
    dir_.write("d/sub/b.mov", "bbb");
    dir_.write("d/gone.mp4", "ggg");
    dir_.write("d/my clip \xC3\xA9t\xC3\xA9.mp4", "ccc");
    auto r = run_s3upload({"--no-progress", "d"}, env(), dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("Summary: 4 uploaded"), std::string::npos) << r.out;
    return r;
  }
  std::string key(const std::string& rel) const { return prefix_ + "/" + rel; }
};

TEST_F(SwiftSync, RemovedFileIsDeletedAndNothingElse) {
  upload_tree();
  // Beside the uploads: another extension under the prefix, a key that merely starts with the
  // prefix's name, and one elsewhere.
  bucket_->put(key("notes.txt"), "n");
  bucket_->put(key("sub/notes.txt"), "n");
  bucket_->put(prefix_ + "-sibling/s.mp4", "s");
  const std::string outside = unique_prefix("SyncOutside") + "/o.mp4";
  bucket_->put(outside, "o");

  fs::remove(dir_.path() / "d/gone.mp4");
  dir_.write("d/new.mp4", "new");
  auto r = run_s3upload({"--no-progress", "--sync", "--yes", "--report", "report.json", "d"}, env(),
                        dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count_lines(r.out, "🗑  DELETE "), 1) << r.out;
  EXPECT_NE(r.out.find("🗑  DELETE " + key("gone.mp4") + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Summary: 1 uploaded, 3 skipped, 0 failed, 1 deleted"), std::string::npos)
      << r.out;

  EXPECT_FALSE(exists(key("gone.mp4")));
  for (const char* rel : {"a.mp4", "sub/b.mov", "my clip \xC3\xA9t\xC3\xA9.mp4", "new.mp4",
                          "notes.txt", "sub/notes.txt"}) {
    EXPECT_TRUE(exists(key(rel))) << rel;
  }
  EXPECT_TRUE(exists(prefix_ + "-sibling/s.mp4"));
  EXPECT_TRUE(exists(outside));

  std::ifstream in(dir_.path() / "report.json");
  auto j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["counts"]["deleted"], 1);
  EXPECT_EQ(j["sync"]["deleted"], nlohmann::json::array({key("gone.mp4")}));
  EXPECT_TRUE(j["sync"]["failed"].empty());

  // Nothing left to delete: a second run deletes nothing and still succeeds.
  auto again = run_s3upload({"--no-progress", "--sync", "--yes", "d"}, env(), dir_.path());
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count_lines(again.out, "🗑  DELETE "), 0) << again.out;
  EXPECT_NE(again.out.find("0 failed, 0 deleted"), std::string::npos) << again.out;
}

TEST_F(SwiftSync, DryRunListsWouldDeleteAndDeletesNothing) {
  upload_tree();
  fs::remove(dir_.path() / "d/gone.mp4");
  // No --yes and no terminal: a dry run asks nothing.
  auto r = run_s3upload({"--no-progress", "--dry-run", "--sync", "d"}, env(), dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("  WOULD DELETE " + key("gone.mp4") + "\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("🗑"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Summary (dry run): 0 would upload, 0 would update, 3 would skip, 0 "
                       "failed, 1 would delete"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(exists(key("gone.mp4")));
}

TEST_F(SwiftSync, OffATerminalWithoutYesExitsTwoAndChangesNothing) {
  upload_tree();
  fs::remove(dir_.path() / "d/gone.mp4");
  dir_.write("d/new.mp4", "new");
  auto r = run_s3upload({"--no-progress", "--sync", "d"}, env(), dir_.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("confirm with --yes when not running at a terminal"), std::string::npos)
      << r.err;
  EXPECT_TRUE(exists(key("gone.mp4")));
  EXPECT_FALSE(exists(key("new.mp4")));  // refused before anything was uploaded
}

// A file the walk cannot take (a name that is not UTF-8), or a PATH that is missing: the walk
// reports it, and no object may be deleted on the strength of an incomplete walk.
TEST_F(SwiftSync, WalkErrorPreventsDeletion) {
  upload_tree();
  fs::remove(dir_.path() / "d/gone.mp4");
  std::ofstream(dir_.path() / std::string("d/bad\xFFname.mp4")) << "x";
  auto r = run_s3upload({"--no-progress", "--sync", "--yes", "d"}, env(), dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("--sync deleted nothing: 1 local path(s) could not be read"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find(", 0 deleted"), std::string::npos) << r.out;
  EXPECT_TRUE(exists(key("gone.mp4")));

  fs::remove(dir_.path() / std::string("d/bad\xFFname.mp4"));
  auto missing =
      run_s3upload({"--no-progress", "--sync", "--yes", "d", "not-there"}, env(), dir_.path());
  EXPECT_EQ(missing.exit_code, 1) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("--sync deleted nothing"), std::string::npos) << missing.err;
  EXPECT_TRUE(exists(key("gone.mp4")));

  // And once the walk is clean again, the same command deletes it.
  auto clean = run_s3upload({"--no-progress", "--sync", "--yes", "d"}, env(), dir_.path());
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_FALSE(exists(key("gone.mp4")));
}

TEST_F(SwiftSync, UnreadableDirectoryPreventsDeletion) {
  if (geteuid() == 0) {
    GTEST_SKIP() << "running as root, which reads any directory: the unreadable-directory "
                    "case is covered by WalkErrorPreventsDeletion (another walk error) instead";
  }
  upload_tree();
  fs::remove(dir_.path() / "d/gone.mp4");
  fs::permissions(dir_.path() / "d/sub", fs::perms::none);
  auto r = run_s3upload({"--no-progress", "--sync", "--yes", "d"}, env(), dir_.path());
  fs::permissions(dir_.path() / "d/sub", fs::perms::owner_all);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("--sync deleted nothing"), std::string::npos) << r.err;
  EXPECT_TRUE(exists(key("gone.mp4")));
  EXPECT_TRUE(exists(key("sub/b.mov")));
}

TEST_F(SwiftSync, FailedUploadPreventsDeletion) {
  upload_tree();
  fs::remove(dir_.path() / "d/gone.mp4");
  dir_.write("d/new.mp4", "new");
  // Every PUT of new.mp4 is refused: its upload fails for good.
  FaultProxy proxy(server_.get("AWS_ENDPOINT_URL"),
                   R"({"rules": [{"match": {"method": "PUT", "path_regex": "new\\.mp4$"},)"
                   R"( "times": -1, "action": "respond", "status": 403, "body":)"
                   R"( "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"}]})");
  ASSERT_TRUE(proxy.ok());
  auto r =
      run_s3upload({"--no-progress", "--sync", "--yes", "d"}, env(proxy.endpoint()), dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("✗ new.mp4 - "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("--sync deleted nothing: 1 file(s) failed"), std::string::npos) << r.err;
  EXPECT_TRUE(exists(key("gone.mp4")));
  for (const auto& line : proxy.log_lines()) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.value("method", "") == "POST" &&
                 j.value("query", "").find("delete") != std::string::npos)
        << "no DeleteObjects may be sent: " << line;
  }
}

// With several directories each keeps its name in the keys; only those names are in scope.
TEST_F(SwiftSync, SeveralDirectoriesScopeOnlyTheirNames) {
  dir_.write("one/a.mp4", "1");
  dir_.write("two/b.mp4", "2");
  bucket_->put(key("one/old.mp4"), "o");
  bucket_->put(key("two/deep/old.mp4"), "o");
  bucket_->put(key("three/c.mp4"), "3");
  bucket_->put(key("top.mp4"), "t");
  auto r = run_s3upload({"--no-progress", "--sync", "--yes", "one", "two"}, env(), dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 uploaded, 0 skipped, 0 failed, 2 deleted"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(key("one/old.mp4")));
  EXPECT_FALSE(exists(key("two/deep/old.mp4")));
  EXPECT_TRUE(exists(key("one/a.mp4")));
  EXPECT_TRUE(exists(key("two/b.mp4")));
  EXPECT_TRUE(exists(key("three/c.mp4")));
  EXPECT_TRUE(exists(key("top.mp4")));
}

}  // namespace
}  // namespace s3up::itest
