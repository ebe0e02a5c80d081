// --copy-url: putting the one presigned URL of a run on the clipboard, through the desktop's
// clipboard tool (wl-copy, pbcopy, xclip, xsel) or, failing that, the terminal (OSC 52).
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "util/env.hpp"

namespace s3up::ui {

// Runs argv (argv[0] a path) with `input` on its stdin and stdout/stderr on /dev/null; true when
// it exits with status 0 in time.
using CommandRunner =
    std::function<bool(const std::vector<std::string>& argv, const std::string& input)>;
// The full path of a program, or nullopt when it is not found.
using ProgramFinder = std::function<std::optional<std::string>(const std::string& name)>;

struct ClipboardContext {
  Environment env;                   // WAYLAND_DISPLAY, DISPLAY, PATH
  bool stdout_is_terminal = false;   // OSC 52 is tried only then
  std::ostream* terminal = nullptr;  // where OSC 52 is written (stdout)
  CommandRunner run;
  ProgramFinder find;

  // The real thing: programs on env's PATH, run with fork/exec and a 5-second limit.
  static ClipboardContext system(const Environment& env, bool stdout_is_terminal,
                                 std::ostream& terminal);
};

// The commands to try, in order: wl-copy (when WAYLAND_DISPLAY is set), pbcopy (macOS),
// xclip -selection clipboard, then xsel --clipboard --input (when DISPLAY is set); each only
// when found.
std::vector<std::vector<std::string>> clipboard_commands(const ClipboardContext& ctx);

// The OSC 52 escape sequence that asks the terminal to set its clipboard to `text`.
std::string osc52(const std::string& text);

struct CopyResult {
  bool copied = false;
  std::string via;      // "wl-copy", "pbcopy", "xclip", "xsel" or "OSC 52"
  std::string why_not;  // when not copied: one sentence
};

// Tries the commands in turn, then OSC 52 when stdout is a terminal.
CopyResult copy_to_clipboard(const std::string& text, const ClipboardContext& ctx);

// --copy-url after a run that made `urls`: copies the URL when there is exactly one. `message`
// is the line to print (never the URL itself, which the results already show): "📋 URL copied
// to the clipboard" when copied (for stdout), else a note saying why not (for stderr).
struct CopyUrlOutcome {
  bool copied = false;
  std::string message;
};
CopyUrlOutcome copy_single_url(const std::vector<std::string>& urls, const ClipboardContext& ctx);

// Searches the directories of `path_var` (a PATH value) for an executable file `name`.
std::optional<std::string> find_on_path(const std::string& name, const std::string& path_var);

// The CommandRunner of ClipboardContext::system(): fork/exec, input on a pipe, killed after
// `timeout_ms`.
bool run_command(const std::vector<std::string>& argv, const std::string& input,
                 int timeout_ms = 5000);

}  // namespace s3up::ui
