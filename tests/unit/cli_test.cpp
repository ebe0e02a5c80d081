#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "cli/cli.hpp"
#include "config/config.hpp"
#include "transfer/journal.hpp"

using s3up::cli::parse;
using s3up::integrity::ChecksumAlgo;
using s3up::integrity::ChecksumTransport;
using s3up::integrity::MetadataDigest;
using s3up::transfer::CompareMode;

namespace {

struct Parsed {
  s3up::cli::ParseResult r;
  std::string out, err;
};

Parsed run(std::vector<const char*> args) {
  args.insert(args.begin(), "s3upload");
  std::ostringstream out, err;
  Parsed p{parse(static_cast<int>(args.size()), args.data(), out, err), "", ""};
  p.out = out.str();
  p.err = err.str();
  return p;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// The command line parsed, then resolved with the configuration keys in `vars` (as run() does
// once .env is loaded). Error: the problems, joined by newlines.
struct Resolved {
  std::optional<s3up::config::IntegritySettings> settings;
  std::string errors;
};

Resolved resolve(std::vector<const char*> args, std::map<std::string, std::string> vars = {}) {
  auto p = run(std::move(args));
  Resolved out;
  if (!p.r.options) {
    out.errors = "parse failed: " + p.err;
    return out;
  }
  vars.emplace("HOME", "/home/u");
  auto r = s3up::config::resolve_integrity(s3up::Environment(vars), p.r.options->overrides);
  if (r) {
    out.settings = *r;
  } else {
    for (const auto& e : r.error()) out.errors += e + "\n";
  }
  return out;
}

}  // namespace

TEST(Cli, DefaultsMatchTheOriginalTool) {
  auto p = run({"videos"});
  ASSERT_TRUE(p.r.options);
  EXPECT_EQ(p.r.options->paths, std::vector<std::string>{"videos"});
  EXPECT_EQ(p.r.options->max_concurrent, 4);
  EXPECT_EQ(p.r.options->url_expiry_hours, 168);
  EXPECT_TRUE(p.r.options->extensions.empty());
  EXPECT_FALSE(p.r.options->url_only);
  EXPECT_FALSE(p.r.options->dry_run);
}

TEST(Cli, ExtensionsRepeatAndDoNotSwallowPaths) {
  auto p = run({"-e", "mp4,mov", "videos", "-e", "mkv", "more"});
  ASSERT_TRUE(p.r.options) << p.err;
  EXPECT_EQ(p.r.options->extensions, (std::vector<std::string>{"mp4,mov", "mkv"}));
  EXPECT_EQ(p.r.options->paths, (std::vector<std::string>{"videos", "more"}));
}

TEST(Cli, OverridesAreRecordedOnlyWhenGiven) {
  auto p = run({"--bucket", "b-1", "--endpoint-url", "http://127.0.0.1:9000", "--path-style",
                "--prefix", "x/y", "f.mp4"});
  ASSERT_TRUE(p.r.options) << p.err;
  const auto& o = p.r.options->overrides;
  EXPECT_EQ(o.bucket, "b-1");
  EXPECT_EQ(o.endpoint_url, "http://127.0.0.1:9000");
  EXPECT_EQ(o.path_style, true);
  EXPECT_EQ(o.target_path, "x/y");
  EXPECT_FALSE(o.region);
  EXPECT_FALSE(o.profile);
}

TEST(Cli, ZeroConcurrencyIsAUsageError) {
  auto p = run({"-c", "0", "f.mp4"});
  EXPECT_FALSE(p.r.options);
  EXPECT_EQ(p.r.exit_code, 2);
  EXPECT_NE(p.err.find("--max-concurrent"), std::string::npos);
}

TEST(Cli, ExpiryOutsideRangeIsAnErrorNotAClamp) {
  for (const char* v : {"0", "169", "1000"}) {
    auto p = run({"--url-expiry-hours", v, "f.mp4"});
    EXPECT_FALSE(p.r.options) << v;
    EXPECT_EQ(p.r.exit_code, 2);
    EXPECT_NE(p.err.find("between 1 and 168"), std::string::npos) << p.err;
  }
  auto ok = run({"--url-expiry-hours", "1", "f.mp4"});
  ASSERT_TRUE(ok.r.options);
  EXPECT_EQ(ok.r.options->url_expiry_hours, 1);
}

TEST(Cli, UrlOnlyAndDryRunConflict) {
  auto p = run({"--url-only", "--dry-run", "f.mp4"});
  EXPECT_FALSE(p.r.options);
  EXPECT_EQ(p.r.exit_code, 2);
}

TEST(Cli, SyncIsAFlagThatDoesNotGoWithUrlOnly) {
  auto p = run({"--sync", "--yes", "videos"});
  ASSERT_TRUE(p.r.options) << p.err;
  EXPECT_TRUE(p.r.options->sync);
  EXPECT_TRUE(p.r.options->yes);
  EXPECT_FALSE(run({"videos"}).r.options->sync);
  auto dry = run({"--sync", "--dry-run", "videos"});
  ASSERT_TRUE(dry.r.options) << dry.err;
  auto url = run({"--sync", "--url-only", "videos"});
  EXPECT_FALSE(url.r.options);
  EXPECT_EQ(url.r.exit_code, 2);
  EXPECT_TRUE(contains(url.err, "--sync and --url-only cannot be used together")) << url.err;
  auto hk = run({"--sync", "--abort-incomplete"});
  EXPECT_FALSE(hk.r.options);
  EXPECT_EQ(hk.r.exit_code, 2);
  auto help = run({"--help"});
  EXPECT_TRUE(contains(help.out, "--sync")) << help.out;
  EXPECT_TRUE(contains(run({"--completions", "bash"}).out, "--sync"));
}

TEST(Cli, MissingPathIsAUsageError) {
  auto p = run({});
  EXPECT_FALSE(p.r.options);
  EXPECT_EQ(p.r.exit_code, 2);
}

TEST(Cli, HelpAndVersionExitZero) {
  auto h = run({"--help"});
  EXPECT_FALSE(h.r.options);
  EXPECT_EQ(h.r.exit_code, 0);
  EXPECT_NE(h.out.find("--url-expiry-hours"), std::string::npos);
  auto v = run({"-V"});
  EXPECT_EQ(v.r.exit_code, 0);
  EXPECT_NE(v.out.find("s3upload "), std::string::npos);
}

TEST(Cli, CompletionsPrintAScriptWithEveryFlag) {
  auto p = run({"--completions", "bash"});
  EXPECT_FALSE(p.r.options);
  EXPECT_EQ(p.r.exit_code, 0);
  for (const char* flag : {"--url-only", "--storage-class", "--abort-incomplete", "--report"}) {
    EXPECT_NE(p.out.find(flag), std::string::npos) << flag;
  }
  auto bad = run({"--completions", "tcsh"});
  EXPECT_EQ(bad.r.exit_code, 2);
}

// ---- integrity, comparison and resume -------------------------------------------------------

TEST(CliIntegrity, DefaultsWhenNothingIsGiven) {
  auto p = run({"f.mp4"});
  ASSERT_TRUE(p.r.options) << p.err;
  const auto& o = p.r.options->overrides;
  EXPECT_FALSE(o.checksum_algorithm || o.checksum_transport || o.metadata_checksum || o.compare ||
               o.state_dir || o.resume);
  const std::map<std::string, std::string> vars = {{"HOME", "/home/u"},
                                                   {"XDG_STATE_HOME", "/xdg/state"}};
  auto r = resolve({"f.mp4"}, vars);
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kCrc32c);
  EXPECT_EQ(r.settings->checksum_transport, ChecksumTransport::kAuto);
  EXPECT_EQ(r.settings->metadata_digest, MetadataDigest::kBlake3);
  EXPECT_EQ(r.settings->compare, CompareMode::kEtag);
  EXPECT_EQ(r.settings->state_dir, s3up::transfer::Journal::default_dir(s3up::Environment(vars)));
  EXPECT_EQ(r.settings->state_dir, "/xdg/state/s3upload");
  EXPECT_TRUE(r.settings->warnings.empty());
}

