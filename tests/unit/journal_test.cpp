#include "transfer/journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "integrity/crc.hpp"
#include "temp_dir.hpp"

namespace s3up::transfer {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces p with a new file (rather than truncating it: ext4 flushes truncated-and-rewritten
// files on close, which makes the every-offset tests slow).
void write_bytes(const fs::path& p, const std::string& bytes) {
  fs::remove(p);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// A record line as the format defines it: "<payload> <crc32c hex>\n".
std::string sealed(const std::string& payload) {
  char crc[9];
  std::snprintf(
      crc, sizeof crc, "%08x",
      static_cast<unsigned>(integrity::crc_compute(integrity::CrcAlgo::kCrc32c, payload)));
  return payload + " " + crc + "\n";
}

Environment env(std::map<std::string, std::string> vars) {
  return Environment(std::move(vars));
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

JournalHeader sample_header() {
  JournalHeader h;
  h.endpoint = "https://s3.example.com:9000";
  h.bucket = "my-bucket";
  h.key = "dir/a key\twith\nnewline %41 100% \xC3\xA9t\xC3\xA9 \xE2\x9C\x93.bin";
  h.upload_id = "2~abc DEF%20/+=";
  h.part_size = 8 * 1024 * 1024;
  h.part_count = 5;
  h.checksum_algo = "CRC32C";
  h.checksum_transport = "trailer";
  h.file.dev = 2049;
  h.file.ino = 1234567890123ull;
  h.file.size = 40 * 1024 * 1024 - 3;
  h.file.mtime_sec = 1700000000;
  h.file.mtime_nsec = 123456789;
  h.file.ctime_sec = -5;  // negative times exist (pre-1970 files)
  h.file.ctime_nsec = 999999999;
  h.local_path = "/home/u/my files/\xE2\x98\x83 snow\r\n%.bin";
  h.created_unix = 1700000123;
  return h;
}

JournalPart part(int n, std::string etag = "", std::string sum = "") {
  JournalPart p;
  p.number = n;
  p.size = 8 * 1024 * 1024;
  p.etag = etag.empty() ? "etag-" + std::to_string(n) + "-0123456789abcdef" : std::move(etag);
  p.checksum_b64 = sum.empty() ? "AAAA" + std::to_string(n) + "w==" : std::move(sum);
  return p;
}

void expect_header_eq(const JournalHeader& a, const JournalHeader& b) {
  EXPECT_EQ(a.endpoint, b.endpoint);
  EXPECT_EQ(a.bucket, b.bucket);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.upload_id, b.upload_id);
  EXPECT_EQ(a.part_size, b.part_size);
  EXPECT_EQ(a.part_count, b.part_count);
  EXPECT_EQ(a.checksum_algo, b.checksum_algo);
  EXPECT_EQ(a.checksum_transport, b.checksum_transport);
  EXPECT_EQ(a.file, b.file);
  EXPECT_EQ(a.local_path, b.local_path);
  EXPECT_EQ(a.created_unix, b.created_unix);
}

void expect_part_eq(const JournalPart& a, const JournalPart& b) {
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.etag, b.etag);
  EXPECT_EQ(a.checksum_b64, b.checksum_b64);
}

std::vector<int> numbers(const LoadedJournal& j) {
  std::vector<int> out;
  for (const auto& p : j.parts) out.push_back(p.number);
  return out;
}

LoadedJournal load_ok(const fs::path& p) {
  auto r = Journal::load(p);
  EXPECT_TRUE(r.ok()) << r.error();
  if (!r.ok() || !r->has_value()) {
    ADD_FAILURE() << "no journal at " << p;
    return {};
  }
  return **r;
}

class JournalTest : public ::testing::Test {
 protected:
  fs::path state() const { return tmp_.path() / "state"; }
  fs::path journal_path() const {
    return Journal::path_for(state(), "https://s3.example.com:9000", "my-bucket", "k");
  }

  // A journal with the sample header and parts 1..n; returns the byte offsets where each
  // line ends (after its '\n'): [magic, header, part 1, ...].
  std::vector<size_t> make_journal(int n) {
    auto j = Journal::create(journal_path(), sample_header());
    EXPECT_TRUE(j.ok()) << j.error();
    for (int i = 1; i <= n; ++i) {
      auto r = j->append_part(part(i));
      EXPECT_TRUE(r.ok()) << r.error();
    }
    const std::string bytes = read_bytes(journal_path());
    std::vector<size_t> ends;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (bytes[i] == '\n') ends.push_back(i + 1);
    }
    EXPECT_EQ(ends.size(), static_cast<size_t>(2 + n));
    EXPECT_EQ(ends.back(), bytes.size());
    return ends;
  }

  test::TempDir tmp_;
};

TEST_F(JournalTest, RoundTripsHeaderAndParts) {
  const JournalHeader h = sample_header();
  {
    auto j = Journal::create(journal_path(), h);
    ASSERT_TRUE(j.ok()) << j.error();
    EXPECT_EQ(j->path(), journal_path());
    ASSERT_TRUE(j->append_part(part(2)).ok());
    ASSERT_TRUE(j->append_part(part(1, "\"quoted\" etag %zz \xF0\x9F\x98\x80", "")).ok());
    JournalPart empty_sum = part(5);
    empty_sum.checksum_b64.clear();
    empty_sum.size = 3;
    ASSERT_TRUE(j->append_part(empty_sum).ok());
  }
  const LoadedJournal got = load_ok(journal_path());
  expect_header_eq(got.header, h);
  EXPECT_EQ(got.damage, "");
  ASSERT_EQ(numbers(got), (std::vector<int>{1, 2, 5}));  // sorted by number
  expect_part_eq(got.parts[0], part(1, "\"quoted\" etag %zz \xF0\x9F\x98\x80", ""));
  expect_part_eq(got.parts[1], part(2));
  EXPECT_EQ(got.parts[2].size, 3u);
  EXPECT_EQ(got.parts[2].checksum_b64, "");
}

TEST_F(JournalTest, EveryByteValueRoundTripsInStrings) {
  JournalHeader h = sample_header();
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  h.key = all;
  h.local_path = all + all;
  h.checksum_algo = "";  // empty fields survive too
  h.checksum_transport = "";
  {
    auto j = Journal::create(journal_path(), h);
    ASSERT_TRUE(j.ok()) << j.error();
    ASSERT_TRUE(j->append_part(part(1, all, all)).ok());
  }
  const LoadedJournal got = load_ok(journal_path());
  expect_header_eq(got.header, h);
  ASSERT_EQ(got.parts.size(), 1u);
  expect_part_eq(got.parts[0], part(1, all, all));
}

TEST_F(JournalTest, FileFormatIsDocumentedText) {
  JournalHeader h = sample_header();
  h.checksum_algo = "";
  {
    auto j = Journal::create(journal_path(), h);
    ASSERT_TRUE(j.ok()) << j.error();
    JournalPart p = part(1, "e t");
    p.checksum_b64.clear();
    ASSERT_TRUE(j->append_part(p).ok());
  }
  const std::string bytes = read_bytes(journal_path());
  std::vector<std::string> lines;
  std::istringstream in(bytes);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "s3upload-journal 1");
  EXPECT_EQ(lines[1].rfind(
                "H https://s3.example.com:9000 my-bucket "
                "dir/a%20key%09with%0Anewline%20%2541%20100%25%20%C3%A9t%C3%A9%20%E2%9C%93.bin "
                "2~abc%20DEF%2520/+= ",
                0),
            0u)
      << lines[1];
  EXPECT_NE(lines[1].find(" 8388608 5  trailer 2049 1234567890123 "), std::string::npos);
  EXPECT_EQ(lines[2].substr(0, lines[2].size() - 9), "P 1 8388608 e%20t ");
  // The line ends in the CRC32C of everything before " <crc>".
  EXPECT_EQ(lines[2] + "\n", sealed("P 1 8388608 e%20t "));
  EXPECT_EQ(lines[1] + "\n", sealed(lines[1].substr(0, lines[1].size() - 9)));
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(c == '\n' || (u >= 0x20 && u < 0x7F)) << "raw byte " << int(u);
  }
}

