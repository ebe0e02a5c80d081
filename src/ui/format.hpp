// Number and text formatting for people.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace s3up::ui {

// Powers of 1024 with two decimals, as the original tool: "512 B", "2.00 KB", "15.20 MB".
std::string format_size(uint64_t bytes);
// "1.5 MB/s" style rate.
std::string format_rate(double bytes_per_second);
// "42s", "3m05s", "1h02m".
std::string format_duration(std::chrono::seconds d);

// ANSI colour when enabled; plain text otherwise.
struct Style {
  bool color = false;
  std::string green(const std::string& s) const { return wrap("32", s); }
  std::string yellow(const std::string& s) const { return wrap("33", s); }
  std::string red(const std::string& s) const { return wrap("31", s); }
  std::string dim(const std::string& s) const { return wrap("2", s); }
  std::string bold(const std::string& s) const { return wrap("1", s); }

 private:
  std::string wrap(const char* code, const std::string& s) const {
    return color ? "\x1b[" + std::string(code) + "m" + s + "\x1b[0m" : s;
  }
};

// Colour only on a terminal, and never when NO_COLOR is set (to anything non-empty).
bool want_color(int fd, bool no_color_env);

}  // namespace s3up::ui
