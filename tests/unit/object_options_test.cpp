#include "s3/object_options.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <unistd.h>

namespace s3up::s3 {
namespace {

namespace fs = std::filesystem;

using s3up::test::TempDir;

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string all_errors(const Result<ObjectOptions, std::vector<std::string>>& r) {
  std::string out;
  if (r.ok()) return out;
  for (const auto& e : r.error()) out += e + "\n";
  return out;
}

ObjectOptions valid(const ObjectOptionsInput& in) {
  auto r = validate(in);
  EXPECT_TRUE(r.ok()) << all_errors(r);
  return r.ok() ? r.value() : ObjectOptions{};
}

// The single error of an input expected to fail with exactly one problem.
std::string one_error(const ObjectOptionsInput& in) {
  auto r = validate(in);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.error().size(), 1u) << all_errors(r);
  return r.error().front();
}

ObjectOptionsInput with_metadata(std::vector<std::string> lists) {
  ObjectOptionsInput in;
  in.metadata = std::move(lists);
  return in;
}

ObjectOptionsInput with_tags(std::vector<std::string> lists) {
  ObjectOptionsInput in;
  in.tags = std::move(lists);
  return in;
}

using KV = KeyValues;

Environment env_of(std::map<std::string, std::string> vars) {
  return Environment(std::move(vars));
}

// ---- metadata -------------------------------------------------------------------------------

TEST(Metadata, PairsAreLowerCasedAndKeptInOrder) {
  auto o = valid(with_metadata({"Author=Ann,YEAR=2024, Camera-Model = X100 "}));
  EXPECT_EQ(o.metadata, (KV{{"author", "Ann"}, {"year", "2024"}, {"camera-model", "X100"}}));
  const HeaderList h = o.put_headers("");
  EXPECT_EQ(h, (HeaderList{{"x-amz-meta-author", "Ann"},
                           {"x-amz-meta-year", "2024"},
                           {"x-amz-meta-camera-model", "X100"}}));
}

TEST(Metadata, EqualsInsideValueSplitsAtFirst) {
  auto o = valid(with_metadata({"q=a=b=c,expr==x"}));
  EXPECT_EQ(o.metadata, (KV{{"q", "a=b=c"}, {"expr", "=x"}}));
}

TEST(Metadata, EmptyValueAllowed) {
  auto o = valid(with_metadata({"empty=,b= "}));
  EXPECT_EQ(o.metadata, (KV{{"empty", ""}, {"b", ""}}));
}

TEST(Metadata, QuotedValueMayHoldCommas) {
  auto o = valid(with_metadata({"list=\"a,b,c\",x=1,q= \"y\" "}));
  EXPECT_EQ(o.metadata, (KV{{"list", "a,b,c"}, {"x", "1"}, {"q", "y"}}));
  // A quote in the middle of an unquoted value is kept as it is.
  o = valid(with_metadata({"say=he said \"hi\""}));
  EXPECT_EQ(o.metadata, (KV{{"say", "he said \"hi\""}}));
}

TEST(Metadata, UnterminatedQuoteAndTextAfterQuoteAreErrors) {
  std::string e = one_error(with_metadata({"a=1,list=\"a,b"}));
  EXPECT_TRUE(contains(e, "'list=\"a,b'") && contains(e, "never closed")) << e;
  e = one_error(with_metadata({"list=\"a\"b,c=1"}));
  EXPECT_TRUE(contains(e, "'list=\"a\"b'") && contains(e, "after its closing double quote")) << e;
}

TEST(Metadata, EmptyItemsAreSkipped) {
  auto o = valid(with_metadata({",a=1,,b=2,", "", " , "}));
  EXPECT_EQ(o.metadata, (KV{{"a", "1"}, {"b", "2"}}));
}

TEST(Metadata, PairWithoutEqualsIsNamed) {
  auto r = validate(with_metadata({"a=1,oops,b=2,also bad"}));
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().size(), 2u) << all_errors(r);
  EXPECT_EQ(r.error()[0],
            "Metadata entry 'oops' has no '=': write key=value pairs separated by commas, e.g. "
            "author=ann,year=2024 (in --metadata / S3_METADATA).");
  EXPECT_TRUE(contains(r.error()[1], "'also bad'"));
}

TEST(Metadata, EmptyKeyIsAnError) {
  const std::string e = one_error(with_metadata({"=value"}));
  EXPECT_TRUE(contains(e, "'=value'") && contains(e, "empty key")) << e;
}

TEST(Metadata, KeysMustBeHttpTokens) {
  std::string e = one_error(with_metadata({"my key=1"}));
  EXPECT_TRUE(contains(e, "'my key'") && contains(e, "a space")) << e;
  e = one_error(with_metadata({"a/b=1"}));
  EXPECT_TRUE(contains(e, "'a/b'") && contains(e, "'/'")) << e;
  e = one_error(with_metadata({"ключ=1"}));
  EXPECT_TRUE(contains(e, "'ключ'") && contains(e, "'к' (U+043A)")) << e;
  // Every tchar is fine.
  auto o = valid(with_metadata({"!#$%&'*+-.^_`|~Az09=v"}));
  EXPECT_EQ(o.metadata.front().first, "!#$%&'*+-.^_`|~az09");
}

TEST(Metadata, DuplicateWithinOneListIsAnErrorReportedOnce) {
  const std::string e = one_error(with_metadata({"a=1,A=2,a=3,b=1"}));
  EXPECT_TRUE(contains(e, "'a' is given twice")) << e;
  EXPECT_TRUE(contains(e, "'a=1,A=2,a=3,b=1'")) << e;
}

TEST(Metadata, LaterListWinsPerKey) {
  auto o = valid(with_metadata({"a=env,b=env", "A=flag1,c=flag1", "c=flag2"}));
  EXPECT_EQ(o.metadata, (KV{{"a", "flag1"}, {"b", "env"}, {"c", "flag2"}}));
}

TEST(Metadata, ReservedPrefixIsAnError) {
  const std::string e = one_error(with_metadata({"S3Upload-SHA256=abc"}));
  EXPECT_TRUE(contains(e, "'S3Upload-SHA256'") && contains(e, "reserves")) << e;
}