TEST_F(JournalTest, LaterRecordForAPartReplacesTheEarlierOne) {
  {
    auto j = Journal::create(journal_path(), sample_header());
    ASSERT_TRUE(j.ok()) << j.error();
    ASSERT_TRUE(j->append_part(part(1, "old")).ok());
    ASSERT_TRUE(j->append_part(part(2)).ok());
    ASSERT_TRUE(j->append_part(part(1, "new")).ok());
  }
  const LoadedJournal got = load_ok(journal_path());
  ASSERT_EQ(numbers(got), (std::vector<int>{1, 2}));
  EXPECT_EQ(got.parts[0].etag, "new");
  EXPECT_EQ(got.damage, "");
}

TEST_F(JournalTest, MissingFileIsNoJournal) {
  auto r = Journal::load(tmp_.path() / "nope" / "x.journal");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->has_value());
}

TEST_F(JournalTest, TruncationAtEveryOffsetKeepsExactlyTheWholeRecords) {
  const std::vector<size_t> ends = make_journal(3);
  const std::string full = read_bytes(journal_path());
  const fs::path cut_path = tmp_.path() / "cut.journal";
  for (size_t cut = 0; cut <= full.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(full.size()));
    write_bytes(cut_path, full.substr(0, cut));
    auto r = Journal::load(cut_path);
    if (cut < ends[1]) {  // inside the magic or header line
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.error().find("cut.journal"), std::string::npos) << r.error();
      EXPECT_NE(r.error().find("damaged"), std::string::npos) << r.error();
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.error();
    ASSERT_TRUE(r->has_value());
    const LoadedJournal& got = **r;
    expect_header_eq(got.header, sample_header());
    std::vector<int> want;
    for (int i = 1; i <= 3; ++i) {
      if (ends[1 + i] <= cut) want.push_back(i);
    }
    ASSERT_EQ(numbers(got), want);
    for (size_t i = 0; i < got.parts.size(); ++i) expect_part_eq(got.parts[i], part(want[i]));
    const bool at_boundary = std::find(ends.begin(), ends.end(), cut) != ends.end();
    EXPECT_EQ(got.damage.empty(), at_boundary) << got.damage;
  }
}

