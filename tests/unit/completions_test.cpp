#include "cli/completions.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "temp_dir.hpp"

using s3up::cli::completion_script;
using s3up::cli::parse_shell;
using s3up::cli::Shell;

namespace {

// A small App shaped like s3upload's: a PATH positional, flags, options with values, short and
// long names, option groups, and a hidden option.
struct TestApp {
  CLI::App app{"Upload things", "s3upload"};
  std::vector<std::string> paths, extensions;
  int max_concurrent = 4;
  bool dry_run = false, verbose = false, yes = false;
  std::string profile, bucket, report, storage_class, acl, content_type, secret;

  TestApp() {
    app.set_version_flag("-V,--version", "s3upload 1.0");
    app.add_option("PATH", paths, "Files or directories to upload")->type_name("");
    app.add_option("-e,--extensions", extensions, "Extensions, comma-separated")
        ->type_name("LIST")
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("-c,--max-concurrent", max_concurrent, "Files in flight at once")
        ->type_name("N");
    app.add_flag("--dry-run", dry_run, "Show what would be uploaded; change nothing");
    app.add_flag("-v,--verbose", verbose, "Log requests to stderr");
    app.add_option("--profile", profile, "Shared-config profile")->type_name("NAME");
    app.add_option("--bucket", bucket, "Bucket")->type_name("NAME");
    app.add_option("--report", report, "Write JSON to FILE")->type_name("FILE");
    app.add_option("--secret", secret, "Not for users")->group("");
    auto* og = app.add_option_group("Object options", "What each object carries");
    og->add_option("--storage-class", storage_class, "Storage class: STANDARD, GLACIER, ...")
        ->type_name("CLASS");
    og->add_option("--acl", acl, "Canned ACL")->type_name("ACL");
    og->add_option("--content-type", content_type,
                   "Content-Type: e.g. 'video/mp4' [default: detected] \\ \"quoted\"")
        ->type_name("TYPE");
    auto* hk = app.add_option_group("Housekeeping", "Incomplete uploads");
    hk->add_flag("-y,--yes", yes, "Do not ask for confirmation");
  }
};

struct CommandResult {
  int status = -1;
  std::string out;
};

CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool have(const std::string& program) {
  return run("command -v " + program + " >/dev/null").status == 0;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1))
    ++n;
  return n;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

// Sources the bash script and calls _s3upload as bash would for the command line `words`, the
// last word being the one under the cursor. Runs in `dir` with HOME=dir. Returns COMPREPLY,
// sorted, one entry a line.
// `script_text`: the bash script to load ("" = the TestApp's).
std::vector<std::string> bash_complete(const s3up::test::TempDir& dir,
                                       const std::vector<std::string>& words,
                                       const std::string& script_text = "") {
  TestApp t;
  const std::string script = dir.write(
      "s3upload.bash", script_text.empty() ? completion_script(t.app, Shell::kBash) : script_text);
  std::string words_array;
  for (const auto& w : words) words_array += " " + quote(w);
  const std::string driver =
      "unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE\n"
      "export HOME=" +
      quote(dir.path().string()) + "\ncd \"$HOME\" || exit 3\nsource " + quote(script) +
      " || exit 4\nCOMP_WORDS=(" + words_array +
      " )\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
      "\n_s3upload || exit 5\nfor r in \"${COMPREPLY[@]}\"; do printf '%s\\n' \"$r\"; done\n";
  const std::string driver_path = dir.write("driver.sh", driver);
  const CommandResult r = run("bash --norc --noprofile " + quote(driver_path));
  EXPECT_EQ(r.status, 0) << r.out;
  return lines(r.out);
}

using Lines = std::vector<std::string>;

// The script s3upload itself prints for `--completions <shell>`.
std::string real_script(const char* shell) {
  std::vector<const char*> args = {"s3upload", "--completions", shell};
  std::ostringstream out, err;
  auto r = s3up::cli::parse(static_cast<int>(args.size()), args.data(), out, err);
  EXPECT_EQ(r.exit_code, 0) << err.str();
  return out.str();
}

}  // namespace

TEST(Completions, ParseShell) {
  EXPECT_EQ(parse_shell("bash"), Shell::kBash);
  EXPECT_EQ(parse_shell("zsh"), Shell::kZsh);
  EXPECT_EQ(parse_shell("FISH"), Shell::kFish);
  EXPECT_EQ(parse_shell(""), std::nullopt);
  EXPECT_EQ(parse_shell("powershell"), std::nullopt);
  EXPECT_EQ(parse_shell("bash "), std::nullopt);
}

