// File format (text, one record per line):
//
//   s3upload-journal 1\n
//   H <endpoint> <bucket> <key> <upload_id> <part_size> <part_count> <checksum_algo>
//     <checksum_transport> <dev> <ino> <size> <mtime_sec> <mtime_nsec> <ctime_sec>
//     <ctime_nsec> <created_unix> <local_path> <crc>\n           (one line)
//   P <number> <size> <etag> <checksum_b64> <crc>\n                (one per acknowledged part)
//
// The first line is the magic and format version. Every later line is a record:
// "<payload> <crc>\n" where <crc> is the CRC32C of <payload> as 8 lower-case hex digits.
// Fields are separated by exactly one space; an empty string is an empty field (two spaces in a
// row). String fields are escaped: printable ASCII other than '%' (0x21-0x7E) stays, every
// other byte (space, tab, newline, '%', bytes >= 0x7F such as UTF-8) is %XX with upper-case
// hex. Numbers are plain decimal.
//
// Crash safety: the magic and header are written to a temporary file in the same directory,
// fsync'd and renamed over the journal (then the directory is fsync'd), so a journal either
// has a complete header or does not exist. Part records are appended with one write(2) on an
// O_APPEND descriptor and fdatasync'd before append_part() returns. A crash mid-append leaves a
// torn last line, which fails its CRC (or lacks its '\n') and is ignored by load(), together
// with anything after it; open_for_append() truncates the file back to the end of the last
// good record before anything new is appended, so new records are never hidden behind a bad
// one.
#include "transfer/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string_view>

#include "integrity/crc.hpp"
#include "integrity/hash.hpp"
#include "util/fd.hpp"
#include "util/record.hpp"

namespace s3up::transfer {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagicPrefix = "s3upload-journal ";
constexpr std::string_view kMagicLine = "s3upload-journal 1\n";
constexpr size_t kHeaderFields = 17;  // after the "H"
constexpr size_t kPartFields = 4;     // after the "P"
// Far above any real journal (10,000 parts of a few hundred bytes each, even re-recorded many
// times); protects load() from reading a huge unrelated file into memory.
constexpr uint64_t kMaxJournalBytes = 64ull << 20;

std::string errno_text(int err) {
  return std::strerror(err);
}

// --- record encoding -----------------------------------------------------------------------

void escape_into(std::string& out, std::string_view s) {
  escape_field_into(out, s);
}

bool unescape(std::string_view s, std::string& out) {
  auto v = unescape_field(s);
  if (v) out = std::move(*v);
  return v.has_value();
}

uint32_t crc_of(std::string_view payload) {
  return static_cast<uint32_t>(
      integrity::crc_compute(integrity::CrcAlgo::kCrc32c, payload.data(), payload.size()));
}

// "<payload> <crc32c hex>\n"
std::string seal(std::string payload) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", static_cast<unsigned>(crc_of(payload)));
  payload.push_back(' ');
  payload.append(crc, 8);
  payload.push_back('\n');
  return payload;
}

void add_field(std::string& out, std::string_view s) {
  out.push_back(' ');
  escape_into(out, s);
}

template <typename T>
void add_number(std::string& out, T n) {
  out.push_back(' ');
  out.append(std::to_string(n));
}

std::string encode_header(const JournalHeader& h) {
  std::string p = "H";
  add_field(p, h.endpoint);
  add_field(p, h.bucket);
  add_field(p, h.key);
  add_field(p, h.upload_id);
  add_number(p, h.part_size);
  add_number(p, h.part_count);
  add_field(p, h.checksum_algo);
  add_field(p, h.checksum_transport);
  add_number(p, h.file.dev);
  add_number(p, h.file.ino);
  add_number(p, h.file.size);
  add_number(p, h.file.mtime_sec);
  add_number(p, h.file.mtime_nsec);
  add_number(p, h.file.ctime_sec);
  add_number(p, h.file.ctime_nsec);
  add_number(p, h.created_unix);
  add_field(p, h.local_path);
  return seal(std::move(p));
}

std::string encode_part(const JournalPart& part) {
  std::string p = "P";
  add_number(p, part.number);
  add_number(p, part.size);
  add_field(p, part.etag);
  add_field(p, part.checksum_b64);
  return seal(std::move(p));
}

