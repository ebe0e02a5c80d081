// --sync: which objects are in scope and planned for deletion (pure), the local-path safety
// net, when a run must not delete, and the whole step against a loopback server.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/sync.hpp"
#include "loopback_server.hpp"
#include "s3/client.hpp"
#include "s3_test_config.hpp"
#include "temp_dir.hpp"
#include "transfer/walk.hpp"

namespace fs = std::filesystem;

namespace s3up::app {
namespace {

using s3up::test::TempDir;
using s3up::testing::LoopbackServer;
using s3up::testing::ServerReply;
using s3up::testing::ServerRequest;
using transfer::ExtensionFilter;
using Keys = std::vector<std::string>;

ExtensionFilter filter(std::vector<std::string> specs) {
  auto f = ExtensionFilter::parse(specs);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error());
  return *f;
}

// One directory argument under `prefix`.
SyncScope one_dir(std::string prefix, bool flatten = false) {
  SyncScope s;
  s.prefix = std::move(prefix);
  s.roots.push_back({"", "unused"});
  s.flatten = flatten;
  return s;
}

// ---- plan_deletions -------------------------------------------------------------------------

TEST(SyncPlan, DeletesOnlyRemoteKeysWithoutLocalOnesUnderThePrefix) {
  const Keys local = {"up/a.mp4", "up/sub/b.mov"};
  const Keys remote = {"up/a.mp4",    "up/sub/b.mov", "up/old.mp4",          "up/sub/older.MOV",
                       "other/x.mp4", "x.mp4",        "up/deep/er/still.mp4"};
  EXPECT_EQ(plan_deletions(local, remote, filter({"mp4,mov"}), one_dir("up/")),
            (Keys{"up/deep/er/still.mp4", "up/old.mp4", "up/sub/older.MOV"}));
}

TEST(SyncPlan, PrefixBoundaries) {
  const Keys remote = {"up/a.mp4", "upload/b.mp4", "up.mp4", "up", "u/p/c.mp4", "UP/d.mp4"};
  EXPECT_EQ(plan_deletions({}, remote, filter({"mp4"}), one_dir("up/")), Keys{"up/a.mp4"});
  EXPECT_EQ(plan_deletions({}, remote, filter({"mp4"}), one_dir("upload/")), Keys{"upload/b.mp4"});
  // Nested target path: its sibling with a longer name is not below it.
  EXPECT_EQ(plan_deletions({}, {"a/up/x.mp4", "a/upload/x.mp4", "a/up"}, filter({"mp4"}),
                           one_dir("a/up/")),
            Keys{"a/up/x.mp4"});
  // No target path: the whole bucket is the scope.
  EXPECT_EQ(plan_deletions({"up/a.mp4"}, remote, filter({"mp4"}), one_dir("")),
            (Keys{"UP/d.mp4", "u/p/c.mp4", "up.mp4", "upload/b.mp4"}));
}

TEST(SyncPlan, OtherExtensionsAreNeverTouched) {
  const Keys remote = {"up/a.mp4",       "up/a.mp4.txt", "up/notes.txt", "up/README", "up/.mp4",
                       "up/.hidden.mp4", "up/a.MP4",     "up/a.mkv",     "up/a.mp4/"};
  EXPECT_EQ(plan_deletions({}, remote, filter({"mp4"}), one_dir("up/")),
            (Keys{"up/.hidden.mp4", "up/a.MP4", "up/a.mp4"}));
  // Every file: still only keys a walk could produce (no folder markers).
  EXPECT_EQ(plan_deletions({}, remote, filter({"*"}), one_dir("up/")),
            (Keys{"up/.hidden.mp4", "up/.mp4", "up/README", "up/a.MP4", "up/a.mkv", "up/a.mp4",
                  "up/a.mp4.txt", "up/notes.txt"}));
}

TEST(SyncPlan, KeysWithSpacesAndUnicode) {
  const Keys local = {"up/my video.mp4", "up/caf\xC3\xA9/\xC3\xA9t\xC3\xA9.mp4",
                      "up/\xF0\x9F\x8E\xAC clip.mov"};
  const Keys remote = {"up/my video.mp4",
                       "up/my  video.mp4",
                       "up/ my video.mp4",
                       "up/caf\xC3\xA9/\xC3\xA9t\xC3\xA9.mp4",
                       "up/cafe\xCC\x81/e\xCC\x81te\xCC\x81.mp4",  // the same name, NFD
                       "up/\xF0\x9F\x8E\xAC clip.mov",
                       "up/\xF0\x9F\x8E\xAC clip.MOV",
                       "up/\xF0\x9F\x8E\xAC notes.txt"};
  EXPECT_EQ(plan_deletions(local, remote, filter({"mp4,mov"}), one_dir("up/")),
            (Keys{"up/ my video.mp4", "up/cafe\xCC\x81/e\xCC\x81te\xCC\x81.mp4", "up/my  video.mp4",
                  "up/\xF0\x9F\x8E\xAC clip.MOV"}));
}

TEST(SyncPlan, KeysNoWalkCanProduceAreKept) {
  const Keys remote = {"up//a.mp4",    "up/./a.mp4", "up/../a.mp4", "up/x//a.mp4",
                       "up/x/./a.mp4", "up/",        "up/dir/"};
  EXPECT_TRUE(plan_deletions({}, remote, filter({"*"}), one_dir("up/")).empty());
}

TEST(SyncPlan, SeveralDirectoriesScopeOnlyTheirNames) {
  SyncScope s;
  s.prefix = "t/";
  s.roots = {{"a/", "x/a"}, {"b/", "y/b"}};
  const Keys remote = {"t/a/1.mp4", "t/b/sub/2.mp4", "t/c/3.mp4",
                       "t/4.mp4",   "t/ab/5.mp4",    "t/a/keep.mp4"};
  EXPECT_EQ(plan_deletions({"t/a/keep.mp4"}, remote, filter({"mp4"}), s),
            (Keys{"t/a/1.mp4", "t/b/sub/2.mp4"}));
}

TEST(SyncPlan, FlattenScopesOnlyNamesDirectlyBelowThePrefix) {
  const Keys remote = {"t/a.mp4", "t/sub/b.mp4", "t/c.mp4"};
  EXPECT_EQ(plan_deletions({"t/c.mp4"}, remote, filter({"mp4"}), one_dir("t/", true)),
            Keys{"t/a.mp4"});
}

TEST(SyncPlan, NoDirectoryNothingInScope) {
  SyncScope s;
  s.prefix = "up/";
  EXPECT_TRUE(plan_deletions({}, {"up/a.mp4"}, filter({"*"}), s).empty());
}

TEST(SyncPlan, SortedAndUnique) {
  EXPECT_EQ(
      plan_deletions({}, {"up/b.mp4", "up/a.mp4", "up/b.mp4"}, filter({"mp4"}), one_dir("up/")),
      (Keys{"up/a.mp4", "up/b.mp4"}));
}

// ---- sync_scope and the walk ----------------------------------------------------------------

TEST(SyncScope, RootsFollowTheDirectoryArguments) {
  TempDir t;
  t.write("one/a.mp4", "x");
  t.write("two/b.mp4", "x");
  t.write("file.mp4", "x");
  const std::string one = (t.path() / "one").string(), two = (t.path() / "two/").string();
  const std::string file = (t.path() / "file.mp4").string(), gone = (t.path() / "gone").string();

  auto single = sync_scope({one, file, gone}, "up/", false);
  EXPECT_EQ(single.prefix, "up/");
  ASSERT_EQ(single.roots.size(), 1u);
  EXPECT_EQ(single.roots[0].key_prefix, "");
  EXPECT_EQ(single.roots[0].local_dir, fs::path(one));

  auto several = sync_scope({one, two}, "up/", false);
  ASSERT_EQ(several.roots.size(), 2u);
  EXPECT_EQ(several.roots[0].key_prefix, "one/");
  EXPECT_EQ(several.roots[1].key_prefix, "two/");  // trailing slash ignored, as the walk does

  auto flat = sync_scope({one, two}, "", true);
  ASSERT_EQ(flat.roots.size(), 2u);
  EXPECT_EQ(flat.roots[0].key_prefix, "");
  EXPECT_TRUE(flat.flatten);

  EXPECT_TRUE(sync_scope({file, gone}, "up/", false).roots.empty());
}

// Whatever the walk produces is in scope: the two must agree on how keys are built.
TEST(SyncScope, EveryKeyTheWalkProducesIsInScope) {
  TempDir t;
  for (const char* rel : {"one/a.mp4", "one/sub dir/b.MOV", "one/caf\xC3\xA9/c.mp4",
                          "two/.hidden.mp4", "two/x/y/z.mov", "two/skip.txt"}) {
    t.write(rel, "x");
  }
  const auto f = filter({"mp4,mov"});
  for (bool flatten : {false, true}) {
    for (const Keys& paths : {Keys{(t.path() / "one").string()},
                              Keys{(t.path() / "one").string(), (t.path() / "two").string()}}) {
      transfer::WalkOptions wo;
      wo.target_path = "up/load";
      wo.flatten = flatten;
      const SyncScope scope = sync_scope(paths, "up/load/", flatten);
      size_t n = 0;
      transfer::walk_files(paths, f, wo, [&](transfer::LocalFile lf) {
        EXPECT_TRUE(lf.error.empty()) << lf.error;
        EXPECT_TRUE(in_sync_scope(lf.key, f, scope)) << lf.key << " flatten=" << flatten;
        ++n;
        return true;
      });
      EXPECT_GE(n, 3u);
    }
  }
}

TEST(SyncScope, ExistingLocalPathsKeepTheirObjects) {
  TempDir t;
  t.write("d/real.mp4", "x");
  fs::create_symlink(t.path() / "d/real.mp4", t.path() / "d/link.mp4");
  fs::create_symlink(t.path() / "nowhere", t.path() / "d/dangling.mp4");
  t.write("d/file", "x");
  SyncScope s;
  s.prefix = "up/";
  s.roots = {{"", t.path() / "d"}};
  const Keys keys = {"up/link.mp4", "up/dangling.mp4", "up/gone.mp4", "up/file/under.mp4",
                     "up/sub/gone.mp4"};
  EXPECT_EQ(without_local_paths(keys, s),
            (Keys{"up/gone.mp4", "up/file/under.mp4", "up/sub/gone.mp4"}));
  s.flatten = true;  // cannot be traced back: left as planned
  EXPECT_EQ(without_local_paths(keys, s), keys);
}

// ---- sync_blocker ---------------------------------------------------------------------------

TEST(SyncBlocker, OnlyACleanRunMayDelete) {
  transfer::LocalFile ok;
  ok.key = "up/a.mp4";
  transfer::FileResult uploaded;
  uploaded.outcome = transfer::Outcome::kUploaded;
  transfer::FileResult skipped;
  skipped.outcome = transfer::Outcome::kSkipped;
  EXPECT_EQ(sync_blocker({ok, ok}, {uploaded, skipped}, false), "");

  transfer::LocalFile unreadable;
  unreadable.error = "cannot read the directory: permission denied";
  transfer::FileResult failed;
  failed.outcome = transfer::Outcome::kFailed;
  EXPECT_NE(sync_blocker({ok, unreadable}, {uploaded, failed}, false).find("could not be read"),
            std::string::npos);
  EXPECT_NE(sync_blocker({ok, ok}, {uploaded, failed}, false).find("1 file(s) failed"),
            std::string::npos);
  transfer::FileResult stopped;
  stopped.outcome = transfer::Outcome::kInterrupted;
  EXPECT_NE(sync_blocker({ok, ok}, {uploaded, stopped}, false).find("interrupted"),
            std::string::npos);
  EXPECT_NE(sync_blocker({ok}, {uploaded}, true).find("interrupted"), std::string::npos);
  EXPECT_NE(sync_blocker({}, {}, false).find("no local file"), std::string::npos);
}

// ---- sync_deletions against a loopback server -----------------------------------------------

class SyncRun : public ::testing::Test {
 protected:
  // The bucket lists `listed`; DeleteObjects answers `delete_answer` (quiet success if "").
  void start(Keys listed, std::string delete_answer = "") {
    server_ = std::make_unique<LoopbackServer>([listed, delete_answer](const ServerRequest& req) {
      ServerReply r;
      r.headers = {{"Content-Type", "application/xml"}};
      if (req.method == "GET") {
        r.body = "<ListBucketResult><IsTruncated>false</IsTruncated>";
        for (const auto& k : listed) r.body += "<Contents><Key>" + k + "</Key></Contents>";
        r.body += "</ListBucketResult>";
      } else {
        r.body = delete_answer.empty() ? "<DeleteResult/>" : delete_answer;
      }
      return r;
    });
    client_ = std::make_unique<s3::Client>(loop_, s3up::testing::example_config(s3::make_endpoint(
                                                      server_->base_url(), "us-east-1", true)));
  }
  SyncResult go(const SyncOptions& o, const Keys& local, const std::string& answer = "") {
    std::istringstream in(answer);
    out_.str("");
    err_.str("");
    return sync_deletions(*client_, o, local, filter({"mp4"}), ui::Style{false}, in, out_, err_);
  }
  static SyncOptions opts() {
    SyncOptions o;
    o.scope = one_dir("up/");
    o.bucket = "bucket";
    return o;
  }
  std::vector<ServerRequest> posts() const {
    std::vector<ServerRequest> out;
    for (const auto& r : server_->requests()) {
      if (r.method == "POST") out.push_back(r);
    }
    return out;
  }

