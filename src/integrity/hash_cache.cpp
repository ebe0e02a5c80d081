// Storage design: one append-only text log per cache directory, one record per line.
//
// Why a log rather than one file per entry: a run over N files would otherwise create N tiny
// files (N inodes, N fsync-less renames, slow directory scans on reopen), while the log is
// read in one sequential pass and appending costs one write(2). Concurrency and crash safety:
//  * Each record is appended with a single write(2) of < PIPE_BUF bytes on an O_APPEND
//    descriptor, so concurrent writers on a local filesystem never interleave within a record
//    (the kernel serialises appends per inode), and each record starts with a magic and
//    carries a CRC32C of its contents, so a torn line (crash mid-write, full disk, or a
//    filesystem without atomic appends such as NFS) fails verification and is ignored, never
//    misread. A log that does not end in '\n' (a torn tail) gets a '\n' appended on open so
//    the next record starts on a clean line; the parser also retries from the last magic in
//    a bad line.
//  * Readers only consume complete lines, so a record being written is picked up later.
//  * Compaction writes the live entries to a temporary file and rename(2)s it over the log,
//    holding an exclusive flock(2) on the old log; appenders hold a shared flock while
//    writing and, once they have it, check that their descriptor is still the file at the
//    log path (reopening if it was replaced), so no append is lost to the replaced file.
//    Compaction uses LOCK_NB: if anyone is appending it is simply skipped until later.
//  * Later records for the same (device, inode, kind) supersede earlier ones; a stale one is
//    never used because a lookup compares the whole identity.
#include "integrity/hash_cache.hpp"

#include "util/fd.hpp"
#include "util/record.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <random>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "integrity/crc.hpp"

