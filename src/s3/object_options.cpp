#include "s3/object_options.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "integrity/hash.hpp"
#include "util/strings.hpp"

namespace s3up::s3 {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMetadataSource = "--metadata / S3_METADATA";
constexpr std::string_view kTagsSource = "--tags / S3_TAGS";
constexpr std::string_view kHexDigits = "0123456789ABCDEF";

// ---- UTF-8 ----------------------------------------------------------------------------------

// Decodes one code point at s[i]; advances i. False on malformed UTF-8 (overlong forms,
// surrogates and values above U+10FFFF included).
bool next_code_point(std::string_view s, size_t& i, char32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  char32_t min = 0;
  if (c < 0x80) {
    cp = c;
    ++i;
    return true;
  } else if ((c & 0xE0) == 0xC0) {
    n = 1, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3, cp = c & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (i + n >= s.size()) return false;
  for (size_t k = 1; k <= n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += n + 1;
  return true;
}

bool valid_utf8(std::string_view s) {
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    if (!next_code_point(s, i, cp)) return false;
  }
  return true;
}

std::string utf8_encode(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

std::string hex_byte(unsigned v) {
  return {kHexDigits[(v >> 4) & 0xF], kHexDigits[v & 0xF]};
}

std::string code_point_label(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

// How one character is named in a message.
std::string char_name(char32_t cp) {
  if (cp == ' ') return "a space";
  if (cp < 0x20 || cp == 0x7F) return "the control character 0x" + hex_byte(cp);
  if (cp < 0x80) return std::string("'") + static_cast<char>(cp) + "'";
  if (cp < 0xA0) return "the control character " + code_point_label(cp);
  return "'" + utf8_encode(cp) + "' (" + code_point_label(cp) + ")";
}

// A value shown in a message: in single quotes, control characters and bytes that are not UTF-8
// escaped (so a stray byte cannot garble the terminal), cut after 60 characters.
std::string shown(std::string_view s) {
  std::string out = "'";
  size_t chars = 0;
  for (size_t i = 0; i < s.size();) {
    if (++chars > 60) {
      out += "...";
      break;
    }
    size_t start = i;
    char32_t cp;
    if (!next_code_point(s, i, cp)) {
      out += "\\x" + hex_byte(static_cast<unsigned char>(s[start]));
      i = start + 1;
    } else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
      out += cp < 0x80 ? "\\x" + hex_byte(cp) : "\\u00" + hex_byte(cp);
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out + "'";
}

// The first code point failing `allowed`, or nullopt. `s` must be valid UTF-8.
template <typename Pred>
std::optional<char32_t> first_disallowed(std::string_view s, Pred allowed) {
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    if (!next_code_point(s, i, cp)) return char32_t{0xFFFD};
    if (!allowed(cp)) return cp;
  }
  return std::nullopt;
}

bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

// RFC 7230 tchar.
bool is_tchar(char32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c < 0x80 &&
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

// S3's tag character rule, [\p{L}\p{Z}\p{N}_.:/=+\-@]. ASCII exactly; beyond ASCII an
// approximation without Unicode tables: code points in blocks of controls, punctuation, symbols,
// combining marks, emoji and private use are refused, everything else (letters and digits of
// every script, Unicode spaces) accepted. S3 stays the final judge of rare characters.
bool is_tag_char(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view(" +-=._:/@").find(static_cast<char>(c)) != std::string_view::npos;
  }
  if (c < 0xA0) return false;  // C1 controls
  if (c <= 0xBF) {             // Latin-1 punctuation and symbols, except letters and numbers
    return c == 0xA0 || c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 ||
           c == 0xBA || c == 0xBC || c == 0xBD || c == 0xBE;
  }
  if (c == 0xD7 || c == 0xF7) return false;      // multiplication and division signs
  if (c >= 0x0300 && c <= 0x036F) return false;  // combining diacritical marks
  if (c >= 0x2000 && c <= 0x206F) {              // general punctuation: only its spaces
    return c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F;
  }
  if (c >= 0x20A0 && c <= 0x20FF) return false;  // currency, combining marks for symbols
  if (c >= 0x2190 && c <= 0x245F) return false;  // arrows, math, technical, control pictures
  if (c >= 0x2500 && c <= 0x2BFF) return false;  // box drawing, shapes, dingbats, arrows
  if (c >= 0x2E00 && c <= 0x2E7F) return false;  // supplemental punctuation
  if (c >= 0x3000 && c <= 0x303F) {              // CJK symbols and punctuation
    return c == 0x3000 || (c >= 0x3005 && c <= 0x3007) || (c >= 0x3021 && c <= 0x3029) ||
           (c >= 0x3031 && c <= 0x3035) || (c >= 0x3038 && c <= 0x303C);
  }
  if (c >= 0x3099 && c <= 0x309C) return false;  // kana voicing marks
  if (c == 0x30FB) return false;                 // katakana middle dot
  if (c >= 0xE000 && c <= 0xF8FF) return false;  // private use
  if (c >= 0xFE00 && c <= 0xFE6F) return false;  // variation selectors, compatibility forms
  if (c == 0xFEFF) return false;                 // byte order mark
  if (c >= 0xFF00 && c <= 0xFFEF) {              // full- and half-width forms
    return (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
           (c >= 0xFF41 && c <= 0xFF5A) || (c >= 0xFF66 && c <= 0xFFDC);
  }
  if (c >= 0xFFF0 && c <= 0xFFFF) return false;    // specials
  if (c >= 0x1D100 && c <= 0x1D1FF) return false;  // musical symbols
  if (c >= 0x1F000 && c <= 0x1FAFF) return false;  // game symbols, emoji, pictographs
  if (c >= 0xE0000) return false;                  // tags, variation selectors, private use
  if ((c & 0xFFFE) == 0xFFFE) return false;        // noncharacters
  return true;
}

// ---- base64 ---------------------------------------------------------------------------------

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard alphabet; '=' padding optional. nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // not canonical: stray bits
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ---- k=v lists ------------------------------------------------------------------------------

struct Pair {
  std::string key, value;
  std::string text;  // the item as written, for messages
};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Splits "k=v,k=\"a,b\"" into pairs (see the header for the syntax); problems go to `errors`.
std::vector<Pair> parse_list(std::string_view list, std::string_view noun, std::string_view source,
                             std::string_view example, std::vector<std::string>& errors) {
  std::vector<Pair> out;
  const size_t n = list.size();
  size_t i = 0;
  while (i < n) {
    const size_t start = i;
    size_t j = i;
    while (j < n && list[j] != '=' && list[j] != ',') ++j;
    if (j == n || list[j] == ',') {
      const std::string item = trim(list.substr(i, j - i));
      if (!item.empty()) {
        errors.push_back(std::string(noun) + " entry " + shown(item) +
                         " has no '=': write key=value pairs separated by commas, e.g. " +
                         std::string(example) + " (in " + std::string(source) + ").");
      }
      i = j + 1;
      continue;
    }
    Pair p;
    p.key = trim(list.substr(i, j - i));
    size_t k = j + 1;
    while (k < n && is_blank(list[k])) ++k;
    if (k < n && list[k] == '"') {
      const size_t close = list.find('"', k + 1);
      if (close == std::string_view::npos) {
        errors.push_back(std::string(noun) + " entry " + shown(trim(list.substr(start))) +
                         " opens a double quote that is never closed: close it, as in "
                         "key=\"a,b\" (in " +
                         std::string(source) + ").");
        break;
      }
      size_t m = close + 1;
      while (m < n && is_blank(list[m])) ++m;
      if (m < n && list[m] != ',') {
        size_t end = list.find(',', m);
        if (end == std::string_view::npos) end = n;
        errors.push_back(std::string(noun) + " entry " +
                         shown(trim(list.substr(start, end - start))) +
                         " has text after its closing double quote: quote the whole value, as "
                         "in key=\"a,b\" (in " +
                         std::string(source) + ").");
        i = end + 1;
        continue;
      }
      p.value = std::string(list.substr(k + 1, close - k - 1));
      p.text = trim(list.substr(start, m - start));
      i = m + 1;
    } else {
      size_t end = list.find(',', k);
      if (end == std::string_view::npos) end = n;
      p.value = trim(list.substr(k, end - k));
      p.text = trim(list.substr(start, end - start));
      i = end + 1;
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Inserts or replaces (keeping the first position).
void upsert(KeyValues& kv, const std::string& key, const std::string& value) {
  for (auto& [k, v] : kv) {
    if (k == key) {
      v = value;
      return;
    }
  }
  kv.emplace_back(key, value);
}

KeyValues validate_metadata(const std::vector<std::string>& lists,
                            std::vector<std::string>& errors) {
  KeyValues merged;
  for (const std::string& list : lists) {
    std::set<std::string> seen, reported;
    for (Pair& p : parse_list(list, "Metadata", kMetadataSource, "author=ann,year=2024", errors)) {
      if (p.key.empty()) {
        errors.push_back("Metadata entry " + shown(p.text) +
                         " has an empty key: write key=value (in " + std::string(kMetadataSource) +
                         ").");
        continue;
      }
      bool ok = true;
      if (!valid_utf8(p.key)) {
        errors.push_back("Metadata key " + shown(p.key) +
                         " is not valid UTF-8 text: use ASCII letters, digits and "
                         "! # $ % & ' * + - . ^ _ ` | ~.");
        ok = false;
      } else if (auto bad = first_disallowed(p.key, is_tchar)) {
        errors.push_back("Metadata key " + shown(p.key) + " contains " + char_name(*bad) +
                         ", which an HTTP header name cannot hold: use ASCII letters, digits and "
                         "! # $ % & ' * + - . ^ _ ` | ~.");
        ok = false;
      }
      const std::string key = to_lower(p.key);
      if (ok && key.starts_with(kReservedMetadataPrefix)) {
        errors.push_back("Metadata key " + shown(p.key) + " starts with '" +
                         std::string(kReservedMetadataPrefix) +
                         "', which s3upload reserves for its own data: choose another key.");
        ok = false;
      }
      // HTTP drops blanks around header values, so they cannot be kept, even quoted.
      const std::string value = trim(p.value);
      if (!valid_utf8(value)) {
        errors.push_back("Metadata value of " + shown(p.key) + " (" + shown(value) +
                         ") is not valid UTF-8 text: metadata values must be UTF-8.");
        ok = false;
      } else if (auto bad = first_disallowed(value, [](char32_t c) { return !is_control(c); })) {
        errors.push_back("Metadata value of " + shown(p.key) + " contains " + char_name(*bad) +
                         ": metadata values cannot hold control characters.");
        ok = false;
      }
      if (ok && !seen.insert(key).second) {
        if (reported.insert(key).second) {
          errors.push_back("Metadata key " + shown(key) + " is given twice in " + shown(list) +
                           " (keys are not case-sensitive): give each key once per list.");
        }
        continue;
      }
      if (ok) upsert(merged, key, value);  // a later list (a flag over the environment) wins
    }
  }
  size_t total = 0;
  for (const auto& [k, v] : merged) total += k.size() + v.size();
  if (total > kMaxUserMetadataBytes) {
    errors.push_back("User metadata totals " + std::to_string(total) +
                     " bytes (keys plus values, UTF-8): S3 allows at most " +
                     std::to_string(kMaxUserMetadataBytes) +
                     " (2 KB), so shorten or drop some entries.");
  }
  return merged;
}

// One tag key or value; appends errors, returns whether it is valid.
bool check_tag_text(const std::string& text, const std::string& key, bool is_key,
                    std::vector<std::string>& errors) {
  const std::string what = is_key ? "Tag key " + shown(text) : "Value of tag " + shown(key);
  if (!valid_utf8(text)) {
    errors.push_back(what + " is not valid UTF-8 text: tags must be UTF-8.");
    return false;
  }
  bool ok = true;
  const size_t len = utf8_length(text);
  const size_t max = is_key ? kMaxTagKeyChars : kMaxTagValueChars;
  if (len > max) {
    errors.push_back(what + " is " + std::to_string(len) + " characters long: S3 allows at most " +
                     std::to_string(max) + " for a tag " + (is_key ? "key." : "value."));
    ok = false;
  }
  if (auto bad = first_disallowed(text, is_tag_char)) {
    errors.push_back(what + " contains " + char_name(*bad) +
                     ": S3 tags may only hold letters, digits, spaces and + - = . _ : / @.");
    ok = false;
  }
  if (is_key && starts_with_icase(text, "aws:")) {
    errors.push_back(what + " starts with 'aws:', which AWS reserves: choose another key.");
    ok = false;
  }
  return ok;
}

KeyValues validate_tags(const std::vector<std::string>& lists, std::vector<std::string>& errors) {
  KeyValues merged;
  for (const std::string& list : lists) {
    std::set<std::string> seen, reported;
    for (Pair& p : parse_list(list, "Tag", kTagsSource, "project=demo,team=media", errors)) {
      if (p.key.empty()) {
        errors.push_back("Tag entry " + shown(p.text) + " has an empty key: write key=value (in " +
                         std::string(kTagsSource) + ").");
        continue;
      }
      bool ok = check_tag_text(p.key, p.key, true, errors);
      ok = check_tag_text(p.value, p.key, false, errors) && ok;
      if (!ok) continue;
      if (!seen.insert(p.key).second) {
        if (reported.insert(p.key).second) {
          errors.push_back("Tag key " + shown(p.key) + " is given twice in " + shown(list) +
                           ": give each key once per list.");
        }
        continue;
      }
      upsert(merged, p.key, p.value);  // a later list (a flag over the environment) wins
    }
  }
  if (merged.size() > kMaxTags) {
    errors.push_back(std::to_string(merged.size()) + " tags are given (" +
                     std::string(kTagsSource) + " together): S3 allows at most " +
                     std::to_string(kMaxTags) + " per object.");
  }
  return merged;
}

// ---- single values --------------------------------------------------------------------------

// type "/" subtype *( OWS ";" OWS name "=" ( token / quoted-string ) ), RFC 7231.
bool valid_media_type(std::string_view s) {
  size_t i = 0;
  auto token = [&](size_t& pos) {
    const size_t start = pos;
    while (pos < s.size() && is_tchar(static_cast<unsigned char>(s[pos]))) ++pos;
    return pos > start;
  };
  auto ows = [&] {
    while (i < s.size() && is_blank(s[i])) ++i;
  };
  if (!token(i) || i >= s.size() || s[i] != '/') return false;
  ++i;
  if (!token(i)) return false;
  for (;;) {
    ows();
    if (i == s.size()) return true;
    if (s[i] != ';') return false;
    ++i;
    ows();
    if (!token(i) || i >= s.size() || s[i] != '=') return false;
    ++i;
    if (i < s.size() && s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
      if (i >= s.size()) return false;
      ++i;
    } else if (!token(i)) {
      return false;
    }
  }
}

// Header values here must be printable ASCII (spaces allowed). Returns the error or "".
std::string check_header_value(const std::string& value, std::string_view header,
                               std::string_view source, std::string_view hint) {
  const std::string subject =
      std::string(header) + " value " + shown(value) + " (" + std::string(source) + ")";
  if (value.empty()) return subject + " is empty: give a value or leave the option out.";
  if (!valid_utf8(value)) {
    return subject + " is not valid text: HTTP header values must be printable ASCII.";
  }
  if (auto bad = first_disallowed(value, [](char32_t c) { return c >= 0x20 && c < 0x7F; })) {
    return subject + " contains " + char_name(*bad) + ", which an HTTP header value cannot hold" +
           (hint.empty() ? ": use printable ASCII." : ": " + std::string(hint));
  }
  return "";
}

// ---- dates ----------------------------------------------------------------------------------

constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d;
};
Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

unsigned weekday_of(int64_t days) {
  return static_cast<unsigned>(((days % 7) + 7 + 4) % 7);
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

std::string imf_fixdate(int64_t epoch_seconds) {
  const int64_t days = (epoch_seconds >= 0 ? epoch_seconds : epoch_seconds - 86399) / 86400;
  const int64_t secs = epoch_seconds - days * 86400;
  const Civil c = civil_from_days(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d GMT",
                std::string(kWeekdays[weekday_of(days)]).c_str(), c.d,
                std::string(kMonths[c.m - 1]).c_str(), static_cast<long long>(c.y),
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

// Reads exactly `width` digits at s[pos].
bool digits(std::string_view s, size_t pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

struct DateTime {
  int year;
  int month, day, hour, minute, second;
};

bool valid_date_time(const DateTime& t) {
  return t.year >= 1000 && t.month >= 1 && t.month <= 12 && t.day >= 1 &&
         t.day <= static_cast<int>(days_in_month(t.year, static_cast<unsigned>(t.month))) &&
         t.hour <= 23 && t.minute <= 59 && t.second <= 59;
}

int64_t epoch_of(const DateTime& t) {
  return days_from_civil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day)) *
             86400 +
         t.hour * 3600 + t.minute * 60 + t.second;
}

// Epoch seconds from an HTTP-date or ISO 8601 date-time; error: one sentence.
Result<int64_t> parse_instant(std::string_view raw) {
  const std::string s = trim(raw);
  const std::string formats =
      "write an HTTP date such as 'Wed, 21 Oct 2026 07:28:00 GMT' or an ISO 8601 time such as "
      "2026-10-21T07:28:00Z.";
  const std::string subject = "Expires value " + shown(s) + " (--expires / S3_EXPIRES)";
  DateTime t{};
  // IMF-fixdate: "Wed, 21 Oct 2026 07:28:00 GMT".
  if (s.size() == 29 && s[3] == ',' && s[4] == ' ' && s[7] == ' ' && s[11] == ' ' && s[16] == ' ' &&
      s[19] == ':' && s[22] == ':' && s.ends_with(" GMT")) {
    const auto wd = std::find(kWeekdays.begin(), kWeekdays.end(), std::string_view(s).substr(0, 3));
    const auto mon = std::find(kMonths.begin(), kMonths.end(), std::string_view(s).substr(8, 3));
    if (wd == kWeekdays.end() || mon == kMonths.end() || !digits(s, 5, 2, t.day) ||
        !digits(s, 12, 4, t.year) || !digits(s, 17, 2, t.hour) || !digits(s, 20, 2, t.minute) ||
        !digits(s, 23, 2, t.second)) {
      return unexpected(subject + " is not a date: " + formats);
    }
    t.month = static_cast<int>(mon - kMonths.begin()) + 1;
    if (!valid_date_time(t)) return unexpected(subject + " is not a real date and time.");
    const int64_t days =
        days_from_civil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day));
    const unsigned real = weekday_of(days);
    if (static_cast<unsigned>(wd - kWeekdays.begin()) != real) {
      return unexpected(subject + " has the wrong weekday: " + s.substr(5, 11) + " is a " +
                        std::string(kWeekdayNames[real]) + ".");
    }
    return epoch_of(t);
  }
  // ISO 8601: "2026-10-21T07:28:00[.fff](Z|+hh:mm|-hh:mm|+hhmm)".
  if (s.size() >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') &&
      s[13] == ':' && s[16] == ':' && digits(s, 0, 4, t.year) && digits(s, 5, 2, t.month) &&
      digits(s, 8, 2, t.day) && digits(s, 11, 2, t.hour) && digits(s, 14, 2, t.minute) &&
      digits(s, 17, 2, t.second)) {
    size_t i = 19;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      const size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == start) return unexpected(subject + " is not a date: " + formats);
    }
    const std::string_view zone = std::string_view(s).substr(i);
    int64_t offset = 0;
    int zh = 0, zm = 0;
    if (zone.empty()) {
      return unexpected(subject + " has no time zone: add Z for UTC (2026-10-21T07:28:00Z) or an " +
                        "offset such as +02:00.");
    } else if (zone == "Z" || zone == "z") {
      offset = 0;
    } else if ((zone[0] == '+' || zone[0] == '-') &&
               ((zone.size() == 6 && zone[3] == ':' && digits(zone, 1, 2, zh) &&
                 digits(zone, 4, 2, zm)) ||
                (zone.size() == 5 && digits(zone, 1, 2, zh) && digits(zone, 3, 2, zm))) &&
               zh <= 23 && zm <= 59) {
      offset = (zh * 3600 + zm * 60) * (zone[0] == '-' ? -1 : 1);
    } else {
      return unexpected(subject + " is not a date: " + formats);
    }
    if (!valid_date_time(t)) return unexpected(subject + " is not a real date and time.");
    return epoch_of(t) - offset;
  }
  return unexpected(subject + " is not a date: " + formats);
}

// ---- SSE-C key ------------------------------------------------------------------------------

constexpr size_t kSseCKeyBytes = 32;

// The raw key from the file; errors and warnings never contain any of the file's bytes.
Result<std::string> read_sse_c_key(const std::string& path, std::vector<std::string>& warnings) {
  const std::string subject = "SSE-C key file " + shown(path);
  const std::string forms =
      "it must hold exactly 32 bytes, or those 32 bytes as 44 characters of base64 or 64 hex "
      "digits (create one with: openssl rand -out FILE 32).";
  if (path.empty()) {
    return unexpected(std::string(
        "--sse-c-key-file / S3_SSE_C_KEY_FILE is empty: give the path of a file holding the "
        "32-byte key."));
  }
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return unexpected(subject + " cannot be read (" + ec.message() +
                        "): check the path and its permissions.");
    }
    return unexpected(subject + " does not exist: check the path, or create a key with: openssl " +
                      "rand -out " + shown(path) + " 32.");
  }
  if (!fs::is_regular_file(st)) {
    return unexpected(subject + " is not a regular file: give the path of the file holding the " +
                      "key.");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return unexpected(subject + " cannot be read (" + std::strerror(err) +
                      "): make it readable by this user.");
  }
  constexpr size_t kMaxRead = 4096;
  std::string data(kMaxRead + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) {
    return unexpected(subject + " cannot be read: check the file and its permissions.");
  }
  data.resize(static_cast<size_t>(in.gcount()));

  const auto perms = st.permissions();
  if ((perms & (fs::perms::group_read | fs::perms::others_read)) != fs::perms::none) {
    warnings.push_back(subject + " can be read by other users: restrict it with chmod 600 " +
                       shown(path) + ".");
  }

  if (data.size() == kSseCKeyBytes) {
    if (std::all_of(data.begin(), data.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
      warnings.push_back(subject +
                         " holds 32 printable characters, used as the raw 32-byte key; if they "
                         "were meant as hex or base64, the file must hold 64 hex digits or 44 "
                         "base64 characters.");
    }
    return data;
  }
  std::string_view text = data;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || is_blank(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.size() == 44) {
    auto key = base64_decode(text);
    if (key && key->size() == kSseCKeyBytes && text.back() == '=') return *key;
    return unexpected(subject +
                      " holds 44 characters that are not the base64 of 32 bytes: " + forms);
  }
  if (text.size() == 2 * kSseCKeyBytes) {
    std::string key;
    for (size_t i = 0; i < text.size(); i += 2) {
      const int hi = hex_value(text[i]);
      const int lo = hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) {
        return unexpected(subject + " holds 64 characters that are not hex digits: " + forms);
      }
      key.push_back(static_cast<char>((hi << 4) | lo));
    }
    return key;
  }
  const std::string size = data.size() > kMaxRead ? "more than " + std::to_string(kMaxRead)
                                                  : std::to_string(data.size());
  return unexpected(subject + " holds " + size + " bytes: " + forms);
}

std::optional<std::string> nonempty(const Environment& env, const char* name) {
  auto v = env.get(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

bool is_kms(const std::optional<std::string>& encryption) {
  if (!encryption) return false;
  const std::string e = to_lower(trim(*encryption));
  return e == "aws-kms" || e == "aws:kms";
}

// For comparing media types: lower case, no blanks.
std::string normalize_media_type(std::string_view s) {
  std::string out;
  for (char c : to_lower(s)) {
    if (!is_blank(c)) out.push_back(c);
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

// ---- public helpers -------------------------------------------------------------------------

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string tagging_header_value(const KeyValues& tags) {
  std::string out;
  for (const auto& [k, v] : tags) {
    if (!out.empty()) out.push_back('&');
    out += uri_encode(k) + "=" + uri_encode(v);
  }
  return out;
}

std::string encode_metadata_value(std::string_view value) {
  const bool ascii = std::all_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  if (ascii) return std::string(value);
  return "=?UTF-8?B?" + base64_encode(value) + "?=";
}

std::string decode_metadata_value(std::string_view value) {
  std::string out;
  size_t i = 0;
  bool last_was_word = false;
  std::string pending_blanks;
  while (i < value.size()) {
    if (value.substr(i, 2) == "=?") {
      // =?charset?X?text?=
      const size_t q1 = value.find('?', i + 2);
      if (q1 != std::string_view::npos && q1 + 2 < value.size() && value[q1 + 2] == '?') {
        const char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(value[q1 + 1])));
        const size_t end = value.find("?=", q1 + 3);
        if (end != std::string_view::npos && (enc == 'B' || enc == 'Q')) {
          const std::string_view text = value.substr(q1 + 3, end - q1 - 3);
          std::optional<std::string> decoded;
          if (enc == 'B') {
            decoded = base64_decode(text);
          } else {
            std::string q;
            bool ok = true;
            for (size_t k = 0; k < text.size(); ++k) {
              if (text[k] == '_') {
                q.push_back(' ');
              } else if (text[k] == '=' && k + 2 < text.size() && hex_value(text[k + 1]) >= 0 &&
                         hex_value(text[k + 2]) >= 0) {
                q.push_back(
                    static_cast<char>(hex_value(text[k + 1]) * 16 + hex_value(text[k + 2])));
                k += 2;
              } else if (text[k] == '=') {
                ok = false;
                break;
              } else {
                q.push_back(text[k]);
              }
            }
            if (ok) decoded = std::move(q);
          }
          if (decoded) {
            // Blanks between two encoded-words are not part of the text (RFC 2047 6.2).
            if (!last_was_word) out += pending_blanks;
            pending_blanks.clear();
            out += *decoded;
            last_was_word = true;
            i = end + 2;
            continue;
          }
        }
      }
    }
    if (is_blank(value[i])) {
      pending_blanks.push_back(value[i]);
    } else {
      out += pending_blanks;
      pending_blanks.clear();
      out.push_back(value[i]);
      last_was_word = false;
    }
    ++i;
  }
  return out + pending_blanks;
}

Result<std::string> parse_expires(std::string_view value) {
  auto t = parse_instant(value);
  if (!t) return unexpected(std::move(t.error()));
  return imf_fixdate(*t);
}

const std::vector<std::string>& storage_classes() {
  static const std::vector<std::string> kClasses = {
      "STANDARD",       "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
      "GLACIER",        "DEEP_ARCHIVE",       "GLACIER_IR",  "OUTPOSTS",   "SNOW",
      "EXPRESS_ONEZONE"};
  return kClasses;
}

const std::vector<std::string>& canned_acls() {
  static const std::vector<std::string> kAcls = {
      "private",       "public-read",       "public-read-write",        "authenticated-read",
      "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"};
  return kAcls;
}

// ---- layering -------------------------------------------------------------------------------

ObjectOptionsInput object_options_from_env(const Environment& env) {
  ObjectOptionsInput in;
  if (auto v = nonempty(env, "S3_METADATA")) in.metadata.push_back(*v);
  if (auto v = nonempty(env, "S3_TAGS")) in.tags.push_back(*v);
  in.content_type = nonempty(env, "S3_CONTENT_TYPE");
  in.content_encoding = nonempty(env, "S3_CONTENT_ENCODING");
  in.content_disposition = nonempty(env, "S3_CONTENT_DISPOSITION");
  in.cache_control = nonempty(env, "S3_CACHE_CONTROL");
  in.expires = nonempty(env, "S3_EXPIRES");
  in.storage_class = nonempty(env, "S3_STORAGE_CLASS");
  in.acl = nonempty(env, "S3_ACL");
  in.encryption = nonempty(env, "S3_SSE");
  in.kms_key_id = nonempty(env, "S3_SSE_KMS_KEY_ID");
  in.sse_c_key_file = nonempty(env, "S3_SSE_C_KEY_FILE");
  return in;
}

ObjectOptionsInput merge(ObjectOptionsInput env_input, const ObjectOptionsInput& flags) {
  ObjectOptionsInput out = std::move(env_input);
  // Lists: environment first, flags after, so a flag wins per key.
  out.metadata.insert(out.metadata.end(), flags.metadata.begin(), flags.metadata.end());
  out.tags.insert(out.tags.end(), flags.tags.begin(), flags.tags.end());
  // The encryption mode, as a whole: a flag choosing a mode replaces the environment's choice.
  if (flags.sse_c_key_file) {
    out.encryption.reset();
    out.kms_key_id.reset();
  }
  if (flags.encryption || flags.kms_key_id) out.sse_c_key_file.reset();
  if (flags.encryption && !is_kms(flags.encryption)) out.kms_key_id.reset();
  for (auto field : {&ObjectOptionsInput::content_type, &ObjectOptionsInput::content_encoding,
                     &ObjectOptionsInput::content_disposition, &ObjectOptionsInput::cache_control,
                     &ObjectOptionsInput::expires, &ObjectOptionsInput::storage_class,
                     &ObjectOptionsInput::acl, &ObjectOptionsInput::encryption,
                     &ObjectOptionsInput::kms_key_id, &ObjectOptionsInput::sse_c_key_file}) {
    if (flags.*field) out.*field = flags.*field;
  }
  return out;
}

// ---- validation -----------------------------------------------------------------------------

Result<ObjectOptions, std::vector<std::string>> validate(const ObjectOptionsInput& in) {
  std::vector<std::string> errors;
  ObjectOptions o;
  o.metadata = validate_metadata(in.metadata, errors);
  o.tags = validate_tags(in.tags, errors);

  if (in.content_type) {
    const std::string v = trim(*in.content_type);
    if (!valid_media_type(v)) {
      errors.push_back("Content type " + shown(v) +
                       " (--content-type / S3_CONTENT_TYPE) is not a media type: write "
                       "type/subtype, e.g. video/mp4 or 'text/plain; charset=utf-8'.");
    } else {
      o.content_type = v;
    }
  }
  if (in.content_encoding) {
    const std::string v = trim(*in.content_encoding);
    std::string e =
        check_header_value(v, "Content-Encoding", "--content-encoding / S3_CONTENT_ENCODING", "");
    if (e.empty()) {
      for (const std::string& part : split(v, ',')) {
        if (!is_token(trim(part))) {
          e = "Content-Encoding value " + shown(v) +
              " (--content-encoding / S3_CONTENT_ENCODING) is not a list of encodings: write "
              "e.g. gzip or 'gzip, br'.";
          break;
        }
      }
    }
    if (e.empty()) {
      o.content_encoding = v;
    } else {
      errors.push_back(e);
    }
  }
  struct Passthrough {
    const std::optional<std::string>& in;
    std::optional<std::string>& out;
    std::string_view header, source, hint;
  };
  for (const Passthrough& p :
       {Passthrough{in.content_disposition, o.content_disposition, "Content-Disposition",
                    "--content-disposition / S3_CONTENT_DISPOSITION",
                    "write a non-ASCII file name as filename*=UTF-8''<percent-encoded name> "
                    "(RFC 6266)."},
        Passthrough{in.cache_control, o.cache_control, "Cache-Control",
                    "--cache-control / S3_CACHE_CONTROL", ""}}) {
    if (!p.in) continue;
    const std::string v = trim(*p.in);
    std::string e = check_header_value(v, p.header, p.source, p.hint);
    if (e.empty()) {
      p.out = v;
    } else {
      errors.push_back(e);
    }
  }
  if (in.expires) {
    auto e = parse_expires(*in.expires);
    if (e) {
      o.expires = *e;
    } else {
      errors.push_back(e.error());
    }
  }
  if (in.storage_class) {
    const std::string v = trim(*in.storage_class);
    std::string upper = v;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto& all = storage_classes();
    if (std::find(all.begin(), all.end(), upper) != all.end()) {
      o.storage_class = upper;
    } else {
      errors.push_back("Storage class " + shown(v) +
                       " (--storage-class / S3_STORAGE_CLASS) is not one S3 knows: use one of " +
                       join(all) + ".");
    }
  }
  if (in.acl) {
    const std::string v = trim(*in.acl);
    const std::string lower = to_lower(v);
    const auto& all = canned_acls();
    if (std::find(all.begin(), all.end(), lower) != all.end()) {
      o.acl = lower;
    } else {
      errors.push_back("ACL " + shown(v) + " (--acl / S3_ACL) is not a canned ACL: use one of " +
                       join(all) + ".");
    }
  }

  // Encryption.
  if (in.encryption) {
    const std::string v = trim(*in.encryption);
    const std::string lower = to_lower(v);
    if (lower == "aes256") {
      o.sse = "AES256";
    } else if (lower == "aws-kms" || lower == "aws:kms") {
      o.sse = "aws:kms";
    } else {
      errors.push_back("Encryption " + shown(v) +
                       " (--encryption / S3_SSE) is not one S3 offers: use aes256 (SSE-S3) or "
                       "aws-kms (SSE-KMS), or --sse-c-key-file for SSE-C.");
    }
  }
  if (in.kms_key_id) {
    const std::string v = trim(*in.kms_key_id);
    if (!is_kms(in.encryption)) {
      errors.push_back("A KMS key id (" + shown(v) +
                       ", --kms-key-id / S3_SSE_KMS_KEY_ID) is given without aws-kms "
                       "encryption: add --encryption aws-kms or drop the key id.");
    } else if (v.empty() || first_disallowed(v, [](char32_t c) { return c > 0x20 && c < 0x7F; })) {
      errors.push_back("KMS key id " + shown(v) +
                       " (--kms-key-id / S3_SSE_KMS_KEY_ID) is not a key id, ARN or alias: it "
                       "must be printable ASCII without spaces.");
    } else {
      o.kms_key_id = v;
    }
  }
  if (in.sse_c_key_file) {
    if (in.encryption) {
      errors.push_back(
          "SSE-C (--sse-c-key-file / S3_SSE_C_KEY_FILE) cannot be combined with "
          "--encryption / S3_SSE " +
          shown(trim(*in.encryption)) + ": choose one of them.");
    } else {
      std::vector<std::string> warnings;
      auto key = read_sse_c_key(*in.sse_c_key_file, warnings);
      if (key) {
        o.sse_c_key_b64 = base64_encode(*key);
        o.sse_c_key_md5_b64 = base64_encode(integrity::md5_raw(*key));
        o.warnings.insert(o.warnings.end(), warnings.begin(), warnings.end());
      } else {
        errors.push_back(key.error());
      }
    }
  }

  if (!errors.empty()) return unexpected(std::move(errors));
  return o;
}

// ---- ObjectOptions --------------------------------------------------------------------------

bool ObjectOptions::etag_is_md5() const {
  return !sse_c() && sse != "aws:kms";
}

bool ObjectOptions::compare_needs_head() const {
  return !metadata.empty() || content_type || content_encoding || content_disposition ||
         cache_control || expires;
}

HeaderList ObjectOptions::put_headers(const std::string& file_content_type) const {
  HeaderList h;
  const std::string type = content_type_for(file_content_type);
  if (!type.empty()) h.emplace_back("content-type", type);
  for (auto& header : object_headers()) h.push_back(std::move(header));
  return h;
}

HeaderList ObjectOptions::object_headers() const {
  HeaderList h;
  if (cache_control) h.emplace_back("cache-control", *cache_control);
  if (content_disposition) h.emplace_back("content-disposition", *content_disposition);
  if (content_encoding) h.emplace_back("content-encoding", *content_encoding);
  if (expires) h.emplace_back("expires", *expires);
  if (acl) h.emplace_back("x-amz-acl", *acl);
  if (storage_class) h.emplace_back("x-amz-storage-class", *storage_class);
  if (sse) h.emplace_back("x-amz-server-side-encryption", *sse);
  if (kms_key_id) h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", *kms_key_id);
  for (auto& header : part_headers()) h.push_back(std::move(header));
  if (!tags.empty()) h.emplace_back("x-amz-tagging", tagging_header_value(tags));
  for (const auto& [k, v] : metadata) h.emplace_back("x-amz-meta-" + k, encode_metadata_value(v));
  return h;
}

HeaderList ObjectOptions::part_headers() const {
  if (!sse_c()) return {};
  return {{"x-amz-server-side-encryption-customer-algorithm", "AES256"},
          {"x-amz-server-side-encryption-customer-key", sse_c_key_b64},
          {"x-amz-server-side-encryption-customer-key-md5", sse_c_key_md5_b64}};
}

std::string ObjectOptions::describe(const std::string& file_content_type) const {
  std::vector<std::string> parts;
  const std::string type = content_type_for(file_content_type);
  if (!type.empty()) parts.push_back("content-type " + type);
  if (content_encoding) parts.push_back("content-encoding " + *content_encoding);
  if (content_disposition) parts.push_back("content-disposition " + *content_disposition);
  if (cache_control) parts.push_back("cache-control " + *cache_control);
  if (expires) parts.push_back("expires " + *expires);
  if (storage_class) parts.push_back("storage class " + *storage_class);
  if (acl) parts.push_back("ACL " + *acl);
  if (!metadata.empty()) {
    parts.push_back(std::to_string(metadata.size()) +
                    (metadata.size() == 1 ? " metadata entry" : " metadata entries"));
  }
  if (!tags.empty())
    parts.push_back(std::to_string(tags.size()) + (tags.size() == 1 ? " tag" : " tags"));
  if (sse == "AES256") parts.push_back("SSE-S3");
  if (sse == "aws:kms") parts.push_back(kms_key_id ? "SSE-KMS key " + *kms_key_id : "SSE-KMS");
  if (sse_c()) parts.push_back("SSE-C");
  return join(parts);
}

std::string ObjectOptions::differs_from(const RemoteObject& remote) const {
  if (remote.metadata && !metadata.empty()) {
    std::map<std::string, std::string> theirs;
    for (const auto& [name, value] : *remote.metadata) {
      std::string key = to_lower(trim(name));
      if (key.starts_with("x-amz-meta-")) key.erase(0, 11);
      theirs[key] = decode_metadata_value(trim(value));
    }
    for (const auto& [key, value] : metadata) {
      auto it = theirs.find(key);
      if (it == theirs.end() && value.empty()) continue;  // an empty header may not be kept
      if (it == theirs.end()) {
        return "The object has no metadata " + shown(key) + ", asked for as " + shown(value) + ".";
      }
      if (it->second != value) {
        return "The object's metadata " + shown(key) + " is " + shown(it->second) + ", not " +
               shown(value) + " as asked.";
      }
    }
  }
  auto header_differs = [](std::string_view name, const std::optional<std::string>& asked,
                           const std::optional<std::string>& theirs, bool same) -> std::string {
    if (!asked || !theirs || same) return "";
    if (trim(*theirs).empty()) {
      return "The object has no " + std::string(name) + ", asked for as " + shown(*asked) + ".";
    }
    return "The object's " + std::string(name) + " is " + shown(trim(*theirs)) + ", not " +
           shown(*asked) + " as asked.";
  };
  auto same_text = [](const std::optional<std::string>& a, const std::optional<std::string>& b) {
    return a && b && trim(*a) == trim(*b);
  };
  std::string why = header_differs(
      "content type", content_type, remote.content_type,
      content_type && remote.content_type &&
          normalize_media_type(*content_type) == normalize_media_type(*remote.content_type));
  if (why.empty()) {
    why = header_differs("cache-control", cache_control, remote.cache_control,
                         same_text(cache_control, remote.cache_control));
  }
  if (why.empty()) {
    why = header_differs("content-disposition", content_disposition, remote.content_disposition,
                         same_text(content_disposition, remote.content_disposition));
  }
  if (why.empty()) {
    why = header_differs("content-encoding", content_encoding, remote.content_encoding,
                         same_text(content_encoding, remote.content_encoding));
  }
  if (why.empty() && expires && remote.expires) {
    auto theirs = parse_instant(*remote.expires);
    auto ours = parse_instant(*expires);
    why = header_differs("expires", expires, remote.expires, theirs && ours && *theirs == *ours);
  }
  if (why.empty() && storage_class && remote.storage_class) {
    const std::string theirs =
        trim(*remote.storage_class).empty() ? "STANDARD" : trim(*remote.storage_class);
    if (!iequals(theirs, *storage_class)) {
      why = "The object's storage class is " + theirs + ", not " + *storage_class + " as asked.";
    }
  }
  return why;
}

}  // namespace s3up::s3