TEST(Completions, EveryShellListsTheOptionsIncludingOptionGroups) {
  TestApp t;
  for (Shell sh : {Shell::kBash, Shell::kZsh, Shell::kFish}) {
    const std::string s = completion_script(t.app, sh);
    SCOPED_TRACE(s);
    for (const char* name :
         {"max-concurrent", "dry-run", "verbose", "extensions", "profile", "report",
          "storage-class", "acl", "content-type", "yes", "help", "version"}) {
      EXPECT_NE(s.find(name), std::string::npos) << name;
    }
    EXPECT_EQ(s.find("secret"), std::string::npos) << "hidden options stay hidden";
    EXPECT_NE(s.find("GLACIER_IR"), std::string::npos);
    EXPECT_NE(s.find("bucket-owner-full-control"), std::string::npos);
    EXPECT_NE(s.find(".aws/config"), std::string::npos);
    EXPECT_NE(s.find(".aws/credentials"), std::string::npos);
  }
}

TEST(Completions, ZshSpecsEscapeDescriptionsAndShowValues) {
  TestApp t;
  const std::string s = completion_script(t.app, Shell::kZsh);
  SCOPED_TRACE(s);
  EXPECT_EQ(s.rfind("#compdef s3upload\n", 0), 0u);
  EXPECT_NE(s.find("'(-c --max-concurrent)-c+[Files in flight at once]:N: '"), std::string::npos);
  EXPECT_NE(s.find("'(-c --max-concurrent)--max-concurrent=[Files in flight at once]:N: '"),
            std::string::npos);
  EXPECT_NE(s.find("'--dry-run[Show what would be uploaded; change nothing]'"), std::string::npos);
  EXPECT_NE(s.find("'*--extensions=[Extensions, comma-separated]:LIST: '"), std::string::npos);
  EXPECT_NE(s.find("--storage-class=[Storage class\\: STANDARD, GLACIER, ...]:CLASS:(STANDARD "),
            std::string::npos);
  EXPECT_NE(s.find("'--content-type=[Content-Type\\: e.g. '\\''video/mp4'\\'' \\[default\\: "
                   "detected\\] \\\\ \"quoted\"]:TYPE: '"),
            std::string::npos);
  EXPECT_NE(s.find("--profile=[Shared-config profile]:NAME:_s3upload_profiles'"),
            std::string::npos);
  EXPECT_NE(s.find("--report=[Write JSON to FILE]:FILE:_files'"), std::string::npos);
  EXPECT_NE(s.find("'*:PATH:_files'"), std::string::npos);
  EXPECT_EQ(count(s, "--help["), 1u) << "option groups' copies of --help are left out";
}

TEST(Completions, FishLinesCarryDescriptionsAndValues) {
  TestApp t;
  const std::string s = completion_script(t.app, Shell::kFish);
  SCOPED_TRACE(s);
  EXPECT_NE(s.find("complete -c 's3upload' -s 'c' -l 'max-concurrent' -x -d 'Files in flight at "
                   "once'\n"),
            std::string::npos);
  EXPECT_NE(s.find("complete -c 's3upload' -l 'dry-run' -d 'Show what would be uploaded; change "
                   "nothing'\n"),
            std::string::npos);
  EXPECT_NE(s.find("-l 'storage-class' -x -a 'STANDARD STANDARD_IA "), std::string::npos);
  EXPECT_NE(s.find("-l 'profile' -x -a '(__s3upload_profiles)'"), std::string::npos);
  EXPECT_NE(s.find("-l 'report' -r -d"), std::string::npos);
  EXPECT_NE(s.find("-d 'Content-Type: e.g. \\'video/mp4\\' [default: detected] \\\\ \"quoted\"'"),
            std::string::npos);
  EXPECT_EQ(count(s, "-l 'help'"), 1u);
}

