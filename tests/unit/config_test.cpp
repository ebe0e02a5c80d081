#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "config/config.hpp"

namespace s3up::config {
namespace {

namespace fs = std::filesystem;

using s3up::test::TempDir;

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// ---- bucket names ---------------------------------------------------------------------------

TEST(BucketName, ValidNames) {
  for (const char* b :
       {"abc", "my-bucket", "my.bucket.name", "123", "a1-b2.c3", "bucket-base--usw2-az1--x-s3",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_EQ(validate_bucket_name(b), std::nullopt) << b;
  }
}

TEST(BucketName, Empty) {
  auto e = validate_bucket_name("");
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "S3_BUCKET is not set: put S3_BUCKET=<bucket> in .env or pass --bucket.");
}

TEST(BucketName, TooShortAndTooLong) {
  auto e = validate_bucket_name("ab");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "'ab'") && contains(*e, "3 to 63")) << *e;
  e = validate_bucket_name(std::string(64, 'a'));
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "64 characters")) << *e;
}

TEST(BucketName, UpperCaseSuggestsLowerCase) {
  auto e = validate_bucket_name("MyBucket");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "upper-case") && contains(*e, "'mybucket'")) << *e;
}

TEST(BucketName, InvalidCharacters) {
  auto e = validate_bucket_name("my_bucket");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "'my_bucket'") && contains(*e, "'_'")) << *e;
  e = validate_bucket_name("my bucket");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "a space")) << *e;
  e = validate_bucket_name("bad\x01name");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "\\x01")) << *e;  // control bytes are never printed raw
}

TEST(BucketName, MustStartAndEndWithLetterOrDigit) {
  for (const char* b : {"-abc", "abc-", ".abc", "abc."}) {
    auto e = validate_bucket_name(b);
    ASSERT_TRUE(e) << b;
    EXPECT_TRUE(contains(*e, "start and end")) << *e;
  }
}

TEST(BucketName, DoubleDot) {
  auto e = validate_bucket_name("a..b");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "'..'")) << *e;
}

TEST(BucketName, IpAddressShape) {
  auto e = validate_bucket_name("192.168.5.4");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "IP address")) << *e;
  EXPECT_TRUE(validate_bucket_name("999.999.999.999"));
  EXPECT_EQ(validate_bucket_name("192.168.5"), std::nullopt);
  EXPECT_EQ(validate_bucket_name("1.2.3.4.5"), std::nullopt);
  EXPECT_EQ(validate_bucket_name("192.168.5.a4"), std::nullopt);
}

TEST(BucketName, ReservedPrefixesAndSuffixes) {
  for (const char* b : {"xn--abc", "sthree-abc", "abc-s3alias", "abc--ol-s3"}) {
    auto e = validate_bucket_name(b);
    ASSERT_TRUE(e) << b;
    EXPECT_TRUE(contains(*e, "reserves")) << *e;
  }
}

// ---- regions --------------------------------------------------------------------------------

TEST(Region, Valid) {
  for (const char* r : {"us-east-1", "eu-central-1", "auto", "garage", "us-west-004", "nyc3"}) {
    EXPECT_EQ(validate_region(r), std::nullopt) << r;
  }
}

TEST(Region, Invalid) {
  auto e = validate_region("");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "empty")) << *e;
  e = validate_region("US-EAST-1");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "'us-east-1'")) << *e;
  e = validate_region("us_east_1");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "'_'")) << *e;
  e = validate_region("us-east-1 ");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "a space")) << *e;
  EXPECT_TRUE(validate_region("-us"));
  EXPECT_TRUE(validate_region(std::string(64, 'a')));
}

// ---- target paths ---------------------------------------------------------------------------

TEST(TargetPath, Valid) {
  for (const char* p : {"", "uploads", "uploads/", "a/b/c", "a/b/c/", "vidéos/2024", "a..b/c"}) {
    EXPECT_EQ(validate_target_path(p), std::nullopt) << p;
  }
  EXPECT_EQ(validate_target_path(std::string(1024, 'a')), std::nullopt);
}

