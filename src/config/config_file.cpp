#include "config/config_file.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <system_error>

#include "config/config.hpp"
#include "integrity/checksum.hpp"
#include "transfer/engine.hpp"
#include "transfer/part_plan.hpp"
#include "transfer/walk.hpp"
#include "util/strings.hpp"

namespace s3up::config {

namespace {

namespace fs = std::filesystem;

enum class Kind { kString, kBool, kInt, kNumber, kSize, kStringArray };

struct Setting {
  std::string_view section;
  std::string_view key;
  Kind kind;
  std::string_view env_name;  // the configuration key it stands for; "" = a flag-only setting
};

constexpr Setting kSettings[] = {
    {"aws", "region", Kind::kString, "AWS_REGION"},
    {"aws", "profile", Kind::kString, "AWS_PROFILE"},
    {"aws", "endpoint_url", Kind::kString, "AWS_ENDPOINT_URL_S3"},
    {"s3", "bucket", Kind::kString, "S3_BUCKET"},
    {"s3", "target_path", Kind::kString, "S3_TARGET_PATH"},
    {"s3", "force_path_style", Kind::kBool, "S3_FORCE_PATH_STYLE"},
    {"upload", "max_concurrent", Kind::kInt, ""},
    {"upload", "extensions", Kind::kStringArray, ""},
    {"upload", "url_expiry_hours", Kind::kInt, ""},
    {"upload", "multipart_threshold", Kind::kSize, ""},
    {"upload", "part_size", Kind::kSize, ""},
    {"upload", "max_requests", Kind::kInt, ""},
    {"upload", "max_speed_mbps", Kind::kNumber, ""},
    {"upload", "checksum_algorithm", Kind::kString, "S3_CHECKSUM_ALGORITHM"},
    {"upload", "metadata_checksum", Kind::kString, "S3_METADATA_CHECKSUM"},
    {"upload", "compare", Kind::kString, "S3_COMPARE"},
    {"behavior", "dry_run", Kind::kBool, ""},
    {"behavior", "yes", Kind::kBool, ""},
};

constexpr std::string_view kSections[] = {"aws", "s3", "upload", "behavior"};

// Variables that, when set, keep a file key out of the environment (besides the key itself).
struct Shadow {
  std::string_view env_name;
  std::string_view also;
};
constexpr Shadow kShadows[] = {
    {"AWS_REGION", "AWS_DEFAULT_REGION"},
    {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"},
};

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "true or false";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "a value";
  }
}

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kString:
      return "a string";
    case Kind::kBool:
      return "true or false";
    case Kind::kInt:
      return "an integer";
    case Kind::kNumber:
      return "a number";
    case Kind::kSize:
      return "a size such as \"16MiB\" (or a number of bytes)";
    case Kind::kStringArray:
      return "an array of strings such as [\"mp4\", \"mov\"]";
  }
  return "a value";
}

// Edit distance, for "did you mean".
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  size_t best_d = std::max<size_t>(2, word.size() / 4) + 1;
  for (auto c : candidates) {
    size_t d = distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string join(const std::vector<std::string_view>& words, std::string_view last_sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? std::string(last_sep) : std::string(", ");
    out += words[i];
  }
  return out;
}

std::vector<std::string_view> keys_of(std::string_view section) {
  std::vector<std::string_view> out;
  for (const auto& s : kSettings) {
    if (s.section == section) out.push_back(s.key);
  }
  return out;
}

std::string sections_list() {
  std::vector<std::string> names;
  for (auto s : kSections) names.push_back("[" + std::string(s) + "]");
  return names[0] + ", " + names[1] + ", " + names[2] + " and " + names[3];
}

// A text shown in a message, quoted, with control bytes escaped.
std::string in_quotes(std::string_view s) {
  return quoted_for_message(s, '"');
}

class Checker {
 public:
  explicit Checker(std::string name) { file_.name = std::move(name); }