TEST_F(JournalTest, ReopenAfterTruncationAtEveryOffsetThenAppendKeepsAllGoodParts) {
  const std::vector<size_t> ends = make_journal(3);
  const std::string full = read_bytes(journal_path());
  const fs::path cut_path = tmp_.path() / "cut.journal";
  for (size_t cut = ends[1]; cut <= full.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    write_bytes(cut_path, full.substr(0, cut));
    {
      auto j = Journal::open_for_append(cut_path);
      ASSERT_TRUE(j.ok()) << j.error();
      ASSERT_TRUE(j->try_lock());
      ASSERT_TRUE(j->append_part(part(4)).ok());  // one append: each costs an fdatasync
    }
    const LoadedJournal got = load_ok(cut_path);
    std::vector<int> want;
    for (int i = 1; i <= 3; ++i) {
      if (ends[1 + i] <= cut) want.push_back(i);
    }
    want.push_back(4);
    ASSERT_EQ(numbers(got), want);
    for (size_t i = 0; i < got.parts.size(); ++i) expect_part_eq(got.parts[i], part(want[i]));
    EXPECT_EQ(got.damage, "");
  }
}

TEST_F(JournalTest, ReopenAfterTornAppendThenAppendGivesAllParts) {
  make_journal(2);
  // A crash in the middle of writing part 3's record.
  const std::string rec3 = sealed("P 3 8388608 etag-3 sum");
  {
    std::ofstream out(journal_path(), std::ios::binary | std::ios::app);
    out << rec3.substr(0, rec3.size() / 2);
  }
  EXPECT_NE(load_ok(journal_path()).damage, "");
  {
    auto j = Journal::open_for_append(journal_path());
    ASSERT_TRUE(j.ok()) << j.error();
    ASSERT_TRUE(j->append_part(part(3)).ok());
    ASSERT_TRUE(j->append_part(part(4)).ok());
  }
  const LoadedJournal got = load_ok(journal_path());
  EXPECT_EQ(numbers(got), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(got.damage, "");
}

TEST_F(JournalTest, FlippedByteInAPartRecordDropsItAndLaterOnes) {
  const std::vector<size_t> ends = make_journal(3);
  const std::string full = read_bytes(journal_path());
  // Every byte of part 2's line, its '\n' included.
  for (size_t i = ends[2]; i < ends[3]; ++i) {
    for (const unsigned char mask : {0x01, 0x20, 0x80, 0xFF}) {
      SCOPED_TRACE("byte " + std::to_string(i) + " ^ " + std::to_string(mask));
      std::string bad = full;
      bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ mask);
      write_bytes(journal_path(), bad);
      const LoadedJournal got = load_ok(journal_path());
      ASSERT_EQ(numbers(got), (std::vector<int>{1}));
      EXPECT_NE(got.damage.find("damaged record on line 4"), std::string::npos) << got.damage;
    }
  }
  // Reopening cuts the damaged tail so new records are read back.
  {
    std::string bad = full;
    bad[ends[2] + 4] ^= 0x01;
    write_bytes(journal_path(), bad);
    auto j = Journal::open_for_append(journal_path());
    ASSERT_TRUE(j.ok()) << j.error();
    ASSERT_TRUE(j->append_part(part(5)).ok());
  }
  const LoadedJournal got = load_ok(journal_path());
  EXPECT_EQ(numbers(got), (std::vector<int>{1, 5}));
  EXPECT_EQ(got.damage, "");
  EXPECT_EQ(read_bytes(journal_path()).substr(0, ends[2]), full.substr(0, ends[2]));
}

