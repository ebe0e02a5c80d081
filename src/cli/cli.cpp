#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <sstream>

namespace s3up::cli {

ParseResult parse(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  app::Options o;
  CLI::App cli{
      "Upload files and directory trees to Amazon S3 or an S3-compatible store, skip what is "
      "already there, and print presigned URLs.\n\nConfiguration comes from .env (in this "
      "directory or a parent), the environment, and these flags.",
      "s3upload"};
  cli.set_version_flag("-V,--version", std::string("s3upload ") + S3UPLOAD_VERSION);
  cli.get_formatter()->column_width(34);

  cli.add_option("PATH", o.paths, "Files or directories to upload (directories are walked)")
      ->required()
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
  cli.add_option("--url-expiry-hours", o.url_expiry_hours,
                 "Presigned URL lifetime in hours, 1-168")
      ->default_val(168)
      ->type_name("HOURS");

  std::string bucket, region, profile, target, endpoint;
  auto* ob = cli.add_option("--bucket", bucket, "Bucket (overrides S3_BUCKET)")->type_name("NAME");
  auto* orr = cli.add_option("--region", region, "Region (overrides AWS_REGION)")->type_name("REGION");
  auto* op = cli.add_option("--profile", profile, "Shared-config profile (overrides AWS_PROFILE)")
                 ->type_name("NAME");
  auto* ot = cli.add_option("--target-path,--prefix", target,
                            "Key prefix (overrides S3_TARGET_PATH)")
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

  std::vector<std::string> problems;
  if (o.max_concurrent < 1 || o.max_concurrent > 1024) {
    problems.push_back("-c/--max-concurrent must be between 1 and 1024 (got " +
                       std::to_string(o.max_concurrent) + ")");
  }
  if (o.url_expiry_hours < 1 || o.url_expiry_hours > 168) {
    problems.push_back("--url-expiry-hours must be between 1 and 168 (7 days, S3's limit for "
                       "presigned URLs); got " +
                       std::to_string(o.url_expiry_hours));
  }
  if (o.url_only && o.dry_run) {
    problems.push_back("--url-only and --dry-run cannot be used together: pick one");
  }
  if (!problems.empty()) {
    for (const auto& p : problems) err << "error: " << p << "\n";
    return {std::nullopt, 2};
  }
  if (ob->count()) o.overrides.bucket = bucket;
  if (orr->count()) o.overrides.region = region;
  if (op->count()) o.overrides.profile = profile;
  if (ot->count()) o.overrides.target_path = target;
  if (oe->count()) o.overrides.endpoint_url = endpoint;
  if (ops->count()) o.overrides.path_style = path_style;
  return {std::move(o), 0};
}

}  // namespace s3up::cli