  void check(const toml::table& root) {
    for (auto&& [k, node] : root) {
      const std::string name(k.str());
      const auto line = k.source().begin.line;
      const bool known =
          std::find(std::begin(kSections), std::end(kSections), name) != std::end(kSections);
      if (!known) {
        unknown_section(name, line);
        continue;
      }
      const toml::table* table = node.as_table();
      if (!table) {
        fail(line, name + " must be a section ([" + name + "] on a line of its own), not " +
                       type_name(node) + ".");
        continue;
      }
      for (auto&& [key, value] : *table) check_key(name, std::string(key.str()), key, value);
    }
  }

  // toml++ keeps a table's keys sorted by name: keys and errors go back into file order.
  Result<ConfigFile, std::vector<std::string>> result() && {
    if (!errors_.empty()) {
      std::stable_sort(errors_.begin(), errors_.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<std::string> out;
      for (auto& e : errors_) out.push_back(std::move(e.second));
      return unexpected(std::move(out));
    }
    std::stable_sort(key_lines_.begin(), key_lines_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<ConfigFile::Key> keys;
    for (auto& k : key_lines_) keys.push_back(std::move(k.second));
    file_.keys = std::move(keys);
    return std::move(file_);
  }

  void fail(toml::source_index line, const std::string& what) {
    errors_.emplace_back(line, file_.name + ", line " + std::to_string(line) + ": " + what);
  }
  void fail_at(toml::source_index line, toml::source_index column, const std::string& what) {
    errors_.emplace_back(line, file_.name + ", line " + std::to_string(line) + ", column " +
                                   std::to_string(column) + ": " + what);
  }

 private:
  void unknown_section(const std::string& name, toml::source_index line) {
    // A setting written outside its section, e.g. bucket = "x" at the top of the file.
    for (const auto& s : kSettings) {
      if (s.key == name) {
        fail(line,
             name + " is outside any section: put it under [" + std::string(s.section) + "].");
        return;
      }
    }
    std::vector<std::string_view> sections(std::begin(kSections), std::end(kSections));
    auto guess = closest(name, sections);
    fail(line, "unknown section [" + name + "]" +
                   (guess ? " (did you mean [" + std::string(*guess) + "]?)" : "") +
                   ": the sections are " + sections_list() + ".");
  }

  void check_key(const std::string& section, const std::string& key, const toml::key& k,
                 const toml::node& value) {
    const auto line = k.source().begin.line;
    const std::string full = section + "." + key;
    const Setting* setting = nullptr;
    for (const auto& s : kSettings) {
      if (s.section == section && s.key == key) setting = &s;
    }
    if (!setting) {
      auto names = keys_of(section);
      auto guess = closest(key, names);
      std::string where;
      for (const auto& s : kSettings) {
        if (s.key == key && !guess) where = " (it belongs in [" + std::string(s.section) + "])";
      }
      fail(line, "unknown key " + full +
                     (guess ? " (did you mean " + std::string(*guess) + "?)" : where) + ": [" +
                     section + "] takes " + join(names, " and ") + ".");
      return;
    }
    const std::string origin = full + " (" + file_.name + ", line " + std::to_string(line) + ")";
    auto wrong_type = [&] {
      std::string hint;
      if (setting->kind == Kind::kInt || setting->kind == Kind::kBool ||
          setting->kind == Kind::kNumber) {
        if (value.is_string()) hint = " (write it without quotes)";
      } else if (setting->kind == Kind::kStringArray && value.is_string()) {
        hint = " (write [" + in_quotes(*value.value<std::string>()) + "])";
      }
      fail(line, full + " must be " + std::string(kind_name(setting->kind)) + ", not " +
                     type_name(value) + hint + ".");
    };
    auto env_key = [&](std::string v) {
      key_lines_.emplace_back(
          line, ConfigFile::Key{std::string(setting->env_name), std::move(v), origin});
    };
    auto problem = [&](const std::string& what) { fail(line, full + ": " + what); };

    switch (setting->kind) {
      case Kind::kString: {
        const auto* s = value.as_string();
        if (!s) return wrong_type();
        const std::string v = s->get();
        std::optional<std::string> bad;
        if (key == "region") {
          bad = validate_region(v);
        } else if (key == "profile") {
          if (v.empty()) bad = "the profile name is empty: give a profile name or remove the key.";
        } else if (key == "endpoint_url") {
          bad = validate_endpoint_url(v);
        } else if (key == "bucket") {
          bad = v.empty() ? std::optional<std::string>("the bucket name is empty.")
                          : validate_bucket_name(v);
        } else if (key == "target_path") {
          bad = validate_target_path(v);
        } else if (key == "checksum_algorithm") {
          if (!integrity::parse_checksum_algo(v)) {
            bad = in_quotes(v) +
                  " is not a checksum algorithm: use crc32c, crc32, crc64nvme, sha256, sha1, md5 "
                  "or none.";
          }
        } else if (key == "metadata_checksum") {
          if (!integrity::parse_metadata_digest(v)) {
            bad = in_quotes(v) + " is not a metadata checksum: use blake3, sha256 or none.";
          }
        } else if (key == "compare") {
          if (!transfer::parse_compare_mode(v)) {
            bad = in_quotes(v) + " is not a comparison mode: use size, etag or checksum.";
          }
        }
        if (bad) return problem(*bad);
        return env_key(v);
      }
      case Kind::kBool: {
        const auto* b = value.as_boolean();
        if (!b) return wrong_type();
        if (key == "force_path_style") return env_key(b->get() ? "true" : "false");
        (key == "dry_run" ? file_.dry_run : file_.yes) = b->get();
        return;
      }
      case Kind::kInt: {
        const auto* i = value.as_integer();
        if (!i) return wrong_type();
        const int64_t v = i->get();
        const int64_t max = key == "url_expiry_hours" ? 168 : 1024;
        if (v < 1 || v > max) {
          return problem(
              "must be between 1 and " + std::to_string(max) +
              (key == "url_expiry_hours" ? " (7 days, S3's limit for presigned URLs)" : "") +
              " (got " + std::to_string(v) + ").");
        }
        if (key == "max_concurrent") file_.max_concurrent = static_cast<int>(v);
        if (key == "url_expiry_hours") file_.url_expiry_hours = static_cast<int>(v);
        if (key == "max_requests") file_.max_requests = static_cast<int>(v);
        return;
      }
      case Kind::kNumber: {
        double v = 0;
        if (const auto* i = value.as_integer()) {
          v = static_cast<double>(i->get());
        } else if (const auto* f = value.as_floating_point()) {
          v = f->get();
        } else {
          return wrong_type();
        }
        if (!std::isfinite(v) || v < 0 || v > 1e6) {
          return problem("must be 0 (unlimited) or a positive MiB/s value.");
        }
        file_.max_speed_mbps = v;
        return;
      }
      case Kind::kSize: {
        std::string text;
        if (const auto* i = value.as_integer()) {
          if (i->get() < 0) return problem("a size cannot be negative.");
          text = std::to_string(i->get());
        } else if (const auto* s = value.as_string()) {
          text = s->get();
        } else {
          return wrong_type();
        }
        auto size = transfer::parse_size(text);
        if (!size) return problem(size.error());
        if (key == "part_size") {
          if (*size < transfer::kMinPartSize || *size > transfer::kMaxPartSize) {
            return problem("must be between 5MiB and 5GiB (S3's limits); got " + text + ".");
          }
          file_.part_size = text;
        } else {
          file_.multipart_threshold = text;
        }
        return;
      }
      case Kind::kStringArray: {
        const auto* a = value.as_array();
        if (!a) return wrong_type();
        std::vector<std::string> exts;
        for (const auto& el : *a) {
          const auto* s = el.as_string();
          if (!s) {
            return fail(el.source().begin.line,
                        full + " must hold only strings, not " + type_name(el) + ".");
          }
          exts.push_back(s->get());
        }
        if (exts.empty()) {
          return problem(
              "the list is empty: give the extensions, e.g. [\"mp4\", \"mov\"], or "
              "[\"*\"] for every file.");
        }
        if (auto f = transfer::ExtensionFilter::parse(exts); !f) return problem(f.error());
        file_.extensions = std::move(exts);
        return;
      }
    }
  }

  ConfigFile file_;
  std::vector<std::pair<toml::source_index, ConfigFile::Key>> key_lines_;
  std::vector<std::pair<toml::source_index, std::string>> errors_;
};

bool is_file(const fs::path& p) {
  std::error_code ec;
  auto st = fs::status(p, ec);
  return !ec && fs::exists(st) && !fs::is_directory(st);
}

}  // namespace

Result<ConfigFile, std::vector<std::string>> parse_config_file(std::string_view text,
                                                               const std::string& name) {
  Checker checker(name);
#if TOML_EXCEPTIONS
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    checker.fail_at(e.source().begin.line, e.source().begin.column,
                    std::string(e.description()) + ": fix the TOML syntax.");
    return std::move(checker).result();
  }
#else
  toml::parse_result parsed = toml::parse(text, name);
  if (!parsed) {
    const auto& e = parsed.error();
    checker.fail_at(e.source().begin.line, e.source().begin.column,
                    std::string(e.description()) + ": fix the TOML syntax.");
    return std::move(checker).result();
  }
  toml::table root = std::move(parsed).table();
#endif
  checker.check(root);
  return std::move(checker).result();
}

