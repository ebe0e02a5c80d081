// aws-chunked bodies: a small state machine over the payload. Only the chunk headers, the
// CRLFs and the trailer are buffered; payload bytes go straight from the payload source into
// the caller's buffer, and through the checksums on the way.
#include "http/aws_chunked.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

#include "util/strings.hpp"

namespace s3up::http {
namespace {

size_t effective_chunk_size(size_t chunk_size) {
  return chunk_size == 0 ? kAwsChunkSize : chunk_size;
}

std::string hex_size(uint64_t n) {
  char buf[20];
  const auto res = std::to_chars(buf, buf + sizeof buf, n, 16);  // lower-case digits
  return std::string(buf, res.ptr);
}

uint64_t hex_digits(uint64_t n) {
  uint64_t d = 1;
  while (n >= 16) {
    n /= 16;
    ++d;
  }
  return d;
}

// Length of the final "0\r\n" + trailer line + "\r\n". An algorithm without an x-amz-checksum
// header (a caller's mistake) gets no trailer line rather than a malformed one.
uint64_t final_chunk_length(integrity::ChecksumAlgo algo) {
  uint64_t len = 3 + 2;  // "0\r\n" ... "\r\n"
  if (integrity::has_checksum_header(algo)) {
    len +=
        integrity::checksum_header(algo).size() + 1 + integrity::checksum_base64_length(algo) + 2;
  }
  return len;
}

class AwsChunkedBody final : public BodySource {
 public:
  AwsChunkedBody(std::unique_ptr<BodySource> payload, integrity::ChecksumAlgo algo,
                 std::shared_ptr<StreamedChecksums> out, bool also_md5, size_t chunk_size)
      : payload_(std::move(payload)),
        algo_(algo),
        out_(std::move(out)),
        also_md5_(also_md5),
        chunk_size_(effective_chunk_size(chunk_size)),
        payload_size_(payload_->size()),
        size_(aws_chunked_length(payload_size_, algo, chunk_size_)),
        sum_(algo) {
    reset_state();
  }

  uint64_t size() const override { return size_; }

  int64_t read(char* buf, size_t n) override {
    if (failed_) return -1;
    size_t total = 0;
    while (total < n) {
      // Buffered framing first (chunk header, CRLF, trailer).
      if (pending_pos_ < pending_.size()) {
        const size_t k = std::min(n - total, pending_.size() - pending_pos_);
        std::memcpy(buf + total, pending_.data() + pending_pos_, k);
        pending_pos_ += k;
        total += k;
        continue;
      }
      switch (phase_) {
        case Phase::kChunkStart:
          start_chunk();
          break;
        case Phase::kData: {
          if (chunk_left_ == 0) {
            set_pending("\r\n");
            phase_ = Phase::kChunkStart;
            break;
          }
          const size_t want = static_cast<size_t>(std::min<uint64_t>(n - total, chunk_left_));
          const int64_t got = payload_->read(buf + total, want);
          if (got < 0) return fail(payload_->error());
          if (got == 0) return fail(short_payload_message());
          if (static_cast<uint64_t>(got) > want) {
            return fail("the request body's source returned more bytes than asked for");
          }
          const auto k = static_cast<size_t>(got);
          sum_.update(buf + total, k);
          if (md5_) md5_->update(buf + total, k);
          chunk_left_ -= k;
          consumed_ += k;
          total += k;
          break;
        }
        case Phase::kDone:
          return static_cast<int64_t>(total);
      }
    }
    return static_cast<int64_t>(total);
  }

  bool rewind() override {
    if (!payload_->rewind()) {
      error_ = payload_->error();
      return false;
    }
    reset_state();
    return true;
  }

  std::string error() const override { return error_; }

 private:
  enum class Phase { kChunkStart, kData, kDone };

  void reset_state() {
    phase_ = Phase::kChunkStart;
    pending_.clear();
    pending_pos_ = 0;
    chunk_left_ = 0;
    consumed_ = 0;
    failed_ = false;
    error_.clear();
    sum_ = integrity::Checksum(algo_);
    md5_.reset();
    if (also_md5_) md5_.emplace(integrity::ChecksumAlgo::kMd5);
    if (out_) {
      out_->complete = false;
      out_->checksum_raw.clear();
      out_->md5_raw.clear();
    }
  }

  void set_pending(std::string s) {
    pending_ = std::move(s);
    pending_pos_ = 0;
  }

  // Queues the next chunk's header, or the final chunk with the trailer once the whole payload
  // has gone through.
  void start_chunk() {
    const uint64_t left = payload_size_ - consumed_;
    if (left > 0) {
      chunk_left_ = std::min<uint64_t>(chunk_size_, left);
      set_pending(hex_size(chunk_left_) + "\r\n");
      phase_ = Phase::kData;
      return;
    }
    std::string checksum = sum_.finish_raw();
    std::string fin = "0\r\n";
    if (integrity::has_checksum_header(algo_)) {
      fin += integrity::checksum_header(algo_) + ":" + base64_encode(checksum) + "\r\n";
    }
    fin += "\r\n";
    set_pending(std::move(fin));
    phase_ = Phase::kDone;
    if (out_) {
      out_->checksum_raw = std::move(checksum);
      out_->md5_raw = md5_ ? md5_->finish_raw() : std::string();
      out_->complete = true;
    }
  }

  std::string short_payload_message() const {
    return "the file became shorter while it was being sent (" + std::to_string(consumed_) +
           " of " + std::to_string(payload_size_) + " bytes read)";
  }

  int64_t fail(std::string why) {
    failed_ = true;
    error_ = why.empty() ? "read error in the request body" : std::move(why);
    return -1;
  }

  std::unique_ptr<BodySource> payload_;
  integrity::ChecksumAlgo algo_;
  std::shared_ptr<StreamedChecksums> out_;
  bool also_md5_;
  size_t chunk_size_;
  uint64_t payload_size_;
  uint64_t size_;

  Phase phase_ = Phase::kChunkStart;
  std::string pending_;  // framing bytes not yet handed out
  size_t pending_pos_ = 0;
  uint64_t chunk_left_ = 0;  // payload bytes still to send in the current chunk
  uint64_t consumed_ = 0;    // payload bytes read so far
  integrity::Checksum sum_;
  std::optional<integrity::Checksum> md5_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace

uint64_t aws_chunked_length(uint64_t payload_size, integrity::ChecksumAlgo algo,
                            size_t chunk_size) {
  const uint64_t cs = effective_chunk_size(chunk_size);
  const uint64_t full = payload_size / cs;
  const uint64_t rest = payload_size % cs;
  uint64_t len = full * (hex_digits(cs) + 2 + cs + 2);
  if (rest > 0) len += hex_digits(rest) + 2 + rest + 2;
  return len + final_chunk_length(algo);
}

std::unique_ptr<BodySource> aws_chunked_body(std::unique_ptr<BodySource> payload,
                                             integrity::ChecksumAlgo algo,
                                             std::shared_ptr<StreamedChecksums> out, bool also_md5,
                                             size_t chunk_size) {
  return std::make_unique<AwsChunkedBody>(std::move(payload), algo, std::move(out), also_md5,
                                          chunk_size);
}

}  // namespace s3up::http
