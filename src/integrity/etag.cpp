#include "integrity/etag.hpp"

#include "integrity/hash.hpp"
#include "util/strings.hpp"

namespace s3up::integrity {

std::string multipart_etag(const std::vector<std::string>& part_md5_raw) {
  Hasher h(HashAlgo::kMd5);
  for (const auto& m : part_md5_raw) h.update(m);
  return hex_encode(h.finish()) + "-" + std::to_string(part_md5_raw.size());
}

unsigned etag_part_count(const std::string& etag) {
  auto dash = etag.rfind('-');
  if (dash == std::string::npos || dash + 1 >= etag.size()) return 0;
  unsigned n = 0;
  for (size_t i = dash + 1; i < etag.size(); ++i) {
    char c = etag[i];
    if (c < '0' || c > '9' || n > 100000) return 0;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n;
}

}  // namespace s3up::integrity