// The payload of a sealed line (without its '\n'), or nullopt when the CRC does not match.
std::optional<std::string_view> unseal(std::string_view line) {
  if (line.size() < 10 || line[line.size() - 9] != ' ') return std::nullopt;
  const std::string_view hex = line.substr(line.size() - 8);
  // Lower-case only, so that no changed byte (say 'a' -> 'A') leaves a record valid.
  for (const char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  uint32_t want = 0;
  const auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), want, 16);
  if (ec != std::errc() || p != hex.data() + hex.size()) return std::nullopt;
  const std::string_view payload = line.substr(0, line.size() - 9);
  if (crc_of(payload) != want) return std::nullopt;
  return payload;
}

// Splits "<tag> f1 f2 ... fn" on single spaces into exactly n fields after the tag.
bool split_fields(std::string_view payload, char tag, size_t n, std::vector<std::string_view>& f) {
  if (payload.size() < 2 || payload[0] != tag || payload[1] != ' ') return false;
  f.clear();
  size_t start = 2;
  while (true) {
    const size_t sp = payload.find(' ', start);
    if (sp == std::string_view::npos) {
      f.push_back(payload.substr(start));
      break;
    }
    f.push_back(payload.substr(start, sp - start));
    start = sp + 1;
  }
  return f.size() == n;
}

bool header_valid(const JournalHeader& h) {
  return !h.endpoint.empty() && !h.bucket.empty() && !h.key.empty() && !h.upload_id.empty() &&
         h.part_size > 0 && h.part_count > 0 && h.part_count <= static_cast<uint64_t>(INT_MAX);
}

bool decode_header(std::string_view payload, JournalHeader& h) {
  std::vector<std::string_view> f;
  if (!split_fields(payload, 'H', kHeaderFields, f)) return false;
  const bool ok = unescape(f[0], h.endpoint) && unescape(f[1], h.bucket) && unescape(f[2], h.key) &&
                  unescape(f[3], h.upload_id) && parse_number(f[4], h.part_size) &&
                  parse_number(f[5], h.part_count) && unescape(f[6], h.checksum_algo) &&
                  unescape(f[7], h.checksum_transport) && parse_number(f[8], h.file.dev) &&
                  parse_number(f[9], h.file.ino) && parse_number(f[10], h.file.size) &&
                  parse_number(f[11], h.file.mtime_sec) && parse_number(f[12], h.file.mtime_nsec) &&
                  parse_number(f[13], h.file.ctime_sec) && parse_number(f[14], h.file.ctime_nsec) &&
                  parse_number(f[15], h.created_unix) && unescape(f[16], h.local_path);
  return ok && header_valid(h);
}

// Whether a part record fits the header: load() stops at one that does not.
bool part_valid(const JournalPart& p, uint64_t part_size, uint64_t part_count) {
  return p.number >= 1 && static_cast<uint64_t>(p.number) <= part_count && p.size <= part_size &&
         !p.etag.empty();
}

bool decode_part(std::string_view payload, JournalPart& p) {
  std::vector<std::string_view> f;
  if (!split_fields(payload, 'P', kPartFields, f)) return false;
  return parse_number(f[0], p.number) && parse_number(f[1], p.size) && unescape(f[2], p.etag) &&
         unescape(f[3], p.checksum_b64);
}

struct Parsed {
  LoadedJournal journal;
  uint64_t good_end = 0;  // bytes up to the end of the last good record
};

