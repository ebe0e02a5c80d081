// --copy-url: which clipboard tool is used, the OSC 52 fallback, and what is printed.
#include "ui/clipboard.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.hpp"

#include <fstream>
#include <set>
#include <sstream>

namespace s3up::ui {
namespace {

struct Fake {
  std::set<std::string> installed;  // program names found on PATH
  std::set<std::string> broken;     // found, but exit non-zero
  std::vector<std::vector<std::string>> calls;
  std::vector<std::string> inputs;
  std::ostringstream terminal;

  ClipboardContext context(std::map<std::string, std::string> vars, bool tty) {
    ClipboardContext ctx;
    ctx.env = Environment(std::move(vars));
    ctx.stdout_is_terminal = tty;
    ctx.terminal = &terminal;
    ctx.find = [this](const std::string& name) -> std::optional<std::string> {
      if (!installed.count(name)) return std::nullopt;
      return "/usr/bin/" + name;
    };
    ctx.run = [this](const std::vector<std::string>& argv, const std::string& input) {
      calls.push_back(argv);
      inputs.push_back(input);
      return !broken.count(argv[0].substr(argv[0].rfind('/') + 1));
    };
    return ctx;
  }
};

const std::string kUrl = "https://b.s3.amazonaws.com/k.mp4?X-Amz-Signature=abc";

TEST(Clipboard, WaylandUsesWlCopy) {
  Fake f;
  f.installed = {"wl-copy", "xclip"};
  auto r = copy_to_clipboard(
      kUrl, f.context({{"WAYLAND_DISPLAY", "wayland-0"}, {"DISPLAY", ":0"}}, true));
  EXPECT_TRUE(r.copied);
  EXPECT_EQ(r.via, "wl-copy");
  ASSERT_EQ(f.calls.size(), 1u);
  EXPECT_EQ(f.calls[0], std::vector<std::string>{"/usr/bin/wl-copy"});
  EXPECT_EQ(f.inputs[0], kUrl);  // no newline added
  EXPECT_EQ(f.terminal.str(), "");
}

TEST(Clipboard, X11UsesXclipThenXsel) {
  Fake f;
  f.installed = {"wl-copy", "xclip", "xsel"};
  auto r = copy_to_clipboard(kUrl, f.context({{"DISPLAY", ":0"}}, false));
  EXPECT_EQ(r.via, "xclip");
  ASSERT_EQ(f.calls.size(), 1u);  // no WAYLAND_DISPLAY: wl-copy is not tried
  EXPECT_EQ(f.calls[0], (std::vector<std::string>{"/usr/bin/xclip", "-selection", "clipboard"}));

  Fake g;
  g.installed = {"xsel"};
  r = copy_to_clipboard(kUrl, g.context({{"DISPLAY", ":0"}}, false));
  EXPECT_EQ(r.via, "xsel");
  EXPECT_EQ(g.calls[0], (std::vector<std::string>{"/usr/bin/xsel", "--clipboard", "--input"}));
}

TEST(Clipboard, AFailingToolFallsThroughToTheNext) {
  Fake f;
  f.installed = {"xclip", "xsel"};
  f.broken = {"xclip"};
  auto r = copy_to_clipboard(kUrl, f.context({{"DISPLAY", ":0"}}, false));
  EXPECT_TRUE(r.copied);
  EXPECT_EQ(r.via, "xsel");
  EXPECT_EQ(f.calls.size(), 2u);
}

TEST(Clipboard, MacUsesPbcopy) {
  Fake f;
  f.installed = {"pbcopy"};
  auto r = copy_to_clipboard(kUrl, f.context({}, true));
  EXPECT_EQ(r.via, "pbcopy");
  EXPECT_EQ(f.terminal.str(), "");
}

TEST(Clipboard, NoToolButATerminalUsesOsc52) {
  Fake f;
  f.installed = {"xclip"};  // installed, but there is no display (e.g. over ssh)
  auto r = copy_to_clipboard("hello", f.context({}, true));
  EXPECT_TRUE(r.copied);
  EXPECT_EQ(r.via, "OSC 52");
  EXPECT_TRUE(f.calls.empty());
  EXPECT_EQ(f.terminal.str(), "\x1b]52;c;aGVsbG8=\x07");
  EXPECT_EQ(osc52(""), "\x1b]52;c;\x07");
}

TEST(Clipboard, NoToolAndNoTerminal) {
  Fake f;
  auto r = copy_to_clipboard(kUrl, f.context({{"DISPLAY", ":0"}}, false));
  EXPECT_FALSE(r.copied);
  EXPECT_EQ(r.why_not,
            "no clipboard tool was found (wl-copy, xclip, xsel or pbcopy) and stdout is not a "
            "terminal, so the URL was not copied");
  EXPECT_EQ(f.terminal.str(), "");

  Fake g;
  g.installed = {"xclip", "xsel"};
  g.broken = {"xclip", "xsel"};
  r = copy_to_clipboard(kUrl, g.context({{"DISPLAY", ":0"}}, false));
  EXPECT_FALSE(r.copied);
  EXPECT_EQ(r.why_not,
            "xclip, xsel all failed and stdout is not a terminal, so the URL was not "
            "copied");
}

TEST(CopyUrl, ExactlyOneUrlIsCopiedAndNeverPrinted) {
  Fake f;
  f.installed = {"wl-copy"};
  auto o = copy_single_url({kUrl}, f.context({{"WAYLAND_DISPLAY", "w"}}, false));
  EXPECT_TRUE(o.copied);
  EXPECT_EQ(o.message, "📋 URL copied to the clipboard");
  EXPECT_EQ(o.message.find("https://"), std::string::npos);

  Fake g;
  o = copy_single_url({kUrl}, g.context({}, true));
  EXPECT_TRUE(o.copied);
  EXPECT_EQ(o.message, "📋 URL copied to the clipboard (through the terminal, OSC 52)");
}

TEST(CopyUrl, NoneOrSeveralAreNotCopied) {
  Fake f;
  f.installed = {"wl-copy"};
  auto ctx = f.context({{"WAYLAND_DISPLAY", "w"}}, true);
  auto o = copy_single_url({}, ctx);
  EXPECT_FALSE(o.copied);
  EXPECT_EQ(o.message, "--copy-url: the run made no URL, so nothing was copied");
  o = copy_single_url({kUrl, kUrl + "2", kUrl + "3"}, ctx);
  EXPECT_FALSE(o.copied);
  EXPECT_EQ(o.message, "--copy-url: the run made 3 URLs; only a run with exactly one is copied");
  EXPECT_TRUE(f.calls.empty());
  EXPECT_EQ(f.terminal.str(), "");

  Fake g;
  o = copy_single_url({kUrl}, g.context({}, false));
  EXPECT_FALSE(o.copied);
  EXPECT_EQ(o.message.rfind("--copy-url: no clipboard tool was found", 0), 0u) << o.message;
}

// ---- the real runner and PATH search -----------------------------------------------------

TEST(ClipboardSystem, FindOnPath) {
  s3up::test::TempDir t;
  std::string tool = t.write("bin/fake-copy", "#!/bin/sh\n", std::filesystem::perms::owner_all);
  t.write("other/fake-copy", "not executable\n");
  EXPECT_EQ(
      find_on_path("fake-copy", (t.path() / "other").string() + ":" + (t.path() / "bin").string()),
      tool);
  EXPECT_EQ(find_on_path("fake-copy", (t.path() / "other").string()), std::nullopt);
  EXPECT_EQ(find_on_path("no-such-tool-here", "/usr/bin:/bin"), std::nullopt);
}

TEST(ClipboardSystem, RunCommandFeedsStdinAndReportsTheExitStatus) {
  s3up::test::TempDir t;
  const std::string sink = (t.path() / "sink").string();
  ASSERT_TRUE(run_command({"/bin/sh", "-c", "cat > '" + sink + "'"}, kUrl));
  std::ifstream in(sink);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, kUrl);
  EXPECT_FALSE(run_command({"/bin/sh", "-c", "cat >/dev/null; exit 3"}, kUrl));
  EXPECT_FALSE(run_command({"/no/such/program"}, kUrl));
  // A tool that never reads nor exits is killed after the time limit.
  EXPECT_FALSE(run_command({"/bin/sleep", "10"}, kUrl, 200));
}

TEST(ClipboardSystem, SystemContextFindsToolsOnTheEnvironmentsPath) {
  s3up::test::TempDir t;
  const std::string sink = (t.path() / "sink").string();
  t.write("bin/wl-copy", "#!/bin/sh\ncat > '" + sink + "'\n", std::filesystem::perms::owner_all);
  std::ostringstream term;
  auto ctx = ClipboardContext::system(
      Environment({{"PATH", (t.path() / "bin").string()}, {"WAYLAND_DISPLAY", "wayland-1"}}), false,
      term);
  auto o = copy_single_url({kUrl}, ctx);
  EXPECT_TRUE(o.copied) << o.message;
  std::ifstream in(sink);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, kUrl);
}

}  // namespace
}  // namespace s3up::ui
