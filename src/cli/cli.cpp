#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <sstream>
#include <tuple>

#include "app/incomplete.hpp"
#include "cli/completions.hpp"
#include "config/config.hpp"
#include "transfer/memory_budget.hpp"
#include "transfer/part_plan.hpp"

namespace s3up::cli {

ParseResult parse(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  app::Options o;
  CLI::App cli{
      "Upload files and directory trees to Amazon S3 or an S3-compatible store, skip what is "
      "already there, and print presigned URLs.\n\nConfiguration comes from .env (in this "
      "directory or a parent), the environment, and these flags, over s3upload.toml (see "
      "--config).",
      "s3upload"};
  cli.set_version_flag("-V,--version", std::string("s3upload ") + S3UPLOAD_VERSION);
  cli.get_formatter()->column_width(34);

  auto* path_opt =
      cli.add_option("PATH", o.paths, "Files or directories to upload (directories are walked)")
          ->type_name("");
  cli.add_option("-e,--extensions", o.extensions,
                 "Extensions to take from directories, comma-separated; '*' for every file "
                 "[default: mp4,mov]")
      ->type_name("LIST")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);  // repeatable; we split commas
  cli.add_option("-c,--max-concurrent", o.max_concurrent, "Files in flight at once")
      ->default_val(4)
      ->type_name("N");
  cli.add_flag("--url-only", o.url_only,
               "Only print presigned URLs for files already in the bucket");
  cli.add_flag("--dry-run", o.dry_run, "Show what would be uploaded; change nothing");
  cli.add_flag("--sync", o.sync,
               "Also delete objects under the target prefix that have no local file (with the "
               "extensions taken); asks first unless --yes");
  cli.add_option("--url-expiry-hours", o.url_expiry_hours, "Presigned URL lifetime in hours, 1-168")
      ->default_val(168)
      ->type_name("HOURS");