TEST(Completions, BashScriptIsValidSyntax) {
  ASSERT_TRUE(have("bash"));
  s3up::test::TempDir dir;
  TestApp t;
  const std::string path = dir.write("s3upload.bash", completion_script(t.app, Shell::kBash));
  const CommandResult r = run("bash -n " + quote(path));
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(Completions, ZshScriptIsValidSyntax) {
  if (!have("zsh")) GTEST_SKIP() << "zsh is not installed; zsh -n not run";
  s3up::test::TempDir dir;
  TestApp t;
  const std::string path = dir.write("_s3upload", completion_script(t.app, Shell::kZsh));
  const CommandResult r = run("zsh -n " + quote(path));
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(Completions, FishScriptIsValidSyntax) {
  if (!have("fish")) GTEST_SKIP() << "fish is not installed; fish --no-execute not run";
  s3up::test::TempDir dir;
  TestApp t;
  const std::string path = dir.write("s3upload.fish", completion_script(t.app, Shell::kFish));
  const CommandResult r = run("fish --no-execute " + quote(path));
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(Completions, BashCompletesOptionNames) {
  s3up::test::TempDir dir;
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--stor"}), Lines{"--storage-class"});
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--d"}), Lines{"--dry-run"});
  EXPECT_EQ(bash_complete(dir, {"s3upload", "videos", "--ye"}), Lines{"--yes"});
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--se"}), Lines{}) << "hidden";
  const Lines all = bash_complete(dir, {"s3upload", "-"});
  for (const char* name : {"-c", "--max-concurrent", "-y", "--acl", "-h", "--help", "-V"})
    EXPECT_NE(std::find(all.begin(), all.end(), name), all.end()) << name;
  EXPECT_EQ(std::count(all.begin(), all.end(), "--help"), 1);
}

TEST(Completions, BashCompletesStorageClasses) {
  s3up::test::TempDir dir;
  const Lines s = {"STANDARD", "STANDARD_IA"};
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--storage-class", "S"}), s);
  // --storage-class=S: bash splits at '=' (COMP_WORDBREAKS) ...
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--storage-class", "=", "S"}), s);
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--storage-class", "="}).size(), 8u);
  // ... or keeps the word whole when '=' was taken out of COMP_WORDBREAKS.
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--storage-class=GL"}),
            (Lines{"GLACIER", "GLACIER_IR"}));
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--acl", "bucket-owner-"}),
            (Lines{"bucket-owner-full-control", "bucket-owner-read"}));
}

TEST(Completions, BashValuesWithoutHintsCompleteNothing) {
  s3up::test::TempDir dir;
  dir.write("videos/a.mp4", "x");
  EXPECT_EQ(bash_complete(dir, {"s3upload", "-c", ""}), Lines{});
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--bucket", "v"}), Lines{});
}

TEST(Completions, BashCompletesFilesForPathsAndFileOptions) {
  s3up::test::TempDir dir;
  dir.write("videos/a.mp4", "x");
  dir.write("vault.json", "{}");
  EXPECT_EQ(bash_complete(dir, {"s3upload", "v"}), (Lines{"vault.json", "videos"}));
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--report", "va"}), Lines{"vault.json"});
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--", "-"}), Lines{}) << "after -- only files";
}

TEST(Completions, BashCompletesProfilesFromTheSharedFiles) {
  s3up::test::TempDir dir;
  dir.write(".aws/config",
            "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = us-east-1\n"
            "  [ profile   staging ]  # comment\n[sso-session corp]\nsso_region = eu-west-1\n"
            "[services local]\n");
  dir.write(".aws/credentials", "[default]\naws_access_key_id = x\n[ci]\n[dev]\n");
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--profile", ""}),
            (Lines{"ci", "default", "dev", "staging"}));
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--profile", "d"}), (Lines{"default", "dev"}));
}

TEST(Completions, BashWithoutAwsFilesCompletesNoProfiles) {
  s3up::test::TempDir dir;
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--profile", ""}), Lines{});
}

// ---- the real command line ------------------------------------------------------------------

TEST(Completions, IntegrityFlagsAndTheirValuesInEveryShell) {
  for (const char* shell : {"bash", "zsh", "fish"}) {
    const std::string s = real_script(shell);
    SCOPED_TRACE(s);
    for (const char* name : {"checksum-algorithm", "checksum-transport", "metadata-checksum",
                             "compare", "state-dir", "no-resume"}) {
      EXPECT_NE(s.find(name), std::string::npos) << shell << ": " << name;
    }
    for (const char* words : {"crc32c crc32 crc64nvme sha256 sha1 md5 none",
                              "auto trailer header content-md5 payload-hash none",
                              "blake3 sha256 none", "size etag checksum"}) {
      EXPECT_NE(s.find(words), std::string::npos) << shell << ": " << words;
    }
  }
  const std::string zsh = real_script("zsh");
  EXPECT_NE(zsh.find(":ALGO:(crc32c crc32 crc64nvme sha256 sha1 md5 none)'"), std::string::npos);
  EXPECT_NE(zsh.find(":MODE:(size etag checksum)'"), std::string::npos);
  EXPECT_NE(zsh.find("--state-dir=["), std::string::npos);
  EXPECT_NE(zsh.find(":DIR:_files'"), std::string::npos);
  const std::string fish = real_script("fish");
  EXPECT_NE(fish.find("-l 'checksum-transport' -x -a 'auto trailer header content-md5 "
                      "payload-hash none'"),
            std::string::npos);
  EXPECT_NE(fish.find("-l 'metadata-checksum' -x -a 'blake3 sha256 none'"), std::string::npos);
  EXPECT_NE(fish.find("-l 'compare' -x -a 'size etag checksum'"), std::string::npos);
  EXPECT_NE(fish.find("-l 'state-dir' -r"), std::string::npos);
  EXPECT_NE(fish.find("complete -c 's3upload' -l 'no-resume' -d"), std::string::npos);
}

TEST(Completions, BashCompletesIntegrityValues) {
  s3up::test::TempDir dir;
  dir.write("state/x", "");
  const std::string script = real_script("bash");
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--checksum-algorithm", "crc"}, script),
            (Lines{"crc32", "crc32c", "crc64nvme"}));
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--checksum-transport", "p"}, script),
            Lines{"payload-hash"});
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--checksum-transport=c"}, script),
            Lines{"content-md5"});
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--metadata-checksum", ""}, script),
            (Lines{"blake3", "none", "sha256"}));
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--compare", ""}, script),
            (Lines{"checksum", "etag", "size"}));
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--state-dir", "st"}, script), Lines{"state"});
  EXPECT_EQ(bash_complete(dir, {"s3upload", "--no-res"}, script), Lines{"--no-resume"});
}
