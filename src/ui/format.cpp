#include "ui/format.hpp"

#include <unistd.h>

#include <cstdio>

namespace s3up::ui {

std::string format_size(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 5) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", v, kUnits[u]);
  return buf;
}

std::string format_rate(double bps) {
  if (bps < 0) bps = 0;
  return format_size(static_cast<uint64_t>(bps)) + "/s";
}

std::string format_duration(std::chrono::seconds d) {
  long s = static_cast<long>(d.count());
  if (s < 0) s = 0;
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  }
  return buf;
}

bool want_color(int fd, bool no_color_env) {
  return !no_color_env && isatty(fd) == 1;
}

}  // namespace s3up::ui
