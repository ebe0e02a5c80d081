#include "http/aws_chunked.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "integrity/checksum.hpp"
#include "integrity/hash.hpp"
#include "temp_dir.hpp"
#include "util/strings.hpp"

namespace s3up::http {
namespace {

using integrity::ChecksumAlgo;

constexpr ChecksumAlgo kHeaderAlgos[] = {ChecksumAlgo::kCrc32, ChecksumAlgo::kCrc32c,
                                         ChecksumAlgo::kCrc64Nvme, ChecksumAlgo::kSha1,
                                         ChecksumAlgo::kSha256};

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string raw_checksum(ChecksumAlgo algo, const std::string& data) {
  integrity::Checksum sum(algo);
  sum.update(data);
  return sum.finish_raw();
}

// An independent decoder for aws-chunked streams: strict about the framing, so any stray or
// missing byte shows up as an error.
struct Decoded {
  std::string payload;
  std::vector<uint64_t> chunk_sizes;  // data chunks only (not the final 0)
  std::vector<std::pair<std::string, std::string>> trailers;
  std::string error;  // "" when the stream is well-formed
};

Decoded decode(const std::string& s) {
  Decoded d;
  size_t pos = 0;
  auto line = [&](std::string& out) {
    const size_t end = s.find("\r\n", pos);
    if (end == std::string::npos) return false;
    out = s.substr(pos, end - pos);
    pos = end + 2;
    return true;
  };
  for (;;) {
    std::string size_line;
    if (!line(size_line)) {
      d.error = "missing chunk-size line at " + std::to_string(pos);
      return d;
    }
    if (size_line.empty() || size_line.size() > 16 ||
        size_line.find_first_not_of("0123456789abcdef") != std::string::npos) {
      d.error = "bad chunk-size line '" + size_line + "'";
      return d;
    }
    if (size_line.size() > 1 && size_line[0] == '0') {
      d.error = "chunk size with leading zero '" + size_line + "'";
      return d;
    }
    const uint64_t size = std::stoull(size_line, nullptr, 16);
    if (size == 0) break;
    if (s.size() - pos < size + 2) {
      d.error = "truncated chunk";
      return d;
    }
    d.payload.append(s, pos, size);
    d.chunk_sizes.push_back(size);
    pos += size;
    if (s.compare(pos, 2, "\r\n") != 0) {
      d.error = "chunk data not followed by CRLF";
      return d;
    }
    pos += 2;
  }
  for (;;) {
    std::string t;
    if (!line(t)) {
      d.error = "unterminated trailer section";
      return d;
    }
    if (t.empty()) break;
    const size_t colon = t.find(':');
    if (colon == std::string::npos) {
      d.error = "trailer without colon '" + t + "'";
      return d;
    }
    d.trailers.emplace_back(t.substr(0, colon), t.substr(colon + 1));
  }
  if (pos != s.size()) d.error = std::to_string(s.size() - pos) + " bytes after the end";
  return d;
}

// Reads the body to its end with reads of `bufsize` bytes, checking each read's contract.
std::string drain(BodySource& body, size_t bufsize) {
  std::string out;
  std::vector<char> buf(bufsize);
  for (size_t guard = 0;; ++guard) {
    if (guard > 100'000'000) {
      ADD_FAILURE() << "read never returned 0";
      break;
    }
    const int64_t got = body.read(buf.data(), bufsize);
    if (got < 0) {
      ADD_FAILURE() << "read failed: " << body.error();
      break;
    }
    if (got == 0) break;
    EXPECT_LE(static_cast<size_t>(got), bufsize);
    out.append(buf.data(), static_cast<size_t>(got));
  }
  // Stays at its end.
  EXPECT_EQ(body.read(buf.data(), bufsize), 0);
  return out;
}

// Wraps a payload and checks that the chunked body never asks it for more than the rest of
// the current chunk (a read crossing a chunk boundary would need a copy or a second header).
class SpyBody final : public BodySource {
 public:
  SpyBody(std::unique_ptr<BodySource> inner, size_t chunk_size)
      : inner_(std::move(inner)), chunk_size_(chunk_size) {}
  uint64_t size() const override { return inner_->size(); }
  int64_t read(char* buf, size_t n) override {
    ++reads;
    if (n == 0) ++zero_reads;
    if (n > 0 && pos_ / chunk_size_ != (pos_ + n - 1) / chunk_size_) ++crossings;
    const int64_t got = inner_->read(buf, n);
    if (got > 0) pos_ += static_cast<uint64_t>(got);
    return got;
  }
  bool rewind() override {
    pos_ = 0;
    ++rewinds;
    return inner_->rewind();
  }
  std::string error() const override { return inner_->error(); }

