#include "integrity/hash.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "util/strings.hpp"

namespace s3up::integrity {

namespace {

const char* algo_name(HashAlgo algo) {
  switch (algo) {
    case HashAlgo::kMd5:
      return "MD5";
    case HashAlgo::kSha1:
      return "SHA1";
    case HashAlgo::kSha256:
      return "SHA256";
  }
  return "SHA256";
}

struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Fetched algorithms are immutable and thread-safe once fetched; keep one of each.
const EVP_MD* fetch_md(HashAlgo algo) {
  static const std::unique_ptr<EVP_MD, MdDeleter> md5(EVP_MD_fetch(nullptr, "MD5", nullptr));
  static const std::unique_ptr<EVP_MD, MdDeleter> sha1(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  static const std::unique_ptr<EVP_MD, MdDeleter> sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  const EVP_MD* md = nullptr;
  switch (algo) {
    case HashAlgo::kMd5:
      md = md5.get();
      break;
    case HashAlgo::kSha1:
      md = sha1.get();
      break;
    case HashAlgo::kSha256:
      md = sha256.get();
      break;
  }
  if (md == nullptr) {
    throw std::runtime_error(std::string("OpenSSL does not provide ") + algo_name(algo));
  }
  return md;
}

std::string one_shot(HashAlgo algo, std::string_view data) {
  Hasher h(algo);
  h.update(data);
  return h.finish();
}

}  // namespace

struct Hasher::Impl {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx;
};

Hasher::Hasher(HashAlgo algo) : impl_(std::make_unique<Impl>()) {
  impl_->ctx.reset(EVP_MD_CTX_new());
  if (!impl_->ctx || EVP_DigestInit_ex2(impl_->ctx.get(), fetch_md(algo), nullptr) != 1) {
    throw std::runtime_error(std::string("cannot initialise ") + algo_name(algo) + " digest");
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t n) {
  if (n == 0) return;
  if (EVP_DigestUpdate(impl_->ctx.get(), data, n) != 1) {
    throw std::runtime_error("digest update failed");
  }
}

std::string Hasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx.get(), out, &len) != 1) {
    throw std::runtime_error("digest finalisation failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string sha256_raw(std::string_view data) {
  return one_shot(HashAlgo::kSha256, data);
}
std::string sha256_hex(std::string_view data) {
  return hex_encode(sha256_raw(data));
}
std::string md5_raw(std::string_view data) {
  return one_shot(HashAlgo::kMd5, data);
}
std::string md5_hex(std::string_view data) {
  return hex_encode(md5_raw(data));
}

std::string hmac_sha256_raw(std::string_view key, std::string_view data) {
  static const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) throw std::runtime_error("OpenSSL does not provide HMAC");
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) throw std::runtime_error("cannot create HMAC context");
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  // A zero-length key is legal for HMAC; give OpenSSL a valid pointer regardless.
  static const unsigned char kEmpty = 0;
  const auto* key_ptr = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out, &len, sizeof(out)) != 1) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

Result<std::string> hash_file_raw(const std::filesystem::path& path, HashAlgo algo, uint64_t offset,
                                  uint64_t length) {
  const auto fail = [&](int err) {
    return unexpected("cannot read " + path.string() + ": " + std::strerror(err));
  };
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return fail(errno != 0 ? errno : EIO);
  if (offset > 0) {
    if (offset > static_cast<uint64_t>(INT64_MAX) ||
        fseeko(f.get(), static_cast<off_t>(offset), SEEK_SET) != 0) {
      return fail(errno != 0 ? errno : EINVAL);
    }
  }
  Hasher h(algo);
  constexpr size_t kBufferSize = size_t{1} << 20;  // 1 MiB
  std::vector<char> buf(kBufferSize);
  uint64_t remaining = length;
  while (remaining > 0) {
    const size_t want = remaining < kBufferSize ? static_cast<size_t>(remaining) : kBufferSize;
    const size_t got = std::fread(buf.data(), 1, want, f.get());
    if (got > 0) {
      h.update(buf.data(), got);
      remaining -= got;
    }
    if (got < want) {
      if (std::ferror(f.get())) return fail(errno != 0 ? errno : EIO);
      break;  // end of file
    }
  }
  return h.finish();
}

}  // namespace s3up::integrity
