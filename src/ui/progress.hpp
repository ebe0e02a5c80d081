// Live progress on a terminal: one overall line plus a bar per active file, redrawn at most
// ten times a second on stderr. The overall line counts bytes the server acknowledged (done
// requests), so it never runs ahead of what is stored; its rate and the per-file bars follow
// the bytes the network layer sends.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "transfer/engine.hpp"
#include "ui/format.hpp"

namespace s3up::ui {

class TerminalProgress : public transfer::ProgressSink {
 public:
  TerminalProgress(std::ostream& err, Style style, int terminal_width);
  ~TerminalProgress() override;

  void on_discovered(size_t index, const transfer::LocalFile& file) override;
  void on_start(size_t index, const transfer::LocalFile& file) override;
  void on_bytes(size_t index, uint64_t delta) override;
  void on_acked(size_t index, uint64_t bytes) override;
  void on_finish(size_t index, const transfer::FileResult& result) override;

  // Erases what was drawn (before results are printed).
  void clear();

  // Exposed for tests: the lines one frame would draw.
  std::vector<std::string> frame(std::chrono::steady_clock::time_point now);

 private:
  void maybe_draw(bool force);

  std::ostream& err_;
  Style style_;
  struct Known {
    std::string display;
    uint64_t size = 0;
    bool counted = false;  // part of the totals (no error before any request)
  };
  std::vector<Known> files_;  // by discovery index
  int width_;
  size_t total_files_ = 0, done_files_ = 0;
  uint64_t total_bytes_ = 0, sent_bytes_ = 0, acked_bytes_ = 0;
  std::map<size_t, uint64_t> active_;  // index -> bytes sent
  std::map<size_t, uint64_t> acked_;   // index -> bytes acknowledged
  std::chrono::steady_clock::time_point start_, last_draw_{};
  // Rate over a sliding window of recent samples.
  std::vector<std::pair<std::chrono::steady_clock::time_point, uint64_t>> samples_;
  size_t drawn_lines_ = 0;
};

// "[#####-----]" of the given inner width.
std::string bar(double fraction, int width);

}  // namespace s3up::ui
