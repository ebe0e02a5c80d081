#include "util/strings.hpp"

#include <gtest/gtest.h>

namespace s3up {
namespace {

TEST(UriEncode, UnreservedKeptEverythingElseUpperHex) {
  EXPECT_EQ(uri_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a b+c&d=e/f"), "a%20b%2Bc%26d%3De%2Ff");
  EXPECT_EQ(uri_encode("a b/c", /*keep_slash=*/true), "a%20b/c");
  EXPECT_EQ(uri_encode("\xE1\x88\xB4"), "%E1%88%B4");
  EXPECT_EQ(uri_encode(std::string("\0\xFF", 2)), "%00%FF");
  EXPECT_EQ(uri_encode("%"), "%25");
  EXPECT_EQ(uri_encode(""), "");
}

TEST(UriDecode, DecodesEscapesAndKeepsPlusAndMalformed) {
  EXPECT_EQ(uri_decode("a%20b%2fc%2F"), "a b/c/");
  EXPECT_EQ(uri_decode("a+b"), "a+b");
  EXPECT_EQ(uri_decode("100%"), "100%");
  EXPECT_EQ(uri_decode("%4"), "%4");
  EXPECT_EQ(uri_decode("%zz%41"), "%zzA");
  EXPECT_EQ(uri_decode("%E1%88%B4"), "\xE1\x88\xB4");
}

TEST(UriEncode, RoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (const std::string& s :
       {std::string("plain"), std::string("dir/with space/caf\xC3\xA9+&=?#%"), all}) {
    EXPECT_EQ(uri_decode(uri_encode(s)), s);
    EXPECT_EQ(uri_decode(uri_encode(s, true)), s);
  }
}

TEST(Strings, CaseAndTrim) {
  EXPECT_EQ(to_lower("Content-MD5"), "content-md5");
  EXPECT_EQ(trim("  \t a b \r\n"), "a b");
  EXPECT_EQ(trim("   "), "");
  EXPECT_TRUE(iequals("Host", "hOST"));
  EXPECT_FALSE(iequals("Host", "Hosts"));
  EXPECT_TRUE(starts_with_icase("X-Amz-Meta-Foo", "x-amz-meta-"));
  EXPECT_FALSE(starts_with_icase("X-Am", "x-amz-"));
}

TEST(Strings, Split) {
  EXPECT_EQ(split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(split("a,", ','), (std::vector<std::string>{"a", ""}));
}

TEST(Hex, Encode) {
  EXPECT_EQ(hex_encode(std::string_view("\x00\x01\xab\xff", 4)), "0001abff");
  const unsigned char bytes[] = {0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(hex_encode(bytes, sizeof(bytes)), "deadbeef");
  EXPECT_EQ(hex_encode(""), "");
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string_view("\xfb\xff\xbf", 3)), "+/+/");
}

}  // namespace
}  // namespace s3up

TEST(Strings, CodePointsOfUtf8) {
  std::vector<uint32_t> seen;
  EXPECT_TRUE(s3up::for_each_code_point("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x8E\xA5", [&](uint32_t cp) {
    seen.push_back(cp);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<uint32_t>{0x61, 0xE9, 0x20AC, 0x1F3A5}));
  auto any = [](uint32_t) { return true; };
  EXPECT_FALSE(s3up::for_each_code_point("\xC0\xAF", any));      // overlong '/'
  EXPECT_FALSE(s3up::for_each_code_point("\xED\xA0\x80", any));  // surrogate
  EXPECT_FALSE(s3up::for_each_code_point("\xE2\x82", any));      // truncated
  EXPECT_FALSE(s3up::for_each_code_point("\xFF", any));
  EXPECT_FALSE(s3up::for_each_code_point("ab", [](uint32_t cp) { return cp != 'b'; }));
}
