// Small string helpers shared by every layer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace s3up {

// RFC 3986 percent-encoding as SigV4 and S3 want it: unreserved characters
// (A-Z a-z 0-9 - _ . ~) kept, everything else %XX with upper-case hex.
// With keep_slash, '/' is kept (object keys in a path).
std::string uri_encode(std::string_view s, bool keep_slash = false);
// Decodes %XX sequences; '+' stays '+'. Malformed escapes are kept literally.
std::string uri_decode(std::string_view s);

std::string to_lower(std::string_view s);
std::string trim(std::string_view s);  // ASCII whitespace both ends
std::vector<std::string> split(std::string_view s, char sep);
bool starts_with_icase(std::string_view s, std::string_view prefix);
bool iequals(std::string_view a, std::string_view b);

std::string hex_encode(const unsigned char* data, size_t n);
std::string hex_encode(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
// Walks the code points of UTF-8 text; false when it is not valid UTF-8 (overlong forms,
// surrogates, beyond U+10FFFF, truncated) or when `each` returns false for a code point.
// s between `quote` characters for a message, control bytes written as \xNN so a stray byte
// can never garble the terminal.
std::string quoted_for_message(std::string_view s, char quote);
bool for_each_code_point(std::string_view s, const std::function<bool(uint32_t)>& each);
std::string hex_decode(const std::string& hex);     // "" when not hex (or empty)
std::string base64_decode(const std::string& b64);  // "" when not base64 (or empty)

}  // namespace s3up
