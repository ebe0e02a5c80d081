// Object options reach the object, for single PUTs and multipart uploads alike: read back
// from the server after upload. Swift s3api for metadata and content headers; moto (with
// signature checks on) for what Swift lacks: tags, SSE, storage classes.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "integrity/hash.hpp"
#include "util/strings.hpp"

namespace s3up::itest {
namespace {

class OptionsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped()) return;
    // One small file (single PUT) and one over the threshold (multipart).
    small_ = random_bytes(1000, 1);
    large_ = random_bytes(6 * 1024 * 1024 + 3, 2);
    dir_.write("o/small.mp4", small_);
    dir_.write("o/large.mp4", large_);
  }
  RunResult run(std::vector<std::string> args) {
    std::vector<std::string> all = {"--no-progress", "--multipart-threshold", "5MiB", "--part-size",
                                    "5MiB"};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back("o");
    return run_s3upload(all, env(), dir_.path());
  }
  s3::ObjectInfo head(const std::string& name) {
    auto h = bucket_->head(prefix_ + "/" + name);
    EXPECT_TRUE(h.ok()) << name << ": " << (h.ok() ? "" : h.error().describe());
    return h.ok() ? *h : s3::ObjectInfo{};
  }

  std::string small_, large_;
};

std::string base64_of(const std::string& raw) {
  return base64_encode(raw);
}

class SwiftOptions : public OptionsTest {};
class MotoOptions : public OptionsTest {};

