#include "app/incomplete.hpp"

#include <cstdio>
#include <ctime>

namespace s3up::app {

Result<std::chrono::seconds> parse_duration(const std::string& text) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    n = n * 10 + static_cast<uint64_t>(text[i] - '0');
    if (n > 100ull * 365 * 24 * 3600) break;
    ++i;
  }
  if (i == 0 || n > 100ull * 365 * 24 * 3600) {
    return unexpected("'" + text + "' is not a duration: use e.g. 90s, 30m, 12h, 7d or 2w");
  }
  std::string unit = text.substr(i);
  uint64_t mult = 0;
  if (unit.empty() || unit == "s") mult = 1;
  if (unit == "m") mult = 60;
  if (unit == "h") mult = 3600;
  if (unit == "d") mult = 86400;
  if (unit == "w") mult = 7 * 86400;
  if (mult == 0) {
    return unexpected("'" + text + "' has an unknown unit: use s, m, h, d or w (e.g. 7d)");
  }
  return std::chrono::seconds(static_cast<int64_t>(n * mult));
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) {
    return std::nullopt;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

namespace {

struct Row {
  s3::MultipartUpload upload;
  std::optional<std::chrono::seconds> age;
  uint64_t bytes = 0;
  size_t parts = 0;
  std::string parts_error;
};

std::string age_text(const std::optional<std::chrono::seconds>& age) {
  return age ? "started " + ui::format_duration(*age) + " ago" : "start time unknown";
}

}  // namespace

int run_incomplete(s3::Client& client, const IncompleteOptions& opts, const ui::Style& st,
                   std::istream& in, std::ostream& out, std::ostream& err,
                   std::chrono::system_clock::time_point now) {
  auto uploads = s3::list_multipart_uploads_all_sync(client, opts.prefix);
  if (!uploads) {
    err << "error: could not list the incomplete multipart uploads: " << uploads.error().describe()
        << "\n";
    return 1;
  }
  std::vector<Row> rows;
  uint64_t total = 0;
  for (auto& u : *uploads) {
    Row r;
    r.upload = u;
    if (auto started = parse_iso8601(u.initiated)) {
      r.age = std::chrono::duration_cast<std::chrono::seconds>(now - *started);
    }
    auto parts = s3::list_parts_all_sync(client, u.key, u.upload_id);
    if (parts) {
      r.parts = parts->size();
      for (const auto& p : *parts) r.bytes += p.size;
    } else {
      r.parts_error = parts.error().describe();
    }
    total += r.bytes;
    rows.push_back(std::move(r));
  }
  for (const auto& r : rows) {
    out << st.yellow("⏳") << " " << r.upload.key << " (" << age_text(r.age) << ", " << r.parts
        << " part(s), " << ui::format_size(r.bytes) << " so far)  upload id " << r.upload.upload_id
        << "\n";
    if (!r.parts_error.empty()) out << "    could not list its parts: " << r.parts_error << "\n";
  }
  if (!opts.abort) {
    out << "\nSummary: " << rows.size() << " incomplete upload(s), " << ui::format_size(total)
        << " stored in parts" << (rows.empty() ? "" : "; remove them with --abort-incomplete")
        << "\n";
    return 0;
  }

  std::vector<const Row*> doomed;
  for (const auto& r : rows) {
    if (opts.older_than && (!r.age || *r.age < *opts.older_than)) continue;
    doomed.push_back(&r);
  }
  if (doomed.empty()) {
    out << "\nSummary: nothing to abort (" << rows.size() << " incomplete upload(s)"
        << (opts.older_than ? ", none old enough" : "") << ")\n";
    return 0;
  }
  if (!opts.yes) {
    if (!opts.interactive) {
      err << "error: aborting " << doomed.size()
          << " upload(s) deletes their parts for good; confirm with --yes when not running at "
             "a terminal\n";
      return 2;
    }
    err << "Abort " << doomed.size() << " incomplete upload(s) and delete their parts? [y/N] ";
    std::string answer;
    std::getline(in, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      out << "\nSummary: nothing aborted\n";
      return 0;
    }
  }
  size_t aborted = 0, failed = 0;
  for (const Row* r : doomed) {
    auto res = s3::abort_multipart_upload_sync(client, r->upload.key, r->upload.upload_id);
    if (res) {
      ++aborted;
      out << st.green("✓") << " aborted " << r->upload.key << " (" << r->upload.upload_id << ")\n";
    } else {
      ++failed;
      out << st.red("✗") << " " << r->upload.key << " - could not abort: " << res.error().describe()
          << "\n";
    }
  }
  out << "\nSummary: " << aborted << " aborted, " << failed << " failed, "
      << rows.size() - doomed.size() << " kept\n";
  return failed ? 1 : 0;
}

}  // namespace s3up::app
