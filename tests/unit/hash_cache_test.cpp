#include "integrity/hash_cache.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace s3up::integrity {
namespace {

namespace fs = std::filesystem;

HashCache::Options test_options() {
  HashCache::Options o;
  o.racy_window = std::chrono::nanoseconds(0);  // test files are always brand new
  return o;
}

class HashCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("s3up_hash_cache_test_" + std::to_string(::getpid()) +
                                         "_" + std::to_string(std::random_device{}()));
    fs::create_directories(root_);
    cache_dir_ = root_ / "cache";
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, ec);
    fs::remove_all(root_, ec);
  }

  fs::path write_file(const std::string& name, const std::string& contents) {
    const fs::path p = root_ / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << contents;
    return p;
  }

  FileIdentity id_of(const fs::path& p) {
    auto r = identify(p);
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? *r : FileIdentity{};
  }

  fs::path root_;
  fs::path cache_dir_;
};

// A synthetic identity; lets tests make thousands of distinct entries without files.
FileIdentity fake_id(uint64_t n) {
  return FileIdentity{42,         1000 + n, n * 7, 1700000000, static_cast<int64_t>(n % 1000000000),
                      1700000001, 5};
}

TEST_F(HashCacheTest, IdentifyReportsStat) {
  const auto p = write_file("a", "hello");
  const FileIdentity id = id_of(p);
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(id.ino, st.st_ino);
  EXPECT_EQ(id.size, 5u);
  EXPECT_EQ(id.mtime_nsec, st.st_mtim.tv_nsec);
  EXPECT_EQ(id.ctime_sec, st.st_ctim.tv_sec);
  auto missing = identify(root_ / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("missing"), std::string::npos);
}

