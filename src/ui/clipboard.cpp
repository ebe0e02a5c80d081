#include "ui/clipboard.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "util/strings.hpp"

namespace s3up::ui {

namespace {

bool set_in(const Environment& env, const char* name) {
  auto v = env.get(name);
  return v && !v->empty();
}

std::string tool_list() {
  return "wl-copy, xclip, xsel or pbcopy";
}

}  // namespace

std::optional<std::string> find_on_path(const std::string& name, const std::string& path_var) {
  size_t start = 0;
  while (start <= path_var.size()) {
    size_t end = path_var.find(':', start);
    if (end == std::string::npos) end = path_var.size();
    std::string dir = path_var.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

bool run_command(const std::vector<std::string>& argv, const std::string& input, int timeout_ms) {
  if (argv.empty()) return false;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) return false;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    ::dup2(fds[0], STDIN_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[0]);
  // A tool that exits without reading must not kill us with SIGPIPE.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &old);
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = ::write(fds[1], input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fds[1]);
  ::sigaction(SIGPIPE, &old, nullptr);

  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return off == input.size() && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

ClipboardContext ClipboardContext::system(const Environment& env, bool stdout_is_terminal,
                                          std::ostream& terminal) {
  ClipboardContext ctx;
  ctx.env = env;
  ctx.stdout_is_terminal = stdout_is_terminal;
  ctx.terminal = &terminal;
  ctx.run = [](const std::vector<std::string>& argv, const std::string& input) {
    return run_command(argv, input);
  };
  const std::string path = env.get_or("PATH", "/usr/local/bin:/usr/bin:/bin");
  ctx.find = [path](const std::string& name) { return find_on_path(name, path); };
  return ctx;
}

std::vector<std::vector<std::string>> clipboard_commands(const ClipboardContext& ctx) {
  std::vector<std::vector<std::string>> out;
  auto add = [&](const std::string& name, std::vector<std::string> args) {
    if (!ctx.find) return;
    if (auto p = ctx.find(name)) {
      args.insert(args.begin(), *p);
      out.push_back(std::move(args));
    }
  };
  if (set_in(ctx.env, "WAYLAND_DISPLAY")) add("wl-copy", {});
  add("pbcopy", {});
  if (set_in(ctx.env, "DISPLAY")) {
    add("xclip", {"-selection", "clipboard"});
    add("xsel", {"--clipboard", "--input"});
  }
  return out;
}

std::string osc52(const std::string& text) {
  return "\x1b]52;c;" + base64_encode(text) + "\x07";
}

CopyResult copy_to_clipboard(const std::string& text, const ClipboardContext& ctx) {
  CopyResult r;
  std::vector<std::string> failed;
  for (const auto& argv : clipboard_commands(ctx)) {
    std::string name = argv[0].substr(argv[0].rfind('/') + 1);
    if (ctx.run && ctx.run(argv, text)) {
      r.copied = true;
      r.via = name;
      return r;
    }
    failed.push_back(name);
  }
  if (ctx.stdout_is_terminal && ctx.terminal) {
    *ctx.terminal << osc52(text) << std::flush;
    r.copied = true;
    r.via = "OSC 52";
    return r;
  }
  if (failed.empty()) {
    r.why_not = "no clipboard tool was found (" + tool_list() +
                ") and stdout is not a terminal, so the URL was not copied";
  } else {
    std::string names;
    for (size_t i = 0; i < failed.size(); ++i) names += (i ? ", " : "") + failed[i];
    r.why_not = names + (failed.size() > 1 ? " all failed" : " failed") +
                " and stdout is not a terminal, so the URL was not copied";
  }
  return r;
}

CopyUrlOutcome copy_single_url(const std::vector<std::string>& urls, const ClipboardContext& ctx) {
  if (urls.empty()) return {false, "--copy-url: the run made no URL, so nothing was copied"};
  if (urls.size() > 1) {
    return {false, "--copy-url: the run made " + std::to_string(urls.size()) +
                       " URLs; only a run with exactly one is copied"};
  }
  CopyResult c = copy_to_clipboard(urls.front(), ctx);
  if (!c.copied) return {false, "--copy-url: " + c.why_not};
  if (c.via == "OSC 52") {
    return {true, "📋 URL copied to the clipboard (through the terminal, OSC 52)"};
  }
  return {true, "📋 URL copied to the clipboard"};
}

}  // namespace s3up::ui
