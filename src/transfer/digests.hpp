// File digests for comparing and uploading, read from the local hash cache when the file is
// unchanged, else computed in one read pass (several algorithms at once) and cached.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "integrity/checksum.hpp"
#include "integrity/hash_cache.hpp"

namespace s3up::transfer {

// Whole-file digest kinds: "md5", "sha1", "sha256", "crc32", "crc32c", "crc64nvme" (as
// integrity::algo_name) and "blake3".
struct FileDigests {
  std::map<std::string, std::string> raw;  // kind -> raw digest bytes
  std::string error;                       // one sentence when the file could not be read
  bool hashed = false;                     // at least one kind needed a read of the file
};

// The kinds asked for (already known ones in `have` are kept and not recomputed).
FileDigests whole_file_digests(const std::string& path, uint64_t size,
                               const std::vector<std::string>& kinds, integrity::HashCache* cache,
                               FileDigests have = {});

// Digests of [offset, offset+length) for several kinds at once (no cache), raw by kind.
FileDigests range_digests(const std::string& path, uint64_t offset, uint64_t length,
                          const std::vector<std::string>& kinds);

// The MD5 of each part of the file (multipart ETag comparison), cached as
// "md5-parts:<part_size>".
struct PartMd5s {
  std::vector<std::string> raw;
  std::string error;
  bool from_cache = false;
};
PartMd5s part_md5s(const std::string& path, uint64_t size, uint64_t part_size,
                   integrity::HashCache* cache);
// Records part MD5s computed while uploading (identity taken before the upload started).
void remember_part_md5s(integrity::HashCache* cache, const integrity::FileIdentity& id,
                        uint64_t part_size, const std::vector<std::string>& raw);

}  // namespace s3up::transfer
