// S3 ETags as content fingerprints.
#pragma once

#include <string>
#include <vector>

namespace s3up::integrity {

// The ETag S3 gives a multipart object: hex MD5 of the concatenated raw part MD5s, then
// "-<part count>".
std::string multipart_etag(const std::vector<std::string>& part_md5_raw);

// The "-N" part count of a multipart ETag, or 0 when the ETag has none.
unsigned etag_part_count(const std::string& etag);

}  // namespace s3up::integrity
