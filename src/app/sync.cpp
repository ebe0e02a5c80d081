#include "app/sync.hpp"

#include <algorithm>
#include <system_error>
#include <unordered_set>

#include <spdlog/spdlog.h>

namespace s3up::app {

namespace fs = std::filesystem;

namespace {

// A relative key path the walk can produce: non-empty segments other than "." and ".."
// (lexically_relative never yields those); with flatten a single segment.
bool walk_shaped(std::string_view rest, bool flatten) {
  if (rest.empty()) return false;
  size_t start = 0;
  for (;;) {
    const size_t slash = rest.find('/', start);
    const std::string_view seg = rest.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    if (slash == std::string_view::npos) return true;
    if (flatten) return false;
    start = slash + 1;
  }
}

std::string_view last_segment(std::string_view key) {
  const size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

// The root `key` falls under and the rest of the key below it; nullptr when none.
const SyncRoot* root_of(std::string_view key, const SyncScope& scope, std::string_view* rest) {
  if (!key.starts_with(scope.prefix)) return nullptr;
  const std::string_view rel = key.substr(scope.prefix.size());
  for (const SyncRoot& root : scope.roots) {
    if (!rel.starts_with(root.key_prefix)) continue;
    const std::string_view r = rel.substr(root.key_prefix.size());
    if (!walk_shaped(r, scope.flatten)) continue;
    *rest = r;
    return &root;
  }
  return nullptr;
}

std::string target_url(const SyncOptions& o) {
  return "s3://" + o.bucket + "/" + o.scope.prefix;
}

}  // namespace

SyncScope sync_scope(const std::vector<std::string>& paths, const std::string& prefix,
                     bool flatten) {
  SyncScope scope;
  scope.prefix = prefix;
  scope.flatten = flatten;
  // As walk_files(): with several directory arguments each keeps its name in the keys.
  size_t dirs = 0;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) ++dirs;
  }
  for (const auto& arg : paths) {
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) continue;
    SyncRoot root;
    root.local_dir = arg;
    if (dirs > 1 && !flatten) {
      fs::path norm = fs::path(arg).lexically_normal();
      if (norm.filename().empty()) norm = norm.parent_path();
      root.key_prefix = norm.filename().string() + "/";
    }
    scope.roots.push_back(std::move(root));
  }
  return scope;
}

bool in_sync_scope(std::string_view key, const transfer::ExtensionFilter& filter,
                   const SyncScope& scope) {
  std::string_view rest;
  if (root_of(key, scope, &rest) == nullptr) return false;
  return filter.matches(fs::path(std::string(last_segment(rest))));
}

std::vector<std::string> plan_deletions(const std::vector<std::string>& local_keys,
                                        const std::vector<std::string>& remote_keys,
                                        const transfer::ExtensionFilter& filter,
                                        const SyncScope& scope) {
  const std::unordered_set<std::string> local(local_keys.begin(), local_keys.end());
  std::vector<std::string> out;
  for (const auto& key : remote_keys) {
    if (!local.count(key) && in_sync_scope(key, filter, scope)) out.push_back(key);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> without_local_paths(const std::vector<std::string>& keys,
                                             const SyncScope& scope) {
  if (scope.flatten) return keys;
  std::vector<std::string> out;
  for (const auto& key : keys) {
    std::string_view rest;
    const SyncRoot* root = root_of(key, scope, &rest);
    if (root != nullptr) {
      std::error_code ec;
      const fs::file_status st = fs::symlink_status(root->local_dir / std::string(rest), ec);
      // Anything but a clear "no such file" (it exists, or cannot be checked) keeps the object.
      if (!(ec == std::errc::no_such_file_or_directory || st.type() == fs::file_type::not_found)) {
        spdlog::debug("sync: keeping {}: {} exists locally", key,
                      (root->local_dir / std::string(rest)).string());
        continue;
      }
    }
    out.push_back(key);
  }
  return out;
}

std::string sync_blocker(const std::vector<transfer::LocalFile>& files,
                         const std::vector<transfer::FileResult>& results, bool interrupted) {
  size_t walk_errors = 0, failed = 0, stopped = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!files[i].error.empty()) {
      ++walk_errors;
    } else if (i < results.size() && results[i].outcome == transfer::Outcome::kFailed) {
      ++failed;
    } else if (i < results.size() && results[i].outcome == transfer::Outcome::kInterrupted) {
      ++stopped;
    }
  }
  if (interrupted || stopped > 0) return "the run was interrupted";
  if (walk_errors > 0) {
    return std::to_string(walk_errors) +
           " local path(s) could not be read (see above), and a file the walk did not see must "
           "not lose its object";
  }
  if (failed > 0) return std::to_string(failed) + " file(s) failed";
  if (files.empty()) {
    return "no local file was found, and --sync does not empty a prefix (check the path: is "
           "the disk mounted?)";
  }
  return "";
}

