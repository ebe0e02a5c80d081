// BENCHMARK FIXTURE — not part of s3upload, not built by CMake, never shipped.
//
// discard_server: a minimal "S3" endpoint on 127.0.0.1 that throws every request body
// away as fast as the kernel lets it. bench/run.sh uses it to measure how close
// s3upload's single-file upload gets to the loopback limit (compare with iperf3), with
// no real storage server in the way.
//
// Build (done by bench/run.sh):
//   g++ -O2 -std=c++20 -pthread -o discard_server bench/discard_server.cpp -lcrypto
//
// Usage:
//   discard_server [--port N] [--port-file FILE]
//     --port N        TCP port on 127.0.0.1 (default 0: the kernel picks a free one)
//     --port-file F   write the port actually bound to F (then start serving)
//
// Behaviour (HTTP/1.1, keep-alive, one thread per connection, blocking I/O — fastest
// for the handful of connections a benchmark opens on 2 cores):
//   * Bodies: Content-Length and chunked. Bytes nobody needs are dropped inside the
//     kernel with recv(MSG_TRUNC) (TCP discards without copying to user space).
//   * "Expect: 100-continue" is answered with "100 Continue".
//   * PUT (object or part)      200, ETag = the hex of Content-MD5 when the client sent
//                               one (no hashing needed); otherwise the body is read
//                               and MD5-hashed so that clients that compare the ETag
//                               with their own MD5 still succeed. x-amz-checksum-*
//                               request headers are echoed back.
//   * HEAD                      404 (nothing is ever stored)
//   * POST ?uploads             InitiateMultipartUploadResult
//   * POST ?uploadId=...        CompleteMultipartUploadResult, ETag = S3-style
//                               md5(concat(part md5s))-N from the request's part list
//   * POST ?delete              empty DeleteResult
//   * GET ?list-type=2          empty ListBucketResult (also GET ?uploads: empty list)
//   * GET ?location             LocationConstraint
//   * GET /__stats              JSON {"requests":N,"body_bytes":N} (for bench checks)
//   * other GET                 404 NoSuchKey
//   * DELETE                    204
// No authentication of any kind is checked.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::atomic<unsigned long long> g_requests{0};
std::atomic<unsigned long long> g_body_bytes{0};
std::atomic<unsigned long long> g_upload_ids{0};

constexpr size_t kBufSize = 256 * 1024;
constexpr size_t kMaxHeader = 64 * 1024;
constexpr size_t kMaxKeptBody = 16 * 1024 * 1024;  // Complete/Delete XML bodies

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string r;
  r.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    r.push_back(d[p[i] >> 4]);
    r.push_back(d[p[i] & 15]);
  }
  return r;
}

// Decodes standard base64; returns false on malformed input.
bool base64_decode(std::string_view in, std::string& out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) return false;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return true;
}

struct Md5 {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Md5() { EVP_DigestInit_ex(ctx, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx); }
  void update(const void* p, size_t n) { EVP_DigestUpdate(ctx, p, n); }
  std::string final_raw() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx, out, &n);
    return std::string(reinterpret_cast<char*>(out), n);
  }
};

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Buffered reader over one connection.
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd), buf_(kBufSize) {}

  // Reads until "\r\n\r\n"; returns the header block (without the blank line).
  bool read_head(std::string& head) {
    for (;;) {
      std::string_view avail(buf_.data() + pos_, len_ - pos_);
      auto e = avail.find("\r\n\r\n");
      if (e != std::string_view::npos) {
        head.assign(avail.substr(0, e));
        pos_ += e + 4;
        return true;
      }
      if (avail.size() >= kMaxHeader) return false;
      if (!fill()) return false;
    }
  }

  // Reads one CRLF-terminated line.
  bool read_line(std::string& line) {
    for (;;) {
      std::string_view avail(buf_.data() + pos_, len_ - pos_);
      auto e = avail.find("\r\n");
      if (e != std::string_view::npos) {
        line.assign(avail.substr(0, e));
        pos_ += e + 2;
        return true;
      }
      if (avail.size() >= kMaxHeader) return false;
      if (!fill()) return false;
    }
  }

  // Consumes n body bytes; keeps them in *keep (if given) and/or hashes them (if md5).
  // Without either, bytes not yet buffered are dropped in the kernel (MSG_TRUNC).
  bool consume(unsigned long long n, std::string* keep, Md5* md5) {
    while (n > 0) {
      if (pos_ < len_) {
        size_t take = static_cast<size_t>(std::min<unsigned long long>(n, len_ - pos_));
        if (keep && keep->size() + take <= kMaxKeptBody) keep->append(buf_.data() + pos_, take);
        if (md5) md5->update(buf_.data() + pos_, take);
        pos_ += take;
        n -= take;
        g_body_bytes += take;
        continue;
      }
      pos_ = len_ = 0;
      if (keep || md5) {
        size_t want = static_cast<size_t>(std::min<unsigned long long>(n, buf_.size()));
        ssize_t r = ::recv(fd_, buf_.data(), want, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        len_ = static_cast<size_t>(r);
        continue;
      }
      // TCP + MSG_TRUNC: the kernel discards up to `want` bytes without copying them.
      size_t want = static_cast<size_t>(std::min<unsigned long long>(n, 1ull << 30));
      ssize_t r = ::recv(fd_, buf_.data(), want, MSG_TRUNC);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      n -= static_cast<unsigned long long>(r);
      g_body_bytes += static_cast<unsigned long long>(r);
    }
    return true;
  }

 private:
  bool fill() {
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
      len_ -= pos_;
      pos_ = 0;
    }
    if (len_ == buf_.size()) return false;
    for (;;) {
      ssize_t r = ::recv(fd_, buf_.data() + len_, buf_.size() - len_, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      len_ += static_cast<size_t>(r);
      return true;
    }
  }

  int fd_;
  std::vector<char> buf_;
  size_t pos_ = 0, len_ = 0;
};

