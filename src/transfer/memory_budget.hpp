// --max-memory: what the transfer machinery may hold in buffers at once. Bodies are never
// buffered whole (they stream from disk through curl's own upload buffer), so memory is a
// fixed cost per request in flight, per hashing thread and per file in flight; the budget
// caps those counts (back-pressure: work waits for a free slot) instead of ever growing.
#pragma once

#include <cstdint>
#include <string>

namespace s3up::transfer {

struct MemoryCosts {
  uint64_t base = 24ull << 20;          // the process itself: code, libraries, TLS, logs
  uint64_t per_request = 320ull << 10;  // curl upload buffer (256 KiB) + receive/header state
  uint64_t per_hasher = 1ull << 20;     // read buffer of one hashing thread
  uint64_t per_file = 64ull << 10;      // a file in flight: job state, part table, journal
};

struct Concurrency {
  int max_requests = 16;
  int max_concurrent = 4;
  unsigned hash_threads = 2;
  std::string note;  // why something was lowered, "" when the budget allowed everything
};

inline constexpr uint64_t kMinMemoryBudget = 32ull << 20;

// Lowers the requested counts until base + costs fit in `budget` (never below one of each).
Concurrency fit_memory_budget(uint64_t budget, Concurrency want, const MemoryCosts& costs = {});

}  // namespace s3up::transfer
