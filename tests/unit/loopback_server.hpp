// A tiny HTTP/1.1 server on 127.0.0.1:<ephemeral> for unit tests: one thread accepts, one
// thread per connection, keep-alive, Content-Length bodies only. The handler decides the reply.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace s3up::testing {

struct ServerRequest {
  std::string method;
  std::string target;                          // as received, e.g. "/a/../b?x=1"
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int connection_id = 0;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ServerReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering
  bool stall = false;                  // never answer (until the server stops)
  bool close = false;                  // close the connection after answering
  bool no_body = false;                // HEAD: send Content-Length of body but not the body
  std::string preamble;                // raw bytes sent before the status line (e.g. a 100)
};

class LoopbackServer {
 public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~LoopbackServer() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(connections_);
    }
    for (auto& t : threads) t.join();
    ::close(listen_fd_);
  }

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The next `times` requests whose body is longer than `after_bytes` get their connection
  // closed once that many body bytes arrived (a connection dropped mid-upload). They are not
  // passed to the handler; dropped_requests() counts them.
  void drop_body_after(size_t after_bytes, int times) {
    drop_after_ = after_bytes;
    drops_left_ = times;
  }
  int dropped_requests() const { return dropped_.load(); }

  int connections_accepted() const { return accepted_.load(); }
  int max_concurrent_connections() const { return max_open_.load(); }
  int max_concurrent_requests() const { return max_busy_.load(); }
  int requests_seen() const { return requests_.load(); }
  std::vector<ServerRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

  // A port on 127.0.0.1 where nothing listens (bound, then closed).
  static int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

 private:
  static void bump_max(std::atomic<int>& max, int value) {
    int cur = max.load();
    while (value > cur && !max.compare_exchange_weak(cur, value)) {
    }
  }

  // Waits for readability; false when the server stops.
  bool wait_readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, 20);
      if (r > 0) return true;
    }
    return false;
  }

  void accept_loop() {
    int next_id = 1;
    while (wait_readable(listen_fd_)) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      const int id = next_id++;
      std::lock_guard<std::mutex> lock(mu_);
      connections_.emplace_back([this, fd, id] { serve(fd, id); });
    }
  }

  void serve(int fd, int id) {
    bump_max(max_open_, ++open_);
    std::string buf;
    char chunk[65536];
    bool keep = true;
    while (keep) {
      // Headers.
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!wait_readable(fd)) goto done;
        const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) goto done;
        buf.append(chunk, static_cast<size_t>(n));
      }
      ServerRequest req;
      req.connection_id = id;
      {
        const std::string head = buf.substr(0, end);
        buf.erase(0, end + 4);
        size_t line_end = head.find("\r\n");
        const std::string request_line = head.substr(0, line_end);
        const size_t sp1 = request_line.find(' ');
        const size_t sp2 = request_line.rfind(' ');
        req.method = request_line.substr(0, sp1);
        req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
          size_t e = head.find("\r\n", pos);
          if (e == std::string::npos) e = head.size();
          const std::string line = head.substr(pos, e - pos);
          const size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            size_t v = colon + 1;
            while (v < line.size() && line[v] == ' ') ++v;
            req.headers[name] = line.substr(v);
          }
          pos = e + 2;
        }
      }
      const std::string cl = req.header("content-length");
      const size_t body_len = cl.empty() ? 0 : std::stoull(cl);
      if (drops_left_.load() > 0 && body_len > drop_after_.load() && drops_left_.fetch_sub(1) > 0) {
        while (buf.size() < drop_after_.load()) {
          if (!wait_readable(fd)) goto done;
          const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
          if (n <= 0) goto done;
          buf.append(chunk, static_cast<size_t>(n));
        }
        ++dropped_;
        goto done;
      }
      while (buf.size() < body_len) {
        if (!wait_readable(fd)) goto done;
        const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) goto done;
        buf.append(chunk, static_cast<size_t>(n));
      }
      req.body = buf.substr(0, body_len);
      buf.erase(0, body_len);

      bump_max(max_busy_, ++busy_);
      ++requests_;
      ServerReply reply = handler_(req);
      {
        std::lock_guard<std::mutex> lock(mu_);
        log_.push_back(req);
      }
      if (reply.stall) {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        --busy_;
        goto done;
      }
      if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
      std::string out =
          reply.preamble + "HTTP/1.1 " + std::to_string(reply.status) + " Whatever\r\n";
      bool has_length = false;
      for (const auto& [n, v] : reply.headers) {
        out += n + ": " + v + "\r\n";
        if (n == "Content-Length") has_length = true;
      }
      if (!has_length) out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
      if (reply.close) out += "Connection: close\r\n";
      out += "\r\n";
      if (!reply.no_body && req.method != "HEAD") out += reply.body;
      --busy_;
      size_t sent = 0;
      while (sent < out.size()) {
        const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) goto done;
        sent += static_cast<size_t>(n);
      }
      keep = !reply.close;
    }
  done:
    --open_;
    ::close(fd);
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> connections_;
  std::vector<ServerRequest> log_;
  std::atomic<size_t> drop_after_{0};
  std::atomic<int> drops_left_{0}, dropped_{0};
  std::atomic<int> accepted_{0}, open_{0}, max_open_{0}, busy_{0}, max_busy_{0}, requests_{0};
};

}  // namespace s3up::testing
