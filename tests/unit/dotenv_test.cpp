#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace s3up::config {
namespace {

namespace fs = std::filesystem;

using s3up::test::TempDir;

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs parse_ok(std::string_view text) {
  std::vector<std::string> errors;
  auto pairs = parse_dotenv(text, &errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
  return pairs;
}

TEST(ParseDotenv, SimpleLinesCommentsAndBlanks) {
  auto p =
      parse_ok("# a comment\n\nS3_BUCKET=my-bucket\n   # indented comment\nAWS_REGION=eu-west-1\n");
  EXPECT_EQ(p, (Pairs{{"S3_BUCKET", "my-bucket"}, {"AWS_REGION", "eu-west-1"}}));
}

TEST(ParseDotenv, ExportPrefix) {
  auto p = parse_ok("export S3_BUCKET=b1\nexport\tAWS_REGION=us-east-1\n");
  EXPECT_EQ(p, (Pairs{{"S3_BUCKET", "b1"}, {"AWS_REGION", "us-east-1"}}));
}

TEST(ParseDotenv, VariableNamedExportIsNotAPrefix) {
  EXPECT_EQ(parse_ok("exported=1\n"), (Pairs{{"exported", "1"}}));
}

TEST(ParseDotenv, WhitespaceAroundEquals) {
  EXPECT_EQ(parse_ok("  KEY = value  \n"), (Pairs{{"KEY", "value"}}));
}

TEST(ParseDotenv, EqualsInsideValue) {
  EXPECT_EQ(parse_ok("URL=http://x/?a=b&c=d\n"), (Pairs{{"URL", "http://x/?a=b&c=d"}}));
}

TEST(ParseDotenv, EmptyValues) {
  EXPECT_EQ(parse_ok("A=\nB=\"\"\nC=''\n"), (Pairs{{"A", ""}, {"B", ""}, {"C", ""}}));
}

TEST(ParseDotenv, DoubleQuotesWithEscapes) {
  auto p = parse_ok(R"(A="line1\nline2\tTab \"q\" back\\slash"
B="keep \x unknown"
C="hash # inside")");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].second, "line1\nline2\tTab \"q\" back\\slash");
  EXPECT_EQ(p[1].second, "keep \\x unknown");
  EXPECT_EQ(p[2].second, "hash # inside");
}

TEST(ParseDotenv, SingleQuotesAreLiteral) {
  auto p = parse_ok(R"(A='no \n escapes # here' # comment)");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].second, "no \\n escapes # here");
}

TEST(ParseDotenv, InlineCommentAfterUnquotedValue) {
  auto p = parse_ok("A=value # comment\nB=va#lue\nC=  # only a comment\n");
  EXPECT_EQ(p, (Pairs{{"A", "value"}, {"B", "va#lue"}, {"C", ""}}));
}

TEST(ParseDotenv, CrlfLineEndings) {
  auto p = parse_ok("A=1\r\nB=\"two\"\r\n# c\r\nC=three\r\n");
  EXPECT_EQ(p, (Pairs{{"A", "1"}, {"B", "two"}, {"C", "three"}}));
}

TEST(ParseDotenv, ByteOrderMarkIsIgnored) {
  EXPECT_EQ(parse_ok("\xEF\xBB\xBFS3_BUCKET=b\n"), (Pairs{{"S3_BUCKET", "b"}}));
}

TEST(ParseDotenv, NoTrailingNewline) {
  EXPECT_EQ(parse_ok("A=1"), (Pairs{{"A", "1"}}));
}

TEST(ParseDotenv, BadLinesAreReportedWithNumberAndSkipped) {
  std::vector<std::string> errors;
  auto p =
      parse_dotenv("A=1\nthis is not a pair\nB=2\n1BAD=x\nC=\"open\nD='x' trailing\n", &errors);
  EXPECT_EQ(p, (Pairs{{"A", "1"}, {"B", "2"}}));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].rfind("line 2: ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("'='"), std::string::npos);
  EXPECT_EQ(errors[1].rfind("line 4: ", 0), 0u) << errors[1];
  EXPECT_NE(errors[1].find("'1BAD'"), std::string::npos);
  EXPECT_EQ(errors[2].rfind("line 5: ", 0), 0u) << errors[2];
  EXPECT_NE(errors[2].find("closing double quote"), std::string::npos);
  EXPECT_EQ(errors[3].rfind("line 6: ", 0), 0u) << errors[3];
}

