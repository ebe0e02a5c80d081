// The S3 XML documents the client reads and writes (pugixml). Internal to s3/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/client.hpp"
#include "util/result.hpp"

namespace s3up::s3::xml {

// <Error><Code/><Message/><RequestId/>[<Region/>]</Error>
struct ErrorDoc {
  std::string code;
  std::string message;
  std::string request_id;
  std::string region;  // <Region> (AuthorizationHeaderMalformed, PermanentRedirect), if any
};

// The error document in `body`, or nullopt when the body is not one (empty, another root,
// not XML). Used for failed statuses and for 200 answers that carry an error.
std::optional<ErrorDoc> parse_error(std::string_view body);

// True when `body` is an S3 error document (root element <Error>).
bool is_error_document(std::string_view body);

// ListBucketResult of ListObjectsV2. With <EncodingType>url</EncodingType>, keys, prefixes
// and common prefixes are decoded ('+' is a space, %XX a byte). Error: one sentence.
Result<ListPage> parse_list_objects_v2(std::string_view body);

// InitiateMultipartUploadResult -> the UploadId.
Result<std::string> parse_initiate_multipart_upload(std::string_view body);

// <CompleteMultipartUpload> with the parts in the given order, ETags quoted.
// checksum_element: "ChecksumCRC32C" etc. for parts that carry checksum_b64, "" = none.
std::string complete_multipart_upload(const std::vector<CompletedPart>& parts,
                                      const std::string& checksum_element = "");

// CompleteMultipartUploadResult -> the ETag, unquoted.
Result<PutResult> parse_complete_multipart_upload(std::string_view body);

// ListMultipartUploadsResult. With <EncodingType>url</EncodingType>, keys and markers are
// decoded.
Result<MultipartUploadsPage> parse_list_multipart_uploads(std::string_view body);

// ListPartsResult.
Result<PartsPage> parse_list_parts(std::string_view body);

// <Delete><Quiet>true</Quiet><Object><Key>...</Key></Object>...</Delete> for DeleteObjects.
// Keys are escaped (a carriage return as &#13;, so the parser keeps it); only keys for which
// can_carry_in_xml() is true belong here.
std::string delete_objects(const std::vector<std::string>& keys);

// True when XML 1.0 can carry the text: valid UTF-8 without control characters other than
// tab, line feed and carriage return (and without U+FFFE/U+FFFF). Other keys need a DELETE
// of their own.
bool can_carry_in_xml(std::string_view text);

// DeleteResult of DeleteObjects: the keys the answer lists as <Deleted> (none in quiet mode)
// and its per-key <Error> entries (code and message; http_status 0). Error: one sentence.
struct DeleteResultDoc {
  std::vector<std::string> deleted;
  std::vector<DeleteFailure> errors;
};
Result<DeleteResultDoc> parse_delete_result(std::string_view body);

// CreateBucketConfiguration with LocationConstraint; "" for us-east-1 (no body wanted).
std::string create_bucket_configuration(const std::string& region);

// Escapes & < > " ' for element text.
std::string escape(std::string_view text);

}  // namespace s3up::s3::xml
