// How a file is cut into multipart-upload parts. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "util/result.hpp"

namespace s3up::transfer {

inline constexpr uint64_t kMiB = 1024ull * 1024;
inline constexpr uint64_t kGiB = 1024 * kMiB;
inline constexpr uint64_t kMinPartSize = 5 * kMiB;           // S3: every part but the last
inline constexpr uint64_t kMaxPartSize = 5 * kGiB;           // S3: largest part
inline constexpr uint64_t kMaxParts = 10000;                 // S3: most parts in one upload
inline constexpr uint64_t kMaxObjectSize = 5 * 1024 * kGiB;  // S3: 5 TiB
inline constexpr uint64_t kMaxSinglePut = 5 * kGiB;          // S3: largest single PUT

struct PartPlan {
  uint64_t part_size = 0;  // all parts but the last have this size
  uint64_t part_count = 0;
  uint64_t total = 0;
  uint64_t size_of(uint64_t part_number) const;  // 1-based
  uint64_t offset_of(uint64_t part_number) const { return (part_number - 1) * part_size; }
};

// The part size: `requested`, grown (in whole MiB) until the file fits in 10,000 parts.
// Errors when the file is larger than S3 allows or the request is outside 5 MiB..5 GiB.
Result<PartPlan> plan_parts(uint64_t file_size, uint64_t requested_part_size);

// Whether a file of this size goes multipart: at or above the threshold (and always above the
// single-PUT limit). An empty file never does.
bool use_multipart(uint64_t file_size, uint64_t threshold);

// Parses sizes like "8MiB", "16M", "1G", "5242880", "64 KiB". Error sentence names the text.
Result<uint64_t> parse_size(const std::string& text);

}  // namespace s3up::transfer
