// aws-chunked request bodies with a trailing checksum (x-amz-content-sha256:
// STREAMING-UNSIGNED-PAYLOAD-TRAILER): the payload goes out in fixed-size chunks
//   <hex size>\r\n<bytes>\r\n ... 0\r\n<trailer-name>:<base64 checksum>\r\n\r\n
// and the checksum is computed while the bytes stream past, so the file is read once.
// Sent with Content-Encoding: aws-chunked, x-amz-decoded-content-length: <payload size>,
// x-amz-trailer: <trailer-name>, and Content-Length: aws_chunked_length(...).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "http/event_loop.hpp"
#include "integrity/checksum.hpp"

namespace s3up::http {

inline constexpr size_t kAwsChunkSize = 64 * 1024;

// What a chunked body computed over the payload, filled in when its last byte was read
// (a rewind clears it). Shared with the caller, who reads it after the request ended.
struct StreamedChecksums {
  bool complete = false;
  std::string checksum_raw;  // of the trailer's algorithm
  std::string md5_raw;       // only when asked for (also_md5)
};

// Encoded length of a payload of `payload_size` bytes in chunks of `chunk_size`, with the
// trailer for `algo` (which must have an x-amz-checksum header).
uint64_t aws_chunked_length(uint64_t payload_size, integrity::ChecksumAlgo algo,
                            size_t chunk_size = kAwsChunkSize);

// Wraps `payload` (size() bytes, rewindable). also_md5: compute the payload's MD5 as well
// (to check an ETag). rewind() rewinds the payload and restarts the checksums.
std::unique_ptr<BodySource> aws_chunked_body(std::unique_ptr<BodySource> payload,
                                             integrity::ChecksumAlgo algo,
                                             std::shared_ptr<StreamedChecksums> out,
                                             bool also_md5 = false,
                                             size_t chunk_size = kAwsChunkSize);

}  // namespace s3up::http