struct Request {
  std::string method, target, path, query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string header(std::string_view name) const {
    for (auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
  bool has_param(std::string_view name) const {
    size_t i = 0;
    while (i <= query.size()) {
      size_t amp = query.find('&', i);
      if (amp == std::string::npos) amp = query.size();
      std::string_view kv(query.data() + i, amp - i);
      auto eq = kv.find('=');
      if (kv.substr(0, eq) == name) return true;
      i = amp + 1;
    }
    return false;
  }
};

bool parse_head(const std::string& head, Request& rq) {
  size_t eol = head.find("\r\n");
  std::string_view first(head.data(), eol == std::string::npos ? head.size() : eol);
  size_t s1 = first.find(' ');
  size_t s2 = first.find(' ', s1 + 1);
  if (s1 == std::string_view::npos || s2 == std::string_view::npos) return false;
  rq.method.assign(first.substr(0, s1));
  rq.target.assign(first.substr(s1 + 1, s2 - s1 - 1));
  auto q = rq.target.find('?');
  rq.path = rq.target.substr(0, q);
  rq.query = q == std::string::npos ? "" : rq.target.substr(q + 1);
  size_t i = eol == std::string::npos ? head.size() : eol + 2;
  while (i < head.size()) {
    size_t e = head.find("\r\n", i);
    if (e == std::string::npos) e = head.size();
    std::string_view line(head.data() + i, e - i);
    auto c = line.find(':');
    if (c != std::string_view::npos) {
      std::string_view v = line.substr(c + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      rq.headers.emplace_back(lower(line.substr(0, c)), std::string(v));
    }
    i = e + 2;
  }
  return true;
}

// "/bucket/some/key" -> bucket, key
void split_path(const std::string& path, std::string& bucket, std::string& key) {
  std::string p = path.size() > 1 ? path.substr(1) : "";
  auto s = p.find('/');
  bucket = p.substr(0, s);
  key = s == std::string::npos ? "" : p.substr(s + 1);
}

std::string xml_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    switch (c) {
      case '&':
        r += "&amp;";
        break;
      case '<':
        r += "&lt;";
        break;
      case '>':
        r += "&gt;";
        break;
      case '"':
        r += "&quot;";
        break;
      default:
        r.push_back(c);
    }
  }
  return r;
}

// S3 multipart ETag from the CompleteMultipartUpload body: md5(concat(raw part md5s))-N.
std::string multipart_etag(const std::string& body) {
  std::string raw;
  int parts = 0;
  size_t i = 0;
  for (;;) {
    size_t a = body.find("<ETag>", i);
    if (a == std::string::npos) break;
    size_t b = body.find("</ETag>", a);
    if (b == std::string::npos) break;
    std::string v = body.substr(a + 6, b - a - 6);
    std::string clean;
    for (size_t k = 0; k < v.size(); ++k) {
      if (v.compare(k, 6, "&quot;") == 0) {
        k += 5;
        continue;
      }
      if (v[k] == '"' || v[k] == ' ') continue;
      clean.push_back(v[k]);
    }
    for (size_t k = 0; k + 1 < clean.size() && k < 32; k += 2)
      raw.push_back(static_cast<char>(std::strtoul(clean.substr(k, 2).c_str(), nullptr, 16)));
    ++parts;
    i = b + 7;
  }
  Md5 m;
  m.update(raw.data(), raw.size());
  std::string d = m.final_raw();
  return hex(reinterpret_cast<const unsigned char*>(d.data()), d.size()) + "-" +
         std::to_string(parts);
}

bool respond(int fd, int status, const char* reason,
             const std::vector<std::pair<std::string, std::string>>& hdrs, const std::string& body,
             bool head_only, bool close) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  r += "Server: discard-server (benchmark fixture)\r\n";
  r += "x-amz-request-id: " + std::to_string(g_requests.load()) + "\r\n";
  for (auto& [k, v] : hdrs) r += k + ": " + v + "\r\n";
  if (status != 204) r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!body.empty()) r += "Content-Type: application/xml\r\n";
  if (close) r += "Connection: close\r\n";
  r += "\r\n";
  if (!head_only) r += body;
  return send_all(fd, r.data(), r.size());
}