TEST_F(SwiftOptions, MetadataAndContentHeadersReachSmallAndMultipartObjects) {
  auto r = run({"--metadata", "author=Jane Doe,project=demo=1", "--metadata", "Reel=7",
                "--cache-control", "max-age=3600", "--content-disposition",
                "attachment; filename=\"clip.mp4\"", "--content-encoding", "identity", "--expires",
                "2030-01-02T03:04:05Z"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* name : {"small.mp4", "large.mp4"}) {
    auto h = head(name);
    EXPECT_EQ(h.metadata["author"], "Jane Doe") << name;
    EXPECT_EQ(h.metadata["project"], "demo=1") << name;
    EXPECT_EQ(h.metadata["reel"], "7") << name;      // lower-cased as S3 stores names
    EXPECT_EQ(h.content_type, "video/mp4") << name;  // detected from the extension
    EXPECT_EQ(h.headers["cache-control"], "max-age=3600") << name;
    EXPECT_EQ(h.headers["content-disposition"], "attachment; filename=\"clip.mp4\"") << name;
    EXPECT_EQ(h.headers["expires"], "Wed, 02 Jan 2030 03:04:05 GMT") << name;
    EXPECT_EQ(h.headers["content-encoding"], "identity") << name;
  }
  EXPECT_TRUE(bucket_->get(prefix_ + "/large.mp4") == large_);
  // Same bytes and same options: skipped. Different metadata asked for: written again.
  auto again = run({"--metadata", "author=Jane Doe,project=demo=1", "--metadata", "Reel=7",
                    "--cache-control", "max-age=3600", "--content-disposition",
                    "attachment; filename=\"clip.mp4\"", "--content-encoding", "identity",
                    "--expires", "2030-01-02T03:04:05Z"});
  EXPECT_NE(again.out.find("Summary: 0 uploaded, 2 skipped"), std::string::npos) << again.out;
  auto changed = run({"--metadata", "author=Someone Else"});
  EXPECT_NE(changed.out.find("Summary: 2 uploaded, 0 skipped"), std::string::npos) << changed.out;
  EXPECT_EQ(head("small.mp4").metadata["author"], "Someone Else");
}

TEST_F(SwiftOptions, ContentTypeOverrideIsServedThroughPresignedUrls) {
  dir_.write("o/notes.bin", "x");
  auto r = run({"-e", "*", "--content-type", "video/mp4"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(head("notes.bin").content_type, "video/mp4");
  auto urls = urls_in(r.out);
  ASSERT_EQ(urls.size(), 3u);
  for (const auto& u : urls) EXPECT_EQ(http_get_content_type(u), "video/mp4") << u;
}

TEST_F(SwiftOptions, DryRunShowsWhatWouldBeSetAndBadOptionsExitTwo) {
  auto r = run({"--dry-run", "--storage-class", "standard_ia", "--tags", "a=1,b=2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("STANDARD_IA"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 tags"), std::string::npos) << r.out;
  EXPECT_TRUE(bucket_->list(prefix_ + "/").empty());
  auto bad = run({"--metadata", "novalue", "--tags", "aws:x=1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("novalue"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("aws:"), std::string::npos) << bad.err;
  auto kms = run({"--kms-key-id", "k"});
  EXPECT_EQ(kms.exit_code, 2) << kms.err;
}

TEST_F(MotoOptions, TagsStorageClassAndEncryptionReachTheObjects) {
  auto r = run({"--tags", "team=media,stage=final cut", "--storage-class", "STANDARD_IA",
                "--encryption", "aes256", "--metadata", "k=v"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* name : {"small.mp4", "large.mp4"}) {
    auto h = head(name);
    EXPECT_EQ(h.storage_class, "STANDARD_IA") << name;
    EXPECT_EQ(h.server_side_encryption, "AES256") << name;
    EXPECT_EQ(h.metadata["k"], "v") << name;
    auto tagging =
        s3::get_object_subresource_sync(bucket_->client(), prefix_ + "/" + name, "tagging");
    ASSERT_TRUE(tagging.ok()) << tagging.error().describe();
    EXPECT_NE(tagging->find("<Key>team</Key><Value>media</Value>"), std::string::npos) << *tagging;
    EXPECT_NE(tagging->find("<Key>stage</Key><Value>final cut</Value>"), std::string::npos)
        << *tagging;
  }
  EXPECT_TRUE(bucket_->get(prefix_ + "/large.mp4") == large_);
}

TEST_F(MotoOptions, KmsEncryptionWithAKeyIdAndContentEncoding) {
  const std::string key = "arn:aws:kms:us-east-1:123456789012:key/s3upload-test";
  auto r = run({"--encryption", "aws-kms", "--kms-key-id", key, "--content-encoding", "identity"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* name : {"small.mp4", "large.mp4"}) {
    auto h = head(name);
    EXPECT_EQ(h.server_side_encryption, "aws:kms") << name;
    EXPECT_EQ(h.sse_kms_key_id, key) << name;
    EXPECT_EQ(h.headers["content-encoding"], "identity") << name;
  }
  EXPECT_TRUE(bucket_->get(prefix_ + "/large.mp4") == large_);
  // A KMS object's ETag is not an MD5: it is compared by the BLAKE3 stored in its metadata.
  auto again = run({"--encryption", "aws-kms", "--kms-key-id", key});
  EXPECT_NE(again.out.find("Summary: 0 uploaded, 2 skipped"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("content not compared"), std::string::npos) << again.out;
}

TEST_F(MotoOptions, SseCKeyFromAFileReadsBackWithTheSameKey) {
  std::string raw_key = random_bytes(32, 77);
  std::string key_file = dir_.write("sse-c.key", raw_key).string();
  fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write);
  auto r = run({"--sse-c-key-file", key_file});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("🔑 SSE-C"), std::string::npos) << r.out;
  EXPECT_EQ((r.out + r.err).find(base64_of(raw_key)), std::string::npos);  // never printed
  // Read back with the key headers: the same bytes.
  http::EventLoop loop;
  s3::ClientConfig cc = bucket_->client().config();
  cc.object_headers = {
      {"x-amz-server-side-encryption-customer-algorithm", "AES256"},
      {"x-amz-server-side-encryption-customer-key", base64_of(raw_key)},
      {"x-amz-server-side-encryption-customer-key-md5", base64_of(integrity::md5_raw(raw_key))}};
  s3::Client with_key(loop, cc);
  auto large = s3::get_object_sync(with_key, prefix_ + "/large.mp4");
  ASSERT_TRUE(large.ok()) << large.error().describe();
  EXPECT_TRUE(*large == large_);
}

TEST_F(MotoOptions, CannedAclReachesTheObject) {
  auto r = run({"--acl", "public-read"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* name : {"small.mp4", "large.mp4"}) {
    auto acl = s3::get_object_subresource_sync(bucket_->client(), prefix_ + "/" + name, "acl");
    ASSERT_TRUE(acl.ok()) << acl.error().describe();
    EXPECT_NE(acl->find("http://acs.amazonaws.com/groups/global/AllUsers"), std::string::npos)
        << *acl;
  }
}

}  // namespace
}  // namespace s3up::itest
