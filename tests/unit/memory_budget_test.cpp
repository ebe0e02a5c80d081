#include "transfer/memory_budget.hpp"

#include <gtest/gtest.h>

namespace s3up::transfer {
namespace {

TEST(MemoryBudget, TheDefaultsFitTheDefaultBudgetUntouched) {
  Concurrency want{16, 4, 8, ""};
  Concurrency got = fit_memory_budget(256ull << 20, want);
  EXPECT_EQ(got.max_requests, 16);
  EXPECT_EQ(got.max_concurrent, 4);
  EXPECT_EQ(got.hash_threads, 8u);
  EXPECT_EQ(got.note, "");
}

TEST(MemoryBudget, ATightBudgetLowersConcurrencyAndSaysSo) {
  MemoryCosts m;
  Concurrency want{64, 16, 8, ""};
  Concurrency got = fit_memory_budget(32ull << 20, want, m);
  const uint64_t used = m.base + uint64_t(got.max_requests) * m.per_request +
                        got.hash_threads * m.per_hasher + uint64_t(got.max_concurrent) * m.per_file;
  EXPECT_LE(used, 32ull << 20);
  EXPECT_LT(got.max_requests, 64);
  EXPECT_GE(got.max_requests, 1);
  EXPECT_GE(got.hash_threads, 1u);
  EXPECT_NE(got.note.find("--max-memory allows"), std::string::npos);
}

TEST(MemoryBudget, NeverBelowOneOfEach) {
  Concurrency got = fit_memory_budget(1, Concurrency{16, 4, 8, ""});
  EXPECT_EQ(got.max_requests, 1);
  EXPECT_EQ(got.max_concurrent, 1);
  EXPECT_EQ(got.hash_threads, 1u);
}

}  // namespace
}  // namespace s3up::transfer
