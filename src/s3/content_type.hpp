// Content-Type detection from a file's extension: the system's /etc/mime.types (Debian's
// media-types package) layered over a built-in table of common media types. Pure apart from
// system(), which reads the file once.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

namespace s3up::s3 {

inline constexpr std::string_view kDefaultContentType = "application/octet-stream";
inline constexpr std::string_view kSystemMimeTypesPath = "/etc/mime.types";

class ContentTypes {
 public:
  // An empty table: every path is application/octet-stream.
  ContentTypes() = default;

  // The built-in table, then the entries of `mime_types_file` (default /etc/mime.types) over it:
  // the file wins for every extension it lists, the built-in table answers for the rest. A missing
  // or unreadable file leaves the built-in table alone (never an error). A few built-in entries are
  // pinned and win over the file, where Debian's file maps a media extension to something else
  // (".ts" is Qt Linguist there; here it is an MPEG transport stream, as in HLS).
  static ContentTypes system(
      const std::filesystem::path& mime_types_file = std::filesystem::path(kSystemMimeTypesPath));
  // Only what `mime_types_text` says, in mime.types format: "type/subtype ext1 ext2 ...", one
  // type per line, '#' starts a comment, blank lines ignored. Extensions are matched without
  // case; when an extension is listed twice, the first line wins.
  static ContentTypes from_text(std::string_view mime_types_text);
  // Only the built-in table (common video, audio, image, text and archive types).
  static ContentTypes builtin();

  // The media type for a file from its last extension ("a.tar.gz" -> gz), extension compared
  // without case; "application/octet-stream" when there is no extension or it is unknown.
  std::string for_path(const std::filesystem::path& path) const;
  // Same, from a bare extension with or without the leading dot ("MP4", ".mp4"); "" when unknown.
  std::string for_extension(std::string_view extension) const;

  size_t size() const { return by_ext_.size(); }

 private:
  // Adds every entry of `over`, replacing what is already there.
  void overlay(const ContentTypes& over);

  std::unordered_map<std::string, std::string> by_ext_;  // lower-case extension, no dot
};

}  // namespace s3up::s3
