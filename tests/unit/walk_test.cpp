#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "transfer/walk.hpp"

namespace fs = std::filesystem;
using namespace s3up::transfer;

namespace {

using s3up::test::TempDir;

ExtensionFilter filter(std::vector<std::string> specs) {
  auto f = ExtensionFilter::parse(specs);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error());
  return *f;
}

// The walk's entries, sorted as the output is.
std::vector<LocalFile> collect_files(const std::vector<std::string>& paths,
                                     const ExtensionFilter& f, const WalkOptions& wo) {
  std::vector<LocalFile> out;
  walk_files(paths, f, wo, [&](LocalFile lf) {
    out.push_back(std::move(lf));
    return true;
  });
  std::sort(out.begin(), out.end(),
            [](const LocalFile& a, const LocalFile& b) { return a.display < b.display; });
  return out;
}

std::vector<std::string> displays(const std::vector<LocalFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.display);
  return out;
}

}  // namespace

TEST(ExtensionFilter, CaseSpacesAndDotsAreIgnored) {
  auto f = filter({" .MP4, mov ,..Mkv"});
  EXPECT_TRUE(f.matches("a.mp4"));
  EXPECT_TRUE(f.matches("a.MP4"));
  EXPECT_TRUE(f.matches("dir/b.Mov"));
  EXPECT_TRUE(f.matches("c.mkv"));
  EXPECT_FALSE(f.matches("c.mp3"));
  EXPECT_FALSE(f.matches("mp4"));
  EXPECT_FALSE(f.matches(".mp4"));  // a hidden file with no extension
  EXPECT_EQ(f.describe(), "mp4, mov, mkv");
}

TEST(ExtensionFilter, RepeatedFlagsMergeWithoutDuplicates) {
  auto f = filter({"mp4", "mov,mp4", "MOV"});
  EXPECT_EQ(f.extensions(), (std::vector<std::string>{"mp4", "mov"}));
}

TEST(ExtensionFilter, StarTakesEverything) {
  auto f = filter({"*"});
  EXPECT_TRUE(f.takes_all());
  EXPECT_TRUE(f.matches("README"));
  EXPECT_TRUE(f.matches(".hidden"));
  EXPECT_EQ(f.describe(), "every file");
}

TEST(ExtensionFilter, EmptyOrInvalidIsAnError) {
  EXPECT_FALSE(ExtensionFilter::parse({" , ,"}).ok());
  EXPECT_FALSE(ExtensionFilter::parse({"mp4/x"}).ok());
  EXPECT_FALSE(ExtensionFilter::parse({"*.mp4"}).ok());
}

TEST(BuildKey, JoinsWithOneSlash) {
  EXPECT_EQ(build_key("", "a/b.mp4"), "a/b.mp4");
  EXPECT_EQ(build_key("uploads", "a/b.mp4"), "uploads/a/b.mp4");
  EXPECT_EQ(build_key("uploads/2024", "b.mp4"), "uploads/2024/b.mp4");
  EXPECT_EQ(build_key("uploads/", "b.mp4"), "uploads/b.mp4");
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\xac"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("caf\xc3"));       // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
}

TEST(CollectFiles, WalksRecursivelySortedWithHiddenFilesAndFilter) {
  TempDir t;
  t.write("b.mp4", "bb");
  t.write("a/z.MOV", "z");
  t.write("a/y.txt", "y");
  t.write(".hidden/c.mp4", "c");
  t.write(".d.mp4", "d");
  t.write("A/x.mp4", "x");
  WalkOptions wo;
  wo.target_path = "up";
  auto files = collect_files({t.path().string()}, filter({"mp4,mov"}), wo);
  EXPECT_EQ(displays(files),
            (std::vector<std::string>{".d.mp4", ".hidden/c.mp4", "A/x.mp4", "a/z.MOV", "b.mp4"}));
  for (const auto& f : files) {
    EXPECT_TRUE(f.error.empty()) << f.display << ": " << f.error;
    EXPECT_EQ(f.key, "up/" + f.display);
  }
  EXPECT_EQ(files.back().size, 2u);
}

TEST(CollectFiles, ExplicitFileIsAlwaysTakenAndKeyedByName) {
  TempDir t;
  t.write("sub/notes.txt", "hello");
  WalkOptions wo;
  auto files = collect_files({(t.path() / "sub/notes.txt").string()}, filter({"mp4"}), wo);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].key, "notes.txt");
  EXPECT_EQ(files[0].size, 5u);
  EXPECT_TRUE(files[0].error.empty());
}

TEST(CollectFiles, SymlinksAreNotFollowedByDefault) {
  TempDir t;
  t.write("real/a.mp4", "a");
  fs::create_directory_symlink(t.path() / "real", t.path() / "link");
  fs::create_symlink(t.path() / "real/a.mp4", t.path() / "l.mp4");
  WalkOptions wo;
  auto files = collect_files({t.path().string()}, filter({"mp4"}), wo);
  EXPECT_EQ(displays(files), (std::vector<std::string>{"real/a.mp4"}));
  wo.follow_symlinks = true;
  files = collect_files({t.path().string()}, filter({"mp4"}), wo);
  EXPECT_EQ(displays(files), (std::vector<std::string>{"l.mp4", "link/a.mp4", "real/a.mp4"}));
}

TEST(CollectFiles, MissingPathIsReportedNotDropped) {
  WalkOptions wo;
  auto files = collect_files({"/definitely/not/here.mp4"}, filter({"mp4"}), wo);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(files[0].error.find("no such file"), std::string::npos);
}

TEST(CollectFiles, OverlongKeyFailsThatFileOnly) {
  TempDir t;
  t.write("ok.mp4", "1");
  t.write(std::string(200, 'd') + "/" + std::string(200, 'e') + ".mp4", "2");
  WalkOptions wo;
  wo.target_path = std::string(700, 'p');
  auto files = collect_files({t.path().string()}, filter({"mp4"}), wo);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_NE(files[0].error.find("1024"), std::string::npos) << files[0].error;
  EXPECT_TRUE(files[1].error.empty());
}

TEST(CollectFiles, StopsWhenTheConsumerSaysSo) {
  TempDir t;
  for (int i = 0; i < 20; ++i) t.write("d/f" + std::to_string(i) + ".mp4", "x");
  WalkOptions wo;
  int seen = 0;
  walk_files({t.path().string()}, filter({"mp4"}), wo, [&](LocalFile) { return ++seen < 5; });
  EXPECT_EQ(seen, 5);
}

TEST(CollectFiles, SeveralDirectoriesArePrefixedByTheirNames) {
  TempDir t;
  t.write("one/a.mp4", "1");
  t.write("two/a.mp4", "2");
  WalkOptions wo;
  auto files = collect_files({(t.path() / "one").string(), (t.path() / "two/").string()},
                             filter({"mp4"}), wo);
  EXPECT_EQ(displays(files), (std::vector<std::string>{"one/a.mp4", "two/a.mp4"}));
  EXPECT_EQ(files[1].key, "two/a.mp4");
}

TEST(CollectFiles, UnreadableDirectoryIsReported) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  TempDir t;
  t.write("locked/a.mp4", "1");
  fs::permissions(t.path() / "locked", fs::perms::none);
  WalkOptions wo;
  auto files = collect_files({t.path().string()}, filter({"mp4"}), wo);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_FALSE(files[0].error.empty());
}