  http::EventLoop loop_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<s3::Client> client_;
  std::ostringstream out_, err_;
};

TEST_F(SyncRun, DryRunListsWouldDeleteAndSendsNoDelete) {
  start({"up/keep.mp4", "up/old.mp4", "up/notes.txt", "upload/x.mp4"});
  SyncOptions o = opts();
  o.dry_run = true;
  auto r = go(o, {"up/keep.mp4"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.report.would_delete, Keys{"up/old.mp4"});
  EXPECT_TRUE(r.report.deleted.empty());
  EXPECT_NE(out_.str().find("  WOULD DELETE up/old.mp4\n"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("notes.txt"), std::string::npos);
  EXPECT_TRUE(posts().empty());
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_NE(reqs[0].target.find("prefix=up%2F"), std::string::npos) << reqs[0].target;
}

TEST_F(SyncRun, YesDeletesWithoutAsking) {
  start({"up/keep.mp4", "up/old.mp4", "up/sub/older.mp4"});
  SyncOptions o = opts();
  o.yes = true;
  auto r = go(o, {"up/keep.mp4"});
  EXPECT_EQ(r.exit_code, 0) << err_.str();
  EXPECT_EQ(r.report.deleted, (Keys{"up/old.mp4", "up/sub/older.mp4"}));
  EXPECT_NE(out_.str().find("🗑  DELETE up/old.mp4\n🗑  DELETE up/sub/older.mp4\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(err_.str().find("[y/N]"), std::string::npos);
  const auto p = posts();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].target, "/bucket?delete=");
  EXPECT_EQ(p[0].body.find("keep.mp4"), std::string::npos);
}

TEST_F(SyncRun, OffATerminalWithoutYesRefuses) {
  start({"up/old.mp4"});
  auto r = go(opts(), {});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(err_.str().find("--yes"), std::string::npos);
  EXPECT_TRUE(posts().empty());
}

TEST_F(SyncRun, AsksOnATerminal) {
  start({"up/old.mp4"});
  SyncOptions o = opts();
  o.interactive = true;
  auto no = go(o, {}, "n\n");
  EXPECT_EQ(no.exit_code, 0);
  EXPECT_NE(err_.str().find("[y/N]"), std::string::npos);
  EXPECT_NE(out_.str().find("Nothing deleted."), std::string::npos);
  EXPECT_TRUE(posts().empty());
  auto empty = go(o, {}, "");  // end of input is a no
  EXPECT_TRUE(empty.report.deleted.empty());
  EXPECT_TRUE(posts().empty());
  auto yes = go(o, {}, "y\n");
  EXPECT_EQ(yes.exit_code, 0);
  EXPECT_EQ(yes.report.deleted, Keys{"up/old.mp4"});
  EXPECT_EQ(posts().size(), 1u);
}

TEST_F(SyncRun, FailedDeletionsArePrintedAndExitOne) {
  start({"up/a.mp4", "up/locked.mp4"},
        "<DeleteResult><Error><Key>up/locked.mp4</Key><Code>AccessDenied</Code>"
        "<Message>Access Denied</Message></Error></DeleteResult>");
  SyncOptions o = opts();
  o.yes = true;
  auto r = go(o, {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.report.deleted, Keys{"up/a.mp4"});
  ASSERT_EQ(r.report.failed.size(), 1u);
  EXPECT_EQ(r.report.failed[0].first, "up/locked.mp4");
  EXPECT_NE(out_.str().find("✗ up/locked.mp4 - could not delete: access denied"), std::string::npos)
      << out_.str();
}

TEST_F(SyncRun, NothingToDeletePrintsNothing) {
  start({"up/a.mp4", "up/b.txt"});
  SyncOptions o = opts();
  auto r = go(o, {"up/a.mp4"});  // no --yes, no terminal: fine, since nothing is deleted
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(out_.str(), "");
  EXPECT_TRUE(posts().empty());
}

TEST_F(SyncRun, NoDirectoryArgumentListsNothing) {
  start({"up/a.mp4"});
  SyncOptions o = opts();
  o.scope.roots.clear();
  o.yes = true;
  auto r = go(o, {});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.report.not_run.empty());
  EXPECT_NE(err_.str().find("mirrors directories"), std::string::npos);
  EXPECT_EQ(server_->requests_seen(), 0);
}

TEST_F(SyncRun, ListingFailureDeletesNothing) {
  server_ = std::make_unique<LoopbackServer>([](const ServerRequest&) {
    ServerReply r;
    r.status = 403;
    r.body = "<Error><Code>AccessDenied</Code><Message>no listing</Message></Error>";
    return r;
  });
  client_ = std::make_unique<s3::Client>(loop_, s3up::testing::example_config(s3::make_endpoint(
                                                    server_->base_url(), "us-east-1", true)));
  SyncOptions o = opts();
  o.yes = true;
  auto r = go(o, {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(err_.str().find("could not list s3://bucket/up/"), std::string::npos) << err_.str();
  EXPECT_TRUE(posts().empty());
}

}  // namespace
}  // namespace s3up::app
