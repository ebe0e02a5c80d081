// The configuration file (s3upload.toml): every key, precedence against flags, the environment
// and .env, where it is found, and the errors it reports.
#include "config/config_file.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/file_settings.hpp"
#include "cli/cli.hpp"
#include "config/config.hpp"

namespace s3up::config {
namespace {

namespace fs = std::filesystem;
using s3up::test::TempDir;

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += e + "\n";
  return s;
}

ConfigFile parse_ok(std::string_view text) {
  auto r = parse_config_file(text, "s3upload.toml");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : joined(r.error()));
  return r.ok() ? *r : ConfigFile{};
}

// The problems of a file that must not parse, one per line.
std::string errors_of(std::string_view text) {
  auto r = parse_config_file(text, "s3upload.toml");
  EXPECT_FALSE(r.ok()) << "parsed, but should not have:\n" << text;
  return r.ok() ? "" : joined(r.error());
}

std::map<std::string, std::string> keys_of(const ConfigFile& f) {
  std::map<std::string, std::string> m;
  for (const auto& k : f.keys) m[k.env_name] = k.value;
  return m;
}

constexpr std::string_view kEveryKey = R"(# every key there is
[aws]
region = "eu-west-1"
profile = "work"
endpoint_url = "http://127.0.0.1:9000"

[s3]
bucket = "team-media"
target_path = "uploads/raw"
force_path_style = true

[upload]
max_concurrent = 8
extensions = ["mp4", "mov", "mkv"]
url_expiry_hours = 24
multipart_threshold = "64MiB"
part_size = "32MiB"
max_requests = 32
max_speed_mbps = 12.5
checksum_algorithm = "sha256"
metadata_checksum = "sha256"
compare = "checksum"

[behavior]
dry_run = true
yes = true
)";

// ---- every key ------------------------------------------------------------------------------

