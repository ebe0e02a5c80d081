#include "s3/content_type.hpp"

#include <fstream>
#include <iterator>
#include <utility>

#include "util/strings.hpp"

namespace s3up::s3 {

namespace {

struct Entry {
  std::string_view ext;
  std::string_view type;
};

// Common types, used where the system file is missing or lacks an extension.
constexpr Entry kBuiltin[] = {
    // video
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"mov", "video/quicktime"},
    {"qt", "video/quicktime"},
    {"mkv", "video/x-matroska"},
    {"webm", "video/webm"},
    {"avi", "video/x-msvideo"},
    {"ts", "video/mp2t"},
    {"m2ts", "video/mp2t"},
    {"mts", "video/mp2t"},
    {"m4s", "video/iso.segment"},
    {"mpg", "video/mpeg"},
    {"mpeg", "video/mpeg"},
    {"ogv", "video/ogg"},
    {"3gp", "video/3gpp"},
    {"flv", "video/x-flv"},
    {"wmv", "video/x-ms-wmv"},
    // audio
    {"mp3", "audio/mpeg"},
    {"m4a", "audio/mp4"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"aac", "audio/aac"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"opus", "audio/ogg"},
    {"weba", "audio/webm"},
    {"aiff", "audio/aiff"},
    {"mid", "audio/midi"},
    {"midi", "audio/midi"},
    // images
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"png", "image/png"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"heic", "image/heic"},
    {"heif", "image/heif"},
    {"avif", "image/avif"},
    {"svg", "image/svg+xml"},
    {"ico", "image/vnd.microsoft.icon"},
    {"bmp", "image/bmp"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    // documents and text
    {"pdf", "application/pdf"},
    {"json", "application/json"},
    {"txt", "text/plain"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"css", "text/css"},
    {"js", "text/javascript"},
    {"mjs", "text/javascript"},
    {"csv", "text/csv"},
    {"xml", "application/xml"},
    {"md", "text/markdown"},
    {"srt", "application/x-subrip"},
    {"vtt", "text/vtt"},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"mpd", "application/dash+xml"},
    {"wasm", "application/wasm"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    // archives
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"bz2", "application/x-bzip2"},
    {"xz", "application/x-xz"},
    {"zst", "application/zstd"},
    {"7z", "application/x-7z-compressed"},
};

// Built-in entries that win over the system file: Debian's mime.types maps these media
// extensions to unrelated types (".ts" -> text/vnd.trolltech.linguist), which would break
// players and CDNs for the files this tool is mostly used for.
constexpr Entry kPinned[] = {
    {"ts", "video/mp2t"},
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string normalize_ext(std::string_view ext) {
  if (!ext.empty() && ext.front() == '.') ext.remove_prefix(1);
  return to_lower(ext);
}

}  // namespace

ContentTypes ContentTypes::builtin() {
  ContentTypes t;
  for (const Entry& e : kBuiltin) t.by_ext_.emplace(std::string(e.ext), std::string(e.type));
  return t;
}

ContentTypes ContentTypes::from_text(std::string_view text) {
  ContentTypes t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    // Split on blanks: the first word is the type, the rest are extensions.
    std::string type;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && is_space(line[i])) ++i;
      size_t start = i;
      while (i < line.size() && !is_space(line[i])) ++i;
      if (start == i) break;
      std::string_view word = line.substr(start, i - start);
      if (type.empty()) {
        if (word.find('/') == std::string_view::npos) break;  // not a type line
        type = std::string(word);
        continue;
      }
      std::string ext = normalize_ext(word);
      if (!ext.empty()) t.by_ext_.emplace(std::move(ext), type);  // first line wins
    }
  }
  return t;
}

ContentTypes ContentTypes::system(const std::filesystem::path& mime_types_file) {
  ContentTypes t = builtin();
  std::ifstream in(mime_types_file, std::ios::binary);
  if (in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.bad()) t.overlay(from_text(text));
  }
  for (const Entry& e : kPinned) t.by_ext_[std::string(e.ext)] = std::string(e.type);
  return t;
}

void ContentTypes::overlay(const ContentTypes& over) {
  for (const auto& [ext, type] : over.by_ext_) by_ext_[ext] = type;
}

std::string ContentTypes::for_extension(std::string_view extension) const {
  auto it = by_ext_.find(normalize_ext(extension));
  return it == by_ext_.end() ? std::string() : it->second;
}

std::string ContentTypes::for_path(const std::filesystem::path& path) const {
  const std::string ext = path.filename().extension().string();
  if (ext.size() > 1) {
    std::string type = for_extension(ext);
    if (!type.empty()) return type;
  }
  return std::string(kDefaultContentType);
}

}  // namespace s3up::s3
