// --sync: after the uploads, delete the objects under the target prefix that have no local
// counterpart (as rsync --delete / aws s3 sync --delete), within what the walk could have
// produced, and only after a run in which nothing went wrong.
#pragma once

#include <filesystem>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "s3/client.hpp"
#include "transfer/engine.hpp"
#include "transfer/walk.hpp"
#include "ui/format.hpp"
#include "ui/report.hpp"

namespace s3up::app {

// One directory argument of the run, and where its files go below the target prefix.
struct SyncRoot {
  std::string key_prefix;           // "" (one directory) or "<directory name>/" (several)
  std::filesystem::path local_dir;  // the directory as given on the command line
};

// The keys a run's walk could have produced.
struct SyncScope {
  std::string prefix;           // the target prefix: target path + "/", or "" (whole bucket)
  std::vector<SyncRoot> roots;  // empty: no directory argument, so nothing is in scope
  bool flatten = false;         // keys are prefix + file name (no '/' below the prefix)
};

// The scope of a run over `paths`, found the way transfer::walk_files() finds directories
// (files named on the command line are no root: only directories are mirrored).
SyncScope sync_scope(const std::vector<std::string>& paths, const std::string& prefix,
                     bool flatten);

// True when the walk could have produced `key`: below the prefix, under a root, made of
// non-empty path segments other than "." and "..", and its last segment has one of the
// filter's extensions (so objects with other extensions are never touched).
bool in_sync_scope(std::string_view key, const transfer::ExtensionFilter& filter,
                   const SyncScope& scope);

// Pure: the remote keys in scope with no local key, sorted and unique.
std::vector<std::string> plan_deletions(const std::vector<std::string>& local_keys,
                                        const std::vector<std::string>& remote_keys,
                                        const transfer::ExtensionFilter& filter,
                                        const SyncScope& scope);

// Removes the keys whose local path (root directory + the rest of the key) exists in any form
// (a symlink not followed, a special file, a file created since the walk): those objects do
// have a local counterpart. Flattened keys cannot be traced back and are kept as they are.
std::vector<std::string> without_local_paths(const std::vector<std::string>& keys,
                                             const SyncScope& scope);

// Why this run must not delete anything, or "" when it may: the walk reported a problem (a
// missing or unreadable path must never cause a remote delete), a file failed, the run was
// interrupted, or no local file was found at all (an unmounted disk must not empty the
// prefix).
std::string sync_blocker(const std::vector<transfer::LocalFile>& files,
                         const std::vector<transfer::FileResult>& results, bool interrupted);

struct SyncOptions {
  SyncScope scope;
  std::string bucket;        // for messages
  bool dry_run = false;      // list WOULD DELETE, delete nothing
  bool yes = false;          // no confirmation prompt
  bool interactive = false;  // stdin is a terminal
};

struct SyncResult {
  ui::SyncReport report;
  int exit_code = 0;  // 0; 1 the listing or a deletion failed; 2 refused; 130 interrupted
};

// Lists the prefix, plans, prints "🗑  DELETE <key>" (dry run: "WOULD DELETE <key>"), asks
// unless opts.yes (refuses off a terminal), deletes, and prints the keys that could not be
// deleted. Runs the client's loop; stops early when the loop is interrupted.
SyncResult sync_deletions(s3::Client& client, const SyncOptions& opts,
                          const std::vector<std::string>& local_keys,
                          const transfer::ExtensionFilter& filter, const ui::Style& style,
                          std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace s3up::app