Result<Parsed> parse(std::string_view data, const fs::path& path) {
  const std::string where = "the resume journal " + path.string();
  // Magic line.
  const size_t nl = data.find('\n');
  const std::string_view first = data.substr(0, nl);
  if (nl == std::string_view::npos || data.substr(0, nl + 1) != kMagicLine) {
    if (nl != std::string_view::npos && first.substr(0, kMagicPrefix.size()) == kMagicPrefix) {
      const std::string_view version = first.substr(kMagicPrefix.size());
      unsigned v = 0;
      if (parse_number(version, v)) {
        return unexpected(where + " was written in an unsupported format (version " +
                          std::to_string(v) + "; this s3upload reads version 1)");
      }
    }
    return unexpected(where + " is damaged (no journal header)");
  }
  size_t pos = nl + 1;

  // Header record: must be complete and valid.
  Parsed out;
  {
    const size_t end = data.find('\n', pos);
    if (end == std::string_view::npos) return unexpected(where + " is damaged (bad header record)");
    const auto payload = unseal(data.substr(pos, end - pos));
    if (!payload || !decode_header(*payload, out.journal.header)) {
      return unexpected(where + " is damaged (bad header record)");
    }
    pos = end + 1;
  }
  out.good_end = pos;

  // Part records up to the first bad one.
  const JournalHeader& h = out.journal.header;
  std::map<int, JournalPart> parts;
  size_t line_no = 2;
  while (pos < data.size()) {
    ++line_no;
    const size_t end = data.find('\n', pos);
    if (end == std::string_view::npos) {
      out.journal.damage = where + " ends in an incomplete record (line " +
                           std::to_string(line_no) + "), which was ignored";
      break;
    }
    JournalPart part;
    const auto payload = unseal(data.substr(pos, end - pos));
    if (!payload || !decode_part(*payload, part) || !part_valid(part, h.part_size, h.part_count)) {
      out.journal.damage = where + " has a damaged record on line " + std::to_string(line_no) +
                           "; it and everything after it were ignored";
      break;
    }
    parts[part.number] = std::move(part);
    pos = end + 1;
    out.good_end = pos;
  }
  out.journal.parts.reserve(parts.size());
  for (auto& [n, p] : parts) out.journal.parts.push_back(std::move(p));
  return out;
}

// --- small POSIX helpers -------------------------------------------------------------------

// Reads the whole file behind fd (from offset 0). Error is errno (EFBIG when too large).
int read_all(int fd, std::string& out) {
  out.clear();
  char buf[1 << 16];
  uint64_t off = 0;
  while (true) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return 0;
    off += static_cast<uint64_t>(n);
    if (off > kMaxJournalBytes) return EFBIG;
    out.append(buf, static_cast<size_t>(n));
  }
}

bool flock_nb(int fd) {
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

// Creates dir and its missing parents with mode 0700 (existing ones are left alone).
Result<void> make_dirs(const fs::path& dir) {
  fs::path cur;
  for (const auto& part : dir) {
    cur /= part;
    if (cur == cur.root_path()) continue;
    if (::mkdir(cur.c_str(), 0700) == 0) continue;
    const int err = errno;
    struct stat st {};
    if (err == EEXIST && ::stat(cur.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return unexpected("cannot create the directory " + cur.string() + ": " +
                      errno_text(err == EEXIST ? ENOTDIR : err));
  }
  return {};
}

// Makes a rename in dir durable. Filesystems that cannot fsync a directory (EINVAL) are fine.
Result<void> sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return unexpected("cannot open " + dir.string() + ": " + errno_text(errno));
  int err = 0;
  if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) err = errno;
  ::close(fd);
  if (err != 0) return unexpected("cannot sync " + dir.string() + ": " + errno_text(err));
  return {};
}

}  // namespace

std::optional<fs::path> Journal::default_dir(const Environment& env) {
  if (auto xdg = env.get("XDG_STATE_HOME"); xdg && !xdg->empty()) {
    fs::path p(*xdg);
    if (p.is_absolute()) return p / "s3upload";  // the XDG spec says to ignore relative paths
  }
  if (auto home = env.home(); home && !home->empty()) {
    return *home / ".local" / "state" / "s3upload";
  }
  return std::nullopt;
}

fs::path Journal::path_for(const fs::path& dir, const std::string& endpoint,
                           const std::string& bucket, const std::string& key) {
  // Endpoints and bucket names cannot contain '\n', so the joined string is unambiguous.
  const std::string id = endpoint + "\n" + bucket + "\n" + key;
  return dir / "uploads" / (integrity::sha256_hex(id) + ".journal");
}

Result<std::optional<LoadedJournal>> Journal::load(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return std::optional<LoadedJournal>();
    return unexpected("cannot open the resume journal " + path.string() + ": " + errno_text(err));
  }
  std::string data;
  struct stat st {};
  int err = ::fstat(fd, &st) != 0 ? errno : 0;
  const bool regular = err == 0 && S_ISREG(st.st_mode);
  if (regular) err = read_all(fd, data);
  ::close(fd);
  if (err == 0 && !regular) {
    return unexpected("the resume journal " + path.string() + " is not a regular file");
  }
  if (err == EFBIG) {
    return unexpected("the resume journal " + path.string() + " is damaged (too large)");
  }
  if (err != 0) {
    return unexpected("cannot read the resume journal " + path.string() + ": " + errno_text(err));
  }
  auto parsed = parse(data, path);
  if (!parsed) return unexpected(std::move(parsed.error()));
  return std::optional<LoadedJournal>(std::move(parsed->journal));
}