TEST_F(JournalTest, OutOfRangePartNumbersAreDamage) {
  const std::vector<size_t> ends = make_journal(1);
  const std::string base = read_bytes(journal_path());
  for (const std::string bad :
       {"P 0 5 etag sum", "P 6 5 etag sum", "P -1 5 etag sum", "P 99999999999 5 etag sum",
        "P 2 8388609 etag sum", "P 2 5  sum", "P 2 5 etag", "P 2 5 etag sum extra",
        "P 2 5 et%zzag sum", "H x", "Q 2 5 etag sum", "P  2 5 etag sum"}) {
    SCOPED_TRACE(bad);
    write_bytes(journal_path(), base + sealed(bad) + sealed("P 3 5 etag sum"));
    const LoadedJournal got = load_ok(journal_path());
    EXPECT_EQ(numbers(got), (std::vector<int>{1}));  // and part 3 after it is ignored
    EXPECT_NE(got.damage, "");
  }
  // The same records are fine when valid: the harness itself is right.
  write_bytes(journal_path(), base + sealed("P 2 5 etag sum") + sealed("P 5 0 e "));
  const LoadedJournal got = load_ok(journal_path());
  EXPECT_EQ(numbers(got), (std::vector<int>{1, 2, 5}));
  EXPECT_EQ(got.damage, "");
}

