#include "ui/report.hpp"

#include <algorithm>

#include <cstdio>

#include <nlohmann/json.hpp>

namespace s3up::ui {

using transfer::Outcome;

Counts count_results(const std::vector<transfer::LocalFile>& files,
                     const std::vector<transfer::FileResult>& results) {
  Counts c;
  for (size_t i = 0; i < results.size(); ++i) {
    switch (results[i].outcome) {
      case Outcome::kUploaded:
      case Outcome::kUpdated:
        ++c.uploaded;
        // Bytes this run sent: an interrupted earlier run had already sent resumed parts.
        c.bytes_uploaded += files[i].size - std::min(files[i].size, results[i].bytes_resumed);
        break;
      case Outcome::kSkipped:
        ++c.skipped;
        break;
      case Outcome::kWouldUpload:
        ++c.would_upload;
        break;
      case Outcome::kWouldUpdate:
        ++c.would_update;
        break;
      case Outcome::kWouldSkip:
        ++c.would_skip;
        break;
      case Outcome::kFound:
        ++c.found;
        break;
      case Outcome::kNotFound:
        ++c.not_found;
        break;
      case Outcome::kFailed:
        ++c.failed;
        break;
      case Outcome::kInterrupted:
        ++c.interrupted;
        break;
    }
  }
  return c;
}

void print_target(std::ostream& out, const Style& st, const std::string& bucket,
                  const std::string& target_path, transfer::Mode mode) {
  if (mode == transfer::Mode::kDryRun) {
    out << st.yellow(st.bold("DRY RUN MODE - No files will be uploaded")) << "\n";
  }
  out << "📦 Target: "
      << st.bold("s3://" + bucket + "/" + target_path + (target_path.empty() ? "" : "/")) << "\n";
}

namespace {

void print_url(std::ostream& out, const Style& st, const std::string& url) {
  if (!url.empty()) out << "  🔗 " << st.dim(url) << "\n";
}

}  // namespace

void print_results(std::ostream& out, const Style& st, transfer::Mode mode,
                   const std::string& bucket, const std::vector<transfer::LocalFile>& files,
                   const std::vector<transfer::FileResult>& results, const Counts& c,
                   bool summary) {
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    const auto& r = results[i];
    const std::string size = format_size(f.size);
    switch (r.outcome) {
      case Outcome::kUploaded:
      case Outcome::kUpdated:
        // A note says what happened besides the upload (resumed, started over, ...).
        out << st.green("✓") << " " << f.display << " (" << size << ")"
            << (r.note.empty() ? "" : st.dim(" — " + r.note)) << "\n";
        print_url(out, st, r.url);
        break;
      case Outcome::kSkipped:
        out << st.yellow("↻") << " " << f.display << " (skipped - "
            << (r.note.empty() ? "identical" : r.note) << ", " << size << ")\n";
        print_url(out, st, r.url);
        break;
      case Outcome::kFound:
        out << st.green("✓") << " " << f.display << "\n";
        print_url(out, st, r.url);
        break;
      case Outcome::kNotFound:
        out << st.yellow("⚠") << " " << f.display << " (not found on S3)\n";
        break;
      case Outcome::kWouldUpload:
        out << "  " << st.green("WOULD UPLOAD") << " " << f.display << " → s3://" << bucket << "/"
            << f.key << " (" << size << ")" << (r.note.empty() ? "" : " [" + r.note + "]") << "\n";
        break;
      case Outcome::kWouldUpdate:
        out << "  " << st.yellow("WOULD UPDATE") << " " << f.display << " → s3://" << bucket << "/"
            << f.key << " (" << size << ")" << (r.note.empty() ? "" : " [" + r.note + "]") << "\n";
        break;
      case Outcome::kWouldSkip:
        out << "  " << st.dim("WOULD SKIP") << " " << f.display
            << (r.note.empty() ? "" : " (" + r.note + ")") << "\n";
        break;
      case Outcome::kFailed:
      case Outcome::kInterrupted:
        out << st.red("✗") << " " << f.display << " - " << r.error << "\n";
        break;
    }
  }
  if (summary) print_summary(out, st, mode, c);
}

