// Object options: user metadata, tags, content headers, storage class, canned ACL and
// server-side encryption (SSE-S3, SSE-KMS, SSE-C), from flags and configuration, validated up
// front so that no upload starts with an option S3 would reject. Pure, apart from reading the
// SSE-C key file in validate().
//
// Where values come from: flags win over the environment (and .env) for every single-valued
// option. Metadata and tags MERGE instead: the environment's list (S3_METADATA / S3_TAGS) comes
// first, then each --metadata / --tags flag in order, and for a key given in more than one place
// the later one wins (so a flag beats the environment, and a later flag beats an earlier one).
// Within ONE list (one flag or one variable) a key given twice is an error.
//
// List syntax for metadata and tags: "k=v,k=v". A pair is split at its first '=' (so values may
// contain '='); whitespace around keys and unquoted values is dropped; empty items (",,", a
// trailing comma) are skipped. A value cannot contain a comma unless the whole value is in
// double quotes: k="a,b" (quotes cannot be escaped inside a quoted value).
//
// Secrets: the SSE-C key only ever appears in the customer-key header value (sse_c_key_b64);
// it is never in an error, warning or describe() string.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/env.hpp"
#include "util/result.hpp"

namespace s3up::s3 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Limits S3 enforces (checked before any upload).
inline constexpr size_t kMaxUserMetadataBytes = 2048;  // keys (without prefix) + values, UTF-8
inline constexpr size_t kMaxTags = 10;
inline constexpr size_t kMaxTagKeyChars = 128;    // Unicode characters, not bytes
inline constexpr size_t kMaxTagValueChars = 256;  // Unicode characters, not bytes

// Metadata keys with this prefix belong to s3upload itself (integrity data): users cannot set
// them and differs_from() ignores them.
inline constexpr std::string_view kReservedMetadataPrefix = "s3upload-";

// The raw strings as the user gave them. Unset options are nullopt.
struct ObjectOptionsInput {
  std::vector<std::string> metadata;  // each "k=v,k=v"; the environment's value first
  std::vector<std::string> tags;      // each "k=v,k=v"; the environment's value first
  std::optional<std::string> content_type, content_encoding, content_disposition, cache_control,
      expires, storage_class, acl, encryption, kms_key_id, sse_c_key_file;
};

// Reads S3_METADATA, S3_TAGS, S3_CONTENT_TYPE, S3_CONTENT_ENCODING, S3_CONTENT_DISPOSITION,
// S3_CACHE_CONTROL, S3_EXPIRES, S3_STORAGE_CLASS, S3_ACL, S3_SSE, S3_SSE_KMS_KEY_ID and
// S3_SSE_C_KEY_FILE. A variable set to "" counts as unset.
ObjectOptionsInput object_options_from_env(const Environment& env);

// Layers flags over the environment: single values from `flags` win; metadata and tag lists are
// concatenated (environment first) so the flag wins per key. The encryption mode is one setting
// spread over three keys, so a flag that picks a mode replaces the environment's whole choice:
// --sse-c-key-file drops S3_SSE and S3_SSE_KMS_KEY_ID; --encryption drops S3_SSE_C_KEY_FILE (and
// S3_SSE_KMS_KEY_ID unless it is aws-kms); --kms-key-id drops S3_SSE_C_KEY_FILE. Conflicts within
// one layer are left for validate() to report.
ObjectOptionsInput merge(ObjectOptionsInput env_input, const ObjectOptionsInput& flags);

// What the bucket reports about an existing object, for differs_from(). nullopt = not known
// (e.g. only a listing was done), so that option is not compared; a value, even "", is what HEAD
// returned ("" = the header was absent).
struct RemoteObject {
  std::optional<std::map<std::string, std::string>> metadata;  // names with or without x-amz-meta-
  std::optional<std::string> content_type, content_encoding, content_disposition, cache_control,
      expires;
  std::optional<std::string> storage_class;  // x-amz-storage-class; "" = absent = STANDARD
};

// Validated options. A default-constructed value means "nothing asked for".
struct ObjectOptions {
  KeyValues metadata;  // lower-case names without x-amz-meta-, values as the user gave them
                       // (put_headers() encodes non-ASCII values per RFC 2047)
  KeyValues tags;      // in the order given; values may be ""
  std::optional<std::string> content_type;  // explicit override; otherwise detected per file
  std::optional<std::string> content_encoding, content_disposition, cache_control;
  std::optional<std::string> expires;        // always an IMF-fixdate, e.g. "Wed, 21 Oct 2026 ..."
  std::optional<std::string> storage_class;  // canonical upper case, e.g. "STANDARD_IA"
  std::optional<std::string> acl;            // canonical lower case, e.g. "bucket-owner-read"
  std::optional<std::string> sse;            // "AES256" or "aws:kms" (never set with SSE-C)
  std::optional<std::string> kms_key_id;     // only with sse == "aws:kms"
  std::string sse_c_key_b64;          // SSE-C key, base64; "" when not SSE-C. SECRET: never log.
  std::string sse_c_key_md5_b64;      // base64 of the MD5 of the raw key
  std::vector<std::string> warnings;  // one sentence each, e.g. a key file others can read