TEST(TargetPath, Invalid) {
  struct Case {
    std::string path;
    const char* expect;
  };
  for (const auto& c : std::vector<Case>{{"/uploads", "starts with '/'"},
                                         {"a//b", "'//'"},
                                         {"a/../b", "'..' segment"},
                                         {"..", "'..' segment"},
                                         {"a/./b", "'.' segment"},
                                         {"a\\b", "backslash"},
                                         {"a\tb", "control character 0x09"},
                                         {std::string("a\x7f"), "control character"},
                                         {"\xff\xfe", "UTF-8"},
                                         {std::string(1025, 'a'), "1025 bytes"}}) {
    auto e = validate_target_path(c.path);
    ASSERT_TRUE(e) << c.path;
    EXPECT_TRUE(contains(*e, c.expect)) << *e;
  }
}

TEST(TargetPath, LeadingSlashSuggestsFix) {
  auto e = validate_target_path("/uploads/x");
  ASSERT_TRUE(e);
  EXPECT_TRUE(contains(*e, "'uploads/x'")) << *e;
}

TEST(TargetPath, Normalize) {
  EXPECT_EQ(normalize_target_path("uploads/"), "uploads");
  EXPECT_EQ(normalize_target_path("a/b"), "a/b");
  EXPECT_EQ(normalize_target_path(""), "");
}

// ---- endpoints ------------------------------------------------------------------------------

TEST(Endpoint, Valid) {
  for (const char* u :
       {"http://localhost:9000", "https://s3.example.com", "https://s3.example.com/",
        "http://127.0.0.1:9000", "http://[::1]:9000", "HTTPS://S3.Example.com"}) {
    EXPECT_EQ(validate_endpoint_url(u), std::nullopt) << u;
  }
}

TEST(Endpoint, Invalid) {
  struct Case {
    const char* url;
    const char* expect;
  };
  for (const auto& c : std::vector<Case>{
           {"localhost:9000", "https://localhost:9000"},
           {"ftp://example.com", "'ftp'"},
           {"http://", "no host"},
           {"http://example.com/bucket", "path '/bucket'"},
           {"http://example.com//", "path '//'"},
           {"http://example.com?x=1", "query"},
           {"http://user:pw@example.com", "user information"},
           {"http://example.com:0", "port"},
           {"http://example.com:70000", "port"},
           {"http://example.com:abc", "port"},
           {"http://example.com:", "port"},
           {"http://[::1", "']'"},
           {"http://[zz]:9000", "IPv6"},
           {"http://exa mple.com", "a space"},
       }) {
    auto e = validate_endpoint_url(c.url);
    ASSERT_TRUE(e) << c.url;
    EXPECT_TRUE(contains(*e, c.expect)) << *e;
  }
}

// ---- resolve_settings -----------------------------------------------------------------------

// An environment whose HOME is an empty temp dir, so the real ~/.aws is never read.
struct Fixture {
  TempDir home;
  Environment env;
  Fixture() { env.set("HOME", home.path().string()); }
  void write_config(const std::string& text) {
    fs::create_directories(home.path() / ".aws");
    std::ofstream(home.path() / ".aws" / "config") << text;
  }
};

Settings resolve_ok(const Environment& env, const Overrides& o = {}) {
  auto r = resolve_settings(env, o);
  EXPECT_TRUE(r) << (r ? "" : r.error().front());
  return r ? *r : Settings{};
}

TEST(ResolveSettings, MinimalAws) {
  Fixture f;
  f.env.set("S3_BUCKET", "my-bucket");
  f.env.set("AWS_REGION", "eu-west-1");
  auto s = resolve_ok(f.env);
  EXPECT_EQ(s.bucket, "my-bucket");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.profile, "");
  EXPECT_EQ(s.target_path, "");
  EXPECT_EQ(s.endpoint_url, "");
  EXPECT_FALSE(s.path_style);
}

TEST(ResolveSettings, CollectsAllProblems) {
  Fixture f;
  f.env.set("S3_TARGET_PATH", "/abs");
  f.env.set("S3_FORCE_PATH_STYLE", "maybe");
  auto r = resolve_settings(f.env, {});
  ASSERT_FALSE(r);
  const auto& errs = r.error();
  ASSERT_EQ(errs.size(), 4u);
  EXPECT_EQ(errs[0], "S3_BUCKET is not set: put S3_BUCKET=<bucket> in .env or pass --bucket.");
  EXPECT_TRUE(contains(errs[1], "AWS_REGION is not set")) << errs[1];
  EXPECT_TRUE(contains(errs[1], "~/.aws/config")) << errs[1];
  EXPECT_TRUE(contains(errs[2], "S3_TARGET_PATH '/abs'")) << errs[2];
  EXPECT_TRUE(contains(errs[3], "S3_FORCE_PATH_STYLE 'maybe'")) << errs[3];
}

