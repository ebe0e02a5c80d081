#include "transfer/part_plan.hpp"

#include <cctype>

namespace s3up::transfer {

uint64_t PartPlan::size_of(uint64_t n) const {
  if (n == 0 || n > part_count) return 0;
  if (n < part_count) return part_size;
  return total - (part_count - 1) * part_size;
}

Result<PartPlan> plan_parts(uint64_t file_size, uint64_t requested) {
  if (requested < kMinPartSize || requested > kMaxPartSize) {
    return unexpected(std::string("the part size must be between 5 MiB and 5 GiB"));
  }
  if (file_size > kMaxObjectSize) {
    return unexpected("the file is " + std::to_string(file_size) +
                      " bytes, larger than S3's 5 TiB object limit");
  }
  PartPlan p;
  p.total = file_size;
  p.part_size = requested;
  // Grow in whole MiB so part boundaries stay readable and aligned.
  uint64_t min_needed = (file_size + kMaxParts - 1) / kMaxParts;
  if (p.part_size < min_needed) p.part_size = (min_needed + kMiB - 1) / kMiB * kMiB;
  if (p.part_size > kMaxPartSize) p.part_size = kMaxPartSize;
  p.part_count = file_size == 0 ? 1 : (file_size + p.part_size - 1) / p.part_size;
  return p;
}

bool use_multipart(uint64_t file_size, uint64_t threshold) {
  if (file_size == 0) return false;
  return file_size >= threshold || file_size > kMaxSinglePut;
}

Result<uint64_t> parse_size(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  size_t start = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == start) {
    return unexpected("'" + text +
                      "' is not a size: use a number with an optional unit, e.g. 16MiB");
  }
  uint64_t n = 0;
  for (size_t k = start; k < i; ++k) {
    if (n > (UINT64_MAX - 9) / 10) return unexpected("'" + text + "' is too large");
    n = n * 10 + static_cast<uint64_t>(text[k] - '0');
  }
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit;
  for (; i < text.size(); ++i) {
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  }
  uint64_t mult = 1;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    mult = 1024;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    mult = kMiB;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    mult = kGiB;
  } else if (unit == "t" || unit == "tb" || unit == "tib") {
    mult = 1024 * kGiB;
  } else {
    return unexpected("'" + text + "' has an unknown unit: use B, KiB, MiB, GiB or TiB");
  }
  if (n > UINT64_MAX / mult) return unexpected("'" + text + "' is too large");
  return n * mult;
}

}  // namespace s3up::transfer
