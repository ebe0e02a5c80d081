#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "ui/format.hpp"
#include "ui/progress.hpp"
#include "ui/report.hpp"

using namespace s3up;

TEST(FormatSize, PowersOf1024WithTwoDecimals) {
  EXPECT_EQ(ui::format_size(0), "0 B");
  EXPECT_EQ(ui::format_size(1023), "1023 B");
  EXPECT_EQ(ui::format_size(1024), "1.00 KB");
  EXPECT_EQ(ui::format_size(2 * 1024 * 1024), "2.00 MB");
  EXPECT_EQ(ui::format_size(static_cast<uint64_t>(15.2 * 1024 * 1024)), "15.20 MB");
  EXPECT_EQ(ui::format_size(5ull << 30), "5.00 GB");
}

TEST(FormatDuration, Shapes) {
  EXPECT_EQ(ui::format_duration(std::chrono::seconds(42)), "42s");
  EXPECT_EQ(ui::format_duration(std::chrono::seconds(185)), "3m05s");
  EXPECT_EQ(ui::format_duration(std::chrono::seconds(3720)), "1h02m");
}

TEST(Style, NoColourMeansNoEscapes) {
  ui::Style plain{false};
  EXPECT_EQ(plain.green("x"), "x");
  ui::Style col{true};
  EXPECT_EQ(col.green("x"), "\x1b[32mx\x1b[0m");
}

namespace {

transfer::LocalFile file(std::string display, uint64_t size, std::string error = "") {
  transfer::LocalFile f;
  f.display = display;
  f.key = "up/" + display;
  f.size = size;
  f.error = std::move(error);
  return f;
}

transfer::FileResult result(transfer::Outcome o, std::string url = "", std::string error = "") {
  transfer::FileResult r;
  r.outcome = o;
  r.url = std::move(url);
  r.error = std::move(error);
  return r;
}

}  // namespace

TEST(Report, UploadOutputKeepsEveryFileAndCounts) {
  using transfer::Outcome;
  std::vector<transfer::LocalFile> files = {file("a.mp4", 2 * 1024 * 1024), file("b.mp4", 10),
                                            file("c.mp4", 1, "boom")};
  std::vector<transfer::FileResult> results = {result(Outcome::kUploaded, "https://u/a"),
                                               result(Outcome::kSkipped, "https://u/b"),
                                               result(Outcome::kFailed, "", "boom")};
  auto counts = ui::count_results(files, results);
  std::ostringstream out;
  ui::print_results(out, ui::Style{false}, transfer::Mode::kUpload, "bkt", files, results, counts);
  EXPECT_EQ(out.str(),
            "✓ a.mp4 (2.00 MB)\n"
            "  🔗 https://u/a\n"
            "↻ b.mp4 (skipped - identical, 10 B)\n"
            "  🔗 https://u/b\n"
            "✗ c.mp4 - boom\n"
            "\n"
            "Summary: 1 uploaded, 1 skipped, 1 failed\n");
}