TEST(ResolveSettings, EmptyBucketVariableCountsAsUnset) {
  Fixture f;
  f.env.set("S3_BUCKET", "");
  f.env.set("AWS_REGION", "us-east-1");
  auto r = resolve_settings(f.env, {});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error()[0], "S3_BUCKET is not set"));
}

TEST(ResolveSettings, MessagesNameTheSource) {
  Fixture f;
  f.env.set("S3_BUCKET", "Bad_Bucket");
  f.env.set("AWS_REGION", "us-east-1");
  auto r = resolve_settings(f.env, {});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error()[0], "S3_BUCKET 'Bad_Bucket'")) << r.error()[0];
  Overrides o;
  o.bucket = "ab";
  r = resolve_settings(f.env, o);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error()[0], "--bucket 'ab'")) << r.error()[0];
}

TEST(ResolveSettings, OverridesBeatEnvironment) {
  Fixture f;
  f.env.set("S3_BUCKET", "env-bucket");
  f.env.set("AWS_REGION", "eu-west-1");
  f.env.set("AWS_PROFILE", "envprof");
  f.env.set("S3_TARGET_PATH", "env/path");
  f.env.set("AWS_ENDPOINT_URL", "http://env.example.com");
  f.env.set("S3_FORCE_PATH_STYLE", "false");
  Overrides o;
  o.bucket = "flag-bucket";
  o.region = "ap-south-1";
  o.profile = "flagprof";
  o.target_path = "flag/path/";
  o.endpoint_url = "https://flag.example.com/";
  o.path_style = true;
  auto s = resolve_ok(f.env, o);
  EXPECT_EQ(s.bucket, "flag-bucket");
  EXPECT_EQ(s.region, "ap-south-1");
  EXPECT_EQ(s.profile, "flagprof");
  EXPECT_EQ(s.target_path, "flag/path");
  EXPECT_EQ(s.endpoint_url, "https://flag.example.com");
  EXPECT_TRUE(s.path_style);
}

TEST(ResolveSettings, ProfileFromEnvironment) {
  Fixture f;
  f.env.set("S3_BUCKET", "b-1");
  f.env.set("AWS_REGION", "us-east-1");
  f.env.set("AWS_PROFILE", "work");
  EXPECT_EQ(resolve_ok(f.env).profile, "work");
}

TEST(ResolveSettings, RegionPrecedence) {
  Fixture f;
  f.env.set("S3_BUCKET", "b-1");
  f.write_config("[default]\nregion = ap-northeast-1\n[profile work]\nregion = sa-east-1\n");
  EXPECT_EQ(resolve_ok(f.env).region, "ap-northeast-1");
  f.env.set("AWS_PROFILE", "work");
  EXPECT_EQ(resolve_ok(f.env).region, "sa-east-1");
  f.env.set("AWS_DEFAULT_REGION", "eu-north-1");
  EXPECT_EQ(resolve_ok(f.env).region, "eu-north-1");
  f.env.set("AWS_REGION", "");  // empty counts as unset
  EXPECT_EQ(resolve_ok(f.env).region, "eu-north-1");
  f.env.set("AWS_REGION", "us-west-2");
  EXPECT_EQ(resolve_ok(f.env).region, "us-west-2");
  Overrides o;
  o.region = "ca-central-1";
  EXPECT_EQ(resolve_ok(f.env, o).region, "ca-central-1");
}

TEST(ResolveSettings, BadRegionFromProfileNamesTheFile) {
  Fixture f;
  f.env.set("S3_BUCKET", "b-1");
  f.write_config("[default]\nregion = EU West\n");
  auto r = resolve_settings(f.env, {});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error()[0], "region 'EU West' of profile 'default' in ~/.aws/config"))
      << r.error()[0];
}

TEST(ResolveSettings, RegionDefaultsWithCustomEndpoint) {
  Fixture f;
  f.env.set("S3_BUCKET", "b-1");
  f.env.set("AWS_ENDPOINT_URL", "http://localhost:9000");
  EXPECT_EQ(resolve_ok(f.env).region, "us-east-1");
}