const char* kXml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const char* kNs = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

void serve(int fd) {
  Conn c(fd);
  std::string head;
  for (;;) {
    head.clear();
    if (!c.read_head(head)) break;
    Request rq;
    if (!parse_head(head, rq)) break;
    ++g_requests;

    std::string te = lower(rq.header("transfer-encoding"));
    bool chunked = te.find("chunked") != std::string::npos;
    std::string cl = rq.header("content-length");
    unsigned long long length = cl.empty() ? 0 : std::strtoull(cl.c_str(), nullptr, 10);
    bool close = lower(rq.header("connection")) == "close";

    // What must be done with the body?
    bool keep_body = rq.method == "POST";
    std::string md5_hdr = rq.header("content-md5");
    std::string md5_raw;
    bool have_md5 = !md5_hdr.empty() && base64_decode(md5_hdr, md5_raw) && md5_raw.size() == 16;
    bool hash_body = rq.method == "PUT" && !have_md5 && rq.header("x-amz-copy-source").empty();
    // aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER): the framing is decoded and the
    // trailer's checksum echoed, as S3 does; the payload itself is discarded unhashed.
    bool aws_chunked =
        lower(rq.header("content-encoding")).find("aws-chunked") != std::string::npos;
    if (aws_chunked) hash_body = false;
    std::vector<std::pair<std::string, std::string>> trailers;

    if (lower(rq.header("expect")) == "100-continue") {
      static const char k100[] = "HTTP/1.1 100 Continue\r\n\r\n";
      if (!send_all(fd, k100, sizeof k100 - 1)) break;
    }

    std::string body;
    Md5 md5;
    bool ok = true;
    if (chunked || aws_chunked) {
      // HTTP chunked and aws-chunked share the framing: <hex size>\r\n<bytes>\r\n ... 0\r\n,
      // then trailer lines until an empty one (aws-chunked carries its checksum there).
      std::string line;
      for (;;) {
        if (!c.read_line(line)) {
          ok = false;
          break;
        }
        unsigned long long n = std::strtoull(line.c_str(), nullptr, 16);
        if (n == 0) {
          for (;;) {
            if (!c.read_line(line)) {
              ok = false;
              break;
            }
            if (line.empty()) break;
            size_t colon = line.find(':');
            if (colon != std::string::npos) {
              trailers.emplace_back(lower(line.substr(0, colon)), line.substr(colon + 1));
            }
          }
          break;
        }
        if (!c.consume(n, keep_body ? &body : nullptr, hash_body ? &md5 : nullptr) ||
            !c.read_line(line)) {
          ok = false;
          break;
        }
      }
    } else if (length > 0) {
      ok = c.consume(length, keep_body ? &body : nullptr, hash_body ? &md5 : nullptr);
    }
    if (!ok) break;

    std::string bucket, key;
    split_path(rq.path, bucket, key);
    std::vector<std::pair<std::string, std::string>> h;
    bool sent;
    if (rq.method == "PUT") {
      if (!rq.header("x-amz-copy-source").empty()) {
        std::string b = std::string(kXml) + "<CopyObjectResult" + kNs +
                        "><ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag></CopyObjectResult>";
        sent = respond(fd, 200, "OK", h, b, false, close);
      } else {
        std::string etag;
        if (have_md5) {
          etag = hex(reinterpret_cast<const unsigned char*>(md5_raw.data()), 16);
        } else if (aws_chunked) {
          etag = "00000000000000000000000000000000-chunked";  // not an MD5: never compared
        } else {
          std::string d = md5.final_raw();
          etag = hex(reinterpret_cast<const unsigned char*>(d.data()), d.size());
        }
        h.emplace_back("ETag", "\"" + etag + "\"");
        for (auto& [k, v] : rq.headers)
          if (k.rfind("x-amz-checksum-", 0) == 0 && k != "x-amz-checksum-algorithm")
            h.emplace_back(k, v);
        for (auto& [k, v] : trailers)
          if (k.rfind("x-amz-checksum-", 0) == 0) h.emplace_back(k, v);
        sent = respond(fd, 200, "OK", h, "", false, close);
      }
    } else if (rq.method == "HEAD") {
      sent = respond(fd, 404, "Not Found", h, "", true, close);
    } else if (rq.method == "POST" && rq.has_param("uploads")) {
      std::string id = "discard-" + std::to_string(++g_upload_ids);
      std::string b = std::string(kXml) + "<InitiateMultipartUploadResult" + kNs + "><Bucket>" +
                      xml_escape(bucket) + "</Bucket><Key>" + xml_escape(key) + "</Key><UploadId>" +
                      id + "</UploadId></InitiateMultipartUploadResult>";
      sent = respond(fd, 200, "OK", h, b, false, close);
    } else if (rq.method == "POST" && rq.has_param("uploadId")) {
      std::string b = std::string(kXml) + "<CompleteMultipartUploadResult" + kNs +
                      "><Location>http://127.0.0.1" + xml_escape(rq.path) + "</Location><Bucket>" +
                      xml_escape(bucket) + "</Bucket><Key>" + xml_escape(key) +
                      "</Key><ETag>&quot;" + multipart_etag(body) +
                      "&quot;</ETag></CompleteMultipartUploadResult>";
      sent = respond(fd, 200, "OK", h, b, false, close);
    } else if (rq.method == "POST" && rq.has_param("delete")) {
      std::string b = std::string(kXml) + "<DeleteResult" + kNs + "></DeleteResult>";
      sent = respond(fd, 200, "OK", h, b, false, close);
    } else if (rq.method == "GET" && rq.path == "/__stats") {
      std::string b = "{\"requests\":" + std::to_string(g_requests.load()) +
                      ",\"body_bytes\":" + std::to_string(g_body_bytes.load()) + "}";
      sent = respond(fd, 200, "OK", {{"Content-Type", "application/json"}}, b, false, close);
    } else if (rq.method == "GET" && rq.has_param("list-type")) {
      std::string prefix;
      std::string b = std::string(kXml) + "<ListBucketResult" + kNs + "><Name>" +
                      xml_escape(bucket) +
                      "</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
                      "<IsTruncated>false</IsTruncated></ListBucketResult>";
      sent = respond(fd, 200, "OK", h, b, false, close);
    } else if (rq.method == "GET" && rq.has_param("uploads")) {
      std::string b = std::string(kXml) + "<ListMultipartUploadsResult" + kNs + "><Bucket>" +
                      xml_escape(bucket) +
                      "</Bucket><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";
      sent = respond(fd, 200, "OK", h, b, false, close);
    } else if (rq.method == "GET" && rq.has_param("location")) {
      std::string b = std::string(kXml) + "<LocationConstraint" + kNs + "></LocationConstraint>";
      sent = respond(fd, 200, "OK", h, b, false, close);
    } else if (rq.method == "DELETE") {
      sent = respond(fd, 204, "No Content", h, "", false, close);
    } else {
      std::string b = std::string(kXml) +
                      "<Error><Code>NoSuchKey</Code><Message>discard server stores "
                      "nothing</Message></Error>";
      sent = respond(fd, 404, "Not Found", h, b, false, close);
    }
    if (!sent || close) break;
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  const char* port_file = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--port-file" && i + 1 < argc) {
      port_file = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--port-file FILE]\n", argv[0]);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(ls, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(ls, 1024) != 0) {
    std::perror("discard_server: bind/listen");
    return 1;
  }
  socklen_t sl = sizeof sa;
  getsockname(ls, reinterpret_cast<sockaddr*>(&sa), &sl);
  int bound = ntohs(sa.sin_port);
  if (port_file) {
    std::string tmp = std::string(port_file) + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) {
      std::perror("discard_server: port file");
      return 1;
    }
    std::fprintf(f, "%d\n", bound);
    std::fclose(f);
    std::rename(tmp.c_str(), port_file);
  }
  std::fprintf(stderr, "discard_server: listening on 127.0.0.1:%d\n", bound);
  for (;;) {
    int fd = ::accept(ls, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::perror("discard_server: accept");
      return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(serve, fd).detach();
  }
}
