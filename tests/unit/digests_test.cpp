// File digests for comparison: several algorithms in one pass, the hash cache consulted and
// filled, stale entries never trusted; and the small decoders.
#include "transfer/digests.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "integrity/hash.hpp"
#include "temp_dir.hpp"
#include "util/strings.hpp"

namespace s3up::transfer {
namespace {

TEST(Decoders, HexAndBase64RoundTrip) {
  EXPECT_EQ(hex_decode("00ff10Ab"), std::string("\x00\xff\x10\xab", 4));
  EXPECT_EQ(hex_decode("abc"), "");
  EXPECT_EQ(hex_decode("zz"), "");
  for (std::string raw : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                          std::string("\x00\xff\xfe\x01\x80", 5)}) {
    EXPECT_EQ(base64_decode(base64_encode(raw)), raw);
  }
  EXPECT_EQ(base64_decode("4waSgw=="), std::string("\xe3\x06\x92\x83", 4));
  EXPECT_EQ(base64_decode("4waSgw="), "");   // bad length
  EXPECT_EQ(base64_decode("4w=Sgw=="), "");  // padding in the middle
  EXPECT_EQ(base64_decode("4w*Sgw=="), "");
}

class DigestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "f.bin";
    std::ofstream(path_, std::ios::binary) << content_;
    // Old enough that the cache accepts it (it ignores racily fresh files).
    struct timespec times[2] = {{1'600'000'000, 0}, {1'600'000'000, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path_.c_str(), times, 0), 0);
  }
  // The file's ctime is "now": let the cache take it anyway.
  static integrity::HashCache::Options racy_free() {
    integrity::HashCache::Options o;
    o.racy_window = std::chrono::nanoseconds(0);
    return o;
  }
  test::TempDir dir_;
  std::filesystem::path path_;
  std::string content_ = std::string(3'000'000, 'x') + "123456789";
};

TEST_F(DigestsTest, SeveralKindsInOnePassMatchOneShotValues) {
  auto d = whole_file_digests(path_.string(), content_.size(),
                              {"md5", "sha256", "crc32c", "blake3"}, nullptr);
  ASSERT_TRUE(d.error.empty()) << d.error;
  EXPECT_TRUE(d.hashed);
  EXPECT_EQ(d.raw["md5"], integrity::md5_raw(content_));
  EXPECT_EQ(d.raw["sha256"], integrity::sha256_raw(content_));
  EXPECT_EQ(d.raw["crc32c"].size(), 4u);
  EXPECT_EQ(d.raw["blake3"].size(), 32u);
  auto part = range_digests(path_.string(), 3'000'000, 9, {"crc32c"});
  EXPECT_EQ(part.raw["crc32c"], std::string("\xe3\x06\x92\x83", 4));
}

TEST_F(DigestsTest, TheCacheAnswersForAnUnchangedFileAndNeverForAChangedOne) {
  integrity::HashCache cache(dir_.path() / "cache", racy_free());
  auto first = whole_file_digests(path_.string(), content_.size(), {"md5", "blake3"}, &cache);
  EXPECT_TRUE(first.hashed);
  auto again = whole_file_digests(path_.string(), content_.size(), {"md5", "blake3"}, &cache);
  EXPECT_FALSE(again.hashed);
  EXPECT_EQ(again.raw, first.raw);
  // Same size, same mtime, different bytes: the ctime/inode identity changes, so it is hashed.
  std::string edited = content_;
  edited[10] = 'y';
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << edited;
  struct timespec times[2] = {{1'600'000'000, 0}, {1'600'000'000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path_.c_str(), times, 0), 0);
  auto after = whole_file_digests(path_.string(), edited.size(), {"md5"}, &cache);
  EXPECT_TRUE(after.hashed);
  EXPECT_EQ(after.raw["md5"], integrity::md5_raw(edited));
}

TEST_F(DigestsTest, PartMd5sAreCachedPerPartSize) {
  integrity::HashCache cache(dir_.path() / "cache", racy_free());
  auto a = part_md5s(path_.string(), content_.size(), 1'000'000, &cache);
  ASSERT_EQ(a.raw.size(), 4u);
  EXPECT_FALSE(a.from_cache);
  EXPECT_EQ(a.raw[0], integrity::md5_raw(content_.substr(0, 1'000'000)));
  EXPECT_EQ(a.raw[3], integrity::md5_raw(content_.substr(3'000'000)));
  EXPECT_TRUE(part_md5s(path_.string(), content_.size(), 1'000'000, &cache).from_cache);
  EXPECT_FALSE(part_md5s(path_.string(), content_.size(), 2'000'000, &cache).from_cache);
}

TEST_F(DigestsTest, AMissingFileIsOneSentence) {
  auto d = whole_file_digests((dir_.path() / "gone").string(), 10, {"md5"}, nullptr);
  EXPECT_NE(d.error.find("cannot open"), std::string::npos) << d.error;
}

}  // namespace
}  // namespace s3up::transfer
