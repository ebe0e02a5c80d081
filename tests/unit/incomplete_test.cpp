#include <gtest/gtest.h>

#include "app/incomplete.hpp"

using namespace s3up::app;
using namespace std::chrono_literals;

TEST(ParseDuration, UnitsAndErrors) {
  EXPECT_EQ(*parse_duration("90"), 90s);
  EXPECT_EQ(*parse_duration("90s"), 90s);
  EXPECT_EQ(*parse_duration("30m"), 1800s);
  EXPECT_EQ(*parse_duration("12h"), 43200s);
  EXPECT_EQ(*parse_duration("7d"), 604800s);
  EXPECT_EQ(*parse_duration("2w"), 1209600s);
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("d").ok());
  EXPECT_FALSE(parse_duration("3 days").ok());
  EXPECT_FALSE(parse_duration("99999999999999y").ok());
}

TEST(ParseIso8601, AsS3WritesIt) {
  auto t = parse_iso8601("2026-11-24T21:30:05.000Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*t), 1795555805);
  EXPECT_TRUE(parse_iso8601("2026-11-24T21:30:05Z"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601(""));
}
