#include "ui/progress.hpp"

#include <algorithm>

namespace s3up::ui {

using Clock = std::chrono::steady_clock;

std::string bar(double fraction, int width) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  int filled = static_cast<int>(fraction * width + 0.5);
  std::string s = "[";
  s.append(static_cast<size_t>(filled), '#');
  s.append(static_cast<size_t>(width - filled), '-');
  s += "]";
  return s;
}

TerminalProgress::TerminalProgress(std::ostream& err, Style style, int terminal_width)
    : err_(err), style_(style), width_(std::max(terminal_width, 40)), start_(Clock::now()) {}

void TerminalProgress::on_discovered(size_t index, const transfer::LocalFile& f) {
  if (files_.size() <= index) files_.resize(index + 1);
  files_[index] = Known{f.display, f.size, f.error.empty()};
  if (f.error.empty()) {
    ++total_files_;
    total_bytes_ += f.size;
  }
}

TerminalProgress::~TerminalProgress() {
  clear();
}

void TerminalProgress::on_start(size_t index, const transfer::LocalFile&) {
  active_[index] = 0;
  maybe_draw(false);
}

void TerminalProgress::on_bytes(size_t index, uint64_t delta) {
  auto it = active_.find(index);
  if (it != active_.end()) it->second += delta;
  sent_bytes_ += delta;
  maybe_draw(false);
}

void TerminalProgress::on_acked(size_t index, uint64_t bytes) {
  acked_[index] += bytes;
  acked_bytes_ += bytes;
  maybe_draw(false);
}

void TerminalProgress::on_finish(size_t index, const transfer::FileResult&) {
  if (index < files_.size() && files_[index].counted) {
    ++done_files_;
    // Skipped and failed files leave the total: only acknowledged bytes stay counted.
    auto it = acked_.find(index);
    uint64_t acked = it != acked_.end() ? it->second : 0;
    if (files_[index].size > acked)
      total_bytes_ -= std::min(total_bytes_, files_[index].size - acked);
  }
  active_.erase(index);
  acked_.erase(index);
  maybe_draw(false);
}

std::vector<std::string> TerminalProgress::frame(Clock::time_point now) {
  samples_.emplace_back(now, sent_bytes_);
  while (samples_.size() > 2 && now - samples_.front().first > std::chrono::seconds(5)) {
    samples_.erase(samples_.begin());
  }
  double rate = 0;
  if (samples_.size() >= 2) {
    double dt = std::chrono::duration<double>(now - samples_.front().first).count();
    if (dt > 0.05) rate = static_cast<double>(sent_bytes_ - samples_.front().second) / dt;
  }
  std::vector<std::string> lines;
  int name_w = std::max(10, width_ - 40);
  size_t shown = 0;
  for (const auto& [index, sent] : active_) {
    if (shown++ == 8) {
      lines.push_back("  … " + std::to_string(active_.size() - 8) + " more in flight");
      break;
    }
    const auto& f = files_[index];
    std::string name = f.display;
    if (static_cast<int>(name.size()) > name_w) {
      name = "…" + name.substr(name.size() - static_cast<size_t>(name_w - 1));
    }
    double frac = f.size ? static_cast<double>(sent) / static_cast<double>(f.size) : 1.0;
    lines.push_back("  " + bar(frac, 20) + " " + name + " " + format_size(sent) + "/" +
                    format_size(f.size));
  }
  std::string overall = "[" + std::to_string(done_files_) + "/" + std::to_string(total_files_) +
                        " files] " + format_size(acked_bytes_) + " / " + format_size(total_bytes_) +
                        "  " + format_rate(rate);
  if (rate > 1 && total_bytes_ > acked_bytes_) {
    auto eta = std::chrono::seconds(
        static_cast<long>(static_cast<double>(total_bytes_ - acked_bytes_) / rate));
    overall += "  ETA " + format_duration(eta);
  }
  lines.insert(lines.begin(), style_.bold(overall));
  return lines;
}

void TerminalProgress::maybe_draw(bool force) {
  auto now = Clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  auto lines = frame(now);
  std::string out;
  // Move to the first line drawn last time, then redraw each line, clearing leftovers.
  if (drawn_lines_ > 0) out += "\x1b[" + std::to_string(drawn_lines_) + "F";
  for (const auto& l : lines) out += "\x1b[2K" + l + "\n";
  for (size_t i = lines.size(); i < drawn_lines_; ++i) out += "\x1b[2K\n";
  size_t total = std::max(lines.size(), drawn_lines_);
  if (total > lines.size()) out += "\x1b[" + std::to_string(total - lines.size()) + "F";
  drawn_lines_ = lines.size();
  err_ << out << std::flush;
}

void TerminalProgress::clear() {
  if (drawn_lines_ == 0) return;
  std::string out = "\x1b[" + std::to_string(drawn_lines_) + "F";
  for (size_t i = 0; i < drawn_lines_; ++i) out += "\x1b[2K\n";
  out += "\x1b[" + std::to_string(drawn_lines_) + "F";
  err_ << out << std::flush;
  drawn_lines_ = 0;
}

}  // namespace s3up::ui
