#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "auth/credentials.hpp"

namespace s3up::auth {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// HOME is a fresh temp dir, so the real ~/.aws is never read.
class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    home_ = fs::temp_directory_path() / ("s3up_cred_test_" + std::to_string(rd()));
    fs::create_directories(home_ / ".aws");
    env_.set("HOME", home_.string());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(home_, ec);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(home_ / ".aws" / name, std::ios::binary) << text;
  }
  Result<Credentials> resolve(const std::string& profile = "") const {
    return default_chain(env_, profile).resolve();
  }

  fs::path home_;
  Environment env_;
};

TEST_F(CredentialsTest, FromEnvironment) {
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE");
  env_.set("AWS_SECRET_ACCESS_KEY", "envsecret");
  write("credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");
  auto r = resolve();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->access_key_id, "AKIAENVEXAMPLE");
  EXPECT_EQ(r->secret_access_key, "envsecret");
  EXPECT_EQ(r->session_token, "");
  EXPECT_EQ(r->source, "environment");
}

TEST_F(CredentialsTest, SessionTokenFromEnvironment) {
  env_.set("AWS_ACCESS_KEY_ID", "ASIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "envsecret");
  env_.set("AWS_SESSION_TOKEN", "envtoken");
  auto r = resolve();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->session_token, "envtoken");
}

TEST_F(CredentialsTest, HalfSetEnvironmentPairIsAnError) {
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  auto r = resolve();
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), "AWS_SECRET_ACCESS_KEY is not")) << r.error();

  Environment other;
  other.set("HOME", home_.string());
  other.set("AWS_SECRET_ACCESS_KEY", "s");
  r = default_chain(other, "").resolve();
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), "AWS_ACCESS_KEY_ID is not")) << r.error();
  EXPECT_FALSE(contains(r.error(), "=s"));
}

TEST_F(CredentialsTest, FromCredentialsFileDefault) {
  write("credentials",
        "# comment\n; another\n[default]\naws_access_key_id = AKIAFILEEXAMPLE\n"
        "aws_secret_access_key=filesecret\n");
  auto r = resolve();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->access_key_id, "AKIAFILEEXAMPLE");
  EXPECT_EQ(r->secret_access_key, "filesecret");
  EXPECT_EQ(r->source, "profile default in ~/.aws/credentials");
}

TEST_F(CredentialsTest, NamedProfileInCredentialsFileWithSessionToken) {
  write("credentials",
        "[default]\naws_access_key_id = D\naws_secret_access_key = d\n"
        "[work]\r\naws_access_key_id = AKIAWORK\r\naws_secret_access_key = worksecret\r\n"
        "aws_session_token = worktoken\r\n");
  auto r = resolve("work");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->access_key_id, "AKIAWORK");
  EXPECT_EQ(r->session_token, "worktoken");
  EXPECT_EQ(r->source, "profile work in ~/.aws/credentials");
}

TEST_F(CredentialsTest, FromConfigFileProfileSection) {
  write("config",
        "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n"
        "aws_access_key_id = AKIACONF\naws_secret_access_key = confsecret\n");
  auto r = resolve("dev");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->access_key_id, "AKIACONF");
  EXPECT_EQ(r->source, "profile dev in ~/.aws/config");
}

TEST_F(CredentialsTest, CredentialsFileWinsOverConfigFile) {
  write("credentials", "[dev]\naws_access_key_id = FROMCRED\naws_secret_access_key = a\n");
  write("config", "[profile dev]\naws_access_key_id = FROMCONF\naws_secret_access_key = b\n");
  auto r = resolve("dev");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->access_key_id, "FROMCRED");
}

TEST_F(CredentialsTest, FileLocationsFromEnvironment) {
  fs::path other = home_ / "elsewhere";
  fs::create_directories(other);
  std::ofstream(other / "creds")
      << "[default]\naws_access_key_id = ELSE\naws_secret_access_key = x\n";
  env_.set("AWS_SHARED_CREDENTIALS_FILE", (other / "creds").string());
  env_.set("AWS_CONFIG_FILE", (other / "conf").string());
  EXPECT_EQ(shared_credentials_path(env_), other / "creds");
  EXPECT_EQ(shared_config_path(env_), other / "conf");
  auto r = resolve();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->access_key_id, "ELSE");
  EXPECT_EQ(r->source, "profile default in ~/elsewhere/creds");
}

TEST_F(CredentialsTest, MissingNamedProfile) {
  write("credentials", "[default]\naws_access_key_id = D\naws_secret_access_key = d\n");
  auto r = resolve("nope");
  ASSERT_FALSE(r);
  EXPECT_TRUE(
      contains(r.error(), "profile 'nope' was not found in ~/.aws/credentials or ~/.aws/config"))
      << r.error();
}

TEST_F(CredentialsTest, NoCredentialsAnywhere) {
  auto r = resolve();
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), "no AWS credentials found")) << r.error();
  EXPECT_TRUE(contains(r.error(), "AWS_ACCESS_KEY_ID")) << r.error();
  EXPECT_TRUE(contains(r.error(), "profile 'default' in ~/.aws/credentials and ~/.aws/config"))
      << r.error();
}

TEST_F(CredentialsTest, ProfileWithOnlyRegionHasNoCredentials) {
  write("config", "[profile dev]\nregion = eu-west-1\n");
  auto r = resolve("dev");
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), "no AWS credentials found")) << r.error();
  EXPECT_TRUE(contains(r.error(), "profile 'dev'")) << r.error();
}

