#include "transfer/walk.hpp"

#include <algorithm>
#include <map>
#include <system_error>

#include "util/strings.hpp"

namespace s3up::transfer {

namespace fs = std::filesystem;

namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string strip_spaces(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

std::string describe_errc(const std::error_code& ec) {
  std::string m = ec.message();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

}  // namespace

Result<ExtensionFilter> ExtensionFilter::parse(const std::vector<std::string>& specs) {
  ExtensionFilter f;
  for (const auto& spec : specs) {
    size_t start = 0;
    while (start <= spec.size()) {
      size_t comma = spec.find(',', start);
      if (comma == std::string::npos) comma = spec.size();
      std::string item = strip_spaces(std::string_view(spec).substr(start, comma - start));
      start = comma + 1;
      if (item == "*") {
        f.all_ = true;
        continue;
      }
      size_t dots = 0;
      while (dots < item.size() && item[dots] == '.') ++dots;
      item = lower_ascii(item.substr(dots));
      if (item.empty()) continue;
      if (item.find_first_of("/\\*?") != std::string::npos) {
        return unexpected("the extension '" + item +
                          "' is not valid: give plain extensions like -e mp4,mov or -e '*'");
      }
      if (std::find(f.exts_.begin(), f.exts_.end(), item) == f.exts_.end()) {
        f.exts_.push_back(item);
      }
    }
  }
  if (!f.all_ && f.exts_.empty()) {
    return unexpected(std::string(
        "no extensions given: pass -e with a list like mp4,mov, or -e '*' for every file"));
  }
  return f;
}

bool ExtensionFilter::matches(const fs::path& file) const {
  if (all_) return true;
  std::string name = file.filename().string();
  auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;  // ".bashrc" has no extension
  std::string ext = lower_ascii(std::string_view(name).substr(dot + 1));
  return std::find(exts_.begin(), exts_.end(), ext) != exts_.end();
}

std::string ExtensionFilter::describe() const {
  if (all_) return "every file";
  std::string out;
  for (const auto& e : exts_) {
    if (!out.empty()) out += ", ";
    out += e;
  }
  return out;
}

std::string build_key(std::string_view target_path, std::string_view relative) {
  std::string key;
  if (!target_path.empty()) {
    key.assign(target_path);
    if (key.back() != '/') key += '/';
  }
  key.append(relative);
  return key;
}

bool is_valid_utf8(std::string_view s) {
  return for_each_code_point(s, [](uint32_t) { return true; });
}

namespace {

struct Walker {
  const ExtensionFilter& filter;
  const WalkOptions& opts;
  const std::function<bool(LocalFile)>& emit;
  bool stopped = false;

  void push(LocalFile f) {
    if (!stopped && !emit(std::move(f))) stopped = true;
  }

  void add(const fs::path& path, std::string display, std::string rel_for_key, uint64_t size) {
    LocalFile f;
    f.path = path;
    f.display = std::move(display);
    f.size = size;
    if (opts.flatten) rel_for_key = path.filename().string();
    f.key = build_key(opts.target_path, rel_for_key);
    if (!is_valid_utf8(f.key)) {
      f.error = "the file name is not valid UTF-8, which S3 keys require: rename the file";
    } else if (f.key.size() > kMaxKeyBytes) {
      f.error = "its S3 key would be " + std::to_string(f.key.size()) +
                " bytes, over S3's limit of 1024: shorten the path or the target path";
    }
    push(std::move(f));
  }

  void fail(const fs::path& path, std::string display, std::string message) {
    LocalFile f;
    f.path = path;
    f.display = std::move(display);
    f.error = std::move(message);
    push(std::move(f));
  }

  void walk_dir(const fs::path& root, const std::string& display_prefix) {
    std::error_code ec;
    auto dir_opts = fs::directory_options::none;
    if (opts.follow_symlinks) dir_opts |= fs::directory_options::follow_directory_symlink;
    fs::recursive_directory_iterator it(root, dir_opts, ec);
    if (ec) {
      fail(root, display_prefix.empty() ? root.string() : display_prefix,
           "cannot read the directory: " + describe_errc(ec));
      return;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec || stopped) break;
      const fs::directory_entry& entry = *it;
      // Lexical, not fs::relative: that resolves symlinks and would rename followed links.
      std::string rel = entry.path().lexically_relative(root).generic_string();
      std::string display = display_prefix.empty() ? rel : display_prefix + "/" + rel;
      std::error_code sec;
      bool is_link = entry.is_symlink(sec);
      if (is_link && !opts.follow_symlinks) {
        if (entry.is_directory(sec)) it.disable_recursion_pending();
        continue;  // symlinks are not followed by default
      }
      if (entry.is_directory(sec)) {
        // An unreadable subdirectory is reported, not skipped silently.
        std::error_code dec;
        fs::directory_iterator probe(entry.path(), dec);
        if (dec) {
          fail(entry.path(), display, "cannot read the directory: " + describe_errc(dec));
          it.disable_recursion_pending();
        }
        continue;
      }
      if (!entry.is_regular_file(sec)) continue;  // sockets, fifos, devices
      if (!filter.matches(entry.path())) continue;
      std::error_code zec;
      uint64_t size = entry.file_size(zec);
      if (zec) {
        fail(entry.path(), display, "cannot read the file size: " + describe_errc(zec));
        continue;
      }
      add(entry.path(), display, display, size);
    }
    if (ec) {
      fail(root, display_prefix.empty() ? root.string() : display_prefix,
           "the directory walk stopped: " + describe_errc(ec));
    }
  }
};

}  // namespace

void walk_files(const std::vector<std::string>& paths, const ExtensionFilter& filter,
                const WalkOptions& opts, const std::function<bool(LocalFile)>& emit) {
  Walker w{filter, opts, emit};
  // With several directory arguments, each one's files are shown under the directory's
  // name so the output stays unambiguous; with one, relative to it (as the original tool).
  size_t dirs = 0;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) ++dirs;
  }
  for (const auto& arg : paths) {
    fs::path p(arg);
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      w.fail(p, arg,
             ec && ec != std::errc::no_such_file_or_directory
                 ? "cannot access it: " + describe_errc(ec)
                 : std::string("no such file or directory"));
      continue;
    }
    if (fs::is_directory(st)) {
      std::string prefix;
      if (dirs > 1) {
        fs::path norm = p.lexically_normal();
        if (norm.filename().empty()) norm = norm.parent_path();
        prefix = norm.filename().string();
      }
      w.walk_dir(p, prefix);
    } else if (fs::is_regular_file(st)) {
      std::error_code zec;
      uint64_t size = fs::file_size(p, zec);
      std::string name = p.filename().string();
      if (zec) {
        w.fail(p, name, "cannot read the file size: " + describe_errc(zec));
      } else {
        w.add(p, name, name, size);
      }
    } else {
      w.fail(p, arg, "it is neither a regular file nor a directory");
    }
    if (w.stopped) return;
  }
}

void mark_duplicate_key(LocalFile& later, const LocalFile& earlier) {
  later.error = "another file (" + earlier.display + ") maps to the same key '" + later.key +
                "': upload them separately or use different target paths";
}

}  // namespace s3up::transfer