TEST(ResolveSettings, EndpointPrecedenceAndTrailingSlash) {
  Fixture f;
  f.env.set("S3_BUCKET", "b-1");
  f.env.set("AWS_REGION", "us-east-1");
  f.env.set("AWS_ENDPOINT_URL", "https://generic.example.com/");
  EXPECT_EQ(resolve_ok(f.env).endpoint_url, "https://generic.example.com");
  f.env.set("AWS_ENDPOINT_URL_S3", "https://s3.example.com");
  EXPECT_EQ(resolve_ok(f.env).endpoint_url, "https://s3.example.com");
}

TEST(ResolveSettings, BadEndpointIsReported) {
  Fixture f;
  f.env.set("S3_BUCKET", "b-1");
  f.env.set("AWS_ENDPOINT_URL_S3", "minio:9000");
  auto r = resolve_settings(f.env, {});
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 1u);  // no "region not set" on top: an endpoint was given
  EXPECT_TRUE(contains(r.error()[0], "AWS_ENDPOINT_URL_S3 'minio:9000'")) << r.error()[0];
}

struct PathStyleCase {
  const char* endpoint;
  bool expected;
};

TEST(ResolveSettings, AutomaticPathStyle) {
  for (const auto& c : std::vector<PathStyleCase>{{"http://127.0.0.1:9000", true},
                                                  {"http://[::1]:9000", true},
                                                  {"http://localhost:9000", true},
                                                  {"http://LOCALHOST", true},
                                                  {"https://example.com", false},
                                                  {"http://s3.example.com:8080", false}}) {
    Fixture f;
    f.env.set("S3_BUCKET", "my-bucket");
    f.env.set("AWS_ENDPOINT_URL", c.endpoint);
    auto s = resolve_ok(f.env);
    EXPECT_EQ(s.path_style, c.expected) << c.endpoint;
  }
}

TEST(ResolveSettings, EndpointIsNormalized) {
  Fixture f;
  f.env.set("S3_BUCKET", "my-bucket");
  f.env.set("AWS_ENDPOINT_URL", "HTTP://[::1]:9000/");
  EXPECT_EQ(resolve_ok(f.env).endpoint_url, "http://[::1]:9000");
}

TEST(ResolveSettings, DottedBucketOverHttpsUsesPathStyle) {
  Fixture f;
  f.env.set("S3_BUCKET", "my.dotted.bucket");
  f.env.set("AWS_REGION", "us-east-1");
  EXPECT_TRUE(resolve_ok(f.env).path_style);  // AWS itself is https
  f.env.set("AWS_ENDPOINT_URL", "https://s3.example.com");
  EXPECT_TRUE(resolve_ok(f.env).path_style);
  f.env.set("AWS_ENDPOINT_URL", "http://s3.example.com");
  EXPECT_FALSE(resolve_ok(f.env).path_style);
}

TEST(ResolveSettings, ForcePathStyleValues) {
  for (const char* v : {"true", "1", "yes", "on", "TRUE", "Yes", " On "}) {
    Fixture f;
    f.env.set("S3_BUCKET", "my-bucket");
    f.env.set("AWS_REGION", "us-east-1");
    f.env.set("S3_FORCE_PATH_STYLE", v);
    EXPECT_TRUE(resolve_ok(f.env).path_style) << v;
  }
  for (const char* v : {"false", "0", "no", "off", "FALSE", ""}) {
    Fixture f;
    f.env.set("S3_BUCKET", "my.bucket");  // would be automatic path style
    f.env.set("AWS_REGION", "us-east-1");
    f.env.set("S3_FORCE_PATH_STYLE", v);
    EXPECT_EQ(resolve_ok(f.env).path_style, std::string(v).empty()) << v;
  }
}

TEST(ResolveSettings, BadForcePathStyle) {
  Fixture f;
  f.env.set("S3_BUCKET", "my-bucket");
  f.env.set("AWS_REGION", "us-east-1");
  f.env.set("S3_FORCE_PATH_STYLE", "sometimes");
  auto r = resolve_settings(f.env, {});
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_TRUE(contains(r.error()[0], "'sometimes'") && contains(r.error()[0], "true or false"));
}