SyncResult sync_deletions(s3::Client& client, const SyncOptions& opts,
                          const std::vector<std::string>& local_keys,
                          const transfer::ExtensionFilter& filter, const ui::Style& st,
                          std::istream& in, std::ostream& out, std::ostream& err) {
  SyncResult res;
  if (opts.scope.roots.empty()) {
    res.report.not_run = "no directory among the paths: --sync mirrors directories only";
    err << "note: --sync deleted nothing: " << res.report.not_run << "\n";
    return res;
  }
  auto listed = s3::list_all_sync(client, opts.scope.prefix);
  if (!listed) {
    if (client.loop().interrupted()) {
      res.report.not_run = "the run was interrupted";
      res.exit_code = 130;
      return res;
    }
    res.report.not_run = "the listing failed: " + listed.error().describe();
    err << "error: --sync could not list " << target_url(opts)
        << ", so nothing was deleted: " << listed.error().describe() << "\n";
    res.exit_code = 1;
    return res;
  }
  std::vector<std::string> remote;
  remote.reserve(listed->size());
  for (const auto& o : *listed) remote.push_back(o.key);
  const std::vector<std::string> doomed =
      without_local_paths(plan_deletions(local_keys, remote, filter, opts.scope), opts.scope);
  spdlog::debug("sync: {} object(s) listed under {}, {} with no local file", remote.size(),
                target_url(opts), doomed.size());
  if (doomed.empty()) return res;

  out << "\n";
  if (opts.dry_run) {
    for (const auto& key : doomed) out << "  " << st.red("WOULD DELETE") << " " << key << "\n";
    res.report.would_delete = doomed;
    return res;
  }
  for (const auto& key : doomed) out << "🗑  " << st.red("DELETE") << " " << key << "\n";
  out.flush();
  if (!opts.yes) {
    if (!opts.interactive) {
      // run() refuses before uploading; this is the last line of defence.
      res.report.not_run = "not confirmed (no terminal and no --yes)";
      err << "error: deleting " << doomed.size()
          << " object(s) cannot be undone; confirm with --yes when not running at a terminal\n";
      res.exit_code = 2;
      return res;
    }
    err << "Delete these " << doomed.size() << " object(s) from " << target_url(opts)
        << "? They have no local file. [y/N] ";
    err.flush();
    std::string answer;
    std::getline(in, answer);
    if (client.loop().interrupted()) {
      res.report.not_run = "the run was interrupted";
      res.exit_code = 130;
      return res;
    }
    if (answer != "y" && answer != "Y" && answer != "yes") {
      res.report.not_run = "not confirmed";
      out << "Nothing deleted.\n";
      return res;
    }
  }
  auto deleted = s3::delete_objects_sync(client, doomed);
  if (!deleted) {
    // Interrupted while a request was waiting for a retry: what happened is unknown.
    for (const auto& key : doomed) res.report.failed.emplace_back(key, deleted.error().describe());
    err << "error: the deletion was interrupted; some objects may be gone: run again to "
           "finish\n";
    res.exit_code = 130;
    return res;
  }
  res.report.deleted = deleted->deleted;
  for (const auto& f : deleted->failed) {
    const std::string why = f.error.describe();
    out << st.red("✗") << " " << f.key << " - could not delete: " << why << "\n";
    res.report.failed.emplace_back(f.key, why);
  }
  if (!deleted->failed.empty()) res.exit_code = client.loop().interrupted() ? 130 : 1;
  return res;
}

}  // namespace s3up::app