namespace s3up::integrity {
namespace {

constexpr std::string_view kMagic = "S3HC1 ";
constexpr const char* kLogName = "hashes.v1.log";

// --- record encoding -----------------------------------------------------------------------

void escape_into(std::string& out, std::string_view s) {
  escape_field_into(out, s);
}

std::optional<std::string> unescape(std::string_view s) {
  return unescape_field(s);
}

uint32_t checksum(std::string_view body) {
  return static_cast<uint32_t>(crc_compute(CrcAlgo::kCrc32c, body));
}

std::string map_key(const FileIdentity& id, std::string_view kind) {
  std::string k;
  k.reserve(kind.size() + 42);
  k.append(kind);
  k.push_back('\n');
  k.append(std::to_string(id.dev));
  k.push_back(':');
  k.append(std::to_string(id.ino));
  return k;
}

// "S3HC1 <crc32c hex> <dev> <ino> <size> <ms> <mns> <cs> <cns> <kind> <value>\n"
std::string encode_record(const FileIdentity& id, std::string_view kind, std::string_view value) {
  std::string body;
  body.reserve(96 + kind.size() + value.size());
  body.append(std::to_string(id.dev)).push_back(' ');
  body.append(std::to_string(id.ino)).push_back(' ');
  body.append(std::to_string(id.size)).push_back(' ');
  body.append(std::to_string(id.mtime_sec)).push_back(' ');
  body.append(std::to_string(id.mtime_nsec)).push_back(' ');
  body.append(std::to_string(id.ctime_sec)).push_back(' ');
  body.append(std::to_string(id.ctime_nsec)).push_back(' ');
  escape_into(body, kind);
  body.push_back(' ');
  escape_into(body, value);
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", checksum(body));
  std::string rec;
  rec.reserve(kMagic.size() + 9 + body.size() + 1);
  rec.append(kMagic).append(crc, 8).append(" ").append(body).append("\n");
  return rec;
}

struct Decoded {
  FileIdentity id;
  std::string kind;
  std::string value;
};

std::optional<Decoded> decode_one(std::string_view line) {
  if (line.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  line.remove_prefix(kMagic.size());
  if (line.size() < 9 || line[8] != ' ') return std::nullopt;
  uint32_t want = 0;
  {
    const auto [p, ec] = std::from_chars(line.data(), line.data() + 8, want, 16);
    if (ec != std::errc() || p != line.data() + 8) return std::nullopt;
  }
  const std::string_view body = line.substr(9);
  if (checksum(body) != want) return std::nullopt;
  std::string_view f[9];
  size_t start = 0;
  for (int i = 0; i < 9; ++i) {
    if (i == 8) {
      f[i] = body.substr(start);
      if (f[i].find(' ') != std::string_view::npos) return std::nullopt;
      break;
    }
    const size_t sp = body.find(' ', start);
    if (sp == std::string_view::npos) return std::nullopt;
    f[i] = body.substr(start, sp - start);
    start = sp + 1;
  }
  Decoded d;
  if (!parse_number(f[0], d.id.dev) || !parse_number(f[1], d.id.ino) ||
      !parse_number(f[2], d.id.size) || !parse_number(f[3], d.id.mtime_sec) ||
      !parse_number(f[4], d.id.mtime_nsec) || !parse_number(f[5], d.id.ctime_sec) ||
      !parse_number(f[6], d.id.ctime_nsec)) {
    return std::nullopt;
  }
  auto kind = unescape(f[7]);
  auto value = unescape(f[8]);
  if (!kind || !value || kind->empty()) return std::nullopt;
  d.kind = std::move(*kind);
  d.value = std::move(*value);
  return d;
}

// A line that fails may be a torn record with a good one glued after it (a crash mid-write
// on a log that was not healed): retry from the last magic inside the line.
std::optional<Decoded> decode_line(std::string_view line) {
  if (auto d = decode_one(line)) return d;
  const size_t pos = line.rfind(kMagic);
  if (pos != std::string_view::npos && pos > 0) return decode_one(line.substr(pos));
  return std::nullopt;
}

// --- small POSIX helpers -------------------------------------------------------------------

bool flock_retry(int fd, int op) {
  while (::flock(fd, op) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

Result<FileIdentity> identify(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return unexpected("cannot stat " + path.string() + ": " + std::strerror(errno));
  }
  FileIdentity id;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_sec = static_cast<int64_t>(st.st_mtim.tv_sec);
  id.mtime_nsec = static_cast<int64_t>(st.st_mtim.tv_nsec);
  id.ctime_sec = static_cast<int64_t>(st.st_ctim.tv_sec);
  id.ctime_nsec = static_cast<int64_t>(st.st_ctim.tv_nsec);
  return id;
}

struct HashCache::Impl {
  struct Entry {
    FileIdentity id;
    std::string kind;
    std::string value;
    uint64_t seq = 0;  // order of appearance; larger = written later
  };

  std::filesystem::path dir;
  std::filesystem::path log;
  Options opt;
  std::mutex mu;
  int fd = -1;
  bool writable = false;
  dev_t fd_dev = 0;
  ino_t fd_ino = 0;
  uint64_t offset = 0;   // bytes of the log consumed (always at a line boundary)
  uint64_t records = 0;  // lines in the log consumed so far (valid or not)
  uint64_t next_seq = 0;
  uint64_t failed_at_records = 0;  // records count at the last failed compaction
  std::unordered_map<std::string, Entry> map;

  ~Impl() { close_fd(); }

  void close_fd() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    writable = false;
  }

  // Opens the log at its path and loads it from the start. False if it cannot be opened.
  bool open_log() {
    close_fd();
    map.clear();
    offset = 0;
    records = 0;
    fd = ::open(log.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    writable = fd >= 0;
    if (fd < 0) fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      close_fd();
      return false;
    }
    fd_dev = st.st_dev;
    fd_ino = st.st_ino;
    if (writable) heal_tail(st.st_size);
    catch_up();
    return true;
  }

  // A log whose last byte is not '\n' ends in a torn record: terminate it so the next append
  // starts on a fresh line. (If the "torn" record is really another process's append still
  // in flight, the '\n' lands after it and only adds an empty line.)
  void heal_tail(off_t size) {
    if (size <= 0) return;
    char last = 0;
    if (::pread(fd, &last, 1, size - 1) == 1 && last != '\n') (void)write_all(fd, "\n");
  }

  // True when fd is still the file at the log path (no other process replaced it).
  bool fd_is_current() const {
    struct stat st {};
    return ::stat(log.c_str(), &st) == 0 && st.st_dev == fd_dev && st.st_ino == fd_ino;
  }

  // Makes sure fd is the current log (reopening after another process's compaction).
  bool ensure_current() {
    if (fd >= 0 && fd_is_current()) return true;
    return open_log();
  }

  // Reads whatever was appended since the last call; consumes complete lines only.
  void catch_up() {
    if (fd < 0) return;
    std::string pending;
    char buf[1 << 16];
    uint64_t pos = offset;
    for (;;) {
      const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(pos));
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (n == 0) break;
      pos += static_cast<uint64_t>(n);
      pending.append(buf, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        consume_line(std::string_view(pending).substr(start, nl - start));
      }
      offset += start;
      pending.erase(0, start);
    }
  }

  void consume_line(std::string_view line) {
    if (line.empty()) return;
    ++records;
    auto d = decode_line(line);
    if (!d) return;
    std::string key = map_key(d->id, d->kind);
    Entry& e = map[std::move(key)];
    e.id = d->id;
    e.kind = std::move(d->kind);
    e.value = std::move(d->value);
    e.seq = next_seq++;
  }

  bool racy(const FileIdentity& id) const {
    const int64_t window = opt.racy_window.count();
    if (window <= 0) return false;
    const auto ns = [](int64_t s, int64_t n) { return s * 1'000'000'000 + n; };
    const int64_t newest =
        std::max(ns(id.mtime_sec, id.mtime_nsec), ns(id.ctime_sec, id.ctime_nsec));
    return newest > now_ns() - window;
  }

  void put(const FileIdentity& id, const std::string& kind, const std::string& value) {
    if (kind.empty() || racy(id)) return;
    const std::string key = map_key(id, kind);
    if (auto it = map.find(key);
        it != map.end() && it->second.id == id && it->second.value == value) {
      return;  // already stored
    }
    const std::string rec = encode_record(id, kind, value);
    if (rec.size() > kMaxRecordBytes) return;
    if (append(rec)) {
      catch_up();  // picks up our record (and anyone else's) in log order
      maybe_compact();
    }
    // Whatever happened on disk, this process remembers the value.
    Entry& e = map[key];
    if (!(e.id == id && e.value == value)) {
      e.id = id;
      e.kind = kind;
      e.value = value;
      e.seq = next_seq++;
    }
  }

  bool append(const std::string& rec) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (!ensure_current() || !writable) return false;
      if (!flock_retry(fd, LOCK_SH)) return false;
      if (!fd_is_current()) {  // replaced between our check and the lock: reopen and retry
        (void)flock_retry(fd, LOCK_UN);
        continue;
      }
      // One write(2): with O_APPEND and < PIPE_BUF bytes it lands as a unit. A short write
      // (disk full) leaves a torn line that the checksum rejects; terminate it if we can.
      const ssize_t n = ::write(fd, rec.data(), rec.size());
      bool ok = n == static_cast<ssize_t>(rec.size());
      if (!ok && n > 0) (void)write_all(fd, "\n");
      (void)flock_retry(fd, LOCK_UN);
      return ok;
    }
    return false;
  }