  bool sse_c() const { return !sse_c_key_b64.empty(); }
  // False with SSE-KMS and SSE-C: S3's ETag is then not the MD5 of the data, so content must not
  // be compared (or verified) through the ETag.
  bool etag_is_md5() const;
  // Whether differs_from() needs HEAD data (metadata or content headers were asked for); a
  // listing alone cannot tell whether those match.
  bool compare_needs_head() const;

  // Headers for PutObject and CreateMultipartUpload. `file_content_type` is the type detected
  // for this file; the explicit content_type, when set, wins over it. "" and no override: no
  // content-type header. Order: content-type, cache-control, content-disposition,
  // content-encoding, expires, x-amz-acl, x-amz-storage-class, SSE headers, x-amz-tagging,
  // x-amz-meta-*.
  HeaderList put_headers(const std::string& file_content_type) const;
  // The same without content-type, for a caller that sends content-type itself (e.g. through
  // s3::PutOptions::content_type, set to content_type_for(detected)); never send both, or the
  // two values would be joined into one header.
  HeaderList object_headers() const;
  std::string content_type_for(const std::string& file_content_type) const {
    return content_type.value_or(file_content_type);
  }
  // The SSE-C headers (algorithm, key, key MD5) that every UploadPart needs, as do HEAD, GET and
  // CompleteMultipartUpload of an SSE-C object; empty when not SSE-C.
  HeaderList part_headers() const;
  // A one-line summary for --dry-run without any secret, e.g.
  // "content-type video/mp4, storage class STANDARD_IA, 2 tags, SSE-C".
  std::string describe(const std::string& file_content_type) const;

  // Whether what the user asked for differs from what the bucket has, so that an object with the
  // same content but different requested metadata is not treated as identical. Returns one
  // sentence giving the first difference, or "" when nothing asked for differs.
  // The rule: only options the user explicitly set are compared, and only where `remote` knows
  // the value. Each requested metadata key must be present with the same value (remote values
  // are RFC 2047-decoded first, as S3 returns them as stored; a key asked for with an empty value
  // also matches when absent, as a server may drop empty headers); extra remote metadata the user
  // did not ask for is ignored, and so are s3upload-* keys. An explicit content-type (type and
  // parameters compared without case or blanks), cache-control, content-disposition,
  // content-encoding and expires (compared as instants) must match; an absent header ("") is a
  // difference. An explicit storage class must match (absent = STANDARD). Tags, ACL and
  // encryption are not in HEAD's answer and are never compared.
  std::string differs_from(const RemoteObject& remote) const;
};

// Validates everything; on failure, every problem found, one sentence each. Reads the SSE-C key
// file (raw 32 bytes, or 44 characters of base64, or 64 hex digits; trailing newline allowed for
// the text forms).
Result<ObjectOptions, std::vector<std::string>> validate(const ObjectOptionsInput& in);

// Building blocks, exposed for tests and for other callers.

// The x-amz-tagging value: "k1=v1&k2=v2", both sides RFC 3986 percent-encoded (space = %20).
std::string tagging_header_value(const KeyValues& tags);
// A metadata value as sent: unchanged when printable ASCII, else one RFC 2047 encoded-word
// "=?UTF-8?B?<base64>?=" (what S3's console and the AWS SDKs send).
std::string encode_metadata_value(std::string_view value);
// The reverse, for values HEAD returns: decodes RFC 2047 encoded-words (B and Q, any charset
// label, treated as UTF-8); anything else is returned unchanged.
std::string decode_metadata_value(std::string_view value);
// An HTTP-date (RFC 7231 IMF-fixdate, "Wed, 21 Oct 2026 07:28:00 GMT") or an ISO 8601 date-time
// with a zone ("2026-10-21T07:28:00Z", "2026-10-21T09:28:00+02:00", fractions dropped), as an
// IMF-fixdate; error: one sentence naming the value.
Result<std::string> parse_expires(std::string_view value);
// The number of Unicode characters (code points) in valid UTF-8.
size_t utf8_length(std::string_view s);

// The accepted values, canonical spelling.
const std::vector<std::string>& storage_classes();
const std::vector<std::string>& canned_acls();

}  // namespace s3up::s3
