// End-to-end tests of the s3upload binary against a real S3 server started by the CTest
// fixture. "Swift*" suites run against OpenStack Swift + s3api (checks signatures, presigned
// URLs, Content-MD5); "Moto*" against moto_server with signature checks on.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace s3up::itest {
namespace {

class UploadTest : public ServerTest {
 protected:
  RunResult run(const std::vector<std::string>& args) const {
    return run_s3upload(args, env(), dir_.path());
  }
};

class SwiftUpload : public UploadTest {};
class MotoUpload : public UploadTest {};

// Names that need percent-encoding in keys, and an empty file.
const std::vector<std::pair<std::string, size_t>> kOddTree = {
    {"plain.mp4", 70000},
    {"with space.mp4", 1234},
    {"plus+sign.mp4", 999},
    {"amp&er=eq.mov", 4096},
    {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.mp4", 5000},
    {"sub dir/nested.MP4", 300},
    {".hidden.mp4", 10},
    {"empty.mp4", 0},
};

TEST_F(SwiftUpload, DirectoryRoundTripsSkipsOnRerunAndDetectsSameSizeEdit) {
  std::map<std::string, std::string> content;
  uint32_t seed = 1;
  for (const auto& [name, size] : kOddTree) {
    content[name] = random_bytes(size, seed++);
    dir_.write("media/" + name, content[name]);
  }
  dir_.write("media/notes.txt", "not a video");  // filtered out by the default extensions

  auto first = run({"media"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("Summary: 8 uploaded, 0 skipped, 0 failed"), std::string::npos)
      << first.out;

  // Exactly the expected keys, with exactly the bytes on disk.
  auto listed = bucket_->list(prefix_ + "/");
  ASSERT_EQ(listed.size(), content.size());
  for (const auto& [name, data] : content) {
    std::string key = prefix_ + "/" + name;
    ASSERT_TRUE(listed.count(key)) << key;
    EXPECT_EQ(bucket_->get(key), data) << key;
  }

  // Every URL printed downloads the file's bytes.
  auto urls = urls_in(first.out);
  ASSERT_EQ(urls.size(), content.size());
  std::vector<std::string> sorted_names;
  for (const auto& [name, data] : content) sorted_names.push_back(name);
  // Output is sorted by path (byte order), like std::map.
  for (size_t i = 0; i < urls.size(); ++i) {
    auto [status, body] = http_get(urls[i]);
    EXPECT_EQ(status, 200) << urls[i];
    EXPECT_EQ(body, content[sorted_names[i]]) << sorted_names[i];
  }

  auto second = run({"media"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("Summary: 0 uploaded, 8 skipped, 0 failed"), std::string::npos)
      << second.out;
  EXPECT_EQ(urls_in(second.out).size(), content.size());

  // Same size, different bytes: exactly that file goes up again.
  std::string edited = content["plus+sign.mp4"];
  edited[500] = static_cast<char>(edited[500] ^ 0x5a);
  dir_.write("media/plus+sign.mp4", edited);
  auto third = run({"media"});
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;
  EXPECT_NE(third.out.find("Summary: 1 uploaded, 7 skipped, 0 failed"), std::string::npos)
      << third.out;
  EXPECT_NE(third.out.find("✓ plus+sign.mp4"), std::string::npos) << third.out;
  EXPECT_EQ(bucket_->get(prefix_ + "/plus+sign.mp4"), edited);
}

TEST_F(SwiftUpload, PresignedUrlCarriesTheRequestedExpiryAndIsVerified) {
  std::string data = random_bytes(3000, 42);
  dir_.write("clip.mp4", data);
  auto r = run({"--url-expiry-hours", "2", "clip.mp4"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto urls = urls_in(r.out);
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_NE(urls[0].find("X-Amz-Expires=7200"), std::string::npos) << urls[0];
  auto [status, body] = http_get(urls[0]);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, data);
  // The server really checks the signature: a tampered one is refused.
  std::string bad = urls[0];
  auto p = bad.find("X-Amz-Signature=");
  ASSERT_NE(p, std::string::npos);
  p += 16;
  bad[p] = bad[p] == 'a' ? 'b' : 'a';
  EXPECT_EQ(http_get(bad).first, 403);
  // No secret in the output.
  EXPECT_EQ(r.out.find(server_.get("AWS_SECRET_ACCESS_KEY")), std::string::npos);
}

TEST_F(SwiftUpload, UrlOnlyReportsMissingFilesAndExitsOne) {
  dir_.write("v/there.mp4", "present");
  dir_.write("v/missing.mp4", "absent");
  bucket_->put(prefix_ + "/there.mp4", "present");
  auto r = run({"--url-only", "v"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("⚠ missing.mp4 (not found on S3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Summary: 1 URL(s) generated, 1 not found"), std::string::npos);
  auto urls = urls_in(r.out);
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(http_get(urls[0]).second, "present");
  // url-only writes nothing.
  EXPECT_EQ(bucket_->list(prefix_ + "/").size(), 1u);
}

TEST_F(SwiftUpload, DryRunChangesNothingAndShowsRealKeys) {
  dir_.write("d/new.mp4", "new file");
  dir_.write("d/same.mp4", "same");
  dir_.write("d/changed.mp4", "changed!");
  bucket_->put(prefix_ + "/same.mp4", "same");
  bucket_->put(prefix_ + "/changed.mp4", "original");
  auto before = bucket_->list(prefix_ + "/");
  auto r = run({"--dry-run", "d"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string bucket = server_.get("S3_BUCKET");
  EXPECT_NE(r.out.find("WOULD UPLOAD new.mp4 → s3://" + bucket + "/" + prefix_ + "/new.mp4"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find("WOULD UPDATE changed.mp4 → s3://" + bucket + "/" + prefix_ + "/changed.mp4"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("WOULD SKIP same.mp4"), std::string::npos) << r.out;
  EXPECT_EQ(bucket_->list(prefix_ + "/"), before);
  EXPECT_EQ(bucket_->get(prefix_ + "/changed.mp4"), "original");
}

TEST_F(SwiftUpload, WrongSecretIsAnErrorNeverNotFound) {
  dir_.write("w/a.mp4", "aaa");
  dir_.write("w/b.mp4", "bbb");
  auto e = env();
  e["AWS_SECRET_ACCESS_KEY"] = "definitely-wrong";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"w"}, std::vector<std::string>{"--url-only", "w"},
        std::vector<std::string>{"--dry-run", "w"}}) {
    auto r = run_s3upload(args, e, dir_.path());
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << r.exit_code << r.out << r.err;
    EXPECT_EQ(r.out.find("(not found on S3)"), std::string::npos) << r.out;
    EXPECT_EQ(count_lines(r.out, "✗ "), 2) << r.out;
    EXPECT_EQ(r.out.find("WOULD UPLOAD"), std::string::npos) << r.out;
    EXPECT_NE((r.out + r.err).find("secret access key"), std::string::npos) << r.out << r.err;
    EXPECT_EQ((r.out + r.err).find("definitely-wrong"), std::string::npos);
  }
  EXPECT_TRUE(bucket_->list(prefix_ + "/").empty());
}

TEST_F(SwiftUpload, LargeFileStreamsAndReadsBackIdentical) {
  std::string data = random_bytes(48u << 20, 7);
  dir_.write("big.mov", data);
  auto r = run({"big.mov"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto info = bucket_->head(prefix_ + "/big.mov");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, data.size());
  EXPECT_TRUE(bucket_->get(prefix_ + "/big.mov") == data);
}

TEST_F(SwiftUpload, ExplicitFileIgnoresTheExtensionFilterAndStarTakesAll) {
  dir_.write("x/readme.txt", "text");
  dir_.write("x/data.bin", "bin");
  auto r = run({"x/readme.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(bucket_->get(prefix_ + "/readme.txt"), "text");
  auto all = run({"-e", "*", "x"});
  ASSERT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_NE(all.out.find("Summary: 1 uploaded, 1 skipped, 0 failed"), std::string::npos) << all.out;
  EXPECT_EQ(bucket_->get(prefix_ + "/data.bin"), "bin");
}

TEST_F(SwiftUpload, BadConfigurationExitsTwoWithOneSentence) {
  dir_.write("c.mp4", "c");
  auto e = env();
  e["S3_BUCKET"] = "192.168.1.1";
  auto r = run_s3upload({"c.mp4"}, e, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("S3_BUCKET"), std::string::npos) << r.err;
  e["S3_BUCKET"] = server_.get("S3_BUCKET");
  e["S3_TARGET_PATH"] = "/abs/../x";
  r = run_s3upload({"c.mp4"}, e, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("S3_TARGET_PATH"), std::string::npos) << r.err;
}

TEST_F(SwiftUpload, DotEnvIsReadFromAParentAndNeverOverridesTheEnvironment) {
  dir_.write("proj/.env",
             "S3_BUCKET=" + server_.get("S3_BUCKET") +
                 "\nS3_TARGET_PATH=from-dotenv\nAWS_REGION=" + server_.get("AWS_REGION") + "\n");
  dir_.write("proj/sub/f.mp4", "dotenv");
  auto e = env();
  e.erase("S3_BUCKET");
  auto r = run_s3upload({"f.mp4"}, e, dir_.path() / "proj/sub");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(bucket_->get(prefix_ + "/f.mp4"), "dotenv");  // env's S3_TARGET_PATH won
}

TEST_F(SwiftUpload, TwoFilesForOneKeyNeverOverwriteEachOther) {
  dir_.write("f/x/clip.mp4", "from x");
  dir_.write("f/y/clip.mp4", "from y");
  auto r = run({"--flatten", "f"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Summary: 1 uploaded, 0 skipped, 1 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("maps to the same key"), std::string::npos) << r.out;
  std::string stored = bucket_->get(prefix_ + "/clip.mp4");
  EXPECT_TRUE(stored == "from x" || stored == "from y") << stored;
  // The file reported as uploaded is the one stored.
  EXPECT_NE(r.out.find(stored == "from x" ? "✓ x/clip.mp4" : "✓ y/clip.mp4"), std::string::npos)
      << r.out;
}

TEST_F(MotoUpload, FilesRoundTripWithSignatureChecksOn) {
  std::map<std::string, std::string> content = {{"a.mp4", random_bytes(20000, 3)},
                                                {"b/c.mov", random_bytes(1, 4)}};
  for (const auto& [n, d] : content) dir_.write("m/" + n, d);
  auto r = run({"m"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const auto& [n, d] : content) EXPECT_EQ(bucket_->get(prefix_ + "/" + n), d);
  auto again = run({"m"});
  EXPECT_NE(again.out.find("Summary: 0 uploaded, 2 skipped, 0 failed"), std::string::npos)
      << again.out;
  auto e = env();
  e["AWS_SECRET_ACCESS_KEY"] = "wrong";
  auto bad = run_s3upload({"m"}, e, dir_.path());
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_EQ(count_lines(bad.out, "✗ "), 2) << bad.out;
}

}  // namespace
}  // namespace s3up::itest