void print_summary(std::ostream& out, const Style& st, transfer::Mode mode, const Counts& c) {
  std::string sync;
  if (c.sync) {
    sync = mode == transfer::Mode::kDryRun ? ", " + std::to_string(c.would_delete) + " would delete"
                                           : ", " + std::to_string(c.deleted) + " deleted";
    if (c.delete_failed) sync += ", " + std::to_string(c.delete_failed) + " not deleted";
  }
  out << "\n";
  switch (mode) {
    case transfer::Mode::kUpload:
      out << st.bold("Summary: " + std::to_string(c.uploaded) + " uploaded, " +
                     std::to_string(c.skipped) + " skipped, " + std::to_string(c.failed) +
                     " failed" +
                     (c.interrupted ? ", " + std::to_string(c.interrupted) + " interrupted" : "") +
                     sync)
          << "\n";
      break;
    case transfer::Mode::kDryRun:
      out << st.bold("Summary (dry run): " + std::to_string(c.would_upload) + " would upload, " +
                     std::to_string(c.would_update) + " would update, " +
                     std::to_string(c.would_skip) + " would skip, " + std::to_string(c.failed) +
                     " failed" +
                     (c.interrupted ? ", " + std::to_string(c.interrupted) + " interrupted" : "") +
                     sync)
          << "\n";
      break;
    case transfer::Mode::kUrlOnly:
      out << st.bold("Summary: " + std::to_string(c.found) + " URL(s) generated, " +
                     std::to_string(c.not_found) + " not found" +
                     (c.failed ? ", " + std::to_string(c.failed) + " failed" : "") +
                     (c.interrupted ? ", " + std::to_string(c.interrupted) + " interrupted" : ""))
          << "\n";
      break;
  }
}

namespace {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kUploaded:
      return "uploaded";
    case Outcome::kUpdated:
      return "updated";
    case Outcome::kSkipped:
      return "skipped";
    case Outcome::kWouldUpload:
      return "would_upload";
    case Outcome::kWouldUpdate:
      return "would_update";
    case Outcome::kWouldSkip:
      return "would_skip";
    case Outcome::kFound:
      return "found";
    case Outcome::kNotFound:
      return "not_found";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

}  // namespace

std::string results_json(transfer::Mode mode, const std::string& bucket,
                         const std::string& target_path,
                         const std::vector<transfer::LocalFile>& files,
                         const std::vector<transfer::FileResult>& results, const Counts& c,
                         std::chrono::steady_clock::duration elapsed,
                         std::chrono::system_clock::time_point finished,
                         const std::string& integrity, const SyncReport* sync) {
  nlohmann::json j;
  j["tool"] = std::string("s3upload ") + S3UPLOAD_VERSION;
  j["finished_at"] =
      std::chrono::duration_cast<std::chrono::seconds>(finished.time_since_epoch()).count();
  j["mode"] = mode == transfer::Mode::kUpload   ? "upload"
              : mode == transfer::Mode::kDryRun ? "dry_run"
                                                : "url_only";
  j["bucket"] = bucket;
  j["target_path"] = target_path;
  j["duration_seconds"] = std::chrono::duration<double>(elapsed).count();
  j["counts"] = {{"uploaded", c.uploaded},
                 {"skipped", c.skipped},
                 {"failed", c.failed},
                 {"interrupted", c.interrupted},
                 {"would_upload", c.would_upload},
                 {"would_update", c.would_update},
                 {"would_skip", c.would_skip},
                 {"found", c.found},
                 {"not_found", c.not_found},
                 {"bytes_uploaded", c.bytes_uploaded}};
  j["integrity"] = integrity;
  nlohmann::json arr = nlohmann::json::array();
  for (size_t i = 0; i < files.size() && i < results.size(); ++i) {
    nlohmann::json f;
    f["path"] = files[i].display;
    f["key"] = files[i].key;
    f["size"] = files[i].size;
    f["outcome"] = outcome_name(results[i].outcome);
    if (!results[i].error.empty()) f["error"] = results[i].error;
    if (!results[i].note.empty()) f["note"] = results[i].note;
    if (!results[i].url.empty()) f["url"] = results[i].url;
    if (results[i].parts) f["parts"] = results[i].parts;
    arr.push_back(std::move(f));
  }
  j["files"] = std::move(arr);
  if (sync != nullptr) {
    j["counts"]["deleted"] = c.deleted;
    j["counts"]["would_delete"] = c.would_delete;
    j["counts"]["delete_failed"] = c.delete_failed;
    nlohmann::json failed = nlohmann::json::array();
    for (const auto& [key, why] : sync->failed) failed.push_back({{"key", key}, {"error", why}});
    j["sync"] = {{"deleted", sync->deleted},
                 {"would_delete", sync->would_delete},
                 {"failed", std::move(failed)},
                 {"not_run", sync->not_run}};
  }
  // Invalid UTF-8 in a name must not make the report unwritable.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_integrity(const std::string& integrity) {
  return "🛡  Integrity: " + integrity;
}

std::string format_totals(const Counts& counts, std::chrono::steady_clock::duration elapsed) {
  const double secs = std::chrono::duration<double>(elapsed).count();
  char t[32];
  std::snprintf(t, sizeof t, "%.1fs", secs);
  std::string out = "Total: " + format_size(counts.bytes_uploaded) + " uploaded in " + t;
  if (counts.bytes_uploaded > 0 && secs > 0) {
    out += " (" + format_rate(static_cast<double>(counts.bytes_uploaded) / secs) + " average)";
  }
  return out;
}

}  // namespace s3up::ui
