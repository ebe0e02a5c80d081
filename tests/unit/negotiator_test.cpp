// The per-run choice of integrity mechanism: what is tried first, what a refusal or a silent
// acceptance leads to, and that data requests go one at a time until it is settled.
#include "transfer/negotiator.hpp"

#include <gtest/gtest.h>

namespace s3up::transfer {
namespace {

using integrity::ChecksumAlgo;
using T = integrity::ChecksumTransport;

s3::S3Error http_error(long status, std::string code) {
  s3::S3Error e;
  e.http_status = status;
  e.code = std::move(code);
  return e;
}

TEST(Negotiator, AutoStartsWithATrailerProbeOneRequestAtATime) {
  Negotiator n(ChecksumAlgo::kCrc32c, T::kAuto, false);
  EXPECT_EQ(n.current(), T::kTrailer);
  EXPECT_FALSE(n.settled());
  EXPECT_TRUE(n.may_send());
  EXPECT_TRUE(n.begin());      // the probe
  EXPECT_FALSE(n.may_send());  // everyone else waits for its answer
  // The server echoed our checksum: trailers it is, for every later request at once.
  EXPECT_FALSE(n.on_success(T::kTrailer, /*evidence=*/true, /*was_probe=*/true));
  EXPECT_TRUE(n.settled());
  EXPECT_TRUE(n.may_send());
  EXPECT_FALSE(n.begin());
  // Without an echo the server only showed that it decoded the body (its ETag was right).
  EXPECT_EQ(n.describe(),
            "CRC32C checksums as aws-chunked trailers (the server decoded them but did not echo "
            "a checksum back)");
  n.note_echo();
  EXPECT_EQ(n.describe(), "CRC32C checksums as aws-chunked trailers, checked by the server");
}

TEST(Negotiator, AForcedMechanismTheServerRefusesIsNamedWithAdvice) {
  Negotiator n(ChecksumAlgo::kCrc32c, T::kTrailer, true);
  const auto e = http_error(501, "NotImplemented");
  EXPECT_FALSE(n.on_failure(T::kTrailer, e, false));
  EXPECT_NE(n.refusal_advice(T::kTrailer, e).find("--checksum-transport auto"), std::string::npos);
  EXPECT_EQ(n.refusal_advice(T::kTrailer, http_error(403, "AccessDenied")), "");
  EXPECT_NE(n.describe().find("refused the forced --checksum-transport trailer"), std::string::npos)
      << n.describe();
  // A forced header the server accepts without an echo is not claimed as checked.
  Negotiator h(ChecksumAlgo::kCrc32c, T::kHeader, true);
  h.on_success(T::kHeader, false, false);
  EXPECT_NE(h.describe().find("did not confirm"), std::string::npos) << h.describe();
}

TEST(Negotiator, SwiftPath501ThenIgnoredHeaderEndsOnTheCheaperFallback) {
  for (bool sha_fast : {true, false}) {
    Negotiator n(ChecksumAlgo::kCrc32c, T::kAuto, sha_fast);
    ASSERT_TRUE(n.begin());
    // 501 NotImplemented to aws-chunked: send the same request again with a header.
    EXPECT_TRUE(n.on_failure(T::kTrailer, http_error(501, "NotImplemented"), true));
    EXPECT_EQ(n.current(), T::kHeader);
    EXPECT_FALSE(n.settled());
    ASSERT_TRUE(n.begin());
    // Accepted without an echo: the server ignores the header. The probe also carried
    // Content-MD5, so it need not be sent again.
    EXPECT_FALSE(n.on_success(T::kHeader, false, true));
    EXPECT_TRUE(n.settled());
    EXPECT_EQ(n.current(), sha_fast ? T::kPayloadHash : T::kContentMd5);
    EXPECT_NE(n.describe().find("the server does not take aws-chunked trailers (NotImplemented)"),
              std::string::npos)
        << n.describe();
  }
}

TEST(Negotiator, TrailerAcceptedWithoutEvidenceIsSentAgain) {
  // A store that keeps the aws-chunked framing as data answers 200 with the MD5 of the
  // framed bytes: the object would be corrupt.
  Negotiator n(ChecksumAlgo::kCrc32c, T::kAuto, true);
  ASSERT_TRUE(n.begin());
  EXPECT_TRUE(n.on_success(T::kTrailer, false, true));
  EXPECT_EQ(n.current(), T::kHeader);
}

TEST(Negotiator, HeaderEchoedSettlesOnHeaders) {
  Negotiator n(ChecksumAlgo::kSha256, T::kAuto, true);
  n.begin();
  n.on_failure(T::kTrailer, http_error(400, "InvalidRequest"), true);
  n.begin();
  EXPECT_FALSE(n.on_success(T::kHeader, true, true));
  EXPECT_EQ(n.current(), T::kHeader);
  EXPECT_TRUE(n.settled());
}

TEST(Negotiator, DataErrorsAreNotRefusals) {
  Negotiator n(ChecksumAlgo::kCrc32c, T::kAuto, true);
  n.begin();
  EXPECT_FALSE(n.on_failure(T::kTrailer, http_error(400, "BadDigest"), true));
  EXPECT_FALSE(n.on_failure(T::kTrailer, http_error(403, "AccessDenied"), false));
  EXPECT_FALSE(n.on_failure(T::kTrailer, http_error(503, "SlowDown"), false));
  s3::S3Error transport;
  transport.curl_code = 7;
  EXPECT_FALSE(n.on_failure(T::kTrailer, transport, false));
  EXPECT_EQ(n.current(), T::kTrailer);
  EXPECT_TRUE(n.may_send());  // the failed probe freed its slot: the next request probes
}

TEST(Negotiator, SignatureMismatchOnTheTrailerProbeTriesTheNextMechanism) {
  Negotiator n(ChecksumAlgo::kCrc32c, T::kAuto, true);
  n.begin();
  EXPECT_TRUE(n.on_failure(T::kTrailer, http_error(403, "SignatureDoesNotMatch"), true));
  EXPECT_EQ(n.current(), T::kHeader);
  // Once settled on something else, a signature error is just an error.
  n.begin();
  n.on_success(T::kHeader, true, true);
  EXPECT_FALSE(n.on_failure(T::kHeader, http_error(403, "SignatureDoesNotMatch"), false));
}

TEST(Negotiator, FallbacksFallBackToEachOtherThenGiveUp) {
  Negotiator n(ChecksumAlgo::kCrc32c, T::kAuto, true);
  n.begin();
  n.on_failure(T::kTrailer, http_error(501, "NotImplemented"), true);
  n.begin();
  EXPECT_TRUE(n.on_failure(T::kHeader, http_error(501, "NotImplemented"), true));
  EXPECT_EQ(n.current(), T::kPayloadHash);
  EXPECT_TRUE(n.on_failure(T::kPayloadHash, http_error(501, "NotImplemented"), false));
  EXPECT_EQ(n.current(), T::kContentMd5);
  EXPECT_FALSE(n.on_failure(T::kContentMd5, http_error(400, "InvalidDigest"), false));
  EXPECT_EQ(n.current(), T::kNone);
  EXPECT_NE(n.describe().find("refused every integrity mechanism"), std::string::npos);
}

TEST(Negotiator, AStaleRefusalResendsWithWhatIsCurrentNow) {
  Negotiator n(ChecksumAlgo::kCrc32c, T::kAuto, false);
  n.begin();
  n.on_failure(T::kTrailer, http_error(501, "NotImplemented"), true);
  n.begin();
  n.on_success(T::kHeader, false, true);  // → Content-MD5
  // A request that was still out with a trailer comes back refused: just send it again.
  EXPECT_TRUE(n.on_failure(T::kTrailer, http_error(501, "NotImplemented"), false));
  EXPECT_EQ(n.current(), T::kContentMd5);
}

TEST(Negotiator, ForcedChoicesAreSettledAndNeverDowngraded) {
  Negotiator n(ChecksumAlgo::kCrc32c, T::kTrailer, true);
  EXPECT_TRUE(n.settled());
  EXPECT_EQ(n.current(), T::kTrailer);
  EXPECT_FALSE(n.begin());
  EXPECT_FALSE(n.on_failure(T::kTrailer, http_error(501, "NotImplemented"), false));
  EXPECT_EQ(n.current(), T::kTrailer);

  Negotiator md5(ChecksumAlgo::kMd5, T::kAuto, true);
  EXPECT_TRUE(md5.settled());
  EXPECT_EQ(md5.current(), T::kContentMd5);

  Negotiator none(ChecksumAlgo::kNone, T::kAuto, true);
  EXPECT_EQ(none.current(), T::kNone);
  EXPECT_NE(none.describe().find("--checksum-algorithm none"), std::string::npos);
}

}  // namespace
}  // namespace s3up::transfer
