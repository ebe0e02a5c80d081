// The curl multi event loop: a bounded pool of easy handles driven by curl_multi_poll on the
// calling thread.
//
// Life of a request: submit() puts it in a FIFO; start_pending() gives it an easy handle (from
// the free list when possible, so the multi handle's connection cache keeps connections alive)
// once fewer than max_connections are in flight; curl_multi_perform moves the bytes; finished
// transfers are collected first and their completions called afterwards, so a completion may
// submit more requests or post timers without invalidating anything the loop is iterating.
//
// Progress: the UploadProgress callback gets deltas of the bytes sent in the current attempt.
// If curl rewinds a body inside one transfer (it never does for S3 today: no redirects, no
// auth negotiation) the counter restarts and the already reported bytes are not reported
// again, so the sum can undercount but never overcount. Retries that resubmit a request start
// a new attempt; whoever retries must subtract what the failed attempt reported.
#include "http/event_loop.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <unordered_map>

namespace s3up::http {

std::string Response::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("libcurl could not be initialised");
    }
  });
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string trim_ws(const char* p, size_t n) {
  size_t b = 0;
  size_t e = n;
  while (b < e && (p[b] == ' ' || p[b] == '\t' || p[b] == '\r' || p[b] == '\n')) ++b;
  while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r' || p[e - 1] == '\n'))
    --e;
  return std::string(p + b, e - b);
}

// One request from submit() to its completion.
struct Transfer {
  Request req;
  Completion done;
  UploadProgress progress;
  Response resp;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  curl_off_t reported_upload = 0;
  bool body_failed = false;
  bool paused = false;  // waiting for rate-limit tokens
  struct RateLimiter* limiter = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (header_list) curl_slist_free_all(header_list);
  }
};

size_t on_header(char* data, size_t size, size_t nitems, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  const size_t n = size * nitems;
  if (n >= 5 && std::memcmp(data, "HTTP/", 5) == 0) {
    // A new status line (after a 100 Continue, a redirect, ...): earlier headers are stale.
    t->resp.headers.clear();
    return n;
  }
  const char* colon = static_cast<const char*>(std::memchr(data, ':', n));
  if (colon == nullptr) return n;  // the blank line that ends the headers, or junk
  std::string name = lower(trim_ws(data, static_cast<size_t>(colon - data)));
  if (name.empty()) return n;
  std::string value = trim_ws(colon + 1, n - static_cast<size_t>(colon - data) - 1);
  t->resp.headers.emplace_back(std::move(name), std::move(value));
  return n;
}

size_t on_write(char* data, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  t->resp.body.append(data, size * nmemb);
  return size * nmemb;
}

// A token bucket shared by every transfer of one loop: bytes per second with a small burst,
// so the measured rate stays close to the cap over any few seconds.
struct RateLimiter {
  uint64_t rate = 0;  // bytes per second; 0 = unlimited
  double tokens = 0;
  double burst = 0;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();

  void refill() {
    const auto now = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    tokens = std::min(burst, tokens + dt * static_cast<double>(rate));
  }
  // Bytes a read may produce now (0: pause).
  size_t grant(size_t want) {
    refill();
    if (tokens < 1) return 0;
    const size_t n = std::min(want, static_cast<size_t>(tokens));
    tokens -= static_cast<double>(n);
    return n;
  }
  // Milliseconds until a useful amount of tokens is back.
  int wait_ms() const {
    const double need = std::min(burst, 16384.0) - tokens;
    if (need <= 0) return 0;
    return static_cast<int>(need * 1000.0 / static_cast<double>(rate)) + 1;
  }
};

size_t on_read(char* buf, size_t size, size_t nitems, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  if (!t->req.body) return 0;
  size_t want = size * nitems;
  if (t->limiter != nullptr && t->req.body->size() > 0) {
    want = t->limiter->grant(want);
    if (want == 0) {
      t->paused = true;
      return CURL_READFUNC_PAUSE;
    }
  }
  const int64_t got = t->req.body->read(buf, want);
  if (t->limiter != nullptr && got >= 0 && static_cast<size_t>(got) < want) {
    t->limiter->tokens += static_cast<double>(want - static_cast<size_t>(got));  // unused grant
  }
  if (got < 0) {
    t->body_failed = true;
    return CURL_READFUNC_ABORT;
  }
  return static_cast<size_t>(got);
}