TEST(Metadata, ControlCharactersInValuesAreErrors) {
  std::string e = one_error(with_metadata({"a=x\ty"}));
  EXPECT_TRUE(contains(e, "'a'") && contains(e, "control character 0x09")) << e;
  e = one_error(with_metadata({"a=x\r\nx-amz-acl: public-read"}));
  EXPECT_TRUE(contains(e, "control character 0x0D")) << e;
  e = one_error(with_metadata({"a=x\xC2\x85y"}));  // U+0085, a C1 control
  EXPECT_TRUE(contains(e, "U+0085")) << e;
}

TEST(Metadata, InvalidUtf8ValueIsAnError) {
  const std::string e = one_error(with_metadata({"a=\xFF\xFE"}));
  EXPECT_TRUE(contains(e, "not valid UTF-8") && contains(e, "\\xFF")) << e;
}

TEST(Metadata, NonAsciiValuesAreRfc2047Encoded) {
  auto o = valid(with_metadata({"city=Zürich,plain=Zurich"}));
  EXPECT_EQ(o.metadata, (KV{{"city", "Zürich"}, {"plain", "Zurich"}}));
  const HeaderList h = o.put_headers("");
  EXPECT_EQ(h, (HeaderList{{"x-amz-meta-city", "=?UTF-8?B?WsO8cmljaA==?="},
                           {"x-amz-meta-plain", "Zurich"}}));
  EXPECT_EQ(encode_metadata_value("日本語"), "=?UTF-8?B?5pel5pys6Kqe?=");
  EXPECT_EQ(encode_metadata_value("ascii only ~!"), "ascii only ~!");
}