TEST(ParseDotenv, NullErrorsPointerIsAllowed) {
  auto p = parse_dotenv("garbage\nA=1\n", nullptr);
  EXPECT_EQ(p, (Pairs{{"A", "1"}}));
}

TEST(FindDotenv, InStartDirectory) {
  TempDir t;
  write_file(t.path() / ".env", "A=1\n");
  auto found = find_dotenv(t.path());
  ASSERT_TRUE(found);
  EXPECT_EQ(fs::canonical(*found), fs::canonical(t.path() / ".env"));
}

TEST(FindDotenv, NearestParentWins) {
  TempDir t;
  write_file(t.path() / ".env", "A=outer\n");
  write_file(t.path() / "a" / ".env", "A=inner\n");
  fs::create_directories(t.path() / "a" / "b" / "c");
  auto found = find_dotenv(t.path() / "a" / "b" / "c");
  ASSERT_TRUE(found);
  EXPECT_EQ(fs::canonical(*found), fs::canonical(t.path() / "a" / ".env"));
}

TEST(FindDotenv, DirectoryNamedDotEnvIsSkipped) {
  TempDir t;
  write_file(t.path() / ".env", "A=1\n");
  fs::create_directories(t.path() / "sub" / ".env");
  auto found = find_dotenv(t.path() / "sub");
  ASSERT_TRUE(found);
  EXPECT_EQ(fs::canonical(*found), fs::canonical(t.path() / ".env"));
}

TEST(LoadDotenv, MergesWithoutOverridingEnvironment) {
  TempDir t;
  write_file(t.path() / ".env", "S3_BUCKET=from-file\nAWS_REGION=eu-west-1\nEMPTY_IN_ENV=file\n");
  Environment env({{"S3_BUCKET", "from-env"}, {"EMPTY_IN_ENV", ""}});
  auto r = load_dotenv(env, t.path());
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE(*r);
  EXPECT_EQ(env.get("S3_BUCKET"), "from-env");
  EXPECT_EQ(env.get("AWS_REGION"), "eu-west-1");
  EXPECT_EQ(env.get("EMPTY_IN_ENV"), "");  // set-but-empty still counts as set
}

TEST(LoadDotenv, FirstDefinitionInFileWins) {
  TempDir t;
  write_file(t.path() / ".env", "A=first\nA=second\n");
  Environment env;
  ASSERT_TRUE(load_dotenv(env, t.path()));
  EXPECT_EQ(env.get("A"), "first");
}

TEST(LoadDotenv, NoFileIsNotAnError) {
  TempDir t;
  fs::create_directories(t.path() / "empty");
  Environment env;
  auto r = load_dotenv(env, t.path() / "empty");
  ASSERT_TRUE(r);
  // A parent of the temp dir could hold a .env on some machine; only then may one be found.
  if (!find_dotenv(fs::temp_directory_path())) {
    EXPECT_FALSE(*r);
  }
}

TEST(LoadDotenv, MalformedFileNamesFileAndLine) {
  TempDir t;
  write_file(t.path() / ".env", "A=1\n\nnot valid\n");
  Environment env;
  auto r = load_dotenv(env, t.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find((t.path() / ".env").string()), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("line 3"), std::string::npos) << r.error();
  EXPECT_FALSE(env.has("A"));  // nothing is merged from a broken file
}

TEST(LoadDotenv, CountsFurtherBadLines) {
  TempDir t;
  write_file(t.path() / ".env", "bad1\nbad2\nbad3\n");
  Environment env;
  auto r = load_dotenv(env, t.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("line 1"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("2 more bad lines"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace s3up::config