TEST(ResolveSettings, PathStyleOverrideBeatsEnvironment) {
  Fixture f;
  f.env.set("S3_BUCKET", "my-bucket");
  f.env.set("AWS_REGION", "us-east-1");
  f.env.set("S3_FORCE_PATH_STYLE", "true");
  Overrides o;
  o.path_style = false;
  EXPECT_FALSE(resolve_ok(f.env, o).path_style);
  f.env.set("S3_FORCE_PATH_STYLE", "garbage");  // not consulted when the flag is given
  EXPECT_FALSE(resolve_ok(f.env, o).path_style);
}

TEST(ResolveSettings, VirtualHostedStyleCannotReachAnIpEndpoint) {
  Fixture f;
  f.env.set("S3_BUCKET", "my-bucket");
  f.env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9000");
  f.env.set("S3_FORCE_PATH_STYLE", "false");
  auto r = resolve_settings(f.env, {});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error()[0], "IP address")) << r.error()[0];
  f.env.set("AWS_ENDPOINT_URL", "http://localhost:9000");  // *.localhost resolves: allowed
  EXPECT_FALSE(resolve_ok(f.env).path_style);
}

TEST(ResolveSettings, TargetPathIsNormalized) {
  Fixture f;
  f.env.set("S3_BUCKET", "my-bucket");
  f.env.set("AWS_REGION", "us-east-1");
  f.env.set("S3_TARGET_PATH", "videos/2024/");
  EXPECT_EQ(resolve_ok(f.env).target_path, "videos/2024");
}

TEST(ResolveSettings, DotenvNeverOverridesEnvironment) {
  Fixture f;
  TempDir project;
  std::ofstream(project.path() / ".env") << "S3_BUCKET=file-bucket\nAWS_REGION=eu-west-1\n";
  f.env.set("S3_BUCKET", "env-bucket");
  ASSERT_TRUE(load_dotenv(f.env, project.path()));
  auto s = resolve_ok(f.env);
  EXPECT_EQ(s.bucket, "env-bucket");
  EXPECT_EQ(s.region, "eu-west-1");
}

// ---- integrity, comparison and resume -------------------------------------------------------
// (The flag/key interplay is covered through the command line in cli_test.cpp.)

TEST(ResolveIntegrity, DotenvKeysReachTheSettings) {
  TempDir project;
  std::ofstream(project.path() / ".env")
      << "S3_CHECKSUM_ALGORITHM=sha1\nS3_COMPARE=checksum\nS3_RESUME=no\n";
  Environment env;
  env.set("HOME", "/home/u");
  ASSERT_TRUE(load_dotenv(env, project.path()));
  auto s = resolve_integrity(env, {});
  ASSERT_TRUE(s) << s.error().front();
  EXPECT_EQ(s->checksum_algo, integrity::ChecksumAlgo::kSha1);
  EXPECT_EQ(s->checksum_transport, integrity::ChecksumTransport::kAuto);
  EXPECT_EQ(s->compare, transfer::CompareMode::kChecksum);
  EXPECT_TRUE(s->state_dir.empty());
}

TEST(ResolveIntegrity, DefaultStateDirFollowsXdg) {
  Environment env;
  env.set("HOME", "/home/u");
  auto s = resolve_integrity(env, {});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state_dir, "/home/u/.local/state/s3upload");
  env.set("XDG_STATE_HOME", "/xdg");
  s = resolve_integrity(env, {});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state_dir, "/xdg/s3upload");
  Overrides o;
  o.state_dir = "~";
  s = resolve_integrity(env, o);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state_dir, "/home/u");
}

TEST(ResolveIntegrity, CollectsAllProblems) {
  Environment env;
  env.set("HOME", "/home/u");
  env.set("S3_METADATA_CHECKSUM", "crc32");
  Overrides o;
  o.checksum_algorithm = "sha256";
  o.checksum_transport = "content-md5";
  o.compare = "bytes";
  auto s = resolve_integrity(env, o);
  ASSERT_FALSE(s);
  ASSERT_EQ(s.error().size(), 3u);
  EXPECT_TRUE(contains(s.error()[0], "sends the MD5 of the body")) << s.error()[0];
  EXPECT_TRUE(contains(s.error()[1], "S3_METADATA_CHECKSUM 'crc32'")) << s.error()[1];
  EXPECT_TRUE(contains(s.error()[2], "--compare 'bytes'")) << s.error()[2];
}

}  // namespace
}  // namespace s3up::config