TEST(Metadata, DecodesEncodedWords) {
  EXPECT_EQ(decode_metadata_value("=?UTF-8?B?WsO8cmljaA==?="), "Zürich");
  EXPECT_EQ(decode_metadata_value("=?utf-8?b?WsO8cmljaA==?="), "Zürich");
  EXPECT_EQ(decode_metadata_value("=?UTF-8?Q?Z=C3=BCrich_x?="), "Zürich x");
  EXPECT_EQ(decode_metadata_value("=?UTF-8?B?5pel5pys?= =?UTF-8?B?6Kqe?="), "日本語");
  EXPECT_EQ(decode_metadata_value("a =?UTF-8?B?6Kqe?= b"), "a 語 b");
  EXPECT_EQ(decode_metadata_value("plain"), "plain");
  EXPECT_EQ(decode_metadata_value("=?broken"), "=?broken");
  EXPECT_EQ(decode_metadata_value("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
  EXPECT_EQ(decode_metadata_value("=?UTF-8?B?***?="), "=?UTF-8?B?***?=");
}

TEST(Metadata, TotalOf2KBExactlyIsAllowed) {
  // 2 + 2046 bytes: the value is 1023 two-byte characters.
  auto o = valid(with_metadata({"ab=" + repeat("é", 1023)}));
  EXPECT_EQ(o.metadata.size(), 1u);
  // Several keys adding up to 2048.
  o = valid(with_metadata({"a=" + std::string(1000, 'x') + ",b=" + std::string(1046, 'y')}));
  EXPECT_EQ(o.metadata.size(), 2u);
}

TEST(Metadata, TotalOver2KBIsAnError) {
  std::string e = one_error(with_metadata({"ab=" + repeat("é", 1023) + "x"}));
  EXPECT_EQ(e,
            "User metadata totals 2049 bytes (keys plus values, UTF-8): S3 allows at most 2048 "
            "(2 KB), so shorten or drop some entries.");
  e = one_error(with_metadata({"a=" + std::string(1000, 'x'), "b=" + std::string(1047, 'y')}));
  EXPECT_TRUE(contains(e, "2049 bytes")) << e;
}

TEST(Metadata, LimitCountsMergedValuesOnce) {
  // The flag replaces the environment's long value: the total is what is sent.
  auto o = valid(with_metadata({"a=" + std::string(2000, 'x'), "a=short"}));
  EXPECT_EQ(o.metadata, (KV{{"a", "short"}}));
}

// ---- tags -----------------------------------------------------------------------------------

TEST(Tags, HeaderIsPercentEncodedQueryString) {
  auto o = valid(with_tags({"project=demo,team=media ops,empty="}));
  EXPECT_EQ(o.tags, (KV{{"project", "demo"}, {"team", "media ops"}, {"empty", ""}}));
  EXPECT_EQ(tagging_header_value(o.tags), "project=demo&team=media%20ops&empty=");
  EXPECT_EQ(tagging_header_value({{"path", "a/b:c@d+e=f_g.h-i"}}),
            "path=a%2Fb%3Ac%40d%2Be%3Df_g.h-i");
  const HeaderList h = o.put_headers("");
  EXPECT_EQ(h, (HeaderList{{"x-amz-tagging", "project=demo&team=media%20ops&empty="}}));
}

TEST(Tags, UnicodeKeysAndValues) {
  auto o = valid(with_tags({"プロジェクト=デモ,Ключ=Значение 2"}));
  EXPECT_EQ(o.tags, (KV{{"プロジェクト", "デモ"}, {"Ключ", "Значение 2"}}));
  EXPECT_TRUE(
      contains(tagging_header_value(o.tags),
               "%E3%83%97%E3%83%AD%E3%82%B8%E3%82%A7%E3%82%AF%E3%83%88=%E3%83%87%E3%83%A2&"));
  // Unicode spaces and numbers count as allowed too.
  valid(with_tags({"a=x\xC2\xA0y\xE3\x80\x80z\xC2\xB2"}));
}

TEST(Tags, TenAllowedElevenNot) {
  std::string ten;
  for (int i = 0; i < 10; ++i) ten += "k" + std::to_string(i) + "=v,";
  auto o = valid(with_tags({ten}));
  EXPECT_EQ(o.tags.size(), 10u);
  const std::string e = one_error(with_tags({ten + "k10=v"}));
  EXPECT_EQ(e, "11 tags are given (--tags / S3_TAGS together): S3 allows at most 10 per object.");
}

TEST(Tags, CountIsAfterMerge) {
  std::string env, flags;
  for (int i = 0; i < 6; ++i) env += "e" + std::to_string(i) + "=v,";
  for (int i = 0; i < 5; ++i) flags += "f" + std::to_string(i) + "=v,";
  EXPECT_TRUE(contains(one_error(with_tags({env, flags})), "11 tags"));
  // Overriding keys do not count twice.
  auto o = valid(with_tags({env, "e0=flag,e1=flag,f0=v,f1=v,f2=v,f3=v"}));
  EXPECT_EQ(o.tags.size(), 10u);
  EXPECT_EQ(o.tags[0], (std::pair<std::string, std::string>{"e0", "flag"}));
}

TEST(Tags, KeyLengthIsCountedInCharacters) {
  // 128 two-byte characters = 256 bytes: allowed.
  auto o = valid(with_tags({repeat("é", 128) + "=v"}));
  EXPECT_EQ(o.tags.front().first.size(), 256u);
  // Three-byte characters too.
  valid(with_tags({repeat("日", 128) + "=v"}));
  const std::string e = one_error(with_tags({repeat("é", 129) + "=v"}));
  EXPECT_TRUE(contains(e, "is 129 characters long: S3 allows at most 128 for a tag key.")) << e;
  EXPECT_TRUE(contains(e, "...")) << e;  // the long key is cut in the message
}

TEST(Tags, ValueLengthIsCountedInCharacters) {
  auto o = valid(with_tags({"k=" + repeat("日", 256)}));
  EXPECT_EQ(o.tags.front().second.size(), 768u);
  valid(with_tags({"k=" + std::string(256, 'v')}));
  const std::string e = one_error(with_tags({"k=" + repeat("日", 257)}));
  EXPECT_EQ(e, "Value of tag 'k' is 257 characters long: S3 allows at most 256 for a tag value.");
  EXPECT_TRUE(contains(one_error(with_tags({"k=" + std::string(257, 'v')})), "257 characters"));
}

TEST(Tags, EmptyKeyIsAnErrorEmptyValueIsNot) {
  const std::string e = one_error(with_tags({"=v"}));
  EXPECT_TRUE(contains(e, "Tag entry '=v' has an empty key")) << e;
  auto o = valid(with_tags({"k="}));
  EXPECT_EQ(o.tags, (KV{{"k", ""}}));
}

TEST(Tags, EqualsInsideValue) {
  auto o = valid(with_tags({"expr=a=b"}));
  EXPECT_EQ(o.tags, (KV{{"expr", "a=b"}}));
  EXPECT_EQ(tagging_header_value(o.tags), "expr=a%3Db");
}

TEST(Tags, AwsPrefixIsReserved) {
  std::string e = one_error(with_tags({"aws:cloudformation=x"}));
  EXPECT_EQ(e,
            "Tag key 'aws:cloudformation' starts with 'aws:', which AWS reserves: choose another "
            "key.");
  EXPECT_TRUE(contains(one_error(with_tags({"AWS:x=1"})), "'aws:'"));
  valid(with_tags({"awsx=1,my:aws:key=2"}));
}

TEST(Tags, DisallowedCharacters) {
  std::string e = one_error(with_tags({"a#b=1"}));
  EXPECT_EQ(e,
            "Tag key 'a#b' contains '#': S3 tags may only hold letters, digits, spaces and "
            "+ - = . _ : / @.");
  e = one_error(with_tags({"k=\"a,b\""}));
  EXPECT_TRUE(contains(e, "Value of tag 'k' contains ','")) << e;
  e = one_error(with_tags({"k=fire\xF0\x9F\x94\xA5"}));  // an emoji
  EXPECT_TRUE(contains(e, "U+1F525")) << e;
  e = one_error(with_tags({"k=a\tb"}));
  EXPECT_TRUE(contains(e, "control character 0x09")) << e;
  e = one_error(with_tags({"k=caf\xC3"}));
  EXPECT_TRUE(contains(e, "not valid UTF-8")) << e;
  // Every allowed ASCII punctuation character.
  valid(with_tags({"a+-=._:/@ Z9=a+-=._:/@ Z9"}));
}

TEST(Tags, DuplicatesWithinOneListAreErrorsAndKeysAreCaseSensitive) {
  const std::string e = one_error(with_tags({"a=1,a=2"}));
  EXPECT_TRUE(contains(e, "Tag key 'a' is given twice")) << e;
  auto o = valid(with_tags({"A=1,a=2"}));
  EXPECT_EQ(o.tags.size(), 2u);
  o = valid(with_tags({"a=env", "a=flag"}));
  EXPECT_EQ(o.tags, (KV{{"a", "flag"}}));
}

TEST(Tags, MalformedPairIsNamed) {
  const std::string e = one_error(with_tags({"project"}));
  EXPECT_EQ(e,
            "Tag entry 'project' has no '=': write key=value pairs separated by commas, e.g. "
            "project=demo,team=media (in --tags / S3_TAGS).");
}

// ---- content headers ------------------------------------------------------------------------

TEST(ContentHeaders, ValidContentTypes) {
  for (const char* t : {"video/mp4", "text/plain; charset=utf-8", "text/plain;charset=UTF-8",
                        "multipart/mixed; boundary=\"a b;c\"", "application/vnd.api+json"}) {
    ObjectOptionsInput in;
    in.content_type = t;
    EXPECT_EQ(valid(in).content_type, t);
  }
}

TEST(ContentHeaders, InvalidContentTypes) {
  for (const char* t : {"video", "video/", "/mp4", "vid eo/mp4", "text/plain;", "text/plain; cs",
                        "text/plain; a=\"open", "text/plain\r\nx: y", "видео/mp4"}) {
    ObjectOptionsInput in;
    in.content_type = t;
    const std::string e = one_error(in);
    EXPECT_TRUE(contains(e, "is not a media type: write type/subtype")) << t << ": " << e;
  }
}

TEST(ContentHeaders, OverrideWinsOverDetectedType) {
  ObjectOptions o;
  EXPECT_EQ(o.put_headers("video/mp4"), (HeaderList{{"content-type", "video/mp4"}}));
  EXPECT_EQ(o.put_headers(""), HeaderList{});
  ObjectOptionsInput in;
  in.content_type = " application/x-custom ";
  o = valid(in);
  EXPECT_EQ(o.put_headers("video/mp4"), (HeaderList{{"content-type", "application/x-custom"}}));
}

TEST(ContentHeaders, PassThroughValues) {
  ObjectOptionsInput in;
  in.content_encoding = "gzip, br";
  in.content_disposition = "attachment; filename=\"clip.mp4\"";
  in.cache_control = "public, max-age=31536000, immutable";
  auto o = valid(in);
  EXPECT_EQ(o.content_encoding, "gzip, br");
  EXPECT_EQ(o.content_disposition, "attachment; filename=\"clip.mp4\"");
  EXPECT_EQ(o.cache_control, "public, max-age=31536000, immutable");
}

TEST(ContentHeaders, BadPassThroughValues) {
  ObjectOptionsInput in;
  in.content_disposition = "attachment; filename=\"été.mp4\"";
  std::string e = one_error(in);
  EXPECT_TRUE(contains(e, "Content-Disposition") && contains(e, "'é' (U+00E9)") &&
              contains(e, "filename*=UTF-8''"))
      << e;
  in = {};
  in.cache_control = "max-age=1\r\nx-amz-acl: public-read";
  e = one_error(in);
  EXPECT_TRUE(contains(e, "Cache-Control") && contains(e, "control character 0x0D")) << e;
  EXPECT_TRUE(contains(e, "\\x0D")) << e;  // shown escaped
  in = {};
  in.cache_control = "";
  e = one_error(in);
  EXPECT_TRUE(contains(e, "is empty")) << e;
  in = {};
  in.content_encoding = "g zip";
  e = one_error(in);
  EXPECT_TRUE(contains(e, "Content-Encoding value 'g zip'") && contains(e, "list of encodings"))
      << e;
}

// ---- expires --------------------------------------------------------------------------------

TEST(Expires, HttpDateIsKept) {
  auto r = parse_expires("Wed, 21 Oct 2026 07:28:00 GMT");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "Wed, 21 Oct 2026 07:28:00 GMT");
  ObjectOptionsInput in;
  in.expires = " Wed, 21 Oct 2026 07:28:00 GMT ";
  EXPECT_EQ(valid(in).expires, "Wed, 21 Oct 2026 07:28:00 GMT");
}

TEST(Expires, Iso8601IsConverted) {
  const std::pair<const char*, const char*> cases[] = {
      {"2026-10-21T07:28:00Z", "Wed, 21 Oct 2026 07:28:00 GMT"},
      {"2026-10-21t07:28:00z", "Wed, 21 Oct 2026 07:28:00 GMT"},
      {"2026-10-21T07:28:00.999Z", "Wed, 21 Oct 2026 07:28:00 GMT"},
      {"2026-10-21T09:28:00+02:00", "Wed, 21 Oct 2026 07:28:00 GMT"},
      {"2026-10-21T02:28:00-0500", "Wed, 21 Oct 2026 07:28:00 GMT"},
      {"2026-01-01T01:00:00+02:00", "Wed, 31 Dec 2025 23:00:00 GMT"},
      {"2024-02-29T00:00:00Z", "Thu, 29 Feb 2024 00:00:00 GMT"},
      {"1970-01-01T00:00:00Z", "Thu, 01 Jan 1970 00:00:00 GMT"},
  };
  for (const auto& [in, out] : cases) {
    auto r = parse_expires(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error();
    EXPECT_EQ(*r, out) << in;
  }
}

TEST(Expires, BadValues) {
  auto r = parse_expires("tomorrow");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(),
            "Expires value 'tomorrow' (--expires / S3_EXPIRES) is not a date: write an HTTP date "
            "such as 'Wed, 21 Oct 2026 07:28:00 GMT' or an ISO 8601 time such as "
            "2026-10-21T07:28:00Z.");
  r = parse_expires("2026-10-21T07:28:00");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error(), "has no time zone: add Z")) << r.error();
  r = parse_expires("2026-02-29T00:00:00Z");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error(), "is not a real date and time")) << r.error();
  r = parse_expires("2026-10-21T24:00:00Z");
  EXPECT_FALSE(r.ok());
  r = parse_expires("Tue, 21 Oct 2026 07:28:00 GMT");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error(), "wrong weekday: 21 Oct 2026 is a Wednesday.")) << r.error();
  for (const char* bad :
       {"Wed, 21 Okt 2026 07:28:00 GMT", "Wed, 21 Oct 2026 07:28:00 UTC", "2026-10-21",
        "2026-10-21T07:28:00+2", "2026-10-21T07:28:00Zjunk", "2026-10-21T07:28:00.Z", ""}) {
    EXPECT_FALSE(parse_expires(bad).ok()) << bad;
  }
  ObjectOptionsInput in;
  in.expires = "soon";
  EXPECT_TRUE(contains(one_error(in), "'soon'"));
}

