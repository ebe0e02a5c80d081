#include "app/file_settings.hpp"

#include <spdlog/spdlog.h>

namespace s3up::app {

void apply_file_settings(Options& opts, const config::ConfigFile& file) {
  auto given = [&](const char* flag) { return opts.given.count(flag) != 0; };
  auto take = [&](const char* flag, auto& target, const auto& value) {
    if (value && !given(flag)) target = *value;
  };
  take("--max-concurrent", opts.max_concurrent, file.max_concurrent);
  take("--extensions", opts.extensions, file.extensions);
  take("--url-expiry-hours", opts.url_expiry_hours, file.url_expiry_hours);
  take("--multipart-threshold", opts.multipart_threshold, file.multipart_threshold);
  take("--part-size", opts.part_size, file.part_size);
  take("--max-requests", opts.max_requests, file.max_requests);
  take("--max-speed-mbps", opts.max_speed_mbps, file.max_speed_mbps);
  take("--yes", opts.yes, file.yes);
  if (!given("--url-only")) take("--dry-run", opts.dry_run, file.dry_run);
}

Result<std::optional<std::filesystem::path>, std::vector<std::string>> apply_config_file(
    Options& opts, Environment& env, const std::filesystem::path& cwd) {
  auto file = config::load_config_file(env, cwd, opts.config_file);
  if (!file) return unexpected(std::move(file.error()));
  if (!*file) return std::optional<std::filesystem::path>{};
  const config::ConfigFile& f = **file;
  spdlog::debug("configuration file {}", f.name);
  for (const auto& k : config::merge_config_keys(env, f)) {
    spdlog::debug("{} stands for {}", k.origin, k.env_name);
  }
  apply_file_settings(opts, f);
  return std::optional<std::filesystem::path>{f.path};
}

}  // namespace s3up::app
