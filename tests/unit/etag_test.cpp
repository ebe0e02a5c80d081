#include <gtest/gtest.h>

#include "integrity/etag.hpp"
#include "integrity/hash.hpp"

using namespace s3up::integrity;

TEST(MultipartEtag, MatchesTheS3Construction) {
  // Two parts "a" * 5 and "b" * 3: md5(md5("aaaaa") || md5("bbb")) + "-2".
  std::string p1 = md5_raw("aaaaa"), p2 = md5_raw("bbb");
  EXPECT_EQ(multipart_etag({p1, p2}), md5_hex(p1 + p2) + "-2");
  // A known value: parts "hello " and "world".
  EXPECT_EQ(multipart_etag({md5_raw("hello "), md5_raw("world")}),
            "e09e4fd6265b36115fe3db32df945d84-2");
}

TEST(MultipartEtag, PartCount) {
  EXPECT_EQ(etag_part_count("d41d8cd98f00b204e9800998ecf8427e"), 0u);
  EXPECT_EQ(etag_part_count("0123456789abcdef0123456789abcdef-13"), 13u);
  EXPECT_EQ(etag_part_count("abc-"), 0u);
  EXPECT_EQ(etag_part_count("abc-x1"), 0u);
}