// ---- storage class and ACL ------------------------------------------------------------------

TEST(StorageClass, AllClassesAnyCase) {
  for (std::string c :
       {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
        "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE"}) {
    std::string lower;
    for (char ch : c) lower.push_back(static_cast<char>(std::tolower(ch)));
    for (const std::string& given : {c, lower}) {
      ObjectOptionsInput in;
      in.storage_class = given;
      auto o = valid(in);
      EXPECT_EQ(o.storage_class, c);
      EXPECT_EQ(o.put_headers(""), (HeaderList{{"x-amz-storage-class", c}}));
    }
  }
  EXPECT_EQ(storage_classes().size(), 11u);
  ObjectOptionsInput in;
  in.storage_class = "Standard_Ia";
  EXPECT_EQ(valid(in).storage_class, "STANDARD_IA");
}

TEST(StorageClass, UnknownIsAnError) {
  ObjectOptionsInput in;
  in.storage_class = "glacier-deep";
  const std::string e = one_error(in);
  EXPECT_TRUE(contains(e,
                       "Storage class 'glacier-deep' (--storage-class / S3_STORAGE_CLASS) is "
                       "not one S3 knows: use one of STANDARD, REDUCED_REDUNDANCY,"))
      << e;
  EXPECT_TRUE(contains(e, "EXPRESS_ONEZONE.")) << e;
}

TEST(Acl, AllCannedAclsAnyCase) {
  for (std::string a : {"private", "public-read", "public-read-write", "authenticated-read",
                        "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"}) {
    std::string upper;
    for (char ch : a) upper.push_back(static_cast<char>(std::toupper(ch)));
    for (const std::string& given : {a, upper}) {
      ObjectOptionsInput in;
      in.acl = given;
      auto o = valid(in);
      EXPECT_EQ(o.acl, a);
      EXPECT_EQ(o.put_headers(""), (HeaderList{{"x-amz-acl", a}}));
    }
  }
  EXPECT_EQ(canned_acls().size(), 7u);
}

TEST(Acl, UnknownIsAnError) {
  ObjectOptionsInput in;
  in.acl = "public";
  const std::string e = one_error(in);
  EXPECT_TRUE(contains(e, "ACL 'public' (--acl / S3_ACL) is not a canned ACL: use one of private,"))
      << e;
}

// ---- encryption -----------------------------------------------------------------------------

