#include "s3/content_type.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace s3up::s3 {
namespace {

namespace fs = std::filesystem;

using s3up::test::TempDir;

TEST(ContentTypes, BuiltinHasCommonMediaTypes) {
  const ContentTypes t = ContentTypes::builtin();
  const std::pair<const char*, const char*> expected[] = {
      {"mp4", "video/mp4"},
      {"mov", "video/quicktime"},
      {"m4v", "video/mp4"},
      {"mkv", "video/x-matroska"},
      {"webm", "video/webm"},
      {"avi", "video/x-msvideo"},
      {"mp3", "audio/mpeg"},
      {"m4a", "audio/mp4"},
      {"wav", "audio/wav"},
      {"flac", "audio/flac"},
      {"aac", "audio/aac"},
      {"ogg", "audio/ogg"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"png", "image/png"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"heic", "image/heic"},
      {"svg", "image/svg+xml"},
      {"pdf", "application/pdf"},
      {"json", "application/json"},
      {"txt", "text/plain"},
      {"html", "text/html"},
      {"css", "text/css"},
      {"js", "text/javascript"},
      {"zip", "application/zip"},
      {"gz", "application/gzip"},
      {"tar", "application/x-tar"},
      {"csv", "text/csv"},
      {"xml", "application/xml"},
      {"srt", "application/x-subrip"},
      {"vtt", "text/vtt"},
      {"m3u8", "application/vnd.apple.mpegurl"},
      {"ts", "video/mp2t"},
  };
  for (const auto& [ext, type] : expected) {
    EXPECT_EQ(t.for_extension(ext), type) << ext;
    EXPECT_EQ(t.for_path(std::string("dir/file.") + ext), type) << ext;
  }
}

TEST(ContentTypes, ExtensionIsCaseInsensitiveAndTakenLast) {
  const ContentTypes t = ContentTypes::builtin();
  EXPECT_EQ(t.for_path("Holiday.MP4"), "video/mp4");
  EXPECT_EQ(t.for_path("a/B.JpEg"), "image/jpeg");
  EXPECT_EQ(t.for_path("backup.tar.gz"), "application/gzip");
  EXPECT_EQ(t.for_path("my.video.dir/clip.mov"), "video/quicktime");
  EXPECT_EQ(t.for_extension(".MP4"), "video/mp4");
  EXPECT_EQ(t.for_extension("mp4"), "video/mp4");
}

TEST(ContentTypes, UnknownOrNoExtensionIsOctetStream) {
  const ContentTypes t = ContentTypes::builtin();
  EXPECT_EQ(t.for_path("file.unknownext"), "application/octet-stream");
  EXPECT_EQ(t.for_path("Makefile"), "application/octet-stream");
  EXPECT_EQ(t.for_path(".bashrc"), "application/octet-stream");  // a dot file, not an extension
  EXPECT_EQ(t.for_path("trailing."), "application/octet-stream");
  EXPECT_EQ(t.for_path("dir.mp4/noext"), "application/octet-stream");
  EXPECT_EQ(t.for_extension("unknownext"), "");
  EXPECT_EQ(ContentTypes().for_path("a.mp4"), "application/octet-stream");
}

TEST(ContentTypes, ParsesMimeTypesText) {
  const ContentTypes t = ContentTypes::from_text(
      "###############\n"
      "# comment line video/x-bogus bogus\n"
      "\n"
      "application/1d-interleaved-parityfec\n"
      "video/mp4\t\t\t\t\tmp4 mpg4 m4v\n"
      "text/x-custom   CUST .cus2   # trailing comment xyz\n"
      "image/first a1\n"
      "image/second a1\n"
      "  text/indented ind\r\n"
      "notatype ext1\n"
      "audio/last lst");
  EXPECT_EQ(t.for_extension("mp4"), "video/mp4");
  EXPECT_EQ(t.for_extension("mpg4"), "video/mp4");
  EXPECT_EQ(t.for_extension("m4v"), "video/mp4");
  EXPECT_EQ(t.for_extension("cust"), "text/x-custom");  // upper case in the file
  EXPECT_EQ(t.for_extension("cus2"), "text/x-custom");  // leading dot in the file
  EXPECT_EQ(t.for_extension("xyz"), "");                // in a comment
  EXPECT_EQ(t.for_extension("bogus"), "");              // in a comment
  EXPECT_EQ(t.for_extension("a1"), "image/first");      // first line wins
  EXPECT_EQ(t.for_extension("ind"), "text/indented");
  EXPECT_EQ(t.for_extension("ext1"), "");  // a line without a type
  EXPECT_EQ(t.for_extension("lst"), "audio/last");
  EXPECT_EQ(t.for_path("x.png"), "application/octet-stream");  // from_text has no built-ins
  EXPECT_EQ(t.size(), 8u);
}

TEST(ContentTypes, SystemFileWinsOverBuiltinAndBuiltinFillsGaps) {
  TempDir dir;
  const fs::path file = dir.path() / "mime.types";
  std::ofstream(file) << "# test\n"
                         "video/x-custom-mp4 mp4\n"
                         "application/x-only-here onlyhere\n"
                         "text/vnd.trolltech.linguist ts\n";
  const ContentTypes t = ContentTypes::system(file);
  EXPECT_EQ(t.for_path("a.mp4"), "video/x-custom-mp4");            // the file wins
  EXPECT_EQ(t.for_path("a.onlyhere"), "application/x-only-here");  // only in the file
  EXPECT_EQ(t.for_path("a.mov"), "video/quicktime");               // only built in
  EXPECT_EQ(t.for_path("seg.ts"), "video/mp2t");                   // pinned built-in
  EXPECT_EQ(t.for_path("a.nothing"), "application/octet-stream");
}

TEST(ContentTypes, MissingSystemFileFallsBackToBuiltin) {
  TempDir dir;
  const ContentTypes t = ContentTypes::system(dir.path() / "does-not-exist");
  EXPECT_EQ(t.for_path("a.mp4"), "video/mp4");
  EXPECT_EQ(t.for_path("a.srt"), "application/x-subrip");
  EXPECT_EQ(t.size(), ContentTypes::builtin().size());
}

TEST(ContentTypes, RealSystemFileIfPresent) {
  const ContentTypes t = ContentTypes::system();
  EXPECT_EQ(t.for_path("clip.mp4"), "video/mp4");
  EXPECT_EQ(t.for_path("clip.MOV"), "video/quicktime");
  EXPECT_EQ(t.for_path("seg.ts"), "video/mp2t");
  EXPECT_EQ(t.for_path("x.unknownext"), "application/octet-stream");
  EXPECT_GE(t.size(), ContentTypes::builtin().size());
}

}  // namespace
}  // namespace s3up::s3