std::optional<fs::path> find_config_file(const Environment& env, const fs::path& cwd) {
  if (fs::path local = cwd / "s3upload.toml"; is_file(local)) return local;
  fs::path base;
  if (auto x = env.get("XDG_CONFIG_HOME"); x && !x->empty() && fs::path(*x).is_absolute()) {
    base = *x;
  } else if (auto home = env.home()) {
    base = *home / ".config";
  } else {
    return std::nullopt;
  }
  if (fs::path user = base / "s3upload" / "config.toml"; is_file(user)) return user;
  return std::nullopt;
}

Result<std::optional<ConfigFile>, std::vector<std::string>> load_config_file(
    const Environment& env, const fs::path& cwd, const std::string& explicit_path) {
  fs::path path;
  std::string name;
  if (!explicit_path.empty()) {
    path = fs::path(explicit_path).is_absolute() ? fs::path(explicit_path) : cwd / explicit_path;
    name = explicit_path;
    std::error_code ec;
    auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      return unexpected(
          std::vector<std::string>{"--config " + explicit_path +
                                   ": no such file: check the path (relative paths start "
                                   "at the working directory)."});
    }
    if (fs::is_directory(st)) {
      return unexpected(std::vector<std::string>{"--config " + explicit_path +
                                                 " is a directory: give the TOML file itself."});
    }
  } else if (auto found = find_config_file(env, cwd)) {
    path = *found;
    name = path.parent_path() == cwd ? std::string("s3upload.toml") : env.display_path(path);
  } else {
    return std::optional<ConfigFile>{};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return unexpected(std::vector<std::string>{"cannot read " + name + " (" + std::strerror(err) +
                                               "): fix its permissions or remove it."});
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return unexpected(
        std::vector<std::string>{"cannot read " + name + ": fix the file or remove it."});
  }
  auto parsed = parse_config_file(ss.str(), name);
  if (!parsed) return unexpected(std::move(parsed.error()));
  parsed->path = path;
  return std::optional<ConfigFile>{std::move(*parsed)};
}

std::vector<ConfigFile::Key> merge_config_keys(Environment& env, const ConfigFile& file) {
  std::vector<ConfigFile::Key> merged;
  auto has_value = [&](std::string_view name) {
    auto v = env.get(std::string(name));
    if (!v) return false;
    // "" is a value only for the target path (the bucket's root); elsewhere it counts as unset.
    return name == "S3_TARGET_PATH" || !v->empty();
  };
  for (const auto& key : file.keys) {
    bool taken = has_value(key.env_name);
    for (const auto& s : kShadows) {
      if (s.env_name == key.env_name && has_value(s.also)) taken = true;
    }
    if (taken) continue;
    env.set(key.env_name, key.value);
    merged.push_back(key);
  }
  return merged;
}

}  // namespace s3up::config
