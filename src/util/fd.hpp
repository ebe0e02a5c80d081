// Small POSIX file-descriptor helpers shared by the append-only logs.
#pragma once

#include <string_view>

namespace s3up {

// write() until all of `data` is written (EINTR and short writes handled); false on error
// (errno tells why).
bool write_all(int fd, std::string_view data);

}  // namespace s3up