TEST_F(JournalTest, GarbageFilesAreErrors) {
  const fs::path p = tmp_.path() / "g.journal";
  const auto expect_error = [&](const std::string& bytes, const std::string& fragment) {
    write_bytes(p, bytes);
    auto r = Journal::load(p);
    ASSERT_FALSE(r.ok()) << "loaded: " << bytes.substr(0, 60);
    EXPECT_NE(r.error().find("the resume journal " + p.string()), std::string::npos) << r.error();
    EXPECT_NE(r.error().find(fragment), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
  };
  expect_error("", "damaged (no journal header)");
  expect_error("\n", "damaged (no journal header)");
  expect_error("s3upload-journal 1", "damaged (no journal header)");
  expect_error("s3upload-journal 1\n", "damaged (bad header record)");
  expect_error("s3upload-journal 1 \n", "damaged (no journal header)");
  expect_error("S3UPLOAD-JOURNAL 1\n", "damaged (no journal header)");
  expect_error("s3upload-journal 2\n" + sealed("H whatever"), "unsupported format (version 2");
  expect_error("s3upload-journal 1\nP 1 5 e s 00000000\n", "damaged (bad header record)");
  expect_error("s3upload-journal 1\n" + sealed("P 1 5 e s"), "damaged (bad header record)");

  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::string bytes(rng() % 2000, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    expect_error(bytes, "resume journal");
  }
  // A header record with a good CRC but invalid content.
  const auto header_payload = [](const std::string& part_size, const std::string& part_count,
                                 const std::string& bucket) {
    return "H https://e " + bucket + " key up " + part_size + " " + part_count +
           " CRC32C auto 1 2 3 4 5 6 7 8 /p";
  };
  write_bytes(p, "s3upload-journal 1\n" + sealed(header_payload("5", "2", "b")));
  ASSERT_TRUE(Journal::load(p).ok());  // the harness builds a valid header
  expect_error("s3upload-journal 1\n" + sealed(header_payload("0", "2", "b")), "bad header");
  expect_error("s3upload-journal 1\n" + sealed(header_payload("5", "0", "b")), "bad header");
  expect_error("s3upload-journal 1\n" + sealed(header_payload("5", "2", "")), "bad header");
  expect_error("s3upload-journal 1\n" + sealed(header_payload("x", "2", "b")), "bad header");
  expect_error("s3upload-journal 1\n" + sealed(header_payload("5", "2", "b") + " extra"),
               "bad header");
}

TEST_F(JournalTest, DirectoryIsAnErrorNotAJournal) {
  fs::create_directories(tmp_.path() / "d.journal");
  auto r = Journal::load(tmp_.path() / "d.journal");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not a regular file"), std::string::npos) << r.error();
}

TEST_F(JournalTest, CreateReplacesAnOldJournalAndLeavesNoTempFiles) {
  make_journal(3);
  JournalHeader h = sample_header();
  h.upload_id = "second";
  {
    auto j = Journal::create(journal_path(), h);
    ASSERT_TRUE(j.ok()) << j.error();
  }
  const LoadedJournal got = load_ok(journal_path());
  EXPECT_EQ(got.header.upload_id, "second");
  EXPECT_TRUE(got.parts.empty());
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(journal_path().parent_path())) {
    ++files;
    EXPECT_EQ(e.path(), journal_path());
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(JournalTest, CreateRefusesAnIncompleteHeader) {
  JournalHeader h = sample_header();
  h.upload_id.clear();
  auto j = Journal::create(journal_path(), h);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.error().find(journal_path().string()), std::string::npos) << j.error();
  EXPECT_FALSE(fs::exists(journal_path()));
}

TEST_F(JournalTest, CreateFailsWhenTheDirectoryCannotBeMade) {
  tmp_.write("state", "a file where the directory should be");
  auto j = Journal::create(journal_path(), sample_header());
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.error().find("state"), std::string::npos) << j.error();
}

TEST_F(JournalTest, AppendRefusesPartsThatLoadWouldReject) {
  auto j = Journal::create(journal_path(), sample_header());
  ASSERT_TRUE(j.ok()) << j.error();
  EXPECT_FALSE(j->append_part(part(0)).ok());
  EXPECT_FALSE(j->append_part(part(6)).ok());  // part_count is 5
  JournalPart too_big = part(1);
  too_big.size = sample_header().part_size + 1;
  EXPECT_FALSE(j->append_part(too_big).ok());
  auto r = j->append_part(part(1, "x"));
  ASSERT_TRUE(r.ok()) << r.error();
  auto bad = j->append_part(part(7));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("part 7"), std::string::npos) << bad.error();
  // Reopened journals know the header too.
  auto k = Journal::open_for_append(journal_path());
  ASSERT_TRUE(k.ok()) << k.error();
  EXPECT_FALSE(k->append_part(part(6)).ok());
  EXPECT_TRUE(k->append_part(part(5)).ok());
  EXPECT_EQ(numbers(load_ok(journal_path())), (std::vector<int>{1, 5}));
}

