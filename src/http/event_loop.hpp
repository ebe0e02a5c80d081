// One thread, one curl multi handle, many transfers. Callers submit requests with completion
// callbacks; callbacks run on the loop's thread and may submit more requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace s3up::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// A request body that can be read in pieces and rewound for a retry.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual uint64_t size() const = 0;
  // Reads up to n bytes; returns bytes read (0 at end) or -1 on error (error() says why).
  virtual int64_t read(char* buf, size_t n) = 0;
  virtual bool rewind() = 0;
  virtual std::string error() const { return {}; }
};

// Streams [offset, offset+length) of a file straight from disk.
std::unique_ptr<BodySource> file_body(const std::string& path, uint64_t offset, uint64_t length);
std::unique_ptr<BodySource> string_body(std::string data);

struct Request {
  std::string method;  // GET HEAD PUT POST DELETE
  std::string url;     // full URL, path already percent-encoded; sent as-is (no dot removal)
  Headers headers;     // sent exactly; "Expect:" is suppressed
  std::unique_ptr<BodySource> body;  // null = no body
  // Send "Expect: 100-continue" and wait (up to 1 s) for the server's go-ahead before the
  // body: a server that refuses the request then answers before a byte of it is sent.
  bool expect_continue = false;
};

struct Response {
  long status = 0;              // 0 when no HTTP response arrived
  Headers headers;              // names lower-cased
  std::string body;             // response body (kept in memory; S3 replies are small)
  int curl_code = 0;            // CURLcode, 0 = OK
  std::string transport_error;  // curl's message when curl_code != 0
  std::string header(const std::string& lower_name) const;  // "" when absent
  bool transport_failed() const { return curl_code != 0; }
};

struct LoopOptions {
  int max_connections = 16;  // connections/requests in flight at once
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds stall_timeout{60};  // abort when < 1 byte/s for this long
  std::string ca_bundle;                   // "" = system default (AWS_CA_BUNDLE)
  bool verbose = false;
  uint64_t max_bytes_per_second = 0;  // upload rate cap shared by all transfers; 0 = none
};

using Completion = std::function<void(Response&&)>;
// Called with the number of body bytes newly sent since the previous call.
using UploadProgress = std::function<void(uint64_t delta)>;

class EventLoop {
 public:
  explicit EventLoop(LoopOptions opts = {});
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Queues a request. Requests beyond max_connections wait in FIFO order.
  void submit(Request req, Completion done, UploadProgress progress = nullptr);
  // Runs `fn` on the loop thread at the next iteration (timers, retries with delay).
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);
  // Thread-safe: runs `fn` on the loop thread soon (results of work done on other threads).
  void post(std::function<void()> fn);
  // Work outside the loop (e.g. hashing on a worker thread) that will post() back: run() does
  // not return while holds are outstanding. Loop thread only.
  void hold();
  void release();
  // Runs until nothing is queued, in flight, scheduled, posted or held.
  void run();
  // Thread-safe / signal-safe: makes run() return soon; in-flight requests are aborted and
  // complete with curl_code = CURLE_ABORTED_BY_CALLBACK.
  void interrupt();
  bool interrupted() const;
  // Lets run() work again after an interrupt (to send clean-up requests such as aborts).
  void clear_interrupt();
  size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s3up::http