TEST(ConfigFile, EveryKey) {
  ConfigFile f = parse_ok(kEveryKey);
  EXPECT_EQ(keys_of(f), (std::map<std::string, std::string>{
                            {"AWS_REGION", "eu-west-1"},
                            {"AWS_PROFILE", "work"},
                            {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"},
                            {"S3_BUCKET", "team-media"},
                            {"S3_TARGET_PATH", "uploads/raw"},
                            {"S3_FORCE_PATH_STYLE", "true"},
                            {"S3_CHECKSUM_ALGORITHM", "sha256"},
                            {"S3_METADATA_CHECKSUM", "sha256"},
                            {"S3_COMPARE", "checksum"},
                        }));
  EXPECT_EQ(f.max_concurrent, 8);
  EXPECT_EQ(f.extensions, (std::vector<std::string>{"mp4", "mov", "mkv"}));
  EXPECT_EQ(f.url_expiry_hours, 24);
  EXPECT_EQ(f.multipart_threshold, "64MiB");
  EXPECT_EQ(f.part_size, "32MiB");
  EXPECT_EQ(f.max_requests, 32);
  EXPECT_EQ(f.max_speed_mbps, 12.5);
  EXPECT_EQ(f.dry_run, true);
  EXPECT_EQ(f.yes, true);
  // Each key remembers where it was written.
  ASSERT_FALSE(f.keys.empty());
  EXPECT_EQ(f.keys[0].origin, "aws.region (s3upload.toml, line 3)");
}

TEST(ConfigFile, EmptyFileAndEmptySectionsGiveNothing) {
  for (std::string_view text : {"", "# nothing\n", "[aws]\n[s3]\n[upload]\n[behavior]\n"}) {
    ConfigFile f = parse_ok(text);
    EXPECT_TRUE(f.keys.empty());
    EXPECT_FALSE(f.max_concurrent || f.extensions || f.url_expiry_hours || f.multipart_threshold ||
                 f.part_size || f.max_requests || f.max_speed_mbps || f.dry_run || f.yes);
  }
}

TEST(ConfigFile, OtherSpellingsOfTheSameValues) {
  ConfigFile f = parse_ok(
      "aws = { region = \"us-east-2\" }\n"
      "s3.bucket = \"dotted-keys\"\n"
      "s3.force_path_style = false\n"
      "[upload]\n"
      "multipart_threshold = 5242880\n"  // bytes
      "part_size = 8388608\n"            // bytes
      "max_speed_mbps = 3\n"             // an integer is a number too
      "extensions = [\"*\"]\n");
  EXPECT_EQ(keys_of(f)["AWS_REGION"], "us-east-2");
  EXPECT_EQ(keys_of(f)["S3_BUCKET"], "dotted-keys");
  EXPECT_EQ(keys_of(f)["S3_FORCE_PATH_STYLE"], "false");
  EXPECT_EQ(f.multipart_threshold, "5242880");
  EXPECT_EQ(f.part_size, "8388608");
  EXPECT_EQ(f.max_speed_mbps, 3.0);
  EXPECT_EQ(f.extensions, std::vector<std::string>{"*"});
}

// ---- errors ---------------------------------------------------------------------------------

TEST(ConfigFileErrors, SyntaxErrorNamesLineAndColumn) {
  std::string e = errors_of("[s3]\nbucket = \"media\"\nregion = eu-west-1\n");
  EXPECT_TRUE(contains(e, "s3upload.toml, line 3, column ")) << e;
  EXPECT_TRUE(contains(e, "fix the TOML syntax")) << e;
  e = errors_of("[upload\nmax_concurrent = 2\n");
  EXPECT_TRUE(contains(e, "s3upload.toml, line 1, column ")) << e;
}

TEST(ConfigFileErrors, DuplicateKeyIsASyntaxError) {
  std::string e = errors_of("[s3]\nbucket = \"a-b\"\nbucket = \"c-d\"\n");
  EXPECT_TRUE(contains(e, "s3upload.toml, line 3, column ")) << e;
}

TEST(ConfigFileErrors, UnknownKeyNamesLineAndSuggests) {
  std::string e = errors_of("[upload]\nmax_concurrent = 2\nmax_concurent = 3\n");
  EXPECT_TRUE(contains(e,
                       "s3upload.toml, line 3: unknown key upload.max_concurent (did you mean "
                       "max_concurrent?): [upload] takes max_concurrent, extensions,"))
      << e;
}

TEST(ConfigFileErrors, KeyInTheWrongSectionSaysWhereItBelongs) {
  std::string e = errors_of("[aws]\nbucket = \"media\"\n");
  EXPECT_TRUE(contains(e, "line 2: unknown key aws.bucket (it belongs in [s3])")) << e;
}

TEST(ConfigFileErrors, UnknownSection) {
  std::string e = errors_of("[s3]\nbucket = \"media\"\n\n[uplaod]\nmax_concurrent = 2\n");
  EXPECT_TRUE(contains(e,
                       "s3upload.toml, line 4: unknown section [uplaod] (did you mean "
                       "[upload]?): the sections are [aws], [s3], [upload] and [behavior]."))
      << e;
  e = errors_of("[logging]\nlevel = \"debug\"\n");
  EXPECT_TRUE(contains(e, "line 1: unknown section [logging]: the sections are")) << e;
}

TEST(ConfigFileErrors, KeyOutsideAnySection) {
  std::string e = errors_of("bucket = \"media\"\n[aws]\nregion = \"us-east-1\"\n");
  EXPECT_TRUE(contains(e,
                       "s3upload.toml, line 1: bucket is outside any section: put it under "
                       "[s3]."))
      << e;
}

TEST(ConfigFileErrors, SectionThatIsNotATable) {
  std::string e = errors_of("aws = \"us-east-1\"\n");
  EXPECT_TRUE(contains(e,
                       "line 1: aws must be a section ([aws] on a line of its own), not a "
                       "string."))
      << e;
  e = errors_of("[[upload]]\nmax_concurrent = 1\n");
  EXPECT_TRUE(contains(e, "upload must be a section")) << e;
}

TEST(ConfigFileErrors, WrongTypes) {
  struct Case {
    std::string_view text, expected;
  } cases[] = {
      {"[upload]\nmax_concurrent = \"8\"\n",
       "line 2: upload.max_concurrent must be an integer, not a string (write it without quotes)."},
      {"[upload]\nmax_concurrent = 2.5\n",
       "line 2: upload.max_concurrent must be an integer, not a floating-point number."},
      {"[s3]\nforce_path_style = \"yes\"\n",
       "line 2: s3.force_path_style must be true or false, not a string (write it without "
       "quotes)."},
      {"[behavior]\ndry_run = 1\n",
       "line 2: behavior.dry_run must be true or false, not an "
       "integer."},
      {"[s3]\nbucket = 12\n", "line 2: s3.bucket must be a string, not an integer."},
      {"[upload]\nextensions = \"mp4\"\n",
       "line 2: upload.extensions must be an array of strings such as [\"mp4\", \"mov\"], not a "
       "string (write [\"mp4\"])."},
      {"[upload]\nextensions = [\n  \"mp4\",\n  4,\n]\n",
       "line 4: upload.extensions must hold only strings, not an integer."},
      {"[upload]\npart_size = true\n", "line 2: upload.part_size must be a size such as"},
      {"[upload]\nmax_speed_mbps = \"fast\"\n", "line 2: upload.max_speed_mbps must be a number"},
      {"[aws]\nregion = 1979-05-27\n", "line 2: aws.region must be a string, not a date."},
  };
  for (const auto& c : cases) {
    std::string e = errors_of(c.text);
    EXPECT_TRUE(contains(e, c.expected)) << c.text << "\n" << e;
  }
}

TEST(ConfigFileErrors, ValuesOutOfRangeOrInvalid) {
  struct Case {
    std::string_view text, expected;
  } cases[] = {
      {"[upload]\nmax_concurrent = 0\n",
       "line 2: upload.max_concurrent: must be between 1 and 1024 (got 0)."},
      {"[upload]\nmax_requests = 5000\n", "upload.max_requests: must be between 1 and 1024"},
      {"[upload]\nurl_expiry_hours = 200\n",
       "upload.url_expiry_hours: must be between 1 and 168 (7 days"},
      {"[upload]\nmax_speed_mbps = -1\n", "upload.max_speed_mbps: must be 0 (unlimited)"},
      {"[upload]\npart_size = \"1MiB\"\n", "upload.part_size: must be between 5MiB and 5GiB"},
      {"[upload]\nmultipart_threshold = \"lots\"\n", "line 2: upload.multipart_threshold: "},
      {"[upload]\nextensions = []\n", "upload.extensions: the list is empty"},
      {"[upload]\nchecksum_algorithm = \"crc16\"\n",
       "upload.checksum_algorithm: \"crc16\" is not a checksum algorithm"},
      {"[upload]\nmetadata_checksum = \"md5\"\n",
       "upload.metadata_checksum: \"md5\" is not a metadata checksum"},
      {"[upload]\ncompare = \"mtime\"\n", "upload.compare: \"mtime\" is not a comparison mode"},
      {"[s3]\nbucket = \"My_Bucket\"\n",
       "line 2: s3.bucket: bucket name 'My_Bucket' contains "
       "upper-case letters"},
      {"[s3]\nbucket = \"\"\n", "s3.bucket: the bucket name is empty."},
      {"[s3]\ntarget_path = \"/uploads\"\n",
       "s3.target_path: target path '/uploads' starts with "
       "'/'"},
      {"[aws]\nregion = \"EU\"\n", "aws.region: region 'EU' contains upper-case letters"},
      {"[aws]\nprofile = \"\"\n", "aws.profile: the profile name is empty"},
      {"[aws]\nendpoint_url = \"minio:9000\"\n",
       "aws.endpoint_url: endpoint URL 'minio:9000' does not start with http:// or https://"},
  };
  for (const auto& c : cases) {
    std::string e = errors_of(c.text);
    EXPECT_TRUE(contains(e, c.expected)) << c.text << "\n" << e;
    EXPECT_TRUE(contains(e, "s3upload.toml, line ")) << e;
  }
}

TEST(ConfigFileErrors, EveryProblemIsReported) {
  auto r = parse_config_file(
      "[s3]\nbucket = 1\nbukcet = \"x\"\n[upload]\nmax_requests = 0\n[extra]\n", "team.toml");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().size(), 4u) << joined(r.error());
  EXPECT_TRUE(r.error()[0].starts_with("team.toml, line 2: s3.bucket must be a string"));
  EXPECT_TRUE(
      r.error()[1].starts_with("team.toml, line 3: unknown key s3.bukcet (did you mean "
                               "bucket?)"));
  EXPECT_TRUE(r.error()[2].starts_with("team.toml, line 5: upload.max_requests"));
  EXPECT_TRUE(r.error()[3].starts_with("team.toml, line 6: unknown section [extra]"));
}