int on_seek(void* userp, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(userp);
  if (!t->req.body || origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
  if (!t->req.body->rewind()) return CURL_SEEKFUNC_FAIL;
  // A new attempt within the same transfer; see the progress note at the top of the file.
  return CURL_SEEKFUNC_OK;
}

void report_upload(Transfer* t, curl_off_t ulnow) {
  if (ulnow < t->reported_upload) {
    // The counter restarted (body rewound): do not report those bytes twice.
    t->reported_upload = ulnow;
    return;
  }
  if (ulnow > t->reported_upload) {
    const auto delta = static_cast<uint64_t>(ulnow - t->reported_upload);
    t->reported_upload = ulnow;
    if (t->progress) t->progress(delta);
  }
}

int on_xferinfo(void* userp, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t ulnow) {
  report_upload(static_cast<Transfer*>(userp), ulnow);
  return 0;
}

struct Timer {
  std::chrono::steady_clock::time_point when;
  uint64_t seq;
  std::function<void()> fn;
};
struct TimerLater {
  bool operator()(const Timer& a, const Timer& b) const {
    if (a.when != b.when) return a.when > b.when;
    return a.seq > b.seq;
  }
};

}  // namespace

struct EventLoop::Impl {
  LoopOptions opts;
  CURLM* multi = nullptr;
  std::deque<std::unique_ptr<Transfer>> pending;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;
  std::vector<CURL*> free_handles;
  std::priority_queue<Timer, std::vector<Timer>, TimerLater> timers;
  uint64_t timer_seq = 0;
  std::atomic<bool> interrupted{false};
  std::mutex posted_mu;
  std::vector<std::function<void()>> posted;  // guarded by posted_mu
  std::atomic<size_t> posted_count{0};
  int holds = 0;
  RateLimiter limiter;

