// --interactive: asking, at the terminal, before an object that exists in the bucket with
// different content is replaced. The engine asks on its loop thread (transfers pause meanwhile).
#pragma once

#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "transfer/engine.hpp"
#include "ui/format.hpp"
#include "util/result.hpp"

namespace s3up::app {

enum class Answer {
  kYes,   // overwrite this one
  kNo,    // keep the object in the bucket (the default)
  kAll,   // overwrite this one and every later one without asking
  kQuit,  // upload nothing more
};

// y/yes, n/no, a/all, q/quit in any case, blanks around ignored; an empty answer is the default,
// no. nullopt: not one of these.
std::optional<Answer> parse_answer(std::string_view text);

class OverwritePrompt {
 public:
  // Reads answers from `in` and writes the questions to `err` (both must outlive the prompt).
  OverwritePrompt(std::istream& in, std::ostream& err, ui::Style style);

  // Opens the terminal to read answers from: /dev/tty, when stdin is a terminal. Error: one
  // sentence saying why it cannot ask.
  static Result<std::unique_ptr<OverwritePrompt>> open_terminal(std::ostream& err, ui::Style style);

  // Runs before each question is written, e.g. to erase the progress display.
  void set_before_ask(std::function<void()> fn) { before_ask_ = std::move(fn); }

  // The engine's ConfirmOverwrite. After "all" it overwrites without asking; once the input has
  // ended it keeps every object without asking; an answer it does not understand is asked again.
  transfer::OverwriteDecision ask(const transfer::LocalFile& file, const std::string& why);

  // As ConfirmOverwrite, bound to this prompt (which must outlive the engine run).
  transfer::ConfirmOverwrite callback();

 private:
  std::unique_ptr<std::istream> owned_;  // the terminal, when open_terminal() opened it
  std::istream& in_;
  std::ostream& err_;
  ui::Style style_;
  std::function<void()> before_ask_;
  bool all_ = false;     // "all" was answered
  bool closed_ = false;  // the input ended
};

}  // namespace s3up::app
