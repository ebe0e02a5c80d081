#include "harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <curl/curl.h>

namespace s3up::itest {

Server load_server() {
  Server s;
  const char* dir = std::getenv("S3UPLOAD_TEST_SERVER_DIR");
  if (!dir) {
    s.unavailable_reason = "S3UPLOAD_TEST_SERVER_DIR is not set (run through ctest)";
    return s;
  }
  if (fs::exists(fs::path(dir) / "unavailable")) {
    std::ifstream in(fs::path(dir) / "unavailable");
    std::stringstream ss;
    ss << in.rdbuf();
    s.unavailable_reason = "server not available here: " + ss.str();
    return s;
  }
  std::ifstream in(fs::path(dir) / "env");
  if (!in) {
    s.unavailable_reason = std::string("no env file in ") + dir + " (did the server start?)";
    return s;
  }
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    s.env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> s3upload_environment(
    const std::map<std::string, std::string>& env, const fs::path& home) {
  std::map<std::string, std::string> full = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"HOME", home.string()},
      {"LANG", "C.UTF-8"},
  };
  for (const auto& [k, v] : env) full[k] = v;
  return full;
}

ExecArgs::ExecArgs(std::vector<std::string> argv, const std::map<std::string, std::string>& env)
    : argv_strings_(std::move(argv)) {
  for (const auto& [k, v] : env) env_strings_.push_back(k + "=" + v);
  for (auto& s : argv_strings_) argv_.push_back(s.data());
  argv_.push_back(nullptr);
  for (auto& s : env_strings_) envp_.push_back(s.data());
  envp_.push_back(nullptr);
}

pid_t spawn_to_files(const ExecArgs& exec, const fs::path& cwd, const std::string& out_path,
                     const std::string& err_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int n = open("/dev/null", O_RDONLY);
    dup2(n, 0);
    dup2(o, 1);
    dup2(e, 2);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execve(exec.argv()[0], exec.argv(), exec.envp());
    _exit(127);
  }
  return pid;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

RunResult run_s3upload(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env, const fs::path& cwd) {
  TempDir io;
  fs::create_directories(io.path() / "home");
  std::vector<std::string> argv = {S3UPLOAD_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const ExecArgs exec(std::move(argv), s3upload_environment(env, io.path() / "home"));
  const std::string out_path = (io.path() / "out").string();
  const std::string err_path = (io.path() / "err").string();
  RunResult r;
  r.exit_code = wait_for_exit(spawn_to_files(exec, cwd, out_path, err_path));
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("s3up-it-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& rel, const std::string& data) const {
  fs::path p = path_ / fs::u8path(rel);
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
  return p;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

std::string unique_prefix(const std::string& name) {
  std::random_device rd;
  return "it/" + name + "-" + std::to_string(rd() % 1000000);
}

Bucket::Bucket(const Server& s) {
  loop_ = std::make_unique<http::EventLoop>();
  s3::ClientConfig cc;
  cc.endpoint = s3::make_endpoint(s.get("AWS_ENDPOINT_URL"), s.get("AWS_REGION"), true);
  cc.region = s.get("AWS_REGION");
  cc.bucket = s.get("S3_BUCKET");
  cc.credentials.access_key_id = s.get("AWS_ACCESS_KEY_ID");
  cc.credentials.secret_access_key = s.get("AWS_SECRET_ACCESS_KEY");
  client_ = std::make_unique<s3::Client>(*loop_, cc);
}

std::map<std::string, uint64_t> Bucket::list(const std::string& prefix) {
  auto r = s3::list_all_sync(*client_, prefix);
  if (!r) throw std::runtime_error("list failed: " + r.error().describe());
  std::map<std::string, uint64_t> out;
  for (const auto& o : *r) out[o.key] = o.size;
  return out;
}

std::string Bucket::get(const std::string& key) {
  auto r = s3::get_object_sync(*client_, key);
  if (!r) throw std::runtime_error("get " + key + " failed: " + r.error().describe());
  return *r;
}

s3::S3Result<s3::ObjectInfo> Bucket::head(const std::string& key) {
  return s3::head_object_sync(*client_, key);
}

void Bucket::put(const std::string& key, const std::string& data) {
  auto r = s3::put_object_data_sync(*client_, key, data);
  if (!r) throw std::runtime_error("put " + key + " failed: " + r.error().describe());
}

namespace {
size_t collect(char* p, size_t sz, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, sz * n);
  return sz * n;
}
}  // namespace

std::pair<long, std::string> http_get(const std::string& url) {
  CURL* c = curl_easy_init();
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  return {status, body};
}

std::string http_get_content_type(const std::string& url) {
  CURL* c = curl_easy_init();
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  std::string type;
  if (curl_easy_perform(c) == CURLE_OK) {
    char* ct = nullptr;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ct) type = ct;
  }
  curl_easy_cleanup(c);
  return type;
}

std::vector<std::string> urls_in(const std::string& out) {
  std::vector<std::string> urls;
  std::istringstream in(out);
  std::string line;
  const std::string marker = "🔗 ";
  while (std::getline(in, line)) {
    auto p = line.find(marker);
    if (p != std::string::npos) urls.push_back(line.substr(p + marker.size()));
  }
  return urls;
}

int count_lines(const std::string& out, const std::string& prefix) {
  std::istringstream in(out);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

}  // namespace s3up::itest

namespace s3up::itest {

FaultProxy::FaultProxy(const std::string& upstream_endpoint, const std::string& plan_json) {
  std::string upstream = upstream_endpoint.substr(upstream_endpoint.find("://") + 3);
  fs::path plan = dir_.write("plan.json", plan_json);
  std::string port_file = (dir_.path() / "port").string();
  std::string log = (dir_.path() / "log.jsonl").string();
  std::string script = std::string(S3UPLOAD_SOURCE_DIR) + "/tests/tools/fault_proxy.py";
  pid_ = fork();
  if (pid_ == 0) {
    int n = open("/dev/null", O_RDWR);
    dup2(n, 0);
    dup2(n, 1);
    execl("/usr/bin/python3", "python3", script.c_str(), "--upstream", upstream.c_str(), "--plan",
          plan.c_str(), "--port-file", port_file.c_str(), "--log", log.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200 && port_ == 0; ++i) {
    std::ifstream in(port_file);
    if (in >> port_) break;
    port_ = 0;
    usleep(50000);
  }
}

FaultProxy::~FaultProxy() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
}

std::vector<std::string> FaultProxy::log_lines() const {
  std::vector<std::string> out;
  std::ifstream in(dir_.path() / "log.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace s3up::itest

namespace s3up::itest {

void ServerTest::SetUp() {
  server_ = load_server();
  if (!server_.unavailable_reason.empty()) GTEST_SKIP() << server_.unavailable_reason;
  prefix_ = unique_prefix(::testing::UnitTest::GetInstance()->current_test_info()->name());
  bucket_ = std::make_unique<Bucket>(server_);
}

std::map<std::string, std::string> ServerTest::env(const std::string& endpoint) const {
  return {{"AWS_ENDPOINT_URL", endpoint.empty() ? server_.get("AWS_ENDPOINT_URL") : endpoint},
          {"AWS_ACCESS_KEY_ID", server_.get("AWS_ACCESS_KEY_ID")},
          {"AWS_SECRET_ACCESS_KEY", server_.get("AWS_SECRET_ACCESS_KEY")},
          {"AWS_REGION", server_.get("AWS_REGION")},
          {"S3_BUCKET", server_.get("S3_BUCKET")},
          {"S3_TARGET_PATH", prefix_}};
}

}  // namespace s3up::itest
