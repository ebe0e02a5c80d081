#include "app/prompt.hpp"

#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace s3up::app {

std::optional<Answer> parse_answer(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  std::string s(text);
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (s.empty() || s == "n" || s == "no") return Answer::kNo;
  if (s == "y" || s == "yes") return Answer::kYes;
  if (s == "a" || s == "all") return Answer::kAll;
  if (s == "q" || s == "quit") return Answer::kQuit;
  return std::nullopt;
}

OverwritePrompt::OverwritePrompt(std::istream& in, std::ostream& err, ui::Style style)
    : in_(in), err_(err), style_(style) {}

Result<std::unique_ptr<OverwritePrompt>> OverwritePrompt::open_terminal(std::ostream& err,
                                                                        ui::Style style) {
  if (isatty(STDIN_FILENO) != 1) {
    return unexpected(std::string(
        "--interactive asks at the terminal, but stdin is not a terminal: run it at a terminal, "
        "or leave out --interactive (or add --yes) to replace changed objects without asking"));
  }
  auto tty = std::make_unique<std::ifstream>("/dev/tty");
  if (!*tty) {
    return unexpected(std::string(
        "--interactive cannot open the terminal (/dev/tty) to read answers from: run it at a "
        "terminal, or leave out --interactive (or add --yes)"));
  }
  auto prompt = std::make_unique<OverwritePrompt>(*tty, err, style);
  prompt->owned_ = std::move(tty);
  return prompt;
}

transfer::OverwriteDecision OverwritePrompt::ask(const transfer::LocalFile& file,
                                                 const std::string& why) {
  using transfer::OverwriteDecision;
  if (all_) return OverwriteDecision::kOverwrite;
  if (closed_) return OverwriteDecision::kKeep;
  if (before_ask_) before_ask_();
  err_ << style_.yellow("⚠") << " " << style_.bold(file.display);
  if (file.key != file.display) err_ << " (" << file.key << ")";
  err_ << ": " << why << "\n";
  for (;;) {
    err_ << "Overwrite it? [y/N/a(ll)/q(uit)] " << std::flush;
    std::string line;
    errno = 0;
    if (!std::getline(in_, line)) {
      if (errno == EINTR) {  // Ctrl-C while asking
        err_ << "\n";
        return OverwriteDecision::kQuit;
      }
      closed_ = true;
      err_ << "\nno answer (the input ended): keeping this and every later object\n" << std::flush;
      return OverwriteDecision::kKeep;
    }
    auto answer = parse_answer(line);
    if (!answer) {
      err_ << "Please answer y (overwrite), n (keep it; the default), a (overwrite this and all "
              "later ones) or q (quit).\n";
      continue;
    }
    switch (*answer) {
      case Answer::kYes:
        return OverwriteDecision::kOverwrite;
      case Answer::kNo:
        return OverwriteDecision::kKeep;
      case Answer::kAll:
        all_ = true;
        return OverwriteDecision::kOverwrite;
      case Answer::kQuit:
        return OverwriteDecision::kQuit;
    }
  }
}

transfer::ConfirmOverwrite OverwritePrompt::callback() {
  return [this](const transfer::LocalFile& file, const std::string& why) { return ask(file, why); };
}

}  // namespace s3up::app