TEST(CliIntegrity, FlagsAreRecordedAsTyped) {
  auto p =
      run({"--checksum-algorithm", "SHA256", "--checksum-transport", "header",
           "--metadata-checksum", "sha256", "--compare", "checksum", "--state-dir", "st", "f.mp4"});
  ASSERT_TRUE(p.r.options) << p.err;
  const auto& o = p.r.options->overrides;
  EXPECT_EQ(o.checksum_algorithm, "SHA256");
  EXPECT_EQ(o.checksum_transport, "header");
  EXPECT_EQ(o.metadata_checksum, "sha256");
  EXPECT_EQ(o.compare, "checksum");
  EXPECT_EQ(o.state_dir, "st");
  EXPECT_FALSE(o.resume);
  auto nr = run({"--no-resume", "f.mp4"});
  ASSERT_TRUE(nr.r.options) << nr.err;
  EXPECT_EQ(nr.r.options->overrides.resume, false);
}

TEST(CliIntegrity, EveryGoodValueIsAccepted) {
  const std::pair<const char*, ChecksumAlgo> algos[] = {{"crc32c", ChecksumAlgo::kCrc32c},
                                                        {"crc32", ChecksumAlgo::kCrc32},
                                                        {"crc64nvme", ChecksumAlgo::kCrc64Nvme},
                                                        {"sha256", ChecksumAlgo::kSha256},
                                                        {"sha1", ChecksumAlgo::kSha1},
                                                        {"md5", ChecksumAlgo::kMd5},
                                                        {"none", ChecksumAlgo::kNone}};
  for (auto [name, algo] : algos) {
    auto r = resolve({"--checksum-algorithm", name, "f.mp4"});
    ASSERT_TRUE(r.settings) << name << ": " << r.errors;
    EXPECT_EQ(r.settings->checksum_algo, algo) << name;
  }
  for (const char* t : {"auto", "trailer", "header", "content-md5", "payload-hash", "none"}) {
    auto r = resolve({"--checksum-transport", t, "f.mp4"});
    ASSERT_TRUE(r.settings) << t << ": " << r.errors;
    EXPECT_EQ(s3up::integrity::transport_name(r.settings->checksum_transport), t);
  }
  const std::pair<const char*, MetadataDigest> digests[] = {{"blake3", MetadataDigest::kBlake3},
                                                            {"sha256", MetadataDigest::kSha256},
                                                            {"none", MetadataDigest::kNone}};
  for (auto [name, d] : digests) {
    auto r = resolve({"--metadata-checksum", name, "f.mp4"});
    ASSERT_TRUE(r.settings) << name << ": " << r.errors;
    EXPECT_EQ(r.settings->metadata_digest, d) << name;
  }
  const std::pair<const char*, CompareMode> modes[] = {{"size", CompareMode::kSize},
                                                       {"etag", CompareMode::kEtag},
                                                       {"checksum", CompareMode::kChecksum}};
  for (auto [name, m] : modes) {
    auto r = resolve({"--compare", name, "f.mp4"});
    ASSERT_TRUE(r.settings) << name << ": " << r.errors;
    EXPECT_EQ(r.settings->compare, m) << name;
  }
}