  explicit Impl(LoopOptions o) : opts(std::move(o)) {
    if (opts.max_connections < 1) opts.max_connections = 1;
    if (opts.max_bytes_per_second > 0) {
      limiter.rate = opts.max_bytes_per_second;
      // A tenth of a second of burst (at least one 64 KiB read) keeps the rate smooth.
      limiter.burst = std::max(65536.0, static_cast<double>(limiter.rate) / 10.0);
      limiter.tokens = limiter.burst;
    }
    global_init_once();
    multi = curl_multi_init();
    if (multi == nullptr) throw std::runtime_error("libcurl could not create a multi handle");
    const long max = opts.max_connections;
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, max);
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_NOTHING));
  }

  ~Impl() {
    for (auto& [easy, t] : active) {
      curl_multi_remove_handle(multi, easy);
      curl_easy_cleanup(easy);
    }
    active.clear();
    for (CURL* easy : free_handles) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi);
  }

  CURL* take_handle() {
    if (!free_handles.empty()) {
      CURL* easy = free_handles.back();
      free_handles.pop_back();
      curl_easy_reset(easy);
      return easy;
    }
    return curl_easy_init();
  }

  void release_handle(CURL* easy) {
    if (free_handles.size() < static_cast<size_t>(opts.max_connections)) {
      free_handles.push_back(easy);
    } else {
      curl_easy_cleanup(easy);
    }
  }

  // Sets up the easy handle; false (with t->resp filled in) when curl refuses.
  bool setup(Transfer* t) {
    CURL* e = t->easy;
    const Request& r = t->req;
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 15L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, static_cast<long>(opts.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(opts.stall_timeout.count()));
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024L);
    if (!opts.ca_bundle.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, opts.ca_bundle.c_str());
    if (opts.verbose) curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);

    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, t);
    t->limiter = limiter.rate > 0 ? &limiter : nullptr;

    const std::string& m = r.method;
    const bool upload = r.body != nullptr || m == "PUT" || m == "POST";
    if (m == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (upload) {
      curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(e, CURLOPT_READDATA, t);
      curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(e, CURLOPT_SEEKDATA, t);
      const curl_off_t size = r.body ? static_cast<curl_off_t>(r.body->size()) : 0;
      curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, size);
      if (m != "PUT") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    } else if (m == "GET" || m.empty()) {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    }

    for (const auto& [name, value] : r.headers) {
      // "Name;" is curl's way of sending a header with an empty value.
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      t->header_list = curl_slist_append(t->header_list, line.c_str());
    }
    t->header_list =
        curl_slist_append(t->header_list, r.expect_continue ? "Expect: 100-continue" : "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
    return t->header_list != nullptr;
  }

  void start_pending() {
    while (!pending.empty() && active.size() < static_cast<size_t>(opts.max_connections)) {
      std::unique_ptr<Transfer> t = std::move(pending.front());
      pending.pop_front();
      t->easy = take_handle();
      if (t->easy == nullptr || !setup(t.get()) ||
          curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
        if (t->easy) release_handle(t->easy);
        t->easy = nullptr;
        t->resp.curl_code = CURLE_OUT_OF_MEMORY;
        t->resp.transport_error = "could not set up the request";
        finished_now.push_back(std::move(t));
        continue;
      }
      CURL* easy = t->easy;
      active.emplace(easy, std::move(t));
    }
  }

  // Transfers that ended without going through curl (setup failures); completed next round.
  std::vector<std::unique_ptr<Transfer>> finished_now;

  std::vector<std::unique_ptr<Transfer>> collect_finished() {
    std::vector<std::unique_ptr<Transfer>> done = std::move(finished_now);
    finished_now.clear();
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode code = msg->data.result;
      auto it = active.find(easy);
      if (it == active.end()) continue;
      std::unique_ptr<Transfer> t = std::move(it->second);
      active.erase(it);
      finish(t.get(), code);
      curl_multi_remove_handle(multi, easy);
      release_handle(easy);
      t->easy = nullptr;
      done.push_back(std::move(t));
    }
    return done;
  }

  void finish(Transfer* t, CURLcode code) {
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    t->resp.status = status;
    curl_off_t sent = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &sent) == CURLE_OK) {
      report_upload(t, sent);
    }
    t->resp.curl_code = static_cast<int>(code);
    if (code != CURLE_OK) {
      if (t->body_failed && t->req.body && !t->req.body->error().empty()) {
        t->resp.transport_error = t->req.body->error();
      } else if (t->errbuf[0] != '\0') {
        t->resp.transport_error = t->errbuf;
      } else {
        t->resp.transport_error = curl_easy_strerror(code);
      }
      // curl says "Couldn't connect to server"; the system's reason (refused, no route, ...)
      // is what a person needs.
      long os_errno = 0;
      if (!t->body_failed && curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
          os_errno != 0) {
        const std::string reason = std::strerror(static_cast<int>(os_errno));
        if (t->resp.transport_error.find(reason) == std::string::npos) {
          t->resp.transport_error += " (" + reason + ")";
        }
      }
    }
  }

  static void complete_all(std::vector<std::unique_ptr<Transfer>>& done) {
    for (auto& t : done) {
      if (t->done) t->done(std::move(t->resp));
      t.reset();  // frees the body (and closes its file) right away
    }
  }

  // After interrupt(): everything in flight or queued completes as aborted; timers are dropped.
  void abort_everything() {
    while (!active.empty() || !pending.empty() || !finished_now.empty() || !timers.empty()) {
      std::vector<std::unique_ptr<Transfer>> done = std::move(finished_now);
      finished_now.clear();
      for (auto& [easy, t] : active) {
        curl_multi_remove_handle(multi, easy);
        release_handle(easy);
        t->easy = nullptr;
        done.push_back(std::move(t));
      }
      active.clear();
      for (auto& t : pending) done.push_back(std::move(t));
      pending.clear();
      while (!timers.empty()) timers.pop();
      for (auto& t : done) {
        if (t->resp.curl_code == 0) {
          t->resp.curl_code = CURLE_ABORTED_BY_CALLBACK;
          t->resp.transport_error = "interrupted";
        }
      }
      complete_all(done);  // may submit again: those are aborted by the next round
    }
  }

  void fire_due_timers() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::function<void()>> due;
    while (!timers.empty() && timers.top().when <= now) {
      due.push_back(std::move(const_cast<Timer&>(timers.top()).fn));
      timers.pop();
    }
    for (auto& fn : due) {
      if (interrupted.load()) return;
      if (fn) fn();
    }
  }

  bool run_posted() {
    if (posted_count.load() == 0) return false;
    std::vector<std::function<void()>> fns;
    {
      std::lock_guard<std::mutex> lk(posted_mu);
      fns.swap(posted);
      posted_count.store(0);
    }
    for (auto& fn : fns) {
      if (fn) fn();
    }
    return !fns.empty();
  }

  // Resumes transfers paused by the rate limiter once tokens are back; returns how long to
  // wait for the next tokens when some stay paused (-1: none paused).
  int unpause_ready() {
    if (limiter.rate == 0) return -1;
    bool any_paused = false;
    limiter.refill();
    for (auto& [easy, t] : active) {
      if (!t->paused) continue;
      if (limiter.tokens >= 1) {
        t->paused = false;
        curl_easy_pause(easy, CURLPAUSE_CONT);  // may call on_read again right away
      } else {
        any_paused = true;
      }
    }
    return any_paused ? limiter.wait_ms() : -1;
  }

  int poll_timeout_ms() {
    int ms = 1000;
    if (!pending.empty() && active.size() < static_cast<size_t>(opts.max_connections)) return 0;
    if (!finished_now.empty() || posted_count.load() > 0) return 0;
    if (int wait = unpause_ready(); wait >= 0) ms = std::min(ms, wait);
    if (!timers.empty()) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          timers.top().when - std::chrono::steady_clock::now());
      ms = static_cast<int>(std::clamp<int64_t>(wait.count() + 1, 0, ms));
    }
    return ms;
  }

  void run() {
    for (;;) {
      if (interrupted.load()) {
        abort_everything();
        return;
      }
      fire_due_timers();
      if (interrupted.load()) continue;
      run_posted();
      if (interrupted.load()) continue;
      start_pending();
      if (active.empty() && pending.empty() && finished_now.empty() && timers.empty() &&
          holds == 0 && posted_count.load() == 0) {
        return;
      }
      unpause_ready();

      int running = 0;
      curl_multi_perform(multi, &running);
      auto done = collect_finished();
      if (!done.empty()) {
        complete_all(done);
        continue;  // start what the completions queued before sleeping
      }
      if (interrupted.load()) continue;
      curl_multi_poll(multi, nullptr, 0, poll_timeout_ms(), nullptr);
    }
  }
};

