// Fields of the line-oriented, append-only logs (hash cache, resume journal): printable ASCII
// except '%' stays, every other byte (space, tab, newline, '%', UTF-8) becomes %XX, so a field
// never contains a separator and a record never spans lines.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace s3up {

void escape_field_into(std::string& out, std::string_view s);
// Strict: a '%' must be followed by two hex digits.
std::optional<std::string> unescape_field(std::string_view s);

// A whole decimal number, nothing else.
template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace s3up