TEST_F(JournalTest, OpenForAppendErrors) {
  auto missing = Journal::open_for_append(tmp_.path() / "missing.journal");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("missing.journal"), std::string::npos);
  const std::string garbage = tmp_.write("garbage.journal", "not a journal\n");
  auto bad = Journal::open_for_append(garbage);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("damaged"), std::string::npos) << bad.error();
  EXPECT_EQ(read_bytes(garbage), "not a journal\n");  // left alone
}

TEST_F(JournalTest, RemoveIsQuietWhenMissing) {
  Journal::remove(tmp_.path() / "never-existed.journal");
  make_journal(1);
  Journal::remove(journal_path());
  auto r = Journal::load(journal_path());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->has_value());
  Journal::remove(journal_path());
}

TEST(JournalPathTest, PathForIsStableAndDistinct) {
  const fs::path dir = "/state/s3upload";
  const fs::path a = Journal::path_for(dir, "https://e", "b", "k");
  EXPECT_EQ(a, Journal::path_for(dir, "https://e", "b", "k"));
  EXPECT_EQ(a.parent_path(), dir / "uploads");
  const std::string name = a.filename().string();
  ASSERT_EQ(name.size(), 64u + 8u);
  EXPECT_EQ(name.substr(64), ".journal");
  EXPECT_EQ(name.find_first_not_of("0123456789abcdef"), 64u);
  // sha256("https://e\nb\nk"), from sha256sum(1)
  EXPECT_EQ(name.substr(0, 64), "1127c2a00dc2c5dd4413b0b03496220932713d8c012f6735a92bbb413018e5b4");
  const std::vector<fs::path> others = {
      Journal::path_for(dir, "https://e", "b", "k2"),
      Journal::path_for(dir, "https://e", "b2", "k"),
      Journal::path_for(dir, "https://e2", "b", "k"),
      Journal::path_for(dir, "http://e", "b", "k"),
      Journal::path_for(dir, "https://e", "bk", ""),
      Journal::path_for(dir, "https://e", "b", "k "),
  };
  for (size_t i = 0; i < others.size(); ++i) {
    EXPECT_NE(others[i], a) << i;
    for (size_t j = i + 1; j < others.size(); ++j) EXPECT_NE(others[i], others[j]) << i << j;
  }
  EXPECT_EQ(Journal::path_for("/other", "https://e", "b", "k").filename(), a.filename());
}

TEST(JournalPathTest, DefaultDir) {
  EXPECT_EQ(Journal::default_dir(env({{"XDG_STATE_HOME", "/xdg/state"}, {"HOME", "/h"}})),
            fs::path("/xdg/state/s3upload"));
  EXPECT_EQ(Journal::default_dir(env({{"HOME", "/home/u"}})),
            fs::path("/home/u/.local/state/s3upload"));
  EXPECT_EQ(Journal::default_dir(env({{"XDG_STATE_HOME", "rel/state"}, {"HOME", "/h"}})),
            fs::path("/h/.local/state/s3upload"));
  EXPECT_EQ(Journal::default_dir(env({{"XDG_STATE_HOME", ""}, {"HOME", "/h"}})),
            fs::path("/h/.local/state/s3upload"));
  EXPECT_EQ(Journal::default_dir(env({{"XDG_STATE_HOME", "/s"}})), fs::path("/s/s3upload"));
  EXPECT_EQ(Journal::default_dir(env({{"XDG_STATE_HOME", "rel"}})), std::nullopt);
  EXPECT_EQ(Journal::default_dir(env({{"HOME", ""}})), std::nullopt);
  EXPECT_EQ(Journal::default_dir(Environment()), std::nullopt);
}