  void maybe_compact() {
    const uint64_t live = map.size();
    const bool too_many_records = records > std::max<uint64_t>(opt.compact_min_records, 4 * live);
    // After a failed rewrite (say, the directory became read-only) wait for the log to double
    // before trying again, so put() does not rescan the log every time.
    if (records <= 2 * failed_at_records) return;
    if (too_many_records || live > opt.max_entries) compact();
  }

  void compact() {
    if (fd < 0 || !writable) return;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return;  // busy: someone is appending
    struct Unlock {
      int fd;
      ~Unlock() { (void)::flock(fd, LOCK_UN); }
    };
    bool reload = true;  // another process compacted already: load its file
    {
      Unlock unlock{fd};
      if (fd_is_current()) {
        catch_up();  // nobody can append now: the map is the whole log
        reload = rewrite();
        failed_at_records = reload ? 0 : records;
      }
    }
    if (reload) (void)open_log();  // the new file, loaded from the start
  }

  // Writes the live entries (the newest max_entries) to a temp file and renames it over the
  // log. Called with the exclusive lock held on the old log.
  bool rewrite() {
    std::vector<const Entry*> live;
    live.reserve(map.size());
    for (const auto& [k, e] : map) live.push_back(&e);
    std::sort(live.begin(), live.end(),
              [](const Entry* a, const Entry* b) { return a->seq < b->seq; });
    if (live.size() > opt.max_entries) {
      // Evict the least recently written, down to 90% so the next put does not compact again.
      const size_t keep = opt.max_entries - opt.max_entries / 10;
      live.erase(live.begin(), live.end() - static_cast<ptrdiff_t>(keep));
    }

    std::random_device rd;
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, ".tmp.%ld.%08x", static_cast<long>(::getpid()), rd());
    const std::filesystem::path tmp = log.string() + suffix;
    const int tfd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (tfd < 0) return false;
    std::string out;
    bool ok = true;
    for (const Entry* e : live) {
      out += encode_record(e->id, e->kind, e->value);
      if (out.size() >= (1 << 20)) {
        ok = ok && write_all(tfd, out);
        out.clear();
      }
    }
    ok = ok && write_all(tfd, out);
    ok = ok && ::fdatasync(tfd) == 0;
    ok = (::close(tfd) == 0) && ok;
    if (!ok || ::rename(tmp.c_str(), log.c_str()) != 0) {
      (void)::unlink(tmp.c_str());
      return false;
    }
    return true;
  }
};

