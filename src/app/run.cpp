#include "app/run.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/check.hpp"
#include "app/file_settings.hpp"
#include "app/incomplete.hpp"
#include "app/prompt.hpp"
#include "app/sync.hpp"
#include "auth/credentials.hpp"
#include "config/config.hpp"
#include "http/event_loop.hpp"
#include "integrity/checksum.hpp"
#include "integrity/hash_cache.hpp"
#include "s3/client.hpp"
#include "s3/content_type.hpp"
#include "s3/object_options.hpp"
#include "transfer/engine.hpp"
#include "transfer/journal.hpp"
#include "transfer/memory_budget.hpp"
#include "transfer/part_plan.hpp"
#include "transfer/walk.hpp"
#include "ui/clipboard.hpp"
#include "ui/format.hpp"
#include "ui/progress.hpp"
#include "ui/report.hpp"

namespace s3up::app {

namespace {

// The loop the signal handler stops. interrupt() is async-signal-safe.
http::EventLoop* g_loop = nullptr;
volatile std::sig_atomic_t g_signalled = 0;

extern "C" void on_signal(int) {
  g_signalled = 1;
  if (g_loop) g_loop->interrupt();
}

class SignalScope {
 public:
  explicit SignalScope(http::EventLoop* loop) {
    g_loop = loop;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    // A closed pipe must not kill us mid-run; writes fail instead.
    std::signal(SIGPIPE, SIG_IGN);
  }
  ~SignalScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    g_loop = nullptr;
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

int terminal_width() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

void setup_logging(const Options& opts, const Environment& env) {
  auto logger = spdlog::stderr_color_mt("s3upload");
  logger->set_pattern("%^[%l]%$ %v");
  auto level = spdlog::level::warn;
  if (auto v = env.get("S3UPLOAD_LOG"); v && !v->empty()) {
    level = spdlog::level::from_str(*v);
  }
  if (opts.verbose) level = spdlog::level::debug;
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

}  // namespace

int run(const Options& given_opts, Environment env, const std::filesystem::path& cwd,
        std::ostream& out, std::ostream& err) {
  Options opts = given_opts;  // the configuration file fills in what no flag gave
  if (!spdlog::get("s3upload")) setup_logging(opts, env);

  auto dotenv = config::load_dotenv(env, cwd);
  if (!dotenv) {
    err << "error: " << dotenv.error() << "\n";
    return kExitUsage;
  }
  if (*dotenv) spdlog::debug("loaded {}", dotenv->value().string());
  // s3upload.toml: below the environment and .env for its keys, below flags for the rest.
  if (auto file = apply_config_file(opts, env, cwd); !file) {
    for (const auto& problem : file.error()) err << "error: " << problem << "\n";
    return kExitUsage;
  }

  auto settings = config::resolve_settings(env, opts.overrides);
  if (!settings) {
    for (const auto& problem : settings.error()) err << "error: " << problem << "\n";
    return kExitUsage;
  }
  const config::Settings& cfg = *settings;

  auto integrity_settings = config::resolve_integrity(env, opts.overrides);
  if (!integrity_settings) {
    for (const auto& problem : integrity_settings.error()) err << "error: " << problem << "\n";
    return kExitUsage;
  }
  for (const auto& w : integrity_settings->warnings) err << "warning: " << w << "\n";
  config::IntegritySettings& integ = *integrity_settings;
  if (!integ.state_dir.empty() && integ.state_dir.is_relative()) {
    integ.state_dir = cwd / integ.state_dir;
  }

  std::vector<std::string> ext_specs = opts.extensions;
  if (ext_specs.empty()) ext_specs.push_back(kDefaultExtensions);
  auto filter = transfer::ExtensionFilter::parse(ext_specs);
  if (!filter) {
    err << "error: " << filter.error() << "\n";
    return kExitUsage;
  }

  auto object_options = s3::validate(s3::merge(s3::object_options_from_env(env), opts.object));
  if (!object_options) {
    for (const auto& problem : object_options.error()) err << "error: " << problem << "\n";
    return kExitUsage;
  }
  for (const auto& w : object_options->warnings) err << "warning: " << w << "\n";
  const s3::ContentTypes content_types = s3::ContentTypes::system();

  auto creds = auth::default_chain(env, cfg.profile).resolve();
  if (!creds) {
    err << "error: " << creds.error() << "\n";
    return kExitUsage;
  }
  spdlog::debug("credentials: {}", auth::redacted(*creds));

  ui::Style out_style{ui::want_color(STDOUT_FILENO, env.get_or("NO_COLOR", "") != "")};
  ui::Style err_style{ui::want_color(STDERR_FILENO, env.get_or("NO_COLOR", "") != "")};

  // --interactive asks at the terminal (an error without one); with --yes it asks nothing.
  std::unique_ptr<OverwritePrompt> overwrite_prompt;
  if (opts.interactive && !opts.yes && !opts.check) {
    auto p = OverwritePrompt::open_terminal(err, err_style);
    if (!p) {
      err << "error: " << p.error() << "\n";
      return kExitUsage;
    }
    overwrite_prompt = std::move(*p);
  }

  // The memory budget caps how much runs at once (checked by the CLI).
  transfer::Concurrency conc = transfer::fit_memory_budget(
      *transfer::parse_size(opts.max_memory),
      transfer::Concurrency{opts.max_requests, opts.max_concurrent,
                            std::clamp(std::thread::hardware_concurrency(), 2u, 8u), ""});
  if (!conc.note.empty()) err << "note: " << conc.note << "\n";

  http::LoopOptions lo;
  lo.max_connections = std::max(conc.max_requests, conc.max_concurrent);
  lo.connect_timeout = std::chrono::seconds(std::min(opts.timeout_seconds, 30));
  lo.stall_timeout = std::chrono::seconds(opts.timeout_seconds);
  lo.max_bytes_per_second = static_cast<uint64_t>(opts.max_speed_mbps * 1024.0 * 1024.0);
  if (auto ca = env.get("AWS_CA_BUNDLE"); ca && !ca->empty()) lo.ca_bundle = *ca;
  http::EventLoop loop(lo);

  s3::ClientConfig cc;
  cc.endpoint = s3::make_endpoint(cfg.endpoint_url, cfg.region, cfg.path_style);
  cc.region = cfg.region;
  cc.bucket = cfg.bucket;
  cc.credentials = *creds;
  cc.retry.max_retries = opts.max_retries;
  cc.object_headers = object_options->part_headers();  // SSE-C key headers, if any
  s3::Client client(loop, cc);
  spdlog::debug("endpoint {}://{} ({}), region {}", cc.endpoint.scheme, cc.endpoint.host,
                cc.endpoint.path_style ? "path style" : "virtual hosted", cfg.region);

  if (opts.check) {
    CheckOptions co;
    co.prefix = cfg.target_path.empty() ? "" : cfg.target_path + "/";
    co.write_test = opts.write_test;
    co.object_options = &*object_options;
    SignalScope signals(&loop);
    const int status = run_check(client, co, out_style, out);
    return g_signalled ? kExitInterrupted : status;
  }

  if (opts.list_incomplete || opts.abort_incomplete) {
    IncompleteOptions io;
    io.prefix = cfg.target_path.empty() ? "" : cfg.target_path + "/";
    io.abort = opts.abort_incomplete;
    if (!opts.older_than.empty()) io.older_than = *parse_duration(opts.older_than);  // checked
    io.yes = opts.yes;
    io.interactive = isatty(STDIN_FILENO) == 1;
    out << "📦 Target: " << out_style.bold("s3://" + cfg.bucket + "/" + io.prefix) << "\n";
    SignalScope signals(&loop);
    return run_incomplete(client, io, out_style, std::cin, out, err,
                          std::chrono::system_clock::now());
  }

  if (opts.sync && !opts.dry_run && !opts.yes && isatty(STDIN_FILENO) != 1) {
    err << "error: --sync deletes objects that have no local file and asks first: confirm with "
           "--yes when not running at a terminal (--dry-run --sync shows what it would delete)\n";
    return kExitUsage;
  }

  transfer::WalkOptions wo;
  wo.follow_symlinks = opts.follow_symlinks;
  wo.target_path = cfg.target_path;
  wo.flatten = opts.flatten;

  transfer::Mode mode = opts.url_only  ? transfer::Mode::kUrlOnly
                        : opts.dry_run ? transfer::Mode::kDryRun
                                       : transfer::Mode::kUpload;
  ui::print_target(out, out_style, cfg.bucket, cfg.target_path, mode);
  if (object_options->sse_c() && mode != transfer::Mode::kDryRun) {
    out << "🔑 SSE-C: the presigned URLs below only work when the downloader also sends the "
           "x-amz-server-side-encryption-customer-algorithm/-key/-key-MD5 headers with the "
           "same key.\n";
  }
  out.flush();
  transfer::EngineOptions eo;
  eo.mode = mode;
  eo.max_concurrent = conc.max_concurrent;
  eo.url_expiry = std::chrono::hours(opts.url_expiry_hours);
  eo.max_requests = conc.max_requests;
  eo.multipart_threshold = *transfer::parse_size(opts.multipart_threshold);  // checked by cli
  eo.part_size = *transfer::parse_size(opts.part_size);
  // One listing of the target prefix pays off as soon as more than one file may be involved.
  bool several = opts.paths.size() > 1;
  for (const auto& p : opts.paths) {
    std::error_code ec;
    several = several || std::filesystem::is_directory(p, ec);
  }
  eo.use_listing = !opts.no_list && several;
  eo.list_prefix = cfg.target_path.empty() ? "" : cfg.target_path + "/";
  eo.hash_threads = conc.hash_threads;
  eo.object_options = &*object_options;
  eo.content_types = &content_types;
  integrity::HashCache hash_cache =
      opts.no_cache ? integrity::HashCache() : integrity::HashCache::open_default(env);
  eo.hash_cache = &hash_cache;
  eo.checksum_algo = integ.checksum_algo;
  eo.checksum_transport = integ.checksum_transport;
  eo.metadata_digest = integ.metadata_digest;
  eo.compare = integ.compare;
  eo.state_dir = integ.state_dir;
  if (eo.state_dir.empty()) eo.stale_journal_dir = transfer::Journal::default_dir(env).value_or("");
  eo.tool_version = std::string("s3upload/") + S3UPLOAD_VERSION;
  spdlog::debug(
      "integrity: checksum {} sent by {}, metadata checksum {}, compare by {}; {}",
      integrity::algo_name(eo.checksum_algo), integrity::transport_name(eo.checksum_transport),
      integrity::metadata_digest_name(eo.metadata_digest), transfer::compare_mode_name(eo.compare),
      eo.state_dir.empty() ? std::string("resume off")
                           : "resume journals in " + env.display_path(eo.state_dir));
  transfer::EngineStats stats;

  std::unique_ptr<ui::TerminalProgress> progress;
  if (!opts.no_progress && isatty(STDERR_FILENO) == 1) {
    progress = std::make_unique<ui::TerminalProgress>(err, err_style, terminal_width());
  }
  if (overwrite_prompt && mode == transfer::Mode::kUpload) {
    overwrite_prompt->set_before_ask([&progress] {
      if (progress) progress->clear();
    });
    eo.confirm_overwrite = overwrite_prompt->callback();
  }

  transfer::TransferOutput output;
  std::chrono::steady_clock::duration elapsed{};
  {
    SignalScope signals(&loop);
    const auto started = std::chrono::steady_clock::now();
    // The walk feeds the engine from a thread of its own: uploads start before it ends.
    auto feed = [&](const std::function<bool(transfer::LocalFile)>& emit) {
      transfer::walk_files(opts.paths, *filter, wo, emit);
    };
    output = transfer::run_transfers(client, feed, eo, progress.get(), &stats);
    elapsed = std::chrono::steady_clock::now() - started;
  }
  if (progress) progress->clear();

  spdlog::debug("requests: {} HEAD, {} LIST, {} PUT, {} UploadPart; {} multipart upload(s) aborted",
                stats.head_requests, stats.list_requests, stats.put_requests, stats.part_requests,
                stats.aborted_uploads);
  spdlog::debug("hashing: {} file(s) read, {} digest(s) from the hash cache", stats.files_hashed,
                stats.digests_from_cache);
  const auto& files = output.files;
  const auto& results = output.results;
  if (files.empty() && !g_signalled) {
    err << "No files to process: nothing under "
        << (opts.paths.size() == 1 ? "that path" : "those paths") << " has the extensions "
        << filter->describe() << ". Use -e to choose extensions, or -e '*' for every file.\n";
  }
  ui::Counts counts = ui::count_results(files, results);
  ui::print_results(out, out_style, mode, cfg.bucket, files, results, counts, !opts.sync);
  SyncResult sync;
  if (opts.sync) {
    // Deletes only after a run in which every file was found, read and sent.
    const std::string blocker = sync_blocker(files, results, g_signalled != 0);
    if (!blocker.empty()) {
      sync.report.not_run = blocker;
      err << "warning: --sync " << (mode == transfer::Mode::kDryRun ? "would delete" : "deleted")
          << " nothing: " << blocker << ".\n";
    } else {
      SyncOptions so;
      so.scope = sync_scope(opts.paths, eo.list_prefix, opts.flatten);
      so.bucket = cfg.bucket;
      so.dry_run = mode == transfer::Mode::kDryRun;
      so.yes = opts.yes;
      so.interactive = isatty(STDIN_FILENO) == 1;
      std::vector<std::string> local_keys;
      for (const auto& f : files) {
        if (!f.key.empty()) local_keys.push_back(f.key);
      }
      SignalScope signals(&loop);
      sync = sync_deletions(client, so, local_keys, *filter, out_style, std::cin, out, err);
    }
    counts.sync = true;
    counts.deleted = sync.report.deleted.size();
    counts.would_delete = sync.report.would_delete.size();
    counts.delete_failed = sync.report.failed.size();
    ui::print_summary(out, out_style, mode, counts);
  }
  if (mode == transfer::Mode::kUpload) {
    if (!output.integrity.empty()) {
      out << out_style.dim(ui::format_integrity(output.integrity)) << "\n";
    }
    out << out_style.dim(ui::format_totals(counts, elapsed)) << "\n";
  }
  if (opts.copy_url) {
    std::vector<std::string> urls;
    for (const auto& r : results) {
      if (!r.url.empty()) urls.push_back(r.url);
    }
    out.flush();
    auto copied = ui::copy_single_url(
        urls, ui::ClipboardContext::system(env, isatty(STDOUT_FILENO) == 1, out));
    if (copied.copied) {
      out << copied.message << "\n";
    } else {
      err << "note: " << copied.message << "\n";
    }
  }
  out.flush();
  if (!opts.report_path.empty()) {
    std::ofstream report(opts.report_path, std::ios::trunc);
    report << ui::results_json(mode, cfg.bucket, cfg.target_path, files, results, counts, elapsed,
                               std::chrono::system_clock::now(), output.integrity,
                               opts.sync ? &sync.report : nullptr)
           << "\n";
    if (!report.flush()) {
      err << "error: could not write the report to " << opts.report_path
          << ": check the path and permissions\n";
      if (counts.failed == 0 && counts.interrupted == 0) return kExitFailed;
    }
  }

  if (g_signalled || counts.interrupted > 0) {
    err << "Interrupted: " << counts.uploaded << " file(s) finished before the stop; run the "
        << "same command again to continue.\n";
    return kExitInterrupted;
  }
  if (counts.failed > 0) return kExitFailed;
  if (sync.exit_code != 0) return sync.exit_code;
  if (mode == transfer::Mode::kUrlOnly && counts.not_found > 0) return kExitFailed;
  return kExitOk;
}

}  // namespace s3up::app
