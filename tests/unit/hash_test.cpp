#include "integrity/hash.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "util/strings.hpp"

namespace s3up::integrity {
namespace {

std::string hex_digest(HashAlgo algo, std::string_view data) {
  Hasher h(algo);
  h.update(data);
  return hex_encode(h.finish());
}

TEST(Hash, KnownAnswers) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(sha256_hex(""), kEmptySha256Hex);
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_digest(HashAlgo::kSha1, ""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex_digest(HashAlgo::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex_encode(sha256_raw("abc")), sha256_hex("abc"));
  EXPECT_EQ(hex_encode(md5_raw("abc")), md5_hex("abc"));
}

TEST(Hash, IncrementalMatchesOneShotAndMoves) {
  Hasher h(HashAlgo::kSha256);
  h.update("a");
  Hasher moved(std::move(h));
  moved.update("b");
  Hasher target(HashAlgo::kMd5);
  target = std::move(moved);
  target.update(std::string_view("c"));
  target.update(nullptr, 0);
  EXPECT_EQ(hex_encode(target.finish()), sha256_hex("abc"));
}

TEST(Hmac, Rfc4231) {
  // Test case 1
  EXPECT_EQ(hex_encode(hmac_sha256_raw(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2
  EXPECT_EQ(hex_encode(hmac_sha256_raw("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // An empty key is valid.
  EXPECT_EQ(hex_encode(hmac_sha256_raw("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

class HashFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("s3up_hash_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path write(const std::string& name, const std::string& content) {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(HashFile, WholeFileAndRanges) {
  // Larger than the 1 MiB buffer so the read loop goes round more than once.
  std::string content;
  for (size_t i = 0; i < (size_t{3} << 20) + 12345; ++i) {
    content.push_back(static_cast<char>(i * 131 + 7));
  }
  const auto p = write("data.bin", content);

  auto whole = hash_file_raw(p, HashAlgo::kSha256);
  ASSERT_TRUE(whole.ok()) << whole.error();
  EXPECT_EQ(*whole, sha256_raw(content));

  auto range = hash_file_raw(p, HashAlgo::kMd5, 1000, (size_t{1} << 20) + 5);
  ASSERT_TRUE(range.ok()) << range.error();
  EXPECT_EQ(*range, md5_raw(std::string_view(content).substr(1000, (size_t{1} << 20) + 5)));

  auto tail = hash_file_raw(p, HashAlgo::kSha1, content.size() - 10);
  ASSERT_TRUE(tail.ok()) << tail.error();
  Hasher tail_hasher(HashAlgo::kSha1);
  tail_hasher.update(std::string_view(content).substr(content.size() - 10));
  EXPECT_EQ(*tail, tail_hasher.finish());

  auto empty_range = hash_file_raw(p, HashAlgo::kSha256, 5, 0);
  ASSERT_TRUE(empty_range.ok());
  EXPECT_EQ(hex_encode(*empty_range), kEmptySha256Hex);
}

TEST_F(HashFile, EmptyFile) {
  const auto p = write("empty", "");
  auto r = hash_file_raw(p, HashAlgo::kMd5);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(hex_encode(*r), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_F(HashFile, MissingFileIsOneSentence) {
  const auto p = dir_ / "does-not-exist";
  auto r = hash_file_raw(p, HashAlgo::kSha256);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "cannot read " + p.string() + ": No such file or directory");
}

TEST_F(HashFile, DirectoryIsAnError) {
  auto r = hash_file_raw(dir_, HashAlgo::kSha256);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rfind("cannot read " + dir_.string() + ": ", 0), 0u) << r.error();
}

}  // namespace
}  // namespace s3up::integrity
