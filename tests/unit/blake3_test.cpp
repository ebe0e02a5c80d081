#include "integrity/blake3.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

namespace s3up::integrity {
namespace {

constexpr const char* kEmpty = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
constexpr const char* kAbc = "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85";

std::string random_string(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::filesystem::path temp_file(const std::string& contents) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto path = dir / ("s3up_blake3_test_" + std::to_string(::getpid()) + "_" +
                           std::to_string(std::random_device{}()));
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(Blake3, KnownVectors) {
  EXPECT_EQ(blake3_hex(""), kEmpty);
  EXPECT_EQ(blake3_hex("abc"), kAbc);
  Blake3 b;
  EXPECT_EQ(b.hex(), kEmpty);
  b.update("a");
  b.update("");
  b.update("bc");
  EXPECT_EQ(b.hex(), kAbc);
  EXPECT_EQ(b.raw().size(), kBlake3OutLen);
}

TEST(Blake3, HexDoesNotEndStreamAndResetWorks) {
  Blake3 b;
  b.update("ab");
  (void)b.hex();
  b.update("c");
  EXPECT_EQ(b.hex(), kAbc);
  EXPECT_EQ(b.hex(), kAbc);  // idempotent
  b.reset();
  EXPECT_EQ(b.hex(), kEmpty);
  Blake3 moved = std::move(b);
  moved.update("abc");
  EXPECT_EQ(moved.hex(), kAbc);
}

// Splitting the input anywhere (across block, chunk and SIMD-batch boundaries) must not
// change the digest.
TEST(Blake3, StreamingEqualsOneShotAcrossBoundaries) {
  const std::string data = random_string((1 << 20) + 777, 3);
  const std::string want = blake3_hex(data);
  for (size_t split :
       {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{1023}, size_t{1024},
        size_t{1025}, size_t{8191}, size_t{16384}, size_t{65537}, data.size()}) {
    Blake3 b;
    b.update(data.data(), split);
    b.update(data.data() + split, data.size() - split);
    EXPECT_EQ(b.hex(), want) << split;
  }
  std::mt19937 rng(8);
  Blake3 b;
  for (size_t pos = 0; pos < data.size();) {
    const size_t n = std::min<size_t>(rng() % 5000, data.size() - pos);
    b.update(data.data() + pos, n);
    pos += n;
  }
  EXPECT_EQ(b.hex(), want);
  // Different inputs differ (a sanity check that the data is actually read).
  std::string other = data;
  other[other.size() / 2] ^= 1;
  EXPECT_NE(blake3_hex(other), want);
}

TEST(Blake3, File) {
  const auto empty = temp_file("");
  const auto abc = temp_file("abc");
  const std::string big_data = random_string(3 * (1 << 20) + 5, 4);  // > one read buffer
  const auto big = temp_file(big_data);
  auto r = blake3_file_hex(empty);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, kEmpty);
  r = blake3_file_hex(abc);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, kAbc);
  r = blake3_file_hex(big);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, blake3_hex(big_data));
  for (const auto& p : {empty, abc, big}) std::filesystem::remove(p);

  auto missing = blake3_file_hex("/nonexistent/s3up/blake3");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("/nonexistent/s3up/blake3"), std::string::npos);
  auto dir = blake3_file_hex(std::filesystem::temp_directory_path());
  EXPECT_FALSE(dir.ok());  // EISDIR
}

// Cross-check with the reference tool when it happens to be installed.
TEST(Blake3, MatchesB3sumIfInstalled) {
  if (std::system("command -v b3sum >/dev/null 2>&1") != 0) GTEST_SKIP() << "b3sum not installed";
  const std::string data = random_string(200000, 5);
  const auto path = temp_file(data);
  const std::string cmd = "b3sum --no-names '" + path.string() + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  ASSERT_TRUE(pipe);
  std::array<char, 128> buf{};
  std::string out;
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe.get())) out += buf.data();
  std::filesystem::remove(path);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  EXPECT_EQ(out, blake3_hex(data));
}

}  // namespace
}  // namespace s3up::integrity