TEST(Encryption, AcceptedSpellings) {
  const std::pair<const char*, const char*> cases[] = {
      {"aes256", "AES256"},   {"AES256", "AES256"},   {"Aes256", "AES256"},
      {"aws-kms", "aws:kms"}, {"aws:kms", "aws:kms"}, {"AWS:KMS", "aws:kms"},
  };
  for (const auto& [given, canonical] : cases) {
    ObjectOptionsInput in;
    in.encryption = given;
    auto o = valid(in);
    EXPECT_EQ(o.sse, canonical) << given;
    EXPECT_EQ(o.put_headers(""), (HeaderList{{"x-amz-server-side-encryption", canonical}}));
  }
}

TEST(Encryption, UnknownIsAnError) {
  ObjectOptionsInput in;
  in.encryption = "kms";
  const std::string e = one_error(in);
  EXPECT_TRUE(contains(e, "Encryption 'kms' (--encryption / S3_SSE)") && contains(e, "aes256") &&
              contains(e, "aws-kms"))
      << e;
}

TEST(Encryption, KmsKeyId) {
  ObjectOptionsInput in;
  in.encryption = "aws-kms";
  in.kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd";
  auto o = valid(in);
  EXPECT_EQ(o.put_headers(""), (HeaderList{{"x-amz-server-side-encryption", "aws:kms"},
                                           {"x-amz-server-side-encryption-aws-kms-key-id",
                                            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd"}}));
  EXPECT_FALSE(o.etag_is_md5());
}

TEST(Encryption, KmsKeyIdWithoutAwsKmsIsAnError) {
  ObjectOptionsInput in;
  in.kms_key_id = "alias/media";
  std::string e = one_error(in);
  EXPECT_EQ(e,
            "A KMS key id ('alias/media', --kms-key-id / S3_SSE_KMS_KEY_ID) is given without "
            "aws-kms encryption: add --encryption aws-kms or drop the key id.");
  in.encryption = "aes256";
  e = one_error(in);
  EXPECT_TRUE(contains(e, "without aws-kms")) << e;
  in.encryption = "aws:kms";
  in.kms_key_id = "alias/with space";
  e = one_error(in);
  EXPECT_TRUE(contains(e, "is not a key id, ARN or alias")) << e;
}

TEST(Encryption, EtagIsMd5OnlyWithoutKmsOrSseC) {
  EXPECT_TRUE(ObjectOptions{}.etag_is_md5());
  ObjectOptionsInput in;
  in.encryption = "aes256";
  EXPECT_TRUE(valid(in).etag_is_md5());
}

// ---- SSE-C ----------------------------------------------------------------------------------

constexpr char kZeroKeyB64[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
constexpr char kZeroKeyMd5B64[] = "cLyPS3KoaSFGi/joRB3OUQ==";  // python3 hashlib, 32 x 0x00
// bytes(range(32))
constexpr char kSeqKeyB64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kSeqKeyHex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kSeqKeyMd5B64[] = "tP/LI3N87DFaSk0aoqYgzg==";

std::string seq_key() {
  std::string k;
  for (int i = 0; i < 32; ++i) k.push_back(static_cast<char>(i));
  return k;
}

ObjectOptionsInput with_key_file(const std::string& path) {
  ObjectOptionsInput in;
  in.sse_c_key_file = path;
  return in;
}

TEST(SseC, RawKeyAndKnownMd5) {
  TempDir dir;
  auto o = valid(with_key_file(dir.write("key", std::string(32, '\0'))));
  EXPECT_TRUE(o.sse_c());
  EXPECT_EQ(o.sse_c_key_b64, kZeroKeyB64);
  EXPECT_EQ(o.sse_c_key_md5_b64, kZeroKeyMd5B64);
  EXPECT_TRUE(o.warnings.empty());
  const HeaderList part = {{"x-amz-server-side-encryption-customer-algorithm", "AES256"},
                           {"x-amz-server-side-encryption-customer-key", kZeroKeyB64},
                           {"x-amz-server-side-encryption-customer-key-md5", kZeroKeyMd5B64}};
  EXPECT_EQ(o.part_headers(), part);
  HeaderList put = {{"content-type", "video/mp4"}};
  put.insert(put.end(), part.begin(), part.end());
  EXPECT_EQ(o.put_headers("video/mp4"), put);
  EXPECT_FALSE(o.etag_is_md5());
}

TEST(SseC, RawKeyWithNewlineByteIsTakenAsIs) {
  TempDir dir;
  std::string key = seq_key();
  key.back() = '\n';
  auto o = valid(with_key_file(dir.write("key", key)));
  EXPECT_EQ(o.sse_c_key_b64.size(), 44u);
}

TEST(SseC, Base64KeyWithTrailingNewline) {
  TempDir dir;
  for (const std::string& text : {std::string(kSeqKeyB64), std::string(kSeqKeyB64) + "\n",
                                  std::string(kSeqKeyB64) + "\r\n"}) {
    auto o = valid(with_key_file(dir.write("key.b64", text)));
    EXPECT_EQ(o.sse_c_key_b64, kSeqKeyB64);
    EXPECT_EQ(o.sse_c_key_md5_b64, kSeqKeyMd5B64);
  }
}

TEST(SseC, HexKeyAnyCase) {
  TempDir dir;
  std::string upper = kSeqKeyHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  for (const std::string& text : {std::string(kSeqKeyHex) + "\n", upper}) {
    auto o = valid(with_key_file(dir.write("key.hex", text)));
    EXPECT_EQ(o.sse_c_key_b64, kSeqKeyB64);
    EXPECT_EQ(o.sse_c_key_md5_b64, kSeqKeyMd5B64);
  }
}

TEST(SseC, WrongSizesAreErrorsWithoutTheContent) {
  TempDir dir;
  const std::pair<std::string, std::string> cases[] = {
      {std::string(31, 'Q'), "holds 31 bytes"},
      {std::string(33, 'Q'), "holds 33 bytes"},
      {std::string(32, 'Q') + "\n\n", "holds 34 bytes"},
      {"", "holds 0 bytes"},
      {std::string(5000, 'Q'), "holds more than 4096 bytes"},
      {std::string(42, 'Q') + "==", "44 characters that are not the base64 of 32 bytes"},
      {std::string(43, 'R') + "=", "44 characters that are not the base64 of 32 bytes"},
      {std::string(44, '*'), "44 characters that are not the base64 of 32 bytes"},
      {std::string(64, 'Q'), "64 characters that are not hex digits"},
      {std::string(kSeqKeyB64).substr(0, 40), "holds 40 bytes"},
  };
  for (const auto& [content, expected] : cases) {
    const std::string path = dir.write("bad.key", content);
    const std::string e = one_error(with_key_file(path));
    EXPECT_TRUE(contains(e, "SSE-C key file '" + path + "' ")) << e;
    EXPECT_TRUE(contains(e, expected)) << expected << " / " << e;
    EXPECT_TRUE(contains(e, "exactly 32 bytes")) << e;
    EXPECT_FALSE(contains(e, "QQQ")) << e;
    EXPECT_FALSE(contains(e, "***")) << e;
  }
}

TEST(SseC, MissingFileDirectoryAndEmptyPath) {
  TempDir dir;
  const std::string missing = (dir.path() / "nope.key").string();
  std::string e = one_error(with_key_file(missing));
  EXPECT_TRUE(contains(e, "SSE-C key file '" + missing + "' does not exist")) << e;
  e = one_error(with_key_file(dir.path().string()));
  EXPECT_TRUE(contains(e, "is not a regular file")) << e;
  e = one_error(with_key_file(""));
  EXPECT_TRUE(contains(e, "is empty")) << e;
}

TEST(SseC, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can read any file";
  TempDir dir;
  const std::string path = dir.write("key", std::string(32, '\0'), fs::perms::none);
  const std::string e = one_error(with_key_file(path));
  EXPECT_TRUE(contains(e, "cannot be read")) << e;
}

TEST(SseC, GroupOrOtherReadableFileIsOnlyAWarning) {
  TempDir dir;
  const std::string path = dir.write("key", std::string(32, '\0'),
                                     fs::perms::owner_read | fs::perms::owner_write |
                                         fs::perms::group_read | fs::perms::others_read);
  auto o = valid(with_key_file(path));
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_EQ(o.warnings[0], "SSE-C key file '" + path +
                               "' can be read by other users: restrict it with chmod 600 '" + path +
                               "'.");
  EXPECT_EQ(o.sse_c_key_md5_b64, kZeroKeyMd5B64);
}

TEST(SseC, PrintableRawKeyWarns) {
  TempDir dir;
  auto o = valid(with_key_file(dir.write("key", std::string(32, 'a'))));
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_TRUE(contains(o.warnings[0], "32 printable characters")) << o.warnings[0];
  EXPECT_FALSE(contains(o.warnings[0], "aaaa")) << o.warnings[0];
}

TEST(SseC, CannotCombineWithEncryption) {
  TempDir dir;
  for (const char* enc : {"aes256", "aws-kms"}) {
    ObjectOptionsInput in = with_key_file(dir.write("key", std::string(32, '\0')));
    in.encryption = enc;
    const std::string e = one_error(in);
    EXPECT_TRUE(contains(e,
                         "SSE-C (--sse-c-key-file / S3_SSE_C_KEY_FILE) cannot be combined "
                         "with --encryption / S3_SSE '") &&
                contains(e, enc))
        << e;
  }
}

TEST(SseC, DescribeAndMessagesNeverHoldTheKey) {
  TempDir dir;
  auto o = valid(with_key_file(dir.write("key", seq_key(), fs::perms::all)));
  const std::string d = o.describe("video/mp4");
  EXPECT_EQ(d, "content-type video/mp4, SSE-C");
  for (const std::string& s : {d, o.warnings.at(0)}) {
    EXPECT_FALSE(contains(s, kSeqKeyB64)) << s;
    EXPECT_FALSE(contains(s, kSeqKeyMd5B64)) << s;
    EXPECT_FALSE(contains(s, seq_key().substr(1))) << s;
  }
  // A wrong-size base64 key: the error names sizes only.
  const std::string text = std::string(kSeqKeyB64) + "AAAA\n";
  const std::string e = one_error(with_key_file(dir.write("key2", text)));
  EXPECT_FALSE(contains(e, std::string(kSeqKeyB64).substr(0, 10))) << e;
}

// ---- describe -------------------------------------------------------------------------------

TEST(Describe, Summaries) {
  EXPECT_EQ(ObjectOptions{}.describe("video/mp4"), "content-type video/mp4");
  EXPECT_EQ(ObjectOptions{}.describe(""), "");
  TempDir dir;
  ObjectOptionsInput in = with_key_file(dir.write("key", std::string(32, '\0')));
  in.storage_class = "standard_ia";
  in.tags = {"a=1,b=2"};
  EXPECT_EQ(valid(in).describe("video/mp4"),
            "content-type video/mp4, storage class STANDARD_IA, 2 tags, SSE-C");
  in = {};
  in.content_type = "text/plain";
  in.cache_control = "no-cache";
  in.acl = "private";
  in.metadata = {"a=1"};
  in.tags = {"t=1"};
  in.encryption = "aws-kms";
  in.kms_key_id = "alias/media";
  EXPECT_EQ(valid(in).describe("video/mp4"),
            "content-type text/plain, cache-control no-cache, ACL private, 1 metadata entry, "
            "1 tag, SSE-KMS key alias/media");
  in = {};
  in.encryption = "AES256";
  in.metadata = {"a=1,b=2"};
  EXPECT_EQ(valid(in).describe(""), "2 metadata entries, SSE-S3");
}

// ---- all headers together -------------------------------------------------------------------

TEST(PutHeaders, AllOptionsInOrder) {
  ObjectOptionsInput in;
  in.metadata = {"Author=Ann"};
  in.tags = {"project=demo"};
  in.content_type = "video/mp4";
  in.content_encoding = "identity";
  in.content_disposition = "inline";
  in.cache_control = "max-age=60";
  in.expires = "2026-10-21T07:28:00Z";
  in.storage_class = "glacier_ir";
  in.acl = "bucket-owner-full-control";
  in.encryption = "aws:kms";
  in.kms_key_id = "key-1";
  EXPECT_EQ(valid(in).put_headers("ignored/type"),
            (HeaderList{{"content-type", "video/mp4"},
                        {"cache-control", "max-age=60"},
                        {"content-disposition", "inline"},
                        {"content-encoding", "identity"},
                        {"expires", "Wed, 21 Oct 2026 07:28:00 GMT"},
                        {"x-amz-acl", "bucket-owner-full-control"},
                        {"x-amz-storage-class", "GLACIER_IR"},
                        {"x-amz-server-side-encryption", "aws:kms"},
                        {"x-amz-server-side-encryption-aws-kms-key-id", "key-1"},
                        {"x-amz-tagging", "project=demo"},
                        {"x-amz-meta-author", "Ann"}}));
  EXPECT_TRUE(valid(in).part_headers().empty());
  // object_headers(): everything but content-type.
  const HeaderList all = valid(in).put_headers("x/y");
  EXPECT_EQ(valid(in).object_headers(), HeaderList(all.begin() + 1, all.end()));
  EXPECT_EQ(valid(in).content_type_for("x/y"), "video/mp4");
  EXPECT_EQ(ObjectOptions{}.content_type_for("x/y"), "x/y");
  EXPECT_TRUE(ObjectOptions{}.object_headers().empty());
}

TEST(Validate, ReportsEveryProblem) {
  ObjectOptionsInput in;
  in.metadata = {"bad key=1"};
  in.tags = {"aws:x=1"};
  in.content_type = "nope";
  in.expires = "later";
  in.storage_class = "COLD";
  in.acl = "open";
  in.encryption = "rot13";
  in.kms_key_id = "k";
  auto r = validate(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().size(), 8u) << all_errors(r);
  for (const auto& e : r.error()) {
    EXPECT_EQ(e.back(), '.') << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(Validate, NothingGivenIsNothingAsked) {
  auto o = valid(ObjectOptionsInput{});
  EXPECT_TRUE(o.metadata.empty() && o.tags.empty() && !o.sse_c() && o.warnings.empty());
  EXPECT_FALSE(o.compare_needs_head());
  EXPECT_EQ(o.put_headers("video/mp4"), (HeaderList{{"content-type", "video/mp4"}}));
}

// ---- environment and flags ------------------------------------------------------------------

TEST(Env, ReadsEveryKeyAndIgnoresEmptyOnes) {
  Environment env({{"S3_METADATA", "a=1"},
                   {"S3_TAGS", "t=1"},
                   {"S3_CONTENT_TYPE", "video/mp4"},
                   {"S3_CONTENT_ENCODING", "gzip"},
                   {"S3_CONTENT_DISPOSITION", "inline"},
                   {"S3_CACHE_CONTROL", "no-cache"},
                   {"S3_EXPIRES", "2026-10-21T07:28:00Z"},
                   {"S3_STORAGE_CLASS", "standard_ia"},
                   {"S3_ACL", "private"},
                   {"S3_SSE", "aws-kms"},
                   {"S3_SSE_KMS_KEY_ID", "alias/k"},
                   {"S3_SSE_C_KEY_FILE", "/k"}});
  ObjectOptionsInput in = object_options_from_env(env);
  EXPECT_EQ(in.metadata, std::vector<std::string>{"a=1"});
  EXPECT_EQ(in.tags, std::vector<std::string>{"t=1"});
  EXPECT_EQ(in.content_type, "video/mp4");
  EXPECT_EQ(in.content_encoding, "gzip");
  EXPECT_EQ(in.content_disposition, "inline");
  EXPECT_EQ(in.cache_control, "no-cache");
  EXPECT_EQ(in.expires, "2026-10-21T07:28:00Z");
  EXPECT_EQ(in.storage_class, "standard_ia");
  EXPECT_EQ(in.acl, "private");
  EXPECT_EQ(in.encryption, "aws-kms");
  EXPECT_EQ(in.kms_key_id, "alias/k");
  EXPECT_EQ(in.sse_c_key_file, "/k");

  ObjectOptionsInput none = object_options_from_env(env_of({{"S3_METADATA", ""}, {"S3_ACL", ""}}));
  EXPECT_TRUE(none.metadata.empty());
  EXPECT_FALSE(none.acl.has_value());
}

TEST(Env, SameValidationAsFlags) {
  auto r = validate(object_options_from_env(env_of({{"S3_STORAGE_CLASS", "COLD"}})));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().at(0), "S3_STORAGE_CLASS")) << r.error().at(0);
}

TEST(Merge, FlagsWinAndListsMergePerKey) {
  ObjectOptionsInput env = object_options_from_env(env_of({{"S3_METADATA", "a=env,b=env"},
                                                           {"S3_TAGS", "t=env,u=env"},
                                                           {"S3_STORAGE_CLASS", "GLACIER"},
                                                           {"S3_ACL", "private"},
                                                           {"S3_CACHE_CONTROL", "no-cache"}}));
  ObjectOptionsInput flags;
  flags.metadata = {"A=flag", "c=flag"};
  flags.tags = {"u=flag"};
  flags.storage_class = "standard_ia";
  auto o = valid(merge(env, flags));
  EXPECT_EQ(o.metadata, (KV{{"a", "flag"}, {"b", "env"}, {"c", "flag"}}));
  EXPECT_EQ(o.tags, (KV{{"t", "env"}, {"u", "flag"}}));
  EXPECT_EQ(o.storage_class, "STANDARD_IA");  // flag
  EXPECT_EQ(o.acl, "private");                // environment, no flag
  EXPECT_EQ(o.cache_control, "no-cache");
}

TEST(Merge, EncryptionModeFlagReplacesTheEnvironmentsChoice) {
  TempDir dir;
  const std::string key = dir.write("key", std::string(32, '\0'));
  const Environment kms_env({{"S3_SSE", "aws-kms"}, {"S3_SSE_KMS_KEY_ID", "alias/env"}});

  ObjectOptionsInput flags;
  flags.sse_c_key_file = key;  // SSE-C flag over SSE-KMS in the environment
  auto o = valid(merge(object_options_from_env(kms_env), flags));
  EXPECT_TRUE(o.sse_c());
  EXPECT_FALSE(o.sse.has_value());
  EXPECT_FALSE(o.kms_key_id.has_value());

  flags = {};
  flags.encryption = "aws-kms";  // keeps the environment's key id
  o = valid(merge(object_options_from_env(kms_env), flags));
  EXPECT_EQ(o.kms_key_id, "alias/env");

  flags = {};
  flags.encryption = "aes256";  // drops it
  o = valid(merge(object_options_from_env(kms_env), flags));
  EXPECT_EQ(o.sse, "AES256");
  EXPECT_FALSE(o.kms_key_id.has_value());

  flags = {};
  flags.encryption = "aes256";  // over SSE-C in the environment
  o = valid(merge(object_options_from_env(env_of({{"S3_SSE_C_KEY_FILE", key}})), flags));
  EXPECT_EQ(o.sse, "AES256");
  EXPECT_FALSE(o.sse_c());

  // A conflict within one layer is still an error.
  auto r = validate(
      merge(object_options_from_env(env_of({{"S3_SSE", "aes256"}, {"S3_SSE_C_KEY_FILE", key}})),
            ObjectOptionsInput{}));
  EXPECT_FALSE(r.ok());
}

TEST(Merge, DuplicateAcrossEnvAndFlagIsNotAnError) {
  ObjectOptionsInput env = object_options_from_env(env_of({{"S3_TAGS", "a=1"}}));
  ObjectOptionsInput flags;
  flags.tags = {"a=2"};
  EXPECT_EQ(valid(merge(env, flags)).tags, (KV{{"a", "2"}}));
}

// ---- differs_from ---------------------------------------------------------------------------

TEST(DiffersFrom, NothingAskedNeverDiffers) {
  RemoteObject remote;
  remote.metadata = std::map<std::string, std::string>{{"x", "y"}};
  remote.content_type = "application/octet-stream";
  remote.storage_class = "GLACIER";
  EXPECT_EQ(ObjectOptions{}.differs_from(remote), "");
}

TEST(DiffersFrom, MetadataMatchesIgnoringExtrasAndOwnKeys) {
  auto o = valid(with_metadata({"Author=Ann,city=Zürich"}));
  EXPECT_TRUE(o.compare_needs_head());
  RemoteObject remote;
  remote.metadata = std::map<std::string, std::string>{{"X-Amz-Meta-Author", "Ann"},
                                                       {"city", "=?UTF-8?B?WsO8cmljaA==?="},
                                                       {"other", "unasked"},
                                                       {"s3upload-sha256", "abc"}};
  EXPECT_EQ(o.differs_from(remote), "");
  remote.metadata =
      std::map<std::string, std::string>{{"author", "Ann"}, {"city", "=?UTF-8?Q?Z=C3=BCrich?="}};
  EXPECT_EQ(o.differs_from(remote), "");
}

TEST(DiffersFrom, MetadataMissingOrDifferent) {
  auto o = valid(with_metadata({"author=Ann,year=2024"}));
  RemoteObject remote;
  remote.metadata = std::map<std::string, std::string>{{"author", "Ann"}};
  EXPECT_EQ(o.differs_from(remote), "The object has no metadata 'year', asked for as '2024'.");
  remote.metadata = std::map<std::string, std::string>{{"author", "Bob"}, {"year", "2024"}};
  EXPECT_EQ(o.differs_from(remote), "The object's metadata 'author' is 'Bob', not 'Ann' as asked.");
  // An empty value asked for matches an absent key or an empty one.
  o = valid(with_metadata({"author=Ann,note="}));
  remote.metadata = std::map<std::string, std::string>{{"author", "Ann"}};
  EXPECT_EQ(o.differs_from(remote), "");
  remote.metadata = std::map<std::string, std::string>{{"author", "Ann"}, {"note", ""}};
  EXPECT_EQ(o.differs_from(remote), "");
  remote.metadata = std::map<std::string, std::string>{{"author", "Ann"}, {"note", "x"}};
  EXPECT_EQ(o.differs_from(remote), "The object's metadata 'note' is 'x', not '' as asked.");
  // Unknown metadata (listing only): not compared.
  remote.metadata.reset();
  EXPECT_EQ(o.differs_from(remote), "");
}

TEST(DiffersFrom, ContentTypeOnlyWhenExplicit) {
  RemoteObject remote;
  remote.content_type = "text/plain;charset=UTF-8";
  ObjectOptionsInput in;
  in.content_type = "text/plain; charset=utf-8";
  auto o = valid(in);
  EXPECT_EQ(o.differs_from(remote), "");
  remote.content_type = "application/octet-stream";
  EXPECT_EQ(o.differs_from(remote),
            "The object's content type is 'application/octet-stream', not "
            "'text/plain; charset=utf-8' as asked.");
  // Not asked: a different remote type does not matter.
  EXPECT_EQ(ObjectOptions{}.differs_from(remote), "");
  // Not reported: not compared.
  remote.content_type.reset();
  EXPECT_EQ(o.differs_from(remote), "");
}

TEST(DiffersFrom, ContentHeaders) {
  ObjectOptionsInput in;
  in.cache_control = "max-age=60";
  in.content_disposition = "inline";
  in.content_encoding = "gzip";
  in.expires = "2026-10-21T07:28:00Z";
  auto o = valid(in);
  RemoteObject remote;
  remote.cache_control = "max-age=60";
  remote.content_disposition = "inline";
  remote.content_encoding = "gzip";
  remote.expires = "Wed, 21 Oct 2026 07:28:00 GMT";
  EXPECT_EQ(o.differs_from(remote), "");
  remote.cache_control = "";
  EXPECT_EQ(o.differs_from(remote), "The object has no cache-control, asked for as 'max-age=60'.");
  remote.cache_control = "max-age=60";
  remote.content_disposition = "attachment";
  EXPECT_TRUE(contains(o.differs_from(remote), "content-disposition is 'attachment'"));
  remote.content_disposition = "inline";
  remote.content_encoding = "br";
  EXPECT_TRUE(contains(o.differs_from(remote), "content-encoding is 'br'"));
  remote.content_encoding = "gzip";
  remote.expires = "Thu, 22 Oct 2026 07:28:00 GMT";
  EXPECT_TRUE(contains(o.differs_from(remote), "expires is"));
}

TEST(DiffersFrom, StorageClass) {
  ObjectOptionsInput in;
  in.storage_class = "standard";
  auto o = valid(in);
  EXPECT_FALSE(o.compare_needs_head());  // a listing reports the storage class
  RemoteObject remote;
  remote.storage_class = "";  // absent = STANDARD
  EXPECT_EQ(o.differs_from(remote), "");
  in.storage_class = "STANDARD_IA";
  o = valid(in);
  EXPECT_EQ(o.differs_from(remote),
            "The object's storage class is STANDARD, not STANDARD_IA as asked.");
  remote.storage_class = "STANDARD_IA";
  EXPECT_EQ(o.differs_from(remote), "");
  remote.storage_class.reset();
  EXPECT_EQ(o.differs_from(remote), "");
}

// ---- helpers --------------------------------------------------------------------------------

TEST(Utf8Length, CountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("é日\xF0\x9F\x94\xA5"), 3u);
}

}  // namespace
}  // namespace s3up::s3