TEST_F(CredentialsTest, HalfSetProfilePair) {
  write("credentials", "[default]\naws_access_key_id = AKIA\n");
  auto r = resolve();
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), "no aws_secret_access_key")) << r.error();
  EXPECT_TRUE(contains(r.error(), "~/.aws/credentials")) << r.error();
}

struct UnsupportedCase {
  const char* body;
  const char* kind;
};

TEST_F(CredentialsTest, UnsupportedProfileKinds) {
  for (const auto& c : std::vector<UnsupportedCase>{
           {"role_arn = arn:aws:iam::1:role/r\nsource_profile = default\n", "role_arn"},
           {"sso_session = corp\nsso_account_id = 1\nsso_role_name = r\n", "sso_"},
           {"sso_start_url = https://x.awsapps.com/start\n", "sso_"},
           {"credential_process = /bin/get-creds\n", "credential_process"},
           {"web_identity_token_file = /tmp/t\nrole_arn = arn:aws:iam::1:role/r\n", "role_arn"},
           {"web_identity_token_file = /tmp/t\n", "web_identity_token_file"},
       }) {
    write("config", std::string("[profile x]\n") + c.body);
    auto r = resolve("x");
    ASSERT_FALSE(r) << c.body;
    EXPECT_TRUE(contains(r.error(), c.kind)) << r.error();
    EXPECT_TRUE(contains(r.error(), "not support")) << r.error();
    EXPECT_TRUE(contains(r.error(), "export AWS_ACCESS_KEY_ID")) << r.error();
  }
}

TEST_F(CredentialsTest, StaticKeysInCredentialsFileBeatCredentialProcess) {
  write("credentials", "[x]\naws_access_key_id = K\naws_secret_access_key = s\n");
  write("config", "[profile x]\ncredential_process = /bin/get-creds\n");
  auto r = resolve("x");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->access_key_id, "K");
}

TEST_F(CredentialsTest, EnvironmentBeatsBrokenProfile) {
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "s");
  auto r = resolve("does-not-exist");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "environment");
}

TEST_F(CredentialsTest, ProfileRegion) {
  write("config",
        "[default]\nregion = us-east-2\n[profile dev]\nregion=eu-central-1\n"
        "[profile empty]\nregion =\n");
  EXPECT_EQ(profile_region(env_, ""), "us-east-2");
  EXPECT_EQ(profile_region(env_, "default"), "us-east-2");
  EXPECT_EQ(profile_region(env_, "dev"), "eu-central-1");
  EXPECT_EQ(profile_region(env_, "empty"), std::nullopt);
  EXPECT_EQ(profile_region(env_, "missing"), std::nullopt);
}

TEST_F(CredentialsTest, ProfileRegionWithoutConfigFile) {
  EXPECT_EQ(profile_region(env_, ""), std::nullopt);
}

TEST(ParseIni, CommentsWhitespaceCaseAndNestedSections) {
  auto ini = parse_ini(
      "top = ignored\n"
      "# comment\n"
      "; comment\n"
      "[ profile dev ]  # trailing comment\n"
      "  Region   =   eu-west-1  \n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  addressing_style = path\n"
      "aws_access_key_id = AKIA ; inline comment\n"
      "secret = a#b;c\n"
      "no equals sign here\n"
      "[default]\n"
      "region = us-east-1\n"
      "[sso-session corp]\n"
      "sso_region = us-east-1\n",
      true);
  ASSERT_TRUE(ini.count("dev"));
  const auto& dev = ini.at("dev");
  EXPECT_EQ(dev.at("region"), "eu-west-1");
  EXPECT_EQ(dev.at("aws_access_key_id"), "AKIA");
  EXPECT_EQ(dev.at("secret"), "a#b;c");
  EXPECT_FALSE(dev.count("max_concurrent_requests"));
  EXPECT_FALSE(dev.count("addressing_style"));
  EXPECT_FALSE(dev.count("s3"));
  EXPECT_EQ(ini.at("default").at("region"), "us-east-1");
  EXPECT_TRUE(ini.count("sso-session corp"));
  EXPECT_FALSE(ini.count("top"));
}

TEST(ParseIni, CredentialsFileKeepsNamesAsWritten) {
  auto ini = parse_ini("[profile x]\na = 1\n[x]\nb = 2\n", false);
  EXPECT_TRUE(ini.count("profile x"));
  EXPECT_TRUE(ini.count("x"));
}

TEST(ParseIni, ProfileDefaultInConfigIsDefault) {
  auto ini = parse_ini("[profile default]\nregion = eu-west-3\n", true);
  EXPECT_EQ(ini.at("default").at("region"), "eu-west-3");
}

TEST(Redacted, ShowsOnlyKeyPrefixAndSource) {
  Credentials c{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "TOKENVALUE",
                "environment"};
  std::string s = redacted(c);
  EXPECT_EQ(s, "AKIA… (from environment, with session token)");
  EXPECT_FALSE(contains(s, "IOSFODNN"));
  EXPECT_FALSE(contains(s, "wJalr"));
  EXPECT_FALSE(contains(s, "TOKENVALUE"));
  c.session_token.clear();
  EXPECT_EQ(redacted(c), "AKIA… (from environment)");
}

TEST_F(CredentialsTest, SourceNeverContainsSecrets) {
  write("credentials",
        "[default]\naws_access_key_id = AKIAXYZ\naws_secret_access_key = SUPERSECRET\n"
        "aws_session_token = SESSIONSECRET\n");
  auto r = resolve();
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(contains(r->source, "SUPERSECRET"));
  EXPECT_FALSE(contains(r->source, "SESSIONSECRET"));
  EXPECT_FALSE(contains(redacted(*r), "SUPERSECRET"));
}

}  // namespace
}  // namespace s3up::auth
