#include "integrity/checksum.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "temp_dir.hpp"
#include "util/strings.hpp"

namespace s3up::integrity {
namespace {

constexpr ChecksumAlgo kAllAlgos[] = {
    ChecksumAlgo::kNone, ChecksumAlgo::kCrc32,  ChecksumAlgo::kCrc32c, ChecksumAlgo::kCrc64Nvme,
    ChecksumAlgo::kSha1, ChecksumAlgo::kSha256, ChecksumAlgo::kMd5};
constexpr ChecksumAlgo kCrcAlgos[] = {ChecksumAlgo::kCrc32, ChecksumAlgo::kCrc32c,
                                      ChecksumAlgo::kCrc64Nvme};

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string raw_of(ChecksumAlgo a, std::string_view data) {
  Checksum sum(a);
  sum.update(data);
  return sum.finish_raw();
}

std::string hex_of(ChecksumAlgo a, std::string_view data) {
  return hex_encode(raw_of(a, data));
}

// ---- names and parsing ----

TEST(ChecksumNames, AlgoNamesRoundTrip) {
  for (const ChecksumAlgo a : kAllAlgos) {
    const std::string name(algo_name(a));
    SCOPED_TRACE(name);
    EXPECT_EQ(parse_checksum_algo(name), a);
    std::string upper = name;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(parse_checksum_algo(upper), a);
    EXPECT_EQ(parse_checksum_algo("  " + name + "\t"), a);
  }
  EXPECT_EQ(algo_name(ChecksumAlgo::kCrc32), "crc32");
  EXPECT_EQ(algo_name(ChecksumAlgo::kCrc32c), "crc32c");
  EXPECT_EQ(algo_name(ChecksumAlgo::kCrc64Nvme), "crc64nvme");
  EXPECT_EQ(algo_name(ChecksumAlgo::kSha1), "sha1");
  EXPECT_EQ(algo_name(ChecksumAlgo::kSha256), "sha256");
  EXPECT_EQ(algo_name(ChecksumAlgo::kMd5), "md5");
  EXPECT_EQ(algo_name(ChecksumAlgo::kNone), "none");
}

TEST(ChecksumNames, AlgoParsingVariants) {
  EXPECT_EQ(parse_checksum_algo("crc-32c"), ChecksumAlgo::kCrc32c);
  EXPECT_EQ(parse_checksum_algo("CRC-32C"), ChecksumAlgo::kCrc32c);
  EXPECT_EQ(parse_checksum_algo("CRC32C"), ChecksumAlgo::kCrc32c);
  EXPECT_EQ(parse_checksum_algo("Crc32"), ChecksumAlgo::kCrc32);
  EXPECT_EQ(parse_checksum_algo("crc-32"), ChecksumAlgo::kCrc32);
  EXPECT_EQ(parse_checksum_algo("CRC64NVME"), ChecksumAlgo::kCrc64Nvme);
  EXPECT_EQ(parse_checksum_algo("crc-64-nvme"), ChecksumAlgo::kCrc64Nvme);
  EXPECT_EQ(parse_checksum_algo("SHA-256"), ChecksumAlgo::kSha256);
  EXPECT_EQ(parse_checksum_algo("sha-1"), ChecksumAlgo::kSha1);
  EXPECT_EQ(parse_checksum_algo("MD5"), ChecksumAlgo::kMd5);
  EXPECT_EQ(parse_checksum_algo("None"), ChecksumAlgo::kNone);
  for (const char* bad : {"", " ", "-", "crc", "crc33", "crc32cc", "crc64", "sha512", "sha",
                          "blake3", "md4", "crc32 c", "x-amz-checksum-crc32c"}) {
    EXPECT_EQ(parse_checksum_algo(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ChecksumNames, S3NamesAndHeaders) {
  EXPECT_EQ(algo_s3_name(ChecksumAlgo::kCrc32), "CRC32");
  EXPECT_EQ(algo_s3_name(ChecksumAlgo::kCrc32c), "CRC32C");
  EXPECT_EQ(algo_s3_name(ChecksumAlgo::kCrc64Nvme), "CRC64NVME");
  EXPECT_EQ(algo_s3_name(ChecksumAlgo::kSha1), "SHA1");
  EXPECT_EQ(algo_s3_name(ChecksumAlgo::kSha256), "SHA256");
  EXPECT_EQ(algo_s3_name(ChecksumAlgo::kMd5), "");
  EXPECT_EQ(algo_s3_name(ChecksumAlgo::kNone), "");

  EXPECT_EQ(checksum_header(ChecksumAlgo::kCrc32), "x-amz-checksum-crc32");
  EXPECT_EQ(checksum_header(ChecksumAlgo::kCrc32c), "x-amz-checksum-crc32c");
  EXPECT_EQ(checksum_header(ChecksumAlgo::kCrc64Nvme), "x-amz-checksum-crc64nvme");
  EXPECT_EQ(checksum_header(ChecksumAlgo::kSha1), "x-amz-checksum-sha1");
  EXPECT_EQ(checksum_header(ChecksumAlgo::kSha256), "x-amz-checksum-sha256");
  EXPECT_EQ(checksum_header(ChecksumAlgo::kMd5), "");
  EXPECT_EQ(checksum_header(ChecksumAlgo::kNone), "");

  for (const ChecksumAlgo a : kAllAlgos) {
    SCOPED_TRACE(std::string(algo_name(a)));
    EXPECT_EQ(has_checksum_header(a), !checksum_header(a).empty());
    // The header suffix is the lower-cased S3 name.
    if (has_checksum_header(a)) {
      EXPECT_EQ(checksum_header(a), "x-amz-checksum-" + to_lower(algo_s3_name(a)));
    }
  }
}

TEST(ChecksumNames, CrcClassification) {
  EXPECT_EQ(crc_of(ChecksumAlgo::kCrc32), CrcAlgo::kCrc32);
  EXPECT_EQ(crc_of(ChecksumAlgo::kCrc32c), CrcAlgo::kCrc32c);
  EXPECT_EQ(crc_of(ChecksumAlgo::kCrc64Nvme), CrcAlgo::kCrc64Nvme);
  for (const ChecksumAlgo a :
       {ChecksumAlgo::kNone, ChecksumAlgo::kSha1, ChecksumAlgo::kSha256, ChecksumAlgo::kMd5}) {
    EXPECT_EQ(crc_of(a), std::nullopt);
    EXPECT_FALSE(is_crc(a));
  }
  for (const ChecksumAlgo a : kCrcAlgos) EXPECT_TRUE(is_crc(a));
}

TEST(ChecksumNames, TransportNamesRoundTrip) {
  const std::pair<ChecksumTransport, const char*> all[] = {
      {ChecksumTransport::kAuto, "auto"},
      {ChecksumTransport::kTrailer, "trailer"},
      {ChecksumTransport::kHeader, "header"},
      {ChecksumTransport::kContentMd5, "content-md5"},
      {ChecksumTransport::kPayloadHash, "payload-hash"},
      {ChecksumTransport::kNone, "none"},
  };
  for (const auto& [t, name] : all) {
    EXPECT_EQ(transport_name(t), name);
    EXPECT_EQ(parse_transport(name), t) << name;
    EXPECT_EQ(parse_transport(" " + to_lower(name) + " "), t) << name;
  }
  EXPECT_EQ(parse_transport("Content-MD5"), ChecksumTransport::kContentMd5);
  EXPECT_EQ(parse_transport("TRAILER"), ChecksumTransport::kTrailer);
  EXPECT_EQ(parse_transport("Payload-Hash"), ChecksumTransport::kPayloadHash);
  for (const char* bad : {"", "trailers", "md5", "headers", "payload", "automatic"}) {
    EXPECT_EQ(parse_transport(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ChecksumNames, MetadataDigestNamesRoundTrip) {
  const std::pair<MetadataDigest, const char*> all[] = {
      {MetadataDigest::kNone, "none"},
      {MetadataDigest::kBlake3, "blake3"},
      {MetadataDigest::kSha256, "sha256"},
  };
  for (const auto& [d, name] : all) {
    EXPECT_EQ(metadata_digest_name(d), name);
    EXPECT_EQ(parse_metadata_digest(name), d) << name;
  }
  EXPECT_EQ(parse_metadata_digest("BLAKE3"), MetadataDigest::kBlake3);
  EXPECT_EQ(parse_metadata_digest("Sha256"), MetadataDigest::kSha256);
  EXPECT_EQ(parse_metadata_digest(" None"), MetadataDigest::kNone);
  for (const char* bad : {"", "blake2", "sha1", "md5", "crc32c", "blake"}) {
    EXPECT_EQ(parse_metadata_digest(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ChecksumNames, Base64LengthMatchesActualValues) {
  EXPECT_EQ(checksum_base64_length(ChecksumAlgo::kCrc32), 8u);
  EXPECT_EQ(checksum_base64_length(ChecksumAlgo::kCrc32c), 8u);
  EXPECT_EQ(checksum_base64_length(ChecksumAlgo::kCrc64Nvme), 12u);
  EXPECT_EQ(checksum_base64_length(ChecksumAlgo::kSha1), 28u);
  EXPECT_EQ(checksum_base64_length(ChecksumAlgo::kSha256), 44u);
  EXPECT_EQ(checksum_base64_length(ChecksumAlgo::kMd5), 24u);
  EXPECT_EQ(checksum_base64_length(ChecksumAlgo::kNone), 0u);
  for (const ChecksumAlgo a : kAllAlgos) {
    SCOPED_TRACE(std::string(algo_name(a)));
    for (const std::string& data :
         {std::string(), std::string("123456789"), random_bytes(1000, 5)}) {
      EXPECT_EQ(base64_encode(raw_of(a, data)).size(), checksum_base64_length(a));
    }
  }
}

// ---- Checksum ----

TEST(Checksum, KnownAnswers) {
  const std::string s = "123456789";
  EXPECT_EQ(hex_of(ChecksumAlgo::kCrc32, s), "cbf43926");
  EXPECT_EQ(hex_of(ChecksumAlgo::kCrc32c, s), "e3069283");
  EXPECT_EQ(hex_of(ChecksumAlgo::kCrc64Nvme, s), "ae8b14860a799888");
  EXPECT_EQ(hex_of(ChecksumAlgo::kMd5, s), "25f9e794323b453885f5181f1b624d0b");
  EXPECT_EQ(hex_of(ChecksumAlgo::kSha1, s), "f7c3bc1d808e04732adf679965ccc34ca7ae3441");
  EXPECT_EQ(hex_of(ChecksumAlgo::kSha256, s),
            "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225");
  EXPECT_EQ(raw_of(ChecksumAlgo::kNone, s), "");
  // The S3 header form is base64 of the big-endian bytes.
  EXPECT_EQ(base64_encode(raw_of(ChecksumAlgo::kCrc32c, s)), "4waSgw==");
  EXPECT_EQ(base64_encode(raw_of(ChecksumAlgo::kCrc32, s)), "y/Q5Jg==");
}

TEST(Checksum, EmptyInput) {
  EXPECT_EQ(hex_of(ChecksumAlgo::kCrc32, ""), "00000000");
  EXPECT_EQ(hex_of(ChecksumAlgo::kCrc32c, ""), "00000000");
  EXPECT_EQ(hex_of(ChecksumAlgo::kCrc64Nvme, ""), "0000000000000000");
  EXPECT_EQ(hex_of(ChecksumAlgo::kMd5, ""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex_of(ChecksumAlgo::kSha1, ""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex_of(ChecksumAlgo::kSha256, ""), kEmptySha256Hex);
}

TEST(Checksum, PiecewiseUpdatesMatchOneShot) {
  const std::string data = random_bytes(100'003, 1);
  for (const ChecksumAlgo a : kAllAlgos) {
    SCOPED_TRACE(std::string(algo_name(a)));
    Checksum sum(a);
    EXPECT_EQ(sum.algo(), a);
    size_t pos = 0, step = 1;
    while (pos < data.size()) {
      const size_t k = std::min(step, data.size() - pos);
      sum.update(data.data() + pos, k);
      pos += k;
      step = step * 3 + 1;
    }
    sum.update(nullptr, 0);
    EXPECT_EQ(sum.finish_raw(), raw_of(a, data));
  }
}

TEST(Checksum, IsMovable) {
  for (const ChecksumAlgo a : kAllAlgos) {
    SCOPED_TRACE(std::string(algo_name(a)));
    Checksum first(a);
    first.update("1234");
    Checksum moved(std::move(first));
    moved.update("5");
    Checksum assigned(ChecksumAlgo::kNone);
    assigned = std::move(moved);
    EXPECT_EQ(assigned.algo(), a);
    assigned.update("6789");
    EXPECT_EQ(assigned.finish_raw(), raw_of(a, "123456789"));
  }
}

// ---- checksum_file_raw ----

TEST(Checksum, FileRanges) {
  test::TempDir dir;
  // Larger than the function's 1 MiB buffer, so that it loops.
  const std::string content = random_bytes((5 << 20) / 2 + 17, 9);
  const std::string path = dir.write("f.bin", content);
  for (const ChecksumAlgo a : kAllAlgos) {
    SCOPED_TRACE(std::string(algo_name(a)));
    auto whole = checksum_file_raw(path, a);
    ASSERT_TRUE(whole.ok()) << whole.error();
    EXPECT_EQ(*whole, raw_of(a, content));

    const std::pair<uint64_t, uint64_t> ranges[] = {
        {0, 0}, {0, 1}, {1, 9}, {1000, (1 << 20) + 3}, {(1 << 20) - 1, 2}, {content.size() - 5, 5}};
    for (const auto& [off, len] : ranges) {
      auto r = checksum_file_raw(path, a, off, len);
      ASSERT_TRUE(r.ok()) << r.error();
      EXPECT_EQ(*r, raw_of(a, std::string_view(content).substr(off, len)))
          << "offset " << off << " length " << len;
    }
    // An offset with the default length: to the end of the file.
    auto tail = checksum_file_raw(path, a, 12345);
    ASSERT_TRUE(tail.ok()) << tail.error();
    EXPECT_EQ(*tail, raw_of(a, std::string_view(content).substr(12345)));
    auto at_end = checksum_file_raw(path, a, content.size());
    ASSERT_TRUE(at_end.ok()) << at_end.error();
    EXPECT_EQ(*at_end, raw_of(a, ""));
  }
}

TEST(Checksum, FileErrors) {
  test::TempDir dir;
  const std::string path = dir.write("f.bin", "123456789");
  // A range past the end: the file is shorter than asked for.
  auto past = checksum_file_raw(path, ChecksumAlgo::kCrc32c, 5, 10);
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().find("shorter"), std::string::npos) << past.error();
  auto missing = checksum_file_raw(dir.path() / "nope", ChecksumAlgo::kCrc32c);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("cannot open"), std::string::npos) << missing.error();
  EXPECT_NE(missing.error().find("nope"), std::string::npos) << missing.error();
  // Exactly the file.
  auto exact = checksum_file_raw(path, ChecksumAlgo::kCrc32c, 0, 9);
  ASSERT_TRUE(exact.ok()) << exact.error();
  EXPECT_EQ(hex_encode(*exact), "e3069283");
}

// ---- combine_crcs_raw ----

TEST(Checksum, CombineCrcsMatchesConcatenation) {
  const std::string data = random_bytes(100'000, 42);
  const std::vector<std::vector<size_t>> splits = {
      {100'000},
      {1, 99'999},
      {70'001, 29'999},
      {3, 40'000, 0, 12'345, 47'652},
      {17, 1, 65'536, 34'445, 1},
  };
  for (const ChecksumAlgo a : kCrcAlgos) {
    SCOPED_TRACE(std::string(algo_name(a)));
    const std::string want = raw_of(a, data);
    for (const auto& sizes : splits) {
      std::vector<std::string> raws;
      std::vector<uint64_t> lens;
      size_t pos = 0;
      for (const size_t n : sizes) {
        raws.push_back(raw_of(a, std::string_view(data).substr(pos, n)));
        lens.push_back(n);
        pos += n;
      }
      ASSERT_EQ(pos, data.size());
      auto got = combine_crcs_raw(a, raws, lens);
      ASSERT_TRUE(got.has_value()) << sizes.size() << " parts";
      EXPECT_EQ(hex_encode(*got), hex_encode(want)) << sizes.size() << " parts";
    }
    // "123456789" from "1234" and "56789".
    auto nine = combine_crcs_raw(a, {raw_of(a, "1234"), raw_of(a, "56789")}, {4, 5});
    ASSERT_TRUE(nine.has_value());
    EXPECT_EQ(*nine, raw_of(a, "123456789"));
    // No parts: the CRC of nothing.
    auto none = combine_crcs_raw(a, {}, {});
    ASSERT_TRUE(none.has_value());
    EXPECT_EQ(*none, raw_of(a, ""));
  }
}

TEST(Checksum, CombineCrcsRejectsBadInput) {
  const std::string c32 = raw_of(ChecksumAlgo::kCrc32c, "abc");
  const std::string c64 = raw_of(ChecksumAlgo::kCrc64Nvme, "abc");
  for (const ChecksumAlgo a :
       {ChecksumAlgo::kNone, ChecksumAlgo::kSha1, ChecksumAlgo::kSha256, ChecksumAlgo::kMd5}) {
    EXPECT_EQ(combine_crcs_raw(a, {raw_of(a, "abc")}, {3}), std::nullopt) << algo_name(a);
  }
  // Wrong widths.
  EXPECT_EQ(combine_crcs_raw(ChecksumAlgo::kCrc32c, {c64}, {3}), std::nullopt);
  EXPECT_EQ(combine_crcs_raw(ChecksumAlgo::kCrc64Nvme, {c32}, {3}), std::nullopt);
  EXPECT_EQ(combine_crcs_raw(ChecksumAlgo::kCrc32, {c32, c64}, {3, 3}), std::nullopt);
  EXPECT_EQ(combine_crcs_raw(ChecksumAlgo::kCrc32, {c32, ""}, {3, 0}), std::nullopt);
  EXPECT_EQ(combine_crcs_raw(ChecksumAlgo::kCrc32, {c32, "12345"}, {3, 3}), std::nullopt);
  // Mismatched lists.
  EXPECT_EQ(combine_crcs_raw(ChecksumAlgo::kCrc32c, {c32, c32}, {3}), std::nullopt);
  EXPECT_EQ(combine_crcs_raw(ChecksumAlgo::kCrc32c, {c32}, {3, 3}), std::nullopt);
}

}  // namespace
}  // namespace s3up::integrity