TEST(Report, DryRunShowsTheRealKeys) {
  using transfer::Outcome;
  std::vector<transfer::LocalFile> files = {file("new.mp4", 1), file("chg.mp4", 1),
                                            file("same.mp4", 1)};
  std::vector<transfer::FileResult> results = {
      result(Outcome::kWouldUpload), result(Outcome::kWouldUpdate), result(Outcome::kWouldSkip)};
  auto counts = ui::count_results(files, results);
  std::ostringstream out;
  ui::print_results(out, ui::Style{false}, transfer::Mode::kDryRun, "bkt", files, results, counts);
  EXPECT_NE(out.str().find("WOULD UPLOAD new.mp4 → s3://bkt/up/new.mp4 (1 B)"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("WOULD UPDATE chg.mp4 → s3://bkt/up/chg.mp4"), std::string::npos);
  EXPECT_NE(out.str().find("WOULD SKIP same.mp4"), std::string::npos);
  EXPECT_NE(out.str().find("1 would upload, 1 would update, 1 would skip, 0 failed"),
            std::string::npos);
}

TEST(Report, UrlOnlySummary) {
  using transfer::Outcome;
  std::vector<transfer::LocalFile> files = {file("a.mp4", 1), file("b.mp4", 1)};
  std::vector<transfer::FileResult> results = {result(Outcome::kFound, "https://u/a"),
                                               result(Outcome::kNotFound)};
  auto counts = ui::count_results(files, results);
  std::ostringstream out;
  ui::print_results(out, ui::Style{false}, transfer::Mode::kUrlOnly, "bkt", files, results, counts);
  EXPECT_NE(out.str().find("⚠ b.mp4 (not found on S3)"), std::string::npos);
  EXPECT_NE(out.str().find("Summary: 1 URL(s) generated, 1 not found"), std::string::npos);
}

TEST(Progress, OverallCountsAcknowledgedBytesBarsCountSentBytes) {
  std::vector<transfer::LocalFile> files = {file("a.mp4", 1000), file("b.mp4", 3000)};
  std::ostringstream err;
  ui::TerminalProgress p(err, ui::Style{false}, 100);
  p.on_discovered(0, files[0]);
  p.on_discovered(1, files[1]);
  p.on_start(0, files[0]);
  p.on_bytes(0, 250);
  auto lines = p.frame(std::chrono::steady_clock::now());
  ASSERT_EQ(lines.size(), 2u);
  // Sent but not yet acknowledged: the file's bar moves, the overall count does not.
  EXPECT_NE(lines[0].find("[0/2 files] 0 B / 3.91 KB"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("[#####---------------] a.mp4 250 B/1000 B"), std::string::npos)
      << lines[1];
  p.on_acked(0, 200);  // e.g. a part answered
  lines = p.frame(std::chrono::steady_clock::now());
  EXPECT_NE(lines[0].find("[0/2 files] 200 B / 3.91 KB"), std::string::npos) << lines[0];
  // A skipped file leaves the total; the acknowledged bytes of a finished one stay.
  p.on_acked(0, 800);
  p.on_finish(0, transfer::FileResult{});
  p.on_start(1, files[1]);
  p.on_finish(1, transfer::FileResult{});
  lines = p.frame(std::chrono::steady_clock::now());
  EXPECT_NE(lines[0].find("[2/2 files] 1000 B / 1000 B"), std::string::npos) << lines[0];
}

TEST(Report, TotalsLine) {
  ui::Counts c;
  c.bytes_uploaded = 100 * 1024 * 1024;
  EXPECT_EQ(ui::format_totals(c, std::chrono::seconds(4)),
            "Total: 100.00 MB uploaded in 4.0s (25.00 MB/s average)");
  EXPECT_EQ(ui::format_totals(ui::Counts{}, std::chrono::milliseconds(300)),
            "Total: 0 B uploaded in 0.3s");
}

TEST(Report, JsonHasEveryFile) {
  using transfer::Outcome;
  std::vector<transfer::LocalFile> files = {file("a.mp4", 5), file("b.mp4", 7, "boom")};
  std::vector<transfer::FileResult> results = {result(Outcome::kUploaded, "https://u/a"),
                                               result(Outcome::kFailed, "", "boom")};
  auto counts = ui::count_results(files, results);
  auto j = nlohmann::json::parse(ui::results_json(transfer::Mode::kUpload, "bkt", "up", files,
                                                  results, counts, std::chrono::seconds(2),
                                                  std::chrono::system_clock::now()));
  EXPECT_EQ(j["bucket"], "bkt");
  EXPECT_EQ(j["counts"]["uploaded"], 1);
  EXPECT_EQ(j["counts"]["failed"], 1);
  ASSERT_EQ(j["files"].size(), 2u);
  EXPECT_EQ(j["files"][0]["outcome"], "uploaded");
  EXPECT_EQ(j["files"][0]["url"], "https://u/a");
  EXPECT_EQ(j["files"][1]["error"], "boom");
  EXPECT_EQ(j["files"][1]["key"], "up/b.mp4");
  EXPECT_EQ(j["integrity"], "") << "nothing said about integrity unless the caller says it";
}

TEST(Report, JsonCarriesTheIntegrityLine) {
  using transfer::Outcome;
  std::vector<transfer::LocalFile> files = {file("a.mp4", 5)};
  std::vector<transfer::FileResult> results = {result(Outcome::kUploaded, "https://u/a")};
  auto counts = ui::count_results(files, results);
  auto j = nlohmann::json::parse(ui::results_json(
      transfer::Mode::kUpload, "bkt", "up", files, results, counts, std::chrono::seconds(2),
      std::chrono::system_clock::now(), "CRC32C trailers checked by the server"));
  EXPECT_EQ(j["integrity"], "CRC32C trailers checked by the server");
  EXPECT_EQ(j["counts"]["uploaded"], 1);
}

TEST(Report, IntegrityLine) {
  EXPECT_EQ(ui::format_integrity("CRC32C trailers checked by the server"),
            "🛡  Integrity: CRC32C trailers checked by the server");
  EXPECT_EQ(ui::Style{true}.dim(ui::format_integrity("Content-MD5")),
            "\x1b[2m🛡  Integrity: Content-MD5\x1b[0m");
}

TEST(Report, AResumedUploadSaysSoAndCountsOnlyTheBytesSentNow) {
  std::vector<transfer::LocalFile> files = {file("big.mp4", 1000)};
  std::vector<transfer::FileResult> results = {result(transfer::Outcome::kUploaded, "https://u")};
  results[0].note = "resumed an interrupted upload: 3 of 4 parts were already on the server";
  results[0].bytes_resumed = 750;
  auto counts = ui::count_results(files, results);
  EXPECT_EQ(counts.bytes_uploaded, 250u);
  std::ostringstream out;
  ui::print_results(out, ui::Style{false}, transfer::Mode::kUpload, "bkt", files, results, counts);
  EXPECT_NE(out.str().find("✓ big.mp4 (1000 B) — resumed an interrupted upload: 3 of 4 parts"),
            std::string::npos)
      << out.str();
}