EventLoop::EventLoop(LoopOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}
EventLoop::~EventLoop() = default;

void EventLoop::submit(Request req, Completion done, UploadProgress progress) {
  auto t = std::make_unique<Transfer>();
  t->req = std::move(req);
  t->done = std::move(done);
  t->progress = std::move(progress);
  impl_->pending.push_back(std::move(t));
}

void EventLoop::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  impl_->timers.push(
      Timer{std::chrono::steady_clock::now() + delay, impl_->timer_seq++, std::move(fn)});
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lk(impl_->posted_mu);
    impl_->posted.push_back(std::move(fn));
    impl_->posted_count.store(impl_->posted.size());
  }
  curl_multi_wakeup(impl_->multi);
}

void EventLoop::hold() {
  ++impl_->holds;
}

void EventLoop::release() {
  if (impl_->holds > 0) --impl_->holds;
}

void EventLoop::run() {
  impl_->run();
}

void EventLoop::clear_interrupt() {
  impl_->interrupted.store(false);
}

void EventLoop::interrupt() {
  // Only an atomic store and curl_multi_wakeup (a write() on a socketpair): signal-safe.
  impl_->interrupted.store(true);
  curl_multi_wakeup(impl_->multi);
}

bool EventLoop::interrupted() const {
  return impl_->interrupted.load();
}

size_t EventLoop::in_flight() const {
  return impl_->active.size();
}

}  // namespace s3up::http