TEST_F(JournalTest, TryLockExcludesASecondJournalOnTheSameFile) {
  auto a = Journal::create(journal_path(), sample_header());
  ASSERT_TRUE(a.ok()) << a.error();
  ASSERT_TRUE(a->try_lock());
  EXPECT_TRUE(a->try_lock());  // re-locking our own is fine
  {
    auto b = Journal::open_for_append(journal_path());
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_FALSE(b->try_lock());
    EXPECT_FALSE(b->try_lock());
  }
  {
    Journal moved = std::move(*a);  // the lock moves with the descriptor
    auto c = Journal::open_for_append(journal_path());
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_FALSE(c->try_lock());
  }  // `moved` ends: lock released
  auto d = Journal::open_for_append(journal_path());
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_TRUE(d->try_lock());
}

TEST_F(JournalTest, OpenForAppendLeavesALockedJournalAlone) {
  const std::vector<size_t> ends = make_journal(2);
  auto owner = Journal::open_for_append(journal_path());
  ASSERT_TRUE(owner.ok()) << owner.error();
  ASSERT_TRUE(owner->try_lock());
  // The owner is mid-append (torn tail): a second opener must not cut it.
  {
    std::ofstream out(journal_path(), std::ios::binary | std::ios::app);
    out << "P 3 12";
  }
  const std::string before = read_bytes(journal_path());
  auto other = Journal::open_for_append(journal_path());
  ASSERT_TRUE(other.ok()) << other.error();
  EXPECT_FALSE(other->try_lock());
  EXPECT_EQ(read_bytes(journal_path()), before);
}

TEST_F(JournalTest, MovedJournalKeepsWorking) {
  auto r = Journal::create(journal_path(), sample_header());
  ASSERT_TRUE(r.ok()) << r.error();
  Journal a = std::move(*r);
  ASSERT_TRUE(a.append_part(part(1)).ok());
  Journal b = std::move(a);
  EXPECT_EQ(b.path(), journal_path());
  ASSERT_TRUE(b.append_part(part(2)).ok());
  EXPECT_FALSE(a.append_part(part(3)).ok());  // NOLINT(bugprone-use-after-move): moved-from
  EXPECT_FALSE(a.try_lock());                 // NOLINT(bugprone-use-after-move)
  auto other = Journal::create(tmp_.path() / "other" / "x.journal", sample_header());
  ASSERT_TRUE(other.ok()) << other.error();
  b = std::move(*other);  // closes b's old descriptor
  EXPECT_EQ(b.path(), tmp_.path() / "other" / "x.journal");
  ASSERT_TRUE(b.append_part(part(3)).ok());
  EXPECT_EQ(numbers(load_ok(journal_path())), (std::vector<int>{1, 2}));
  EXPECT_EQ(numbers(load_ok(tmp_.path() / "other" / "x.journal")), (std::vector<int>{3}));
}

TEST_F(JournalTest, FileAndDirectoryPermissions) {
  const mode_t old = ::umask(0);  // so the modes checked are the ones the code asks for
  auto j = Journal::create(journal_path(), sample_header());
  ::umask(old);
  ASSERT_TRUE(j.ok()) << j.error();
  EXPECT_EQ(mode_of(state()), 0700u);
  EXPECT_EQ(mode_of(state() / "uploads"), 0700u);
  EXPECT_EQ(mode_of(journal_path()), 0600u);
  // An existing directory's mode is left as it is.
  fs::create_directories(tmp_.path() / "shared");
  fs::permissions(tmp_.path() / "shared", fs::perms(0755));
  ASSERT_TRUE(Journal::create(tmp_.path() / "shared" / "u" / "x.journal", sample_header()).ok());
  EXPECT_EQ(mode_of(tmp_.path() / "shared"), 0755u);
  EXPECT_EQ(mode_of(tmp_.path() / "shared" / "u" / "x.journal"), 0600u);
}

}  // namespace
}  // namespace s3up::transfer
