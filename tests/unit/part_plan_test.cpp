#include <gtest/gtest.h>

#include "transfer/part_plan.hpp"

using namespace s3up::transfer;

TEST(PartPlan, KeepsTheRequestedSizeWhenItFits) {
  auto p = plan_parts(200 * kMiB + 1, 16 * kMiB);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->part_size, 16 * kMiB);
  EXPECT_EQ(p->part_count, 13u);
  EXPECT_EQ(p->size_of(1), 16 * kMiB);
  EXPECT_EQ(p->size_of(13), 200 * kMiB + 1 - 12 * 16 * kMiB);
  EXPECT_EQ(p->offset_of(13), 12 * 16 * kMiB);
  EXPECT_EQ(p->size_of(14), 0u);
}

TEST(PartPlan, ExactMultipleHasAFullLastPart) {
  auto p = plan_parts(64 * kMiB, 16 * kMiB);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->part_count, 4u);
  EXPECT_EQ(p->size_of(4), 16 * kMiB);
}

TEST(PartPlan, GrowsSoNoFileNeedsMoreThan10000Parts) {
  // The original tool's 10 MiB parts capped files at ~97.7 GiB.
  uint64_t size = 200 * kGiB;
  auto p = plan_parts(size, 10 * kMiB);
  ASSERT_TRUE(p.ok());
  EXPECT_LE(p->part_count, kMaxParts);
  EXPECT_EQ(p->part_size % kMiB, 0u);
  EXPECT_GE(p->part_size * p->part_count, size);
  EXPECT_LT(p->part_size * (p->part_count - 1), size);
}

TEST(PartPlan, LargestObjectFits) {
  auto p = plan_parts(kMaxObjectSize, kMinPartSize);
  ASSERT_TRUE(p.ok());
  EXPECT_LE(p->part_count, kMaxParts);
  EXPECT_LE(p->part_size, kMaxPartSize);
  EXPECT_FALSE(plan_parts(kMaxObjectSize + 1, kMinPartSize).ok());
}

TEST(PartPlan, RejectsPartSizesOutsideS3Limits) {
  EXPECT_FALSE(plan_parts(100 * kMiB, 5 * kMiB - 1).ok());
  EXPECT_FALSE(plan_parts(100 * kMiB, 5 * kGiB + 1).ok());
  EXPECT_TRUE(plan_parts(100 * kMiB, 5 * kMiB).ok());
}

TEST(UseMultipart, ThresholdIsInclusiveAndEmptyFilesNeverGoMultipart) {
  EXPECT_FALSE(use_multipart(0, 0));
  EXPECT_FALSE(use_multipart(16 * kMiB - 1, 16 * kMiB));
  EXPECT_TRUE(use_multipart(16 * kMiB, 16 * kMiB));
  EXPECT_TRUE(use_multipart(16 * kMiB + 1, 16 * kMiB));
  EXPECT_TRUE(use_multipart(6 * kGiB, 100 * kGiB));  // over the single-PUT limit
}

TEST(ParseSize, UnitsAndErrors) {
  EXPECT_EQ(*parse_size("5242880"), 5242880u);
  EXPECT_EQ(*parse_size("16MiB"), 16 * kMiB);
  EXPECT_EQ(*parse_size("16m"), 16 * kMiB);
  EXPECT_EQ(*parse_size("1 GiB"), kGiB);
  EXPECT_EQ(*parse_size("64KB"), 64 * 1024u);
  EXPECT_FALSE(parse_size("").ok());
  EXPECT_FALSE(parse_size("MiB").ok());
  EXPECT_FALSE(parse_size("12 parsecs").ok());
  EXPECT_FALSE(parse_size("99999999999999999999").ok());
}