// ---- finding and loading --------------------------------------------------------------------

TEST(ConfigFileFind, WorkingDirectoryFirstThenXdgThenHome) {
  TempDir t;
  const fs::path cwd = t.path() / "project", home = t.path() / "home", xdg = t.path() / "xdg";
  fs::create_directories(cwd);
  Environment env({{"HOME", home.string()}});
  EXPECT_EQ(find_config_file(env, cwd), std::nullopt);

  t.write("home/.config/s3upload/config.toml", "");
  EXPECT_EQ(find_config_file(env, cwd), home / ".config/s3upload/config.toml");

  env.set("XDG_CONFIG_HOME", xdg.string());
  EXPECT_EQ(find_config_file(env, cwd), std::nullopt);  // XDG_CONFIG_HOME replaces ~/.config
  t.write("xdg/s3upload/config.toml", "");
  EXPECT_EQ(find_config_file(env, cwd), xdg / "s3upload/config.toml");

  env.set("XDG_CONFIG_HOME", "relative/dir");  // not absolute: ignored, as the spec says
  EXPECT_EQ(find_config_file(env, cwd), home / ".config/s3upload/config.toml");

  t.write("project/s3upload.toml", "");
  EXPECT_EQ(find_config_file(env, cwd), cwd / "s3upload.toml");
}

