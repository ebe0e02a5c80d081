#include "transfer/memory_budget.hpp"

#include <algorithm>

namespace s3up::transfer {

namespace {

uint64_t cost(const Concurrency& c, const MemoryCosts& m) {
  return m.base + static_cast<uint64_t>(c.max_requests) * m.per_request +
         static_cast<uint64_t>(c.hash_threads) * m.per_hasher +
         static_cast<uint64_t>(c.max_concurrent) * m.per_file;
}

}  // namespace

Concurrency fit_memory_budget(uint64_t budget, Concurrency want, const MemoryCosts& costs) {
  Concurrency c = want;
  c.note.clear();
  // Give up parallelism in the order that costs the least throughput: hashing threads beyond
  // two, then requests, then files, then the last hashing threads.
  while (cost(c, costs) > budget) {
    if (c.hash_threads > 2) {
      --c.hash_threads;
    } else if (c.max_requests > 1) {
      c.max_requests = std::max(1, c.max_requests - std::max(1, c.max_requests / 4));
    } else if (c.max_concurrent > 1) {
      c.max_concurrent = std::max(1, c.max_concurrent / 2);
    } else if (c.hash_threads > 1) {
      --c.hash_threads;
    } else {
      break;  // the minimum: one of each
    }
  }
  if (c.max_requests != want.max_requests || c.max_concurrent != want.max_concurrent ||
      c.hash_threads != want.hash_threads) {
    c.note = "--max-memory allows " + std::to_string(c.max_requests) + " request(s), " +
             std::to_string(c.max_concurrent) + " file(s) and " + std::to_string(c.hash_threads) +
             " hashing thread(s) at once";
  }
  return c;
}

}  // namespace s3up::transfer