TEST_F(HashCacheTest, HitAfterPutAndKindsAreSeparate) {
  HashCache cache(cache_dir_, test_options());
  ASSERT_TRUE(cache.enabled());
  ASSERT_TRUE(cache.writable());
  const auto id = id_of(write_file("a", "hello"));
  EXPECT_FALSE(cache.get(id, "md5"));
  cache.put(id, "md5", "5d41402abc4b2a76b9719d911017c592");
  cache.put(id, "md5-parts:16777216", "abc-1");
  EXPECT_EQ(cache.get(id, "md5"), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(cache.get(id, "md5-parts:16777216"), "abc-1");
  EXPECT_FALSE(cache.get(id, "blake3"));
  cache.put(id, "md5", "replaced");
  EXPECT_EQ(cache.get(id, "md5"), "replaced");
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(HashCacheTest, ReopenFromDisk) {
  const auto id = id_of(write_file("a", "hello"));
  {
    HashCache cache(cache_dir_, test_options());
    cache.put(id, "blake3", "deadbeef");
    // Awkward values survive the text encoding.
    cache.put(id, "weird kind\n%", std::string("sp ace\nnl\t%\0bin\xff", 17));
    cache.put(id, "empty", "");
  }
  HashCache again(cache_dir_, test_options());
  EXPECT_EQ(again.get(id, "blake3"), "deadbeef");
  EXPECT_EQ(again.get(id, "weird kind\n%"), std::string("sp ace\nnl\t%\0bin\xff", 17));
  EXPECT_EQ(again.get(id, "empty"), "");
  EXPECT_EQ(again.size(), 3u);
}

TEST_F(HashCacheTest, MissAfterMtimeNanosecondChange) {
  HashCache cache(cache_dir_, test_options());
  const auto p = write_file("a", "hello");
  const auto id = id_of(p);
  cache.put(id, "md5", "x");
  timespec times[2] = {{0, UTIME_OMIT}, {id.mtime_sec, (id.mtime_nsec + 1) % 1000000000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
  const auto id2 = id_of(p);
  EXPECT_NE(id2.mtime_nsec, id.mtime_nsec);
  EXPECT_FALSE(cache.get(id2, "md5"));
  // Even with a ctime that happened not to change, the mtime alone makes it a miss.
  FileIdentity only_mtime = id;
  only_mtime.mtime_nsec = id2.mtime_nsec;
  EXPECT_FALSE(cache.get(only_mtime, "md5"));
}

TEST_F(HashCacheTest, MissAfterSizeChange) {
  HashCache cache(cache_dir_, test_options());
  const auto p = write_file("a", "hello");
  const auto id = id_of(p);
  cache.put(id, "md5", "x");
  write_file("a", "hello!");
  EXPECT_FALSE(cache.get(id_of(p), "md5"));
  FileIdentity only_size = id;
  only_size.size += 1;
  EXPECT_FALSE(cache.get(only_size, "md5"));
}

TEST_F(HashCacheTest, MissAfterRenameOver) {
  HashCache cache(cache_dir_, test_options());
  const auto p = write_file("a", "hello");
  const auto id = id_of(p);
  cache.put(id, "md5", "x");
  const auto q = write_file("b", "world");
  // Same size, and force the same mtime, so only inode (and ctime) tell them apart.
  timespec times[2] = {{0, UTIME_OMIT}, {id.mtime_sec, id.mtime_nsec}};
  ASSERT_EQ(::utimensat(AT_FDCWD, q.c_str(), times, 0), 0);
  fs::rename(q, p);
  const auto id2 = id_of(p);
  EXPECT_NE(id2.ino, id.ino);
  EXPECT_FALSE(cache.get(id2, "md5"));
}

TEST_F(HashCacheTest, MissAfterChmod) {
  HashCache cache(cache_dir_, test_options());
  const auto p = write_file("a", "hello");
  const auto id = id_of(p);
  cache.put(id, "md5", "x");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the timestamp tick
  ASSERT_EQ(::chmod(p.c_str(), 0640), 0);
  const auto id2 = id_of(p);
  ASSERT_NE(id2, id) << "ctime did not change";
  EXPECT_EQ(id2.mtime_nsec, id.mtime_nsec);
  EXPECT_FALSE(cache.get(id2, "md5"));
  EXPECT_EQ(cache.get(id, "md5"), "x");
}

TEST_F(HashCacheTest, RacilyCleanFilesAreNotCached) {
  HashCache::Options o;  // default 2 s window
  HashCache cache(cache_dir_, o);
  const auto id = id_of(write_file("a", "fresh"));
  cache.put(id, "md5", "x");
  EXPECT_FALSE(cache.get(id, "md5"));
  FileIdentity old = id;
  old.mtime_sec -= 100;
  old.ctime_sec -= 100;
  cache.put(old, "md5", "y");
  EXPECT_EQ(cache.get(old, "md5"), "y");
}

TEST_F(HashCacheTest, GarbageAndTruncatedLinesAreIgnored) {
  {
    HashCache cache(cache_dir_, test_options());
    for (uint64_t i = 0; i < 10; ++i) cache.put(fake_id(i), "md5", "v" + std::to_string(i));
  }
  const fs::path log = cache_dir_ / "hashes.v1.log";
  ASSERT_TRUE(fs::exists(log));
  std::string text;
  {
    std::ifstream in(log, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Corrupt record 3 (flip a digit in its value), insert garbage, and cut the last record in half.
  std::vector<std::string> lines;
  for (size_t s = 0, nl; (nl = text.find('\n', s)) != std::string::npos; s = nl + 1) {
    lines.push_back(text.substr(s, nl - s));
  }
  ASSERT_EQ(lines.size(), 10u);
  lines[3].back() = lines[3].back() == '3' ? '4' : '3';
  std::string out;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    out += lines[i] + "\n";
    if (i == 5) out += std::string("\x01\x02garbage S3HC1 zzz \xff\n", 24) + "\n\n";
  }
  out += lines.back().substr(0, lines.back().size() / 2);  // torn tail, no newline
  { std::ofstream(log, std::ios::binary | std::ios::trunc) << out; }
  HashCache cache(cache_dir_, test_options());
  for (uint64_t i = 0; i < 9; ++i) {
    if (i == 3) {
      EXPECT_FALSE(cache.get(fake_id(i), "md5"));
    } else {
      EXPECT_EQ(cache.get(fake_id(i), "md5"), "v" + std::to_string(i)) << i;
    }
  }
  EXPECT_FALSE(cache.get(fake_id(9), "md5"));  // the torn record
  // New appends after the torn tail are readable (the tail was terminated on open).
  cache.put(fake_id(100), "md5", "after");
  HashCache again(cache_dir_, test_options());
  EXPECT_EQ(again.get(fake_id(100), "md5"), "after");
  EXPECT_EQ(again.get(fake_id(8), "md5"), "v8");
}

TEST_F(HashCacheTest, TornRecordGluedToGoodOneStillReadsTheGoodOne) {
  {
    HashCache cache(cache_dir_, test_options());
    cache.put(fake_id(1), "md5", "one");
  }
  const fs::path log = cache_dir_ / "hashes.v1.log";
  std::string good;
  {
    std::ifstream in(log, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  { std::ofstream(log, std::ios::binary | std::ios::trunc) << good.substr(0, 20) << good; }
  HashCache cache(cache_dir_, test_options());
  EXPECT_EQ(cache.get(fake_id(1), "md5"), "one");
}

TEST_F(HashCacheTest, UnusableDirectoryMeansNoCachingNotErrors) {
  write_file("file-not-dir", "x");
  HashCache blocked(root_ / "file-not-dir" / "cache", test_options());
  EXPECT_FALSE(blocked.enabled());
  EXPECT_FALSE(blocked.writable());
  blocked.put(fake_id(1), "md5", "x");  // no-op, no throw
  EXPECT_FALSE(blocked.get(fake_id(1), "md5"));
  EXPECT_EQ(blocked.size(), 0u);
  blocked.compact();

  HashCache disabled;
  EXPECT_FALSE(disabled.enabled());
  EXPECT_TRUE(disabled.log_path().empty());
  disabled.put(fake_id(1), "md5", "x");
  EXPECT_FALSE(disabled.get(fake_id(1), "md5"));
}

TEST_F(HashCacheTest, UnwritableDirectoryMeansNoCaching) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores permissions";
  fs::create_directories(cache_dir_);
  fs::permissions(cache_dir_, fs::perms::owner_read | fs::perms::owner_exec);
  HashCache cache(cache_dir_, test_options());
  EXPECT_FALSE(cache.enabled());
  cache.put(fake_id(1), "md5", "x");
  EXPECT_FALSE(cache.get(fake_id(1), "md5"));
}

TEST_F(HashCacheTest, ReadOnlyLogStillServesHits) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores permissions";
  {
    HashCache cache(cache_dir_, test_options());
    cache.put(fake_id(1), "md5", "x");
  }
  fs::permissions(cache_dir_ / "hashes.v1.log", fs::perms::owner_read);
  HashCache cache(cache_dir_, test_options());
  EXPECT_TRUE(cache.enabled());
  EXPECT_FALSE(cache.writable());
  EXPECT_EQ(cache.get(fake_id(1), "md5"), "x");
  cache.put(fake_id(2), "md5", "y");  // remembered in memory only
  EXPECT_EQ(cache.get(fake_id(2), "md5"), "y");
}

TEST_F(HashCacheTest, DefaultDirFollowsXdg) {
  Environment env(
      std::map<std::string, std::string>{{"XDG_CACHE_HOME", "/xdg"}, {"HOME", "/home/u"}});
  EXPECT_EQ(HashCache::default_dir(env), fs::path("/xdg/s3upload"));
  Environment relative(
      std::map<std::string, std::string>{{"XDG_CACHE_HOME", "rel"}, {"HOME", "/home/u"}});
  EXPECT_EQ(HashCache::default_dir(relative), fs::path("/home/u/.cache/s3upload"));
  Environment home_only(std::map<std::string, std::string>{{"HOME", "/home/u"}});
  EXPECT_EQ(HashCache::default_dir(home_only), fs::path("/home/u/.cache/s3upload"));
  EXPECT_FALSE(HashCache::default_dir(Environment{}));
  EXPECT_FALSE(HashCache::open_default(Environment{}).enabled());

  Environment here(std::map<std::string, std::string>{{"XDG_CACHE_HOME", root_.string()}});
  HashCache cache = HashCache::open_default(here, test_options());
  ASSERT_TRUE(cache.enabled());
  EXPECT_EQ(cache.log_path(), root_ / "s3upload" / "hashes.v1.log");
}

TEST_F(HashCacheTest, CompactionKeepsLatestValuesAndBoundsTheLog) {
  HashCache::Options o = test_options();
  o.compact_min_records = 64;
  HashCache cache(cache_dir_, o);
  for (int round = 0; round < 20; ++round) {
    for (uint64_t i = 0; i < 50; ++i) cache.put(fake_id(i), "md5", std::to_string(round));
  }
  EXPECT_EQ(cache.size(), 50u);
  // 1000 records were written; compaction kept the log near the live count.
  const auto lines = [&] {
    std::ifstream in(cache.log_path());
    size_t n = 0;
    for (std::string l; std::getline(in, l);) n += !l.empty();
    return n;
  };
  EXPECT_LE(lines(), 200u + 64u);
  cache.compact();
  EXPECT_EQ(lines(), 50u);
  HashCache again(cache_dir_, o);
  for (uint64_t i = 0; i < 50; ++i) EXPECT_EQ(again.get(fake_id(i), "md5"), "19");
}

TEST_F(HashCacheTest, EvictsOldestBeyondMaxEntries) {
  HashCache::Options o = test_options();
  o.max_entries = 100;
  HashCache cache(cache_dir_, o);
  for (uint64_t i = 0; i < 300; ++i) cache.put(fake_id(i), "md5", "v");
  EXPECT_LE(cache.size(), 100u);
  EXPECT_TRUE(cache.get(fake_id(299), "md5"));  // the newest survive
  EXPECT_FALSE(cache.get(fake_id(0), "md5"));   // the oldest went
}

TEST_F(HashCacheTest, SeesOtherInstancesAppends) {
  HashCache a(cache_dir_, test_options());
  HashCache b(cache_dir_, test_options());
  a.put(fake_id(1), "md5", "from a");
  EXPECT_EQ(b.get(fake_id(1), "md5"), "from a");
}

TEST_F(HashCacheTest, ThreadSafeWithinAProcess) {
  HashCache::Options o = test_options();
  o.compact_min_records = 256;
  HashCache cache(cache_dir_, o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 300; ++i) {
        const uint64_t n = static_cast<uint64_t>(t) * 1000 + i;
        cache.put(fake_id(n), "md5", std::to_string(n));
        (void)cache.get(fake_id(n), "md5");
      }
    });
  }
  for (auto& th : threads) th.join();
  HashCache again(cache_dir_, o);
  for (uint64_t t = 0; t < 4; ++t) {
    for (uint64_t i = 0; i < 300; ++i) {
      EXPECT_EQ(again.get(fake_id(t * 1000 + i), "md5"), std::to_string(t * 1000 + i));
    }
  }
}

// Two processes write 1000 entries each at the same time (each also rewriting its entries so
// that compactions race with the other's appends): afterwards every final value is readable.
TEST_F(HashCacheTest, TwoProcessesWritingConcurrently) {
  HashCache::Options o = test_options();
  o.compact_min_records = 512;
  constexpr uint64_t kPerProcess = 1000;
  constexpr int kRounds = 6;  // 12000 records for 2000 live entries: compactions happen
  std::vector<pid_t> kids;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  for (uint64_t p = 0; p < 2; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)::read(go[0], &c, 1);  // start together
      {
        HashCache cache(cache_dir_, o);
        for (int round = 0; round < kRounds; ++round) {
          for (uint64_t i = 0; i < kPerProcess; ++i) {
            const uint64_t n = p * 100000 + i;
            cache.put(fake_id(n), "md5", std::to_string(n) + "/" + std::to_string(round));
          }
        }
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);  // EOF releases both children
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  HashCache cache(cache_dir_, o);
  EXPECT_EQ(cache.size(), 2 * kPerProcess);
  size_t missing = 0;
  for (uint64_t p = 0; p < 2; ++p) {
    for (uint64_t i = 0; i < kPerProcess; ++i) {
      const uint64_t n = p * 100000 + i;
      const auto v = cache.get(fake_id(n), "md5");
      if (v != std::to_string(n) + "/" + std::to_string(kRounds - 1)) ++missing;
    }
  }
  EXPECT_EQ(missing, 0u);
  std::ifstream in(cache.log_path());
  size_t lines = 0;
  for (std::string l; std::getline(in, l);) ++lines;
  EXPECT_LT(lines, 2 * kPerProcess * kRounds) << "no compaction happened";
}

}  // namespace
}  // namespace s3up::integrity