  int reads = 0, zero_reads = 0, crossings = 0, rewinds = 0;

 private:
  std::unique_ptr<BodySource> inner_;
  size_t chunk_size_;
  uint64_t pos_ = 0;
};

// Yields `data`, then fails with `why` (or, with why empty, ends early) while claiming
// `claimed_size` bytes.
class BrokenBody final : public BodySource {
 public:
  BrokenBody(std::string data, uint64_t claimed_size, std::string why)
      : data_(std::move(data)), claimed_(claimed_size), why_(std::move(why)) {}
  uint64_t size() const override { return claimed_; }
  int64_t read(char* buf, size_t n) override {
    if (pos_ == data_.size()) return why_.empty() ? 0 : -1;
    const size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return static_cast<int64_t>(k);
  }
  bool rewind() override {
    pos_ = 0;
    return true;
  }
  std::string error() const override { return pos_ == data_.size() ? why_ : ""; }

 private:
  std::string data_;
  uint64_t claimed_;
  std::string why_;
  size_t pos_ = 0;
};

// The whole round trip for one configuration.
void check_round_trip(ChecksumAlgo algo, size_t payload_size, size_t chunk_size, size_t bufsize) {
  SCOPED_TRACE(std::string(integrity::algo_name(algo)) +
               " payload=" + std::to_string(payload_size) + " chunk=" + std::to_string(chunk_size) +
               " buf=" + std::to_string(bufsize));
  const std::string payload =
      random_bytes(payload_size, static_cast<uint32_t>(payload_size * 31 + chunk_size));
  auto spy_owned = std::make_unique<SpyBody>(string_body(payload), chunk_size);
  SpyBody* spy = spy_owned.get();
  auto out = std::make_shared<StreamedChecksums>();
  auto body = aws_chunked_body(std::move(spy_owned), algo, out, false, chunk_size);

  const uint64_t expected_len = aws_chunked_length(payload_size, algo, chunk_size);
  EXPECT_EQ(body->size(), expected_len);
  EXPECT_FALSE(out->complete);

  const std::string stream = drain(*body, bufsize);
  EXPECT_EQ(stream.size(), expected_len);

  const Decoded d = decode(stream);
  ASSERT_EQ(d.error, "");
  EXPECT_TRUE(d.payload == payload) << "decoded payload differs";
  // Fixed-size chunks, only the last may be shorter.
  ASSERT_EQ(d.chunk_sizes.size(), (payload_size + chunk_size - 1) / chunk_size);
  for (size_t i = 0; i < d.chunk_sizes.size(); ++i) {
    if (i + 1 < d.chunk_sizes.size()) {
      EXPECT_EQ(d.chunk_sizes[i], chunk_size) << "chunk " << i;
    } else {
      EXPECT_EQ(d.chunk_sizes[i], payload_size - chunk_size * i) << "last chunk";
    }
  }
  const std::string want_raw = raw_checksum(algo, payload);
  ASSERT_EQ(d.trailers.size(), 1u);
  EXPECT_EQ(d.trailers[0].first, integrity::checksum_header(algo));
  EXPECT_EQ(d.trailers[0].second, base64_encode(want_raw));
  EXPECT_EQ(d.trailers[0].second.size(), integrity::checksum_base64_length(algo));

  EXPECT_TRUE(out->complete);
  EXPECT_EQ(out->checksum_raw, want_raw);
  EXPECT_EQ(out->md5_raw, "");

  EXPECT_EQ(spy->crossings, 0) << "a payload read crossed a chunk boundary";
  EXPECT_EQ(spy->zero_reads, 0) << "the payload was asked for 0 bytes";
}

TEST(AwsChunked, ExactStreamForKnownAnswer) {
  auto out = std::make_shared<StreamedChecksums>();
  auto body = aws_chunked_body(string_body("123456789"), ChecksumAlgo::kCrc32c, out, false, 4);
  const std::string want =
      "4\r\n1234\r\n4\r\n5678\r\n1\r\n9\r\n0\r\nx-amz-checksum-crc32c:4waSgw==\r\n\r\n";
  EXPECT_EQ(body->size(), want.size());
  EXPECT_EQ(aws_chunked_length(9, ChecksumAlgo::kCrc32c, 4), want.size());
  EXPECT_EQ(drain(*body, 7), want);
  ASSERT_TRUE(out->complete);
  EXPECT_EQ(out->checksum_raw, std::string("\xE3\x06\x92\x83", 4));
}

TEST(AwsChunked, SingleChunkWithDefaultSize) {
  auto out = std::make_shared<StreamedChecksums>();
  auto body = aws_chunked_body(string_body("123456789"), ChecksumAlgo::kCrc32c, out);
  const std::string want = "9\r\n123456789\r\n0\r\nx-amz-checksum-crc32c:4waSgw==\r\n\r\n";
  EXPECT_EQ(body->size(), want.size());
  EXPECT_EQ(drain(*body, 1), want);
}

TEST(AwsChunked, ChunkSizesAreLowerCaseHex) {
  const std::string payload(0xab + 0x1f, 'x');
  auto body = aws_chunked_body(string_body(payload), ChecksumAlgo::kCrc32,
                               std::make_shared<StreamedChecksums>(), false, 0xab);
  const std::string stream = drain(*body, 1000);
  EXPECT_EQ(stream.rfind("ab\r\n", 0), 0u) << stream.substr(0, 8);
  EXPECT_NE(stream.find("\r\n1f\r\n"), std::string::npos);
  EXPECT_EQ(stream.find("AB\r\n"), std::string::npos);
  EXPECT_EQ(decode(stream).error, "");

  // The default chunk size is 0x10000.
  const std::string big(kAwsChunkSize + 1, 'y');
  auto body2 = aws_chunked_body(string_body(big), ChecksumAlgo::kCrc32,
                                std::make_shared<StreamedChecksums>());
  const std::string stream2 = drain(*body2, 65536);
  EXPECT_EQ(stream2.rfind("10000\r\n", 0), 0u);
  EXPECT_EQ(stream2.size(), aws_chunked_length(big.size(), ChecksumAlgo::kCrc32));
}

TEST(AwsChunked, EmptyPayloadIsOnlyTheFinalChunk) {
  auto out = std::make_shared<StreamedChecksums>();
  auto body = aws_chunked_body(string_body(""), ChecksumAlgo::kCrc32c, out, true);
  // CRC32C of nothing is 0.
  const std::string want = "0\r\nx-amz-checksum-crc32c:AAAAAA==\r\n\r\n";
  EXPECT_EQ(body->size(), want.size());
  EXPECT_EQ(aws_chunked_length(0, ChecksumAlgo::kCrc32c), want.size());
  EXPECT_EQ(drain(*body, 1), want);
  ASSERT_TRUE(out->complete);
  EXPECT_EQ(out->checksum_raw, std::string(4, '\0'));
  EXPECT_EQ(out->md5_raw, integrity::md5_raw(""));
}

TEST(AwsChunked, LengthFormula) {
  // "0\r\n" + "x-amz-checksum-crc32c" + ":" + 8 + "\r\n" + "\r\n"
  EXPECT_EQ(aws_chunked_length(0, ChecksumAlgo::kCrc32c), 3u + 21 + 1 + 8 + 2 + 2);
  EXPECT_EQ(aws_chunked_length(0, ChecksumAlgo::kCrc64Nvme), 3u + 24 + 1 + 12 + 2 + 2);
  EXPECT_EQ(aws_chunked_length(0, ChecksumAlgo::kSha256), 3u + 21 + 1 + 44 + 2 + 2);
  const uint64_t empty = aws_chunked_length(0, ChecksumAlgo::kSha1);
  // One full 64 KiB chunk: "10000\r\n" + data + "\r\n".
  EXPECT_EQ(aws_chunked_length(kAwsChunkSize, ChecksumAlgo::kSha1), empty + 7 + kAwsChunkSize + 2);
  // Large payloads: 5 GiB in 64 KiB chunks.
  const uint64_t five_gib = uint64_t{5} << 30;
  EXPECT_EQ(aws_chunked_length(five_gib, ChecksumAlgo::kSha1),
            empty + (five_gib / kAwsChunkSize) * (7 + 2) + five_gib);
  // Chunk-size lines grow with the size: 0xf -> 1 digit, 0x10 -> 2 digits.
  EXPECT_EQ(aws_chunked_length(15, ChecksumAlgo::kCrc32, 16),
            aws_chunked_length(0, ChecksumAlgo::kCrc32) + 1 + 2 + 15 + 2);
  EXPECT_EQ(aws_chunked_length(16, ChecksumAlgo::kCrc32, 16),
            aws_chunked_length(0, ChecksumAlgo::kCrc32) + 2 + 2 + 16 + 2);
}

TEST(AwsChunked, RoundTripEveryAlgorithmSizeAndBuffer) {
  for (const ChecksumAlgo algo : kHeaderAlgos) {
    for (const size_t chunk : {size_t{1}, size_t{3}, size_t{16}, size_t{1000}}) {
      for (const size_t payload :
           {size_t{0}, size_t{1}, chunk - 1, chunk, chunk + 1, 3 * chunk + 5}) {
        for (const size_t buf : {size_t{1}, size_t{7}, size_t{4096}}) {
          check_round_trip(algo, payload, chunk, buf);
        }
      }
    }
  }
}

TEST(AwsChunked, RoundTripDefaultChunkSize) {
  const size_t chunk = kAwsChunkSize;
  for (const ChecksumAlgo algo : kHeaderAlgos) {
    for (const size_t payload :
         {size_t{0}, size_t{1}, chunk - 1, chunk, chunk + 1, 3 * chunk + 5}) {
      for (const size_t buf : {size_t{1}, size_t{7}, size_t{4096}, size_t{65536}}) {
        check_round_trip(algo, payload, chunk, buf);
      }
    }
  }
}

TEST(AwsChunked, RewindMidStreamGivesIdenticalBytes) {
  const std::string payload = random_bytes(3 * 100 + 5, 7);
  for (const ChecksumAlgo algo : kHeaderAlgos) {
    SCOPED_TRACE(std::string(integrity::algo_name(algo)));
    auto ref_out = std::make_shared<StreamedChecksums>();
    auto ref = aws_chunked_body(string_body(payload), algo, ref_out, true, 100);
    const std::string want = drain(*ref, 4096);

    auto out = std::make_shared<StreamedChecksums>();
    auto spy_owned = std::make_unique<SpyBody>(string_body(payload), 100);
    SpyBody* spy = spy_owned.get();
    auto body = aws_chunked_body(std::move(spy_owned), algo, out, true, 100);
    // Stop at a few awkward places: inside a header, inside chunk data, inside the trailer.
    for (const size_t stop : {size_t{2}, size_t{50}, size_t{104}, want.size() - 5}) {
      std::string got(stop, '\0');
      size_t have = 0;
      while (have < stop) {
        const int64_t r = body->read(got.data() + have, std::min<size_t>(7, stop - have));
        ASSERT_GT(r, 0);
        have += static_cast<size_t>(r);
      }
      EXPECT_EQ(got, want.substr(0, stop));
      ASSERT_TRUE(body->rewind());
      EXPECT_FALSE(out->complete);
      EXPECT_EQ(out->checksum_raw, "");
      EXPECT_EQ(out->md5_raw, "");
    }
    EXPECT_EQ(drain(*body, 7), want);
    ASSERT_TRUE(out->complete);
    EXPECT_EQ(out->checksum_raw, ref_out->checksum_raw);
    EXPECT_EQ(out->md5_raw, ref_out->md5_raw);
    EXPECT_EQ(out->checksum_raw, raw_checksum(algo, payload));
    EXPECT_EQ(spy->rewinds, 4);

    // Rewinding after the end starts over too.
    ASSERT_TRUE(body->rewind());
    EXPECT_FALSE(out->complete);
    EXPECT_EQ(drain(*body, 1), want);
    EXPECT_TRUE(out->complete);
    EXPECT_EQ(out->checksum_raw, ref_out->checksum_raw);
  }
}

TEST(AwsChunked, AlsoMd5) {
  const std::string payload = random_bytes(1234, 3);
  auto out = std::make_shared<StreamedChecksums>();
  auto body = aws_chunked_body(string_body(payload), ChecksumAlgo::kCrc64Nvme, out, true, 100);
  const std::string stream = drain(*body, 7);
  ASSERT_TRUE(out->complete);
  EXPECT_EQ(out->md5_raw, integrity::md5_raw(payload));
  EXPECT_EQ(out->checksum_raw, raw_checksum(ChecksumAlgo::kCrc64Nvme, payload));
  // MD5 changes nothing on the wire.
  EXPECT_EQ(stream.size(), aws_chunked_length(payload.size(), ChecksumAlgo::kCrc64Nvme, 100));
  const Decoded d = decode(stream);
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(d.trailers.size(), 1u);
  EXPECT_EQ(d.trailers[0].first, "x-amz-checksum-crc64nvme");
}

TEST(AwsChunked, NullOutIsAllowed) {
  auto body = aws_chunked_body(string_body("123456789"), ChecksumAlgo::kCrc32c, nullptr, true);
  EXPECT_EQ(decode(drain(*body, 3)).trailers.at(0).second, "4waSgw==");
}

TEST(AwsChunked, PayloadErrorIsPropagated) {
  auto out = std::make_shared<StreamedChecksums>();
  auto body = aws_chunked_body(
      std::make_unique<BrokenBody>(std::string(250, 'a'), 1000, "read error on f: disk on fire"),
      ChecksumAlgo::kCrc32c, out, false, 100);
  std::vector<char> buf(7);
  int64_t r = 0;
  uint64_t total = 0;
  while ((r = body->read(buf.data(), buf.size())) > 0) total += static_cast<uint64_t>(r);
  EXPECT_EQ(r, -1);
  EXPECT_LT(total, body->size());
  EXPECT_NE(body->error().find("disk on fire"), std::string::npos) << body->error();
  EXPECT_FALSE(out->complete);
  // It stays failed until rewound.
  EXPECT_EQ(body->read(buf.data(), buf.size()), -1);
}

TEST(AwsChunked, ShortPayloadIsAnError) {
  auto out = std::make_shared<StreamedChecksums>();
  auto body = aws_chunked_body(std::make_unique<BrokenBody>(std::string(250, 'a'), 1000, ""),
                               ChecksumAlgo::kSha256, out, false, 100);
  std::vector<char> buf(4096);
  int64_t r = 0;
  while ((r = body->read(buf.data(), buf.size())) > 0) {
  }
  EXPECT_EQ(r, -1);
  EXPECT_NE(body->error().find("shorter"), std::string::npos) << body->error();
  EXPECT_FALSE(out->complete);
}

TEST(AwsChunked, FileBackedPayloadRange) {
  test::TempDir dir;
  const std::string content = random_bytes(5000, 11);
  const std::string path = dir.write("data.bin", content);
  const uint64_t offset = 123, length = 3 * 1024 + 5;
  for (const ChecksumAlgo algo : kHeaderAlgos) {
    SCOPED_TRACE(std::string(integrity::algo_name(algo)));
    auto out = std::make_shared<StreamedChecksums>();
    auto body = aws_chunked_body(file_body(path, offset, length), algo, out, true, 1024);
    EXPECT_EQ(body->size(), aws_chunked_length(length, algo, 1024));
    const std::string stream = drain(*body, 1000);
    EXPECT_EQ(stream.size(), body->size());
    const Decoded d = decode(stream);
    ASSERT_EQ(d.error, "");
    const std::string want = content.substr(offset, length);
    EXPECT_TRUE(d.payload == want);
    EXPECT_EQ(d.chunk_sizes, (std::vector<uint64_t>{1024, 1024, 1024, 5}));
    ASSERT_TRUE(out->complete);
    auto from_file = integrity::checksum_file_raw(path, algo, offset, length);
    ASSERT_TRUE(from_file.ok()) << from_file.error();
    EXPECT_EQ(out->checksum_raw, *from_file);
    EXPECT_EQ(d.trailers.at(0).second, base64_encode(*from_file));
    EXPECT_EQ(out->md5_raw, integrity::md5_raw(want));
  }
}

TEST(AwsChunked, FileShrinkingWhileSentIsAnError) {
  test::TempDir dir;
  const std::string path = dir.write("data.bin", std::string(4000, 'z'));
  auto out = std::make_shared<StreamedChecksums>();
  auto body = aws_chunked_body(file_body(path, 0, 4000), ChecksumAlgo::kCrc32c, out, false, 1000);
  std::vector<char> buf(1500);
  ASSERT_GT(body->read(buf.data(), buf.size()), 0);
  std::filesystem::resize_file(path, 1200);
  int64_t r = 0;
  while ((r = body->read(buf.data(), buf.size())) > 0) {
  }
  EXPECT_EQ(r, -1);
  EXPECT_NE(body->error().find("shorter"), std::string::npos) << body->error();
  EXPECT_FALSE(out->complete);
}

TEST(AwsChunked, MissingFileIsAnError) {
  test::TempDir dir;
  auto body = aws_chunked_body(file_body((dir.path() / "nope").string(), 0, 10),
                               ChecksumAlgo::kCrc32, std::make_shared<StreamedChecksums>());
  char buf[64];
  EXPECT_EQ(body->read(buf, sizeof buf), -1);
  EXPECT_NE(body->error().find("cannot open"), std::string::npos) << body->error();
}

}  // namespace
}  // namespace s3up::http
