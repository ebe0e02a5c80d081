#include "integrity/blake3.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <blake3.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/strings.hpp"

namespace s3up::integrity {

static_assert(kBlake3OutLen == BLAKE3_OUT_LEN);

struct Blake3::Impl {
  blake3_hasher h;
};

Blake3::Blake3() : impl_(std::make_unique<Impl>()) {
  blake3_hasher_init(&impl_->h);
}
Blake3::~Blake3() = default;
Blake3::Blake3(Blake3&&) noexcept = default;
Blake3& Blake3::operator=(Blake3&&) noexcept = default;

void Blake3::update(const void* data, size_t n) {
  if (n > 0) blake3_hasher_update(&impl_->h, data, n);
}

std::string Blake3::raw() const {
  unsigned char out[BLAKE3_OUT_LEN];
  blake3_hasher_finalize(&impl_->h, out, sizeof out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string Blake3::hex() const {
  return hex_encode(raw());
}

void Blake3::reset() {
  blake3_hasher_reset(&impl_->h);
}

std::string blake3_hex(std::string_view data) {
  Blake3 b;
  b.update(data);
  return b.hex();
}

Result<std::string> blake3_file_hex(const std::filesystem::path& path) {
  const auto fail = [&](int err) {
    return unexpected("cannot read " + path.string() + ": " + std::strerror(err));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
#ifdef POSIX_FADV_SEQUENTIAL
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  Blake3 b;
  constexpr size_t kBufferSize = size_t{1} << 20;  // 1 MiB
  std::vector<unsigned char> buf(kBufferSize);
  for (;;) {
    const ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    if (got == 0) break;
    b.update(buf.data(), static_cast<size_t>(got));
  }
  return b.hex();
}

}  // namespace s3up::integrity