std::optional<std::filesystem::path> HashCache::default_dir(const Environment& env) {
  if (auto xdg = env.get("XDG_CACHE_HOME"); xdg && !xdg->empty()) {
    std::filesystem::path p(*xdg);
    if (p.is_absolute()) return p / "s3upload";  // the XDG spec says to ignore relative paths
  }
  if (auto home = env.home(); home && !home->empty()) return *home / ".cache" / "s3upload";
  return std::nullopt;
}

HashCache HashCache::open_default(const Environment& env, Options options) {
  try {
    if (auto dir = default_dir(env)) return HashCache(*dir, options);
  } catch (...) {
  }
  return HashCache();
}

HashCache::HashCache() = default;

HashCache::HashCache(std::filesystem::path dir, Options options) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->dir = std::move(dir);
    impl->log = impl->dir / kLogName;
    impl->opt = options;
    std::error_code ec;
    std::filesystem::create_directories(impl->dir, ec);  // failure shows up in open_log()
    if (impl->open_log()) impl_ = std::move(impl);
  } catch (...) {
    impl_.reset();
  }
}

HashCache::~HashCache() = default;
HashCache::HashCache(HashCache&&) noexcept = default;
HashCache& HashCache::operator=(HashCache&&) noexcept = default;

std::optional<std::string> HashCache::get(const FileIdentity& id, const std::string& kind) {
  if (!impl_) return std::nullopt;
  try {
    std::lock_guard lock(impl_->mu);
    const std::string key = map_key(id, kind);
    auto it = impl_->map.find(key);
    if (it == impl_->map.end() || !(it->second.id == id)) {
      // Maybe another process stored it since we last looked.
      if (impl_->ensure_current()) impl_->catch_up();
      it = impl_->map.find(key);
    }
    if (it != impl_->map.end() && it->second.id == id) return it->second.value;
  } catch (...) {
  }
  return std::nullopt;
}

void HashCache::put(const FileIdentity& id, const std::string& kind, const std::string& value) {
  if (!impl_) return;
  try {
    std::lock_guard lock(impl_->mu);
    impl_->put(id, kind, value);
  } catch (...) {
  }
}

bool HashCache::enabled() const {
  return impl_ != nullptr;
}

bool HashCache::writable() const {
  if (!impl_) return false;
  std::lock_guard lock(impl_->mu);
  return impl_->writable;
}

size_t HashCache::size() const {
  if (!impl_) return 0;
  std::lock_guard lock(impl_->mu);
  return impl_->map.size();
}

void HashCache::compact() {
  if (!impl_) return;
  try {
    std::lock_guard lock(impl_->mu);
    impl_->compact();
  } catch (...) {
  }
}

std::filesystem::path HashCache::log_path() const {
  return impl_ ? impl_->log : std::filesystem::path();
}

}  // namespace s3up::integrity
