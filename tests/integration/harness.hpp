// Shared pieces of the integration tests: the server the CTest fixture started, running the
// s3upload binary as a user would, and an independent client to read the bucket back.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http/event_loop.hpp"
#include "s3/client.hpp"

namespace s3up::itest {

namespace fs = std::filesystem;

// KEY=VALUE lines of the env file scripts/s3-server.sh wrote.
struct Server {
  std::map<std::string, std::string> env;
  std::string unavailable_reason;  // non-empty: the server could not be started here
  std::string get(const std::string& k) const {
    auto it = env.find(k);
    return it == env.end() ? "" : it->second;
  }
};
// Reads $S3UPLOAD_TEST_SERVER_DIR/env.
Server load_server();

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs the s3upload binary with a clean environment: PATH, HOME (a private temp dir, so no
// ~/.aws is read), LANG, then `env` on top; in `cwd`.
RunResult run_s3upload(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env, const fs::path& cwd);

// The environment run_s3upload() gives s3upload: PATH, HOME = `home`, LANG, then `env`.
std::map<std::string, std::string> s3upload_environment(
    const std::map<std::string, std::string>& env, const fs::path& home);

// A command line and environment in the form execve() wants, owning their strings.
class ExecArgs {
 public:
  ExecArgs(std::vector<std::string> argv, const std::map<std::string, std::string>& env);
  char* const* argv() const { return argv_.data(); }
  char* const* envp() const { return envp_.data(); }

 private:
  std::vector<std::string> argv_strings_, env_strings_;
  std::vector<char*> argv_, envp_;
};

// fork + execve in `cwd` with stdin from /dev/null and stdout/stderr into the files; the pid
// (-1 when fork failed).
pid_t spawn_to_files(const ExecArgs& exec, const fs::path& cwd, const std::string& out_path,
                     const std::string& err_path);
// Waits for the process; its exit status, or 128+N after signal N.
int wait_for_exit(pid_t pid);
std::string slurp(const fs::path& p);

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& rel, const std::string& data) const;

 private:
  fs::path path_;
};

// Deterministic pseudo-random bytes.
std::string random_bytes(size_t n, uint32_t seed);
// A prefix unique to this test run.
std::string unique_prefix(const std::string& name);

// An S3 client (our own library) pointed at the test server; the server checks every
// signature, so reading back through it is an independent witness.
class Bucket {
 public:
  explicit Bucket(const Server& s);
  std::map<std::string, uint64_t> list(const std::string& prefix);  // key -> size
  std::string get(const std::string& key);                          // throws on failure
  s3::S3Result<s3::ObjectInfo> head(const std::string& key);
  void put(const std::string& key, const std::string& data);
  s3::Client& client() { return *client_; }

 private:
  std::unique_ptr<http::EventLoop> loop_;
  std::unique_ptr<s3::Client> client_;
};

// Plain HTTP GET (no signing), for presigned URLs. Returns status and body.
std::pair<long, std::string> http_get(const std::string& url);
// The Content-Type a plain GET of `url` is served with.
std::string http_get_content_type(const std::string& url);

// The presigned URLs printed after "🔗 " in s3upload's output, in order.
std::vector<std::string> urls_in(const std::string& out);
// Count of lines starting with `prefix`.
int count_lines(const std::string& out, const std::string& prefix);

}  // namespace s3up::itest

namespace s3up::itest {

// tests/tools/fault_proxy.py in front of the test server, for the life of the object.
class FaultProxy {
 public:
  // plan_json: {"rules": [...]} (see fault_proxy.py).
  FaultProxy(const std::string& upstream_endpoint, const std::string& plan_json);
  ~FaultProxy();
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Parsed log lines (one JSON object per request as a string).
  std::vector<std::string> log_lines() const;
  bool ok() const { return port_ > 0; }

 private:
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
};

}  // namespace s3up::itest

namespace s3up::itest {

// A test against the server its CTest fixture started: skips (saying why) when that server
// is not available here; gives each test its own key prefix and a scratch directory.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // What a user of this server would have in the environment; `endpoint` replaces the
  // server's (e.g. a proxy in front of it). S3_TARGET_PATH is this test's prefix.
  std::map<std::string, std::string> env(const std::string& endpoint = "") const;

  Server server_;
  std::string prefix_;
  std::unique_ptr<Bucket> bucket_;
  TempDir dir_;
};

}  // namespace s3up::itest
