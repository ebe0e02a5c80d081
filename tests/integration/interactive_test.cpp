// --interactive against the strict server (Swift + s3api): the prompt driven through a
// pseudo-terminal, and the error without a terminal.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>

#include "harness.hpp"

namespace s3up::itest {
namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

size_t count(const std::string& s, std::string_view part) {
  size_t n = 0;
  for (size_t p = s.find(part); p != std::string::npos; p = s.find(part, p + part.size())) ++n;
  return n;
}

struct PtyRun {
  int exit_code = -1;
  std::string transcript;  // everything written to the terminal, the typed answers echoed
};

// Runs s3upload with a pseudo-terminal as its stdin, stdout, stderr and controlling terminal
// (environment as run_s3upload builds it). Each time `prompt` appears, types the next answer.
PtyRun run_in_pty(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env, const fs::path& cwd,
                  const std::string& prompt, const std::vector<std::string>& answers) {
  TempDir home;
  std::map<std::string, std::string> full = s3upload_environment(env, home.path());
  full.emplace("TERM", "dumb");
  full.emplace("NO_COLOR", "1");
  std::vector<std::string> argv = {S3UPLOAD_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const ExecArgs exec(std::move(argv), full);

  PtyRun r;
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return r;
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execve(exec.argv()[0], exec.argv(), exec.envp());
    _exit(127);
  }
  size_t answered = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    int n = poll(&p, 1, 100);
    if (n < 0) break;
    if (n == 0) continue;
    char buf[4096];
    ssize_t got = read(master, buf, sizeof buf);
    if (got <= 0) break;  // EIO: the child closed the terminal
    r.transcript.append(buf, static_cast<size_t>(got));
    while (answered < answers.size() && count(r.transcript, prompt) > answered) {
      const std::string line = answers[answered++] + "\n";
      if (write(master, line.data(), line.size()) < 0) break;
    }
  }
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);  // only after the deadline
    waitpid(pid, &status, 0);
  }
  close(master);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class SwiftInteractive : public ServerTest {
 protected:
  // Uploads `files` (name -> content) normally, then changes them locally to `changed`.
  void upload_then_change(const std::map<std::string, std::string>& files,
                          const std::map<std::string, std::string>& changed) {
    std::vector<std::string> args = {"--no-progress"};
    for (const auto& [name, data] : files) {
      dir_.write(name, data);
      args.push_back(name);
    }
    auto r = run_s3upload(args, env(), dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const auto& [name, data] : changed) dir_.write(name, data);
  }
  std::string stored(const std::string& name) { return bucket_->get(prefix_ + "/" + name); }

  const std::string kPrompt = "Overwrite it? [y/N/a(ll)/q(uit)]";
};

TEST_F(SwiftInteractive, WithoutATerminalItIsAnError) {
  dir_.write("a.mp4", "data");
  auto r = run_s3upload({"-i", "--no-progress", "a.mp4"}, env(), dir_.path());  // stdin: /dev/null
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err,
                       "error: --interactive asks at the terminal, but stdin is not a "
                       "terminal"))
      << r.err;
  EXPECT_TRUE(bucket_->list(prefix_ + "/").empty());  // nothing was sent
  // With --yes it asks nothing, so it needs no terminal.
  r = run_s3upload({"-i", "--yes", "--no-progress", "a.mp4"}, env(), dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(stored("a.mp4"), "data");
}

TEST_F(SwiftInteractive, NoKeepsTheObjectAndYesReplacesIt) {
  upload_then_change({{"a.mp4", "first version"}, {"b.mp4", "unchanged"}},
                     {{"a.mp4", "second version, longer"}});
  auto r =
      run_in_pty({"-i", "--no-progress", "a.mp4", "b.mp4"}, env(), dir_.path(), kPrompt, {"n"});
  EXPECT_EQ(r.exit_code, 0) << r.transcript;
  EXPECT_EQ(count(r.transcript, kPrompt), 1u) << r.transcript;  // b.mp4 is identical: not asked
  EXPECT_TRUE(contains(r.transcript, "⚠ a.mp4 (" + prefix_ + "/a.mp4): ")) << r.transcript;
  EXPECT_EQ(stored("a.mp4"), "first version");

  r = run_in_pty({"-i", "--no-progress", "a.mp4", "b.mp4"}, env(), dir_.path(), kPrompt, {"y"});
  EXPECT_EQ(r.exit_code, 0) << r.transcript;
  EXPECT_EQ(count(r.transcript, kPrompt), 1u) << r.transcript;
  EXPECT_EQ(stored("a.mp4"), "second version, longer");
}

TEST_F(SwiftInteractive, AllAnswersEveryLaterQuestionToo) {
  upload_then_change({{"a.mp4", "a1"}, {"b.mp4", "b1"}, {"c.mp4", "c1"}},
                     {{"a.mp4", "a2-new"}, {"b.mp4", "b2-new"}, {"c.mp4", "c2-new"}});
  auto r = run_in_pty({"-i", "--no-progress", "a.mp4", "b.mp4", "c.mp4"}, env(), dir_.path(),
                      kPrompt, {"a"});
  EXPECT_EQ(r.exit_code, 0) << r.transcript;
  EXPECT_EQ(count(r.transcript, kPrompt), 1u) << r.transcript;
  EXPECT_EQ(stored("a.mp4"), "a2-new");
  EXPECT_EQ(stored("b.mp4"), "b2-new");
  EXPECT_EQ(stored("c.mp4"), "c2-new");
}

TEST_F(SwiftInteractive, QuitOverwritesNothing) {
  upload_then_change({{"a.mp4", "a1"}, {"b.mp4", "b1"}},
                     {{"a.mp4", "a2-new"}, {"b.mp4", "b2-new"}});
  auto r =
      run_in_pty({"-i", "--no-progress", "a.mp4", "b.mp4"}, env(), dir_.path(), kPrompt, {"q"});
  EXPECT_EQ(r.exit_code, 1) << r.transcript;
  EXPECT_EQ(count(r.transcript, kPrompt), 1u) << r.transcript;
  EXPECT_TRUE(contains(r.transcript, "you chose to quit")) << r.transcript;
  EXPECT_EQ(stored("a.mp4"), "a1");
  EXPECT_EQ(stored("b.mp4"), "b1");
}

}  // namespace
}  // namespace s3up::itest
