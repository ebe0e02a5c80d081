// A temporary directory for one test, removed (permissions restored first) at the end.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace s3up::test {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("s3up-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `rel` (parents created) with owner-only permissions unless told otherwise.
  std::string write(const std::string& rel, const std::string& bytes,
                    std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_write) const {
    const std::filesystem::path p = path_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    std::filesystem::permissions(p, perms);
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace s3up::test