TEST(CliIntegrity, BadValuesAreUsageErrorsNamingTheFlag) {
  const std::vector<std::vector<const char*>> cases = {{"--checksum-algorithm", "crc16"},
                                                       {"--checksum-algorithm", ""},
                                                       {"--checksum-transport", "chunked"},
                                                       {"--metadata-checksum", "md5"},
                                                       {"--compare", "mtime"},
                                                       {"--state-dir", ""}};
  for (const auto& c : cases) {
    auto p = run({c[0], c[1], "f.mp4"});
    EXPECT_FALSE(p.r.options) << c[0] << " " << c[1];
    EXPECT_EQ(p.r.exit_code, 2);
    EXPECT_TRUE(contains(p.err, std::string("error: ") + c[0])) << p.err;
    EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << "one sentence: " << p.err;
  }
  auto p = run({"--checksum-algorithm", "crc16", "f.mp4"});
  EXPECT_TRUE(contains(p.err,
                       "'crc16' is not a checksum algorithm: use crc32c, crc32, "
                       "crc64nvme, sha256, sha1, md5 or none."))
      << p.err;
  p = run({"--compare", "mtime", "f.mp4"});
  EXPECT_TRUE(contains(p.err, "use size, etag or checksum")) << p.err;
  p = run({"--checksum-transport", "chunked", "f.mp4"});
  EXPECT_TRUE(contains(p.err, "use auto, trailer, header, content-md5, payload-hash or none"))
      << p.err;
  p = run({"--metadata-checksum", "md5", "f.mp4"});
  EXPECT_TRUE(contains(p.err, "use blake3, sha256 or none")) << p.err;
}