Result<Journal> Journal::create(const fs::path& path, const JournalHeader& header) {
  const std::string where = "cannot write the resume journal " + path.string();
  if (!header_valid(header)) {
    return unexpected(where + ": the upload description is incomplete");
  }
  const fs::path dir = path.parent_path();
  if (!dir.empty()) {
    if (auto r = make_dirs(dir); !r) return unexpected(std::move(r.error()));
  }

  std::random_device rd;
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".tmp.%ld.%08x", static_cast<long>(::getpid()), rd());
  const fs::path tmp = path.string() + suffix;
  // O_APPEND from the start: after the rename this descriptor is the journal, ready for appends.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return unexpected(where + ": " + errno_text(errno));
  std::string bytes(kMagicLine);
  bytes += encode_header(header);
  int err = 0;
  if (::fchmod(fd, 0600) != 0 || !write_all(fd, bytes) || ::fsync(fd) != 0 ||
      ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
  }
  if (err != 0) {
    ::close(fd);
    (void)::unlink(tmp.c_str());
    return unexpected(where + ": " + errno_text(err));
  }
  Journal j(path, fd, header.part_size, header.part_count);
  if (auto r = sync_dir(dir); !r) return unexpected(where + ": " + r.error());
  return j;
}

Result<Journal> Journal::open_for_append(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    return unexpected("cannot open the resume journal " + path.string() + ": " + errno_text(errno));
  }
  // The file descriptor is owned from here on (closed on every error path).
  Journal j(path, fd, 0, 0);
  // Lock before reading, so no other process appends between our read and the truncation.
  const bool locked = flock_nb(fd);
  std::string data;
  if (const int err = read_all(fd, data); err != 0) {
    if (err == EFBIG) {
      return unexpected("the resume journal " + path.string() + " is damaged (too large)");
    }
    return unexpected("cannot read the resume journal " + path.string() + ": " + errno_text(err));
  }
  auto parsed = parse(data, path);
  if (!parsed) return unexpected(std::move(parsed.error()));
  j.part_size_ = parsed->journal.header.part_size;
  j.part_count_ = parsed->journal.header.part_count;
  // Another process holding the lock is still appending: leave its records alone (our caller's
  // try_lock() fails and it will not append).
  if (locked && parsed->good_end < data.size()) {
    if (::ftruncate(fd, static_cast<off_t>(parsed->good_end)) != 0 || ::fdatasync(fd) != 0) {
      return unexpected("cannot repair the resume journal " + path.string() + ": " +
                        errno_text(errno));
    }
  }
  return j;
}

void Journal::remove(const fs::path& path) {
  (void)::unlink(path.c_str());
}

Result<void> Journal::append_part(const JournalPart& part) {
  const std::string what = "cannot record part " + std::to_string(part.number) +
                           " in the resume journal " + path_.string();
  if (fd_ < 0) return unexpected(what + ": the journal is not open");
  if (!part_valid(part, part_size_, part_count_)) {
    return unexpected(what + ": the part does not fit the upload (number, size or ETag)");
  }
  const std::string rec = encode_part(part);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return unexpected(what + ": " + errno_text(errno));
  // One write(2) of the whole record (a short one, e.g. on a full disk, is continued). On
  // failure, cut the partial record off so later records are not hidden behind it.
  if (!write_all(fd_, rec)) {
    const int err = errno;
    (void)::ftruncate(fd_, st.st_size);
    return unexpected(what + ": " + errno_text(err));
  }
  if (::fdatasync(fd_) != 0) return unexpected(what + ": " + errno_text(errno));
  return {};
}

bool Journal::try_lock() {
  return fd_ >= 0 && flock_nb(fd_);
}

Journal::Journal(Journal&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      part_size_(other.part_size_),
      part_count_(other.part_count_) {}

Journal& Journal::operator=(Journal&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    part_size_ = other.part_size_;
    part_count_ = other.part_count_;
  }
  return *this;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace s3up::transfer
