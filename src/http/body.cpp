// Request bodies: a file range read with pread, or an in-memory string.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "http/event_loop.hpp"

namespace s3up::http {
namespace {

// Reads [offset, offset+length) of a file. The descriptor is opened on the first read (so that
// thousands of queued requests do not hold thousands of open files) and closed with the body.
// Nothing is buffered here: curl hands us its own upload buffer.
class FileBody final : public BodySource {
 public:
  FileBody(std::string path, uint64_t offset, uint64_t length)
      : path_(std::move(path)), offset_(offset), length_(length) {}
  ~FileBody() override {
    if (fd_ >= 0) ::close(fd_);
  }
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;

  uint64_t size() const override { return length_; }

  int64_t read(char* buf, size_t n) override {
    if (pos_ >= length_ || n == 0) return 0;
    if (fd_ < 0) {
      fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) {
        error_ = "cannot open " + path_ + ": " + std::strerror(errno);
        return -1;
      }
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(n, length_ - pos_));
    for (;;) {
      const ssize_t got = ::pread(fd_, buf, want, static_cast<off_t>(offset_ + pos_));
      if (got < 0) {
        if (errno == EINTR) continue;
        error_ = "read error on " + path_ + ": " + std::strerror(errno);
        return -1;
      }
      if (got == 0) {
        // The server expects exactly length_ bytes; sending fewer would hang the request.
        error_ = "read error on " + path_ + ": the file became shorter while it was being sent";
        return -1;
      }
      pos_ += static_cast<uint64_t>(got);
      return got;
    }
  }

  bool rewind() override {
    pos_ = 0;
    return true;
  }

  std::string error() const override { return error_; }

 private:
  std::string path_;
  uint64_t offset_;
  uint64_t length_;
  uint64_t pos_ = 0;
  int fd_ = -1;
  std::string error_;
};

class StringBody final : public BodySource {
 public:
  explicit StringBody(std::string data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  int64_t read(char* buf, size_t n) override {
    const size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return static_cast<int64_t>(k);
  }
  bool rewind() override {
    pos_ = 0;
    return true;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<BodySource> file_body(const std::string& path, uint64_t offset, uint64_t length) {
  return std::make_unique<FileBody>(path, offset, length);
}

std::unique_ptr<BodySource> string_body(std::string data) {
  return std::make_unique<StringBody>(std::move(data));
}

}  // namespace s3up::http