TEST(CliIntegrity, AlgorithmNoneGoesWithTransportNone) {
  auto r = resolve({"--checksum-algorithm", "none", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_transport, ChecksumTransport::kNone);
  r = resolve({"--checksum-algorithm", "none", "--checksum-transport", "auto", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_transport, ChecksumTransport::kNone);
  r = resolve({"--checksum-transport", "none", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kNone);
  for (const char* t : {"trailer", "header", "content-md5", "payload-hash"}) {
    auto p = run({"--checksum-algorithm", "none", "--checksum-transport", t, "f.mp4"});
    EXPECT_EQ(p.r.exit_code, 2) << t;
    EXPECT_TRUE(contains(p.err, "--checksum-algorithm 'none' sends no checksum")) << p.err;
  }
  auto p = run({"--checksum-algorithm", "crc32", "--checksum-transport", "none", "f.mp4"});
  EXPECT_EQ(p.r.exit_code, 2);
  EXPECT_TRUE(contains(p.err,
                       "--checksum-transport 'none' sends no checksum, but "
                       "--checksum-algorithm 'crc32' asks for one"))
      << p.err;
}

TEST(CliIntegrity, Md5TravelsOnlyAsContentMd5) {
  auto r = resolve({"--checksum-algorithm", "md5", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_transport, ChecksumTransport::kContentMd5);
  r = resolve({"--checksum-algorithm", "md5", "--checksum-transport", "content-md5", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kMd5);
  for (const char* t : {"trailer", "header", "payload-hash"}) {
    auto p = run({"--checksum-algorithm", "md5", "--checksum-transport", t, "f.mp4"});
    EXPECT_EQ(p.r.exit_code, 2) << t;
    EXPECT_TRUE(contains(p.err, "can only travel as a Content-MD5 header")) << p.err;
  }
}

TEST(CliIntegrity, TrailerAndHeaderNeedAnXAmzChecksumAlgorithm) {
  for (const char* t : {"trailer", "header"}) {
    for (const char* a : {"crc32c", "crc32", "crc64nvme", "sha256", "sha1"}) {
      auto r = resolve({"--checksum-algorithm", a, "--checksum-transport", t, "f.mp4"});
      ASSERT_TRUE(r.settings) << a << " " << t << ": " << r.errors;
      EXPECT_EQ(s3up::integrity::algo_name(r.settings->checksum_algo), a);
      EXPECT_EQ(s3up::integrity::transport_name(r.settings->checksum_transport), t);
    }
    for (const char* a : {"md5", "none"}) {
      auto p = run({"--checksum-algorithm", a, "--checksum-transport", t, "f.mp4"});
      EXPECT_EQ(p.r.exit_code, 2) << a << " " << t;
    }
  }
}

TEST(CliIntegrity, PayloadHashAndContentMd5FixTheirOwnAlgorithm) {
  auto r = resolve({"--checksum-transport", "payload-hash", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kSha256);
  r = resolve({"--checksum-transport", "payload-hash", "--checksum-algorithm", "sha256", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  auto p = run({"--checksum-transport", "payload-hash", "--checksum-algorithm", "crc32c", "f.mp4"});
  EXPECT_EQ(p.r.exit_code, 2);
  EXPECT_TRUE(contains(p.err,
                       "--checksum-transport 'payload-hash' sends the SHA-256 of the "
                       "body, so it cannot carry --checksum-algorithm 'crc32c'"))
      << p.err;
  r = resolve({"--checksum-transport", "content-md5", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kMd5);
  p = run({"--checksum-transport", "content-md5", "--checksum-algorithm", "sha1", "f.mp4"});
  EXPECT_EQ(p.r.exit_code, 2);
  EXPECT_TRUE(contains(p.err, "sends the MD5 of the body")) << p.err;
}

TEST(CliIntegrity, ConfigurationKeysAreRead) {
  auto r = resolve({"f.mp4"}, {{"S3_CHECKSUM_ALGORITHM", "crc64nvme"},
                               {"S3_CHECKSUM_TRANSPORT", "header"},
                               {"S3_METADATA_CHECKSUM", "none"},
                               {"S3_COMPARE", "size"},
                               {"S3_STATE_DIR", "/var/lib/s3up"}});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kCrc64Nvme);
  EXPECT_EQ(r.settings->checksum_transport, ChecksumTransport::kHeader);
  EXPECT_EQ(r.settings->metadata_digest, MetadataDigest::kNone);
  EXPECT_EQ(r.settings->compare, CompareMode::kSize);
  EXPECT_EQ(r.settings->state_dir, "/var/lib/s3up");
  // A key set to "" counts as unset.
  r = resolve({"f.mp4"}, {{"S3_CHECKSUM_ALGORITHM", ""}, {"S3_COMPARE", ""}});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kCrc32c);
  EXPECT_EQ(r.settings->compare, CompareMode::kEtag);
}

TEST(CliIntegrity, BadKeysAreReportedByName) {
  auto r = resolve({"f.mp4"}, {{"S3_CHECKSUM_ALGORITHM", "adler32"},
                               {"S3_CHECKSUM_TRANSPORT", "x"},
                               {"S3_METADATA_CHECKSUM", "md5"},
                               {"S3_COMPARE", "mtime"},
                               {"S3_RESUME", "maybe"}});
  ASSERT_FALSE(r.settings);
  for (const char* s :
       {"S3_CHECKSUM_ALGORITHM 'adler32' is not a checksum algorithm",
        "S3_CHECKSUM_TRANSPORT 'x' is not a checksum transport",
        "S3_METADATA_CHECKSUM 'md5' is not a metadata checksum",
        "S3_COMPARE 'mtime' is not a comparison mode", "S3_RESUME 'maybe' is not a yes/no value"}) {
    EXPECT_TRUE(contains(r.errors, s)) << s << "\n" << r.errors;
  }
  EXPECT_EQ(std::count(r.errors.begin(), r.errors.end(), '\n'), 5) << r.errors;
}

TEST(CliIntegrity, FlagsWinOverKeys) {
  auto r = resolve(
      {"--checksum-algorithm", "crc32", "--checksum-transport", "trailer", "--metadata-checksum",
       "sha256", "--compare", "checksum", "--state-dir", "/flag/dir", "f.mp4"},
      {{"S3_CHECKSUM_ALGORITHM", "md5"},
       {"S3_CHECKSUM_TRANSPORT", "content-md5"},
       {"S3_METADATA_CHECKSUM", "bogus"},
       {"S3_COMPARE", "size"},
       {"S3_STATE_DIR", "/key/dir"}});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kCrc32);
  EXPECT_EQ(r.settings->checksum_transport, ChecksumTransport::kTrailer);
  EXPECT_EQ(r.settings->metadata_digest, MetadataDigest::kSha256);
  EXPECT_EQ(r.settings->compare, CompareMode::kChecksum);
  EXPECT_EQ(r.settings->state_dir, "/flag/dir");
  // --no-resume wins over S3_RESUME=true.
  r = resolve({"--no-resume", "f.mp4"}, {{"S3_RESUME", "true"}});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_TRUE(r.settings->state_dir.empty());
}

TEST(CliIntegrity, RulesApplyAcrossFlagsAndKeys) {
  // A key counts as explicitly given: payload-hash cannot carry the key's crc32 ...
  auto r = resolve({"--checksum-transport", "payload-hash", "f.mp4"},
                   {{"S3_CHECKSUM_ALGORITHM", "crc32"}});
  ASSERT_FALSE(r.settings);
  EXPECT_TRUE(contains(r.errors,
                       "--checksum-transport 'payload-hash' sends the SHA-256 of the "
                       "body, so it cannot carry S3_CHECKSUM_ALGORITHM 'crc32'"))
      << r.errors;
  // ... while the flag's algorithm replaces the key's and then agrees with the key's transport.
  r = resolve({"--checksum-algorithm", "md5", "f.mp4"}, {{"S3_CHECKSUM_TRANSPORT", "trailer"}});
  ASSERT_FALSE(r.settings);
  EXPECT_TRUE(contains(r.errors,
                       "--checksum-algorithm 'md5' can only travel as a Content-MD5 "
                       "header, not as S3_CHECKSUM_TRANSPORT 'trailer'"))
      << r.errors;
  r = resolve({"--checksum-algorithm", "none", "f.mp4"}, {{"S3_CHECKSUM_TRANSPORT", "auto"}});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_transport, ChecksumTransport::kNone);
  r = resolve({"f.mp4"}, {{"S3_CHECKSUM_TRANSPORT", "none"}});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->checksum_algo, ChecksumAlgo::kNone);
}

TEST(CliIntegrity, ResumeAndStateDir) {
  auto r = resolve({"--no-resume", "f.mp4"}, {{"S3_STATE_DIR", "/key/dir"}});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_TRUE(r.settings->state_dir.empty());
  for (const char* off : {"false", "0", "no", "off", "FALSE"}) {
    r = resolve({"f.mp4"}, {{"S3_RESUME", off}});
    ASSERT_TRUE(r.settings) << off << ": " << r.errors;
    EXPECT_TRUE(r.settings->state_dir.empty()) << off;
  }
  r = resolve({"f.mp4"}, {{"S3_RESUME", "true"}, {"S3_STATE_DIR", "~/state"}});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->state_dir, "/home/u/state");
  r = resolve({"--state-dir", "rel/dir", "f.mp4"});
  ASSERT_TRUE(r.settings) << r.errors;
  EXPECT_EQ(r.settings->state_dir, "rel/dir");  // run() makes it absolute from its cwd

  auto p = run({"--state-dir", "/d", "--no-resume", "f.mp4"});
  EXPECT_EQ(p.r.exit_code, 2);
  EXPECT_TRUE(contains(p.err, "--state-dir and --no-resume cannot be used together")) << p.err;

  // Nowhere to keep journals: resume is off, with a warning rather than an error.
  auto none = s3up::config::resolve_integrity(s3up::Environment{}, {});
  ASSERT_TRUE(none) << none.error().front();
  EXPECT_TRUE(none->state_dir.empty());
  ASSERT_EQ(none->warnings.size(), 1u);
  EXPECT_TRUE(contains(none->warnings[0], "S3_STATE_DIR")) << none->warnings[0];
}

TEST(CliIntegrity, AllProblemsAreReportedTogether) {
  auto p = run({"--compare", "x", "--metadata-checksum", "y", "-c", "0", "f.mp4"});
  EXPECT_EQ(p.r.exit_code, 2);
  EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 3) << p.err;
}

TEST(CliIntegrity, HelpListsTheNewFlags) {
  auto h = run({"--help"});
  for (const char* flag : {"--checksum-algorithm", "--checksum-transport", "--metadata-checksum",
                           "--compare", "--state-dir", "--no-resume"}) {
    EXPECT_TRUE(contains(h.out, flag)) << flag;
  }
}