  std::string bucket, region, profile, target, endpoint;
  auto* ob = cli.add_option("--bucket", bucket, "Bucket (overrides S3_BUCKET)")->type_name("NAME");
  auto* orr =
      cli.add_option("--region", region, "Region (overrides AWS_REGION)")->type_name("REGION");
  auto* op = cli.add_option("--profile", profile, "Shared-config profile (overrides AWS_PROFILE)")
                 ->type_name("NAME");
  auto* ot =
      cli.add_option("--target-path,--prefix", target, "Key prefix (overrides S3_TARGET_PATH)")
          ->type_name("PREFIX");
  auto* oe = cli.add_option("--endpoint-url", endpoint,
                            "S3-compatible endpoint, e.g. http://127.0.0.1:9000 "
                            "(overrides AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)")
                 ->type_name("URL");
  bool path_style = false;
  auto* ops = cli.add_flag("--path-style", path_style,
                           "Path-style addressing (overrides S3_FORCE_PATH_STYLE)");
  cli.add_flag("--flatten", o.flatten, "Use only file names as keys (drop directories)");
  cli.add_flag("--follow-symlinks", o.follow_symlinks, "Follow symbolic links while walking");
  cli.add_flag("--no-progress", o.no_progress, "Do not draw progress bars");
  cli.add_flag("-v,--verbose", o.verbose, "Log requests and decisions to stderr");
  cli.add_option("--multipart-threshold", o.multipart_threshold,
                 "Files this large or larger go up in parts")
      ->default_val("16MiB")
      ->type_name("SIZE");
  cli.add_option("--part-size", o.part_size,
                 "Part size for multipart uploads, 5MiB-5GiB (grown automatically so no file "
                 "needs more than 10,000 parts)")
      ->default_val("16MiB")
      ->type_name("SIZE");
  cli.add_option("--max-requests", o.max_requests,
                 "Requests (connections) in flight at once across all files")
      ->default_val(16)
      ->type_name("N");
  cli.add_option("--max-retries", o.max_retries, "Retries per request for transient failures")
      ->default_val(5)
      ->type_name("N");
  cli.add_option("--timeout", o.timeout_seconds,
                 "Seconds to wait for a connection, or for a stalled transfer to move")
      ->default_val(60)
      ->type_name("SECONDS");
  cli.add_option("--max-speed-mbps", o.max_speed_mbps,
                 "Upload speed cap in MiB/s shared by all transfers (0 = unlimited)")
      ->default_val(0)
      ->type_name("MIBPS");
  cli.add_option("--max-memory", o.max_memory,
                 "Memory for buffers in flight; lowers --max-requests/-c when they would need "
                 "more (bodies stream from disk and are never held whole)")
      ->default_val("256MiB")
      ->type_name("SIZE");
  auto* og = cli.add_option_group("Object options",
                                  "What each uploaded object carries (also S3_* keys in .env)");
  og->add_option("--metadata", o.object.metadata,
                 "User metadata k=v,k=v (x-amz-meta-*); may repeat")
      ->type_name("LIST")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  og->add_option("--tags", o.object.tags, "Object tags k=v,k=v; may repeat")
      ->type_name("LIST")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  struct Single {
    const char* flag;
    std::optional<std::string>* target;
    const char* help;
    const char* type;
  };
  std::vector<std::string> single_values(12);
  std::vector<std::pair<CLI::Option*, std::optional<std::string>*>> singles;
  const Single kSingles[] = {
      {"--content-type", &o.object.content_type,
       "Content-Type for every file (default: detected from the extension)", "TYPE"},
      {"--content-encoding", &o.object.content_encoding, "Content-Encoding header", "VALUE"},
      {"--content-disposition", &o.object.content_disposition, "Content-Disposition header",
       "VALUE"},
      {"--cache-control", &o.object.cache_control, "Cache-Control header", "VALUE"},
      {"--expires", &o.object.expires, "Expires header (HTTP date or ISO 8601)", "DATE"},
      {"--storage-class", &o.object.storage_class,
       "Storage class: STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, ...", "CLASS"},
      {"--acl", &o.object.acl, "Canned ACL: private, public-read, bucket-owner-full-control, ...",
       "ACL"},
      {"--encryption", &o.object.encryption, "Server-side encryption: aes256 or aws-kms", "KIND"},
      {"--kms-key-id", &o.object.kms_key_id, "KMS key for --encryption aws-kms", "KEY"},
      {"--sse-c-key-file", &o.object.sse_c_key_file,
       "SSE-C: file holding the 32-byte key (raw, base64 or hex); never on the command line",
       "PATH"},
  };
  size_t k = 0;
  for (const auto& sgl : kSingles) {
    singles.emplace_back(
        og->add_option(sgl.flag, single_values[k++], sgl.help)->type_name(sgl.type), sgl.target);
  }
  auto* ig = cli.add_option_group(
      "Integrity and resume",
      "How the bytes are checked, how existing objects are compared, and resuming multipart "
      "uploads (also S3_* keys in .env)");
  std::string checksum_algorithm, checksum_transport, metadata_checksum, compare, state_dir;
  auto* o_algo = ig->add_option("--checksum-algorithm", checksum_algorithm,
                                "Checksum the server verifies on every upload: crc32c, crc32, "
                                "crc64nvme, sha256, sha1, md5 or none [default: crc32c]")
                     ->type_name("ALGO");
  auto* o_transport =
      ig->add_option("--checksum-transport", checksum_transport,
                     "How the checksum travels: auto (detected once per run), trailer, header, "
                     "content-md5, payload-hash or none [default: auto]")
          ->type_name("HOW");
  auto* o_meta = ig->add_option("--metadata-checksum", metadata_checksum,
                                "Whole-file digest stored as x-amz-meta-s3upload-<name>: blake3, "
                                "sha256 or none [default: blake3]")
                     ->type_name("ALGO");
  auto* o_compare = ig->add_option("--compare", compare,
                                   "How an object already in the bucket is judged identical: "
                                   "size, etag or checksum [default: etag]")
                        ->type_name("MODE");
  auto* o_state = ig->add_option("--state-dir", state_dir,
                                 "Where multipart uploads are journaled for resuming "
                                 "[default: $XDG_STATE_HOME/s3upload]")
                      ->type_name("DIR");
  bool no_resume = false;
  auto* o_no_resume = ig->add_flag("--no-resume", no_resume,
                                   "Start interrupted multipart uploads afresh instead of "
                                   "resuming them");
  auto* hk = cli.add_option_group("Incomplete multipart uploads",
                                  "Housekeeping under the target prefix (no PATH needed)");
  hk->add_flag("--list-incomplete", o.list_incomplete,
               "List multipart uploads never completed or aborted, with age and size so far");
  hk->add_flag("--abort-incomplete", o.abort_incomplete, "Abort them (asks first unless --yes)");
  auto* older = hk->add_option("--older-than", o.older_than,
                               "With --abort-incomplete: only uploads at least this old (7d, 12h)")
                    ->type_name("DURATION");
  hk->add_flag("-y,--yes", o.yes, "Do not ask for confirmation");
  cli.add_option("--report", o.report_path,
                 "Also write the results (every file, outcome, URL, counts) as JSON to FILE")
      ->type_name("FILE");
  std::string completions_shell;
  auto* completions =
      cli.add_option("--completions", completions_shell,
                     "Print a completion script for bash, zsh or fish and exit "
                     "(e.g. s3upload --completions bash > /etc/bash_completion.d/s3upload)")
          ->type_name("SHELL");
  cli.add_flag("--no-cache", o.no_cache,
               "Do not use the local hash cache ($XDG_CACHE_HOME/s3upload) of unchanged files");
  cli.add_flag("--no-list", o.no_list,
               "Check each file with HEAD instead of listing the target prefix once");
  auto* config_opt = cli.add_option("--config", o.config_file,
                                    "Read settings from this TOML file instead of ./s3upload.toml "
                                    "or $XDG_CONFIG_HOME/s3upload/config.toml")
                         ->type_name("FILE");
  auto* check_opt = cli.add_flag("--check", o.check,
                                 "Check the bucket, the credentials and the permissions instead "
                                 "of uploading (no PATH)");
  auto* write_test_opt = cli.add_flag("--write-test", o.write_test,
                                      "With --check: also write and delete a zero-byte test "
                                      "object under the target prefix");
  cli.add_flag("-i,--interactive", o.interactive,
               "Ask before replacing an object that exists with different content");
  cli.add_flag("--copy-url", o.copy_url,
               "Copy the presigned URL to the clipboard when the run made exactly one");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << cli.help();
    return {std::nullopt, 0};
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return {std::nullopt, 0};
  } catch (const CLI::ParseError& e) {
    err << "error: " << e.what() << "\nRun 's3upload --help' for usage.\n";
    return {std::nullopt, 2};
  }

  if (completions->count()) {
    auto shell = parse_shell(completions_shell);
    if (!shell) {
      err << "error: --completions takes bash, zsh or fish (got '" << completions_shell << "')\n";
      return {std::nullopt, 2};
    }
    out << completion_script(cli, *shell);
    return {std::nullopt, 0};
  }

  std::vector<std::string> problems;
  const bool housekeeping = o.list_incomplete || o.abort_incomplete;
  if (!housekeeping && !o.check && path_opt->count() == 0) {
    err << "error: PATH is required: give the files or directories to upload\nRun 's3upload "
           "--help' for usage.\n";
    return {std::nullopt, 2};
  }
  if (housekeeping && path_opt->count() > 0) {
    problems.push_back("--list-incomplete and --abort-incomplete take no PATH");
  }
  if (o.list_incomplete && o.abort_incomplete) {
    problems.push_back("--list-incomplete and --abort-incomplete cannot be used together");
  }
  if (check_opt->count()) {
    if (path_opt->count() > 0) {
      problems.push_back("--check takes no PATH: it checks the bucket and the target prefix");
    }
    if (housekeeping || o.url_only || o.dry_run) {
      problems.push_back(
          "--check runs on its own: leave out --list-incomplete, --abort-incomplete, "
          "--url-only and --dry-run");
    }
  }
  if (write_test_opt->count() && !o.check) {
    problems.push_back("--write-test only goes with --check");
  }
  if (config_opt->count() && o.config_file.empty()) {
    problems.push_back("--config is empty: give the path of the TOML file");
  }
  if (older->count() && !o.abort_incomplete) {
    problems.push_back("--older-than only goes with --abort-incomplete");
  }
  if (older->count()) {
    if (auto d = app::parse_duration(o.older_than); !d)
      problems.push_back("--older-than: " + d.error());
  }
  if (o.max_concurrent < 1 || o.max_concurrent > 1024) {
    problems.push_back("-c/--max-concurrent must be between 1 and 1024 (got " +
                       std::to_string(o.max_concurrent) + ")");
  }
  if (o.url_expiry_hours < 1 || o.url_expiry_hours > 168) {
    problems.push_back(
        "--url-expiry-hours must be between 1 and 168 (7 days, S3's limit for "
        "presigned URLs); got " +
        std::to_string(o.url_expiry_hours));
  }
  for (auto [flag, text] : {std::pair{"--multipart-threshold", &o.multipart_threshold},
                            std::pair{"--part-size", &o.part_size}}) {
    auto size = transfer::parse_size(*text);
    if (!size) problems.push_back(std::string(flag) + ": " + size.error());
  }
  if (auto ps = transfer::parse_size(o.part_size);
      ps && (*ps < transfer::kMinPartSize || *ps > transfer::kMaxPartSize)) {
    problems.push_back("--part-size must be between 5MiB and 5GiB (S3's limits); got " +
                       o.part_size);
  }
  if (auto mm = transfer::parse_size(o.max_memory); !mm) {
    problems.push_back("--max-memory: " + mm.error());
  } else if (*mm < transfer::kMinMemoryBudget) {
    problems.push_back("--max-memory must be at least 32MiB (got " + o.max_memory + ")");
  }
  if (o.max_requests < 1 || o.max_requests > 1024) {
    problems.push_back("--max-requests must be between 1 and 1024 (got " +
                       std::to_string(o.max_requests) + ")");
  }
  if (o.max_retries < 0 || o.max_retries > 100) {
    problems.push_back("--max-retries must be between 0 and 100 (got " +
                       std::to_string(o.max_retries) + ")");
  }
  if (o.timeout_seconds < 1 || o.timeout_seconds > 3600) {
    problems.push_back("--timeout must be between 1 and 3600 seconds (got " +
                       std::to_string(o.timeout_seconds) + ")");
  }
  if (!(o.max_speed_mbps >= 0) || o.max_speed_mbps > 1e6) {
    problems.push_back("--max-speed-mbps must be 0 (unlimited) or a positive MiB/s value");
  }
  if (o.url_only && o.dry_run) {
    problems.push_back("--url-only and --dry-run cannot be used together: pick one");
  }
  if (o.sync && o.url_only) {
    problems.push_back(
        "--sync and --url-only cannot be used together: --url-only changes nothing in the bucket");
  }
  if (o.sync && housekeeping) {
    problems.push_back("--sync does not go with --list-incomplete or --abort-incomplete");
  }
  // Integrity and resume flags: recorded as typed, checked on their own here (an empty
  // environment leaves the other values at their defaults, the most lenient choice) and again
  // with the configuration keys once .env is loaded.
  for (auto [opt, value, target] :
       {std::tuple{o_algo, &checksum_algorithm, &o.overrides.checksum_algorithm},
        std::tuple{o_transport, &checksum_transport, &o.overrides.checksum_transport},
        std::tuple{o_meta, &metadata_checksum, &o.overrides.metadata_checksum},
        std::tuple{o_compare, &compare, &o.overrides.compare},
        std::tuple{o_state, &state_dir, &o.overrides.state_dir}}) {
    if (opt->count()) *target = *value;
  }
  if (o_no_resume->count() && no_resume) o.overrides.resume = false;
  if (auto integrity = config::resolve_integrity(Environment{}, o.overrides); !integrity) {
    for (const auto& p : integrity.error()) problems.push_back(p);
  }
  if (!problems.empty()) {
    for (const auto& p : problems) err << "error: " << p << "\n";
    return {std::nullopt, 2};
  }
  for (size_t i = 0; i < singles.size(); ++i) {
    if (singles[i].first->count()) *singles[i].second = single_values[i];
  }
  if (ob->count()) o.overrides.bucket = bucket;
  if (orr->count()) o.overrides.region = region;
  if (op->count()) o.overrides.profile = profile;
  if (ot->count()) o.overrides.target_path = target;
  if (oe->count()) o.overrides.endpoint_url = endpoint;
  if (ops->count()) o.overrides.path_style = path_style;
  // The flags given (by long name): the configuration file's settings yield to them.
  std::function<void(CLI::App*)> record_given = [&](CLI::App* app) {
    for (const CLI::Option* opt : app->get_options()) {
      if (opt->count() && !opt->get_lnames().empty()) o.given.insert("--" + opt->get_lnames()[0]);
    }
    for (CLI::App* group : app->get_subcommands(std::function<bool(CLI::App*)>())) {
      record_given(group);
    }
  };
  record_given(&cli);
  return {std::move(o), 0};
}

}  // namespace s3up::cli