TEST(ConfigFileFind, NotInParentDirectories) {
  TempDir t;
  t.write("s3upload.toml", "");
  fs::create_directories(t.path() / "sub");
  EXPECT_EQ(find_config_file(Environment({{"HOME", (t.path() / "h").string()}}), t.path() / "sub"),
            std::nullopt);
}

TEST(ConfigFileLoad, ExplicitFileMustExist) {
  TempDir t;
  Environment env({{"HOME", t.path().string()}});
  auto r = load_config_file(env, t.path(), "missing.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(joined(r.error()), "--config missing.toml: no such file"))
      << joined(r.error());

  fs::create_directories(t.path() / "dir.toml");
  r = load_config_file(env, t.path(), "dir.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(joined(r.error()), "is a directory")) << joined(r.error());
}

TEST(ConfigFileLoad, ExplicitFileWinsOverTheOneFoundAndIsRelativeToTheWorkingDirectory) {
  TempDir t;
  t.write("s3upload.toml", "[s3]\nbucket = \"local-one\"\n");
  t.write("conf/team.toml", "[s3]\nbucket = \"team-one\"\n");
  Environment env({{"HOME", t.path().string()}});
  auto r = load_config_file(env, t.path(), "conf/team.toml");
  ASSERT_TRUE(r.ok()) << joined(r.error());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(keys_of(**r)["S3_BUCKET"], "team-one");
  EXPECT_EQ((*r)->path, t.path() / "conf/team.toml");

  r = load_config_file(env, t.path(), "");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(keys_of(**r)["S3_BUCKET"], "local-one");
  EXPECT_EQ((*r)->name, "s3upload.toml");
}

TEST(ConfigFileLoad, ErrorsNameTheFileAsTheUserKnowsIt) {
  TempDir t;
  t.write("home/.config/s3upload/config.toml", "[s3]\nbucket = 3\n");
  fs::create_directories(t.path() / "cwd");
  Environment env({{"HOME", (t.path() / "home").string()}});
  auto r = load_config_file(env, t.path() / "cwd", "");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error()[0].starts_with("~/.config/s3upload/config.toml, line 2: s3.bucket"))
      << r.error()[0];
}

TEST(ConfigFileLoad, NoFileIsFine) {
  TempDir t;
  auto r = load_config_file(Environment({{"HOME", t.path().string()}}), t.path(), "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

// ---- merging into the environment -----------------------------------------------------------

TEST(ConfigFileMerge, FileKeysYieldToEverythingSet) {
  ConfigFile f = parse_ok(kEveryKey);
  Environment env({{"S3_BUCKET", "env-bucket"},
                   {"AWS_DEFAULT_REGION", "ap-south-1"},  // beats the file's AWS_REGION
                   {"AWS_ENDPOINT_URL", "http://10.0.0.1:8080"},
                   {"S3_COMPARE", ""},        // empty: unset, so the file's value goes in
                   {"S3_TARGET_PATH", ""}});  // empty target path: the bucket's root, kept
  auto merged = merge_config_keys(env, f);
  EXPECT_EQ(env.get("S3_BUCKET"), "env-bucket");
  EXPECT_EQ(env.get("AWS_REGION"), std::nullopt);
  EXPECT_EQ(env.get("AWS_ENDPOINT_URL_S3"), std::nullopt);
  EXPECT_EQ(env.get("S3_COMPARE"), "checksum");
  EXPECT_EQ(env.get("S3_TARGET_PATH"), "");
  EXPECT_EQ(env.get("AWS_PROFILE"), "work");
  std::vector<std::string> names;
  for (const auto& k : merged) names.push_back(k.env_name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"AWS_PROFILE", "S3_FORCE_PATH_STYLE", "S3_CHECKSUM_ALGORITHM",
                                      "S3_METADATA_CHECKSUM", "S3_COMPARE"}));
}

// ---- the whole chain, as run() does it: flags > environment > .env > file > default ---------

struct Chain {
  std::optional<Settings> settings;
  std::optional<IntegritySettings> integrity;
  app::Options options;
  std::string errors;
};

// Parses `args`, loads .env and the configuration file from `cwd` into `vars`, then resolves.
Chain resolve_chain(const fs::path& cwd, std::vector<const char*> args,
                    std::map<std::string, std::string> vars = {}) {
  Chain c;
  args.insert(args.begin(), "s3upload");
  std::ostringstream out, err;
  auto parsed = cli::parse(static_cast<int>(args.size()), args.data(), out, err);
  if (!parsed.options) {
    c.errors = "parse failed: " + err.str();
    return c;
  }
  c.options = *parsed.options;
  vars.emplace("HOME", (cwd / "no-home").string());
  Environment env(vars);
  if (auto d = load_dotenv(env, cwd); !d) {
    c.errors = d.error();
    return c;
  }
  if (auto f = app::apply_config_file(c.options, env, cwd); !f) {
    c.errors = joined(f.error());
    return c;
  }
  auto s = resolve_settings(env, c.options.overrides);
  if (s) {
    c.settings = *s;
  } else {
    c.errors += joined(s.error());
  }
  auto i = resolve_integrity(env, c.options.overrides);
  if (i) {
    c.integrity = *i;
  } else {
    c.errors += joined(i.error());
  }
  return c;
}

TEST(ConfigFileChain, EveryKeyReachesTheRun) {
  TempDir t;
  t.write("s3upload.toml", std::string(kEveryKey));
  Chain c = resolve_chain(t.path(), {"file.mp4"});
  ASSERT_TRUE(c.settings && c.integrity) << c.errors;
  EXPECT_EQ(c.settings->region, "eu-west-1");
  EXPECT_EQ(c.settings->profile, "work");
  EXPECT_EQ(c.settings->endpoint_url, "http://127.0.0.1:9000");
  EXPECT_EQ(c.settings->bucket, "team-media");
  EXPECT_EQ(c.settings->target_path, "uploads/raw");
  EXPECT_TRUE(c.settings->path_style);
  EXPECT_EQ(c.integrity->checksum_algo, integrity::ChecksumAlgo::kSha256);
  EXPECT_EQ(c.integrity->metadata_digest, integrity::MetadataDigest::kSha256);
  EXPECT_EQ(c.integrity->compare, transfer::CompareMode::kChecksum);
  const app::Options& o = c.options;
  EXPECT_EQ(o.max_concurrent, 8);
  EXPECT_EQ(o.extensions, (std::vector<std::string>{"mp4", "mov", "mkv"}));
  EXPECT_EQ(o.url_expiry_hours, 24);
  EXPECT_EQ(o.multipart_threshold, "64MiB");
  EXPECT_EQ(o.part_size, "32MiB");
  EXPECT_EQ(o.max_requests, 32);
  EXPECT_EQ(o.max_speed_mbps, 12.5);
  EXPECT_TRUE(o.dry_run);
  EXPECT_TRUE(o.yes);
}

TEST(ConfigFileChain, WithoutAFileTheDefaultsStand) {
  TempDir t;
  Chain c =
      resolve_chain(t.path(), {"file.mp4"}, {{"S3_BUCKET", "b-b-b"}, {"AWS_REGION", "us-east-1"}});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_EQ(c.options.max_concurrent, 4);
  EXPECT_TRUE(c.options.extensions.empty());
  EXPECT_EQ(c.options.part_size, "16MiB");
  EXPECT_FALSE(c.options.dry_run);
}

TEST(ConfigFileChain, DotenvBeatsTheFileAndTheEnvironmentBeatsDotenv) {
  TempDir t;
  t.write("s3upload.toml",
          "[aws]\nregion = \"eu-west-1\"\n[s3]\nbucket = \"from-file\"\ntarget_path = \"file\"\n"
          "[upload]\ncompare = \"size\"\n");
  t.write(".env", "S3_BUCKET=from-dotenv\nS3_COMPARE=checksum\n");
  Chain c = resolve_chain(t.path(), {"x.mp4"});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_EQ(c.settings->bucket, "from-dotenv");
  EXPECT_EQ(c.settings->region, "eu-west-1");  // only the file says
  EXPECT_EQ(c.settings->target_path, "file");
  EXPECT_EQ(c.integrity->compare, transfer::CompareMode::kChecksum);

  c = resolve_chain(t.path(), {"x.mp4"}, {{"S3_BUCKET", "from-env"}, {"S3_TARGET_PATH", "env"}});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_EQ(c.settings->bucket, "from-env");
  EXPECT_EQ(c.settings->target_path, "env");

  c = resolve_chain(t.path(), {"x.mp4", "--bucket", "from-flag", "--compare", "etag"},
                    {{"S3_BUCKET", "from-env"}});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_EQ(c.settings->bucket, "from-flag");
  EXPECT_EQ(c.integrity->compare, transfer::CompareMode::kEtag);
}

TEST(ConfigFileChain, RegionAndEndpointYieldToTheirOtherVariables) {
  TempDir t;
  t.write("s3upload.toml",
          "[aws]\nregion = \"eu-west-1\"\nendpoint_url = \"http://127.0.0.1:9000\"\n[s3]\n"
          "bucket = \"b-b-b\"\n");
  t.write(".env", "AWS_DEFAULT_REGION=ap-south-1\nAWS_ENDPOINT_URL=http://10.1.1.1:8000\n");
  Chain c = resolve_chain(t.path(), {"x.mp4"});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_EQ(c.settings->region, "ap-south-1");
  EXPECT_EQ(c.settings->endpoint_url, "http://10.1.1.1:8000");
  c = resolve_chain(t.path(), {"x.mp4", "--region", "us-west-2"});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_EQ(c.settings->region, "us-west-2");
}

TEST(ConfigFileChain, PathStyleFlagBeatsTheFile) {
  TempDir t;
  t.write("s3upload.toml",
          "[aws]\nregion = \"eu-west-1\"\n[s3]\nbucket = \"b-b-b\"\nforce_path_style = false\n");
  Chain c = resolve_chain(t.path(), {"x.mp4"});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_FALSE(c.settings->path_style);
  c = resolve_chain(t.path(), {"x.mp4", "--path-style"});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_TRUE(c.settings->path_style);
}

TEST(ConfigFileChain, FlagsBeatTheFileForUploadSettings) {
  TempDir t;
  t.write("s3upload.toml", std::string(kEveryKey));
  Chain c = resolve_chain(t.path(), {"x.mp4", "-c", "2", "-e", "avi", "--url-expiry-hours", "1",
                                     "--multipart-threshold", "8MiB", "--part-size", "5MiB",
                                     "--max-requests", "3", "--max-speed-mbps", "0"});
  ASSERT_TRUE(c.settings) << c.errors;
  const app::Options& o = c.options;
  EXPECT_EQ(o.max_concurrent, 2);
  EXPECT_EQ(o.extensions, std::vector<std::string>{"avi"});
  EXPECT_EQ(o.url_expiry_hours, 1);
  EXPECT_EQ(o.multipart_threshold, "8MiB");
  EXPECT_EQ(o.part_size, "5MiB");
  EXPECT_EQ(o.max_requests, 3);
  EXPECT_EQ(o.max_speed_mbps, 0);
  // Flags given with their default value still count as given.
  c = resolve_chain(t.path(), {"x.mp4", "--max-concurrent", "4"});
  EXPECT_EQ(c.options.max_concurrent, 4);
  EXPECT_EQ(c.options.max_requests, 32);  // not given: the file's
}

TEST(ConfigFileChain, DryRunFromTheFileYieldsToUrlOnly) {
  TempDir t;
  t.write("s3upload.toml",
          "[aws]\nregion = \"eu-west-1\"\n[s3]\nbucket = \"b-b-b\"\n[behavior]\ndry_run = true\n");
  Chain c = resolve_chain(t.path(), {"x.mp4", "--url-only"});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_FALSE(c.options.dry_run);
  EXPECT_TRUE(c.options.url_only);
  c = resolve_chain(t.path(), {"x.mp4"});
  EXPECT_TRUE(c.options.dry_run);
}

TEST(ConfigFileChain, ConfigFlagPicksTheFile) {
  TempDir t;
  t.write("s3upload.toml", "[s3]\nbucket = \"local-file\"\n[aws]\nregion = \"us-east-1\"\n");
  t.write("other.toml", "[s3]\nbucket = \"other-file\"\n[aws]\nregion = \"us-east-1\"\n");
  Chain c = resolve_chain(t.path(), {"x.mp4", "--config", "other.toml"});
  ASSERT_TRUE(c.settings) << c.errors;
  EXPECT_EQ(c.settings->bucket, "other-file");
  c = resolve_chain(t.path(), {"x.mp4", "--config", "nope.toml"});
  EXPECT_FALSE(c.settings);
  EXPECT_TRUE(contains(c.errors, "--config nope.toml: no such file")) << c.errors;
}

TEST(ConfigFileChain, ABadFileStopsTheRun) {
  TempDir t;
  t.write("s3upload.toml", "[upload]\nmax_concurrent = \"many\"\n");
  Chain c = resolve_chain(t.path(), {"x.mp4"}, {{"S3_BUCKET", "b-b-b"}});
  EXPECT_FALSE(c.settings);
  EXPECT_TRUE(contains(c.errors,
                       "s3upload.toml, line 2: upload.max_concurrent must be an "
                       "integer, not a string"))
      << c.errors;
}

// ---- the command line records which flags it was given --------------------------------------

TEST(ConfigFileCli, FlagsGivenAreRecordedByLongName) {
  std::vector<const char*> args = {"s3upload",  "-c",         "3",   "-y",
                                   "--dry-run", "--metadata", "a=b", "x.mp4"};
  std::ostringstream out, err;
  auto p = cli::parse(static_cast<int>(args.size()), args.data(), out, err);
  ASSERT_TRUE(p.options) << err.str();
  const auto& g = p.options->given;
  EXPECT_TRUE(g.count("--max-concurrent"));
  EXPECT_TRUE(g.count("--yes"));       // in an option group
  EXPECT_TRUE(g.count("--metadata"));  // in another
  EXPECT_TRUE(g.count("--dry-run"));
  EXPECT_FALSE(g.count("--part-size"));
  EXPECT_FALSE(g.count("--extensions"));
}

TEST(ConfigFileCli, EmptyConfigIsAnError) {
  std::vector<const char*> args = {"s3upload", "--config", "", "x.mp4"};
  std::ostringstream out, err;
  auto p = cli::parse(static_cast<int>(args.size()), args.data(), out, err);
  EXPECT_FALSE(p.options);
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_TRUE(contains(err.str(), "--config is empty")) << err.str();
}

}  // namespace
}  // namespace s3up::config
