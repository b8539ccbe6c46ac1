// Checked parsing of the runtime's environment variables (no device).
#include "runtime/env.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "runtime/devices.h"

namespace tvk {
namespace {

TEST(Env, ParseIntegerChecksSyntaxAndRange) {
  EXPECT_EQ(*parseInteger("X", "42", 0, 100), 42);
  EXPECT_EQ(*parseInteger("X", " 7 ", 0, 100), 7);
  EXPECT_EQ(*parseInteger("X", "-3", -5, 5), -3);
  for (const char* bad : {"", "abc", "1.5", "12x", "-", "0x10"}) {
    Result<int64_t> r = parseInteger("X", bad, 0, 100);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("not an integer"), std::string::npos);
  }
  Result<int64_t> big = parseInteger("TVK_DEVICE", "99999999999", 0, 2147483647);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(),
            "TVK_DEVICE=99999999999: integer 99999999999 is out of range [0, 2147483647]");
  EXPECT_FALSE(parseInteger("X", "99999999999999999999999", 0, INT64_MAX).ok());  // ERANGE
  EXPECT_FALSE(parseInteger("X", "101", 0, 100).ok());
}

TEST(Env, ParseNumberChecksSyntaxAndRange) {
  EXPECT_DOUBLE_EQ(*parseNumber("T", "0.5", 0, 10), 0.5);
  EXPECT_DOUBLE_EQ(*parseNumber("T", "0", 0, 10), 0.0);
  for (const char* bad : {"", "x", "1s", "nan", "inf"})
    EXPECT_FALSE(parseNumber("T", bad, 0, 10).ok()) << bad;
  Result<double> neg = parseNumber("TVK_TIMEOUT", "-1", 0, 10);
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.status().message(), "TVK_TIMEOUT=-1: number -1 is out of range [0, 10]");
}

TEST(Env, TimeoutAndCacheLimitFromEnvironment) {
  setenv("TVK_TIMEOUT", "2.5", 1);
  EXPECT_DOUBLE_EQ(*envTimeoutSeconds(60), 2.5);
  setenv("TVK_TIMEOUT", "soon", 1);
  EXPECT_FALSE(envTimeoutSeconds(60).ok());
  EXPECT_FALSE(DeviceOptions::fromEnvironment().ok());
  unsetenv("TVK_TIMEOUT");
  EXPECT_DOUBLE_EQ(*envTimeoutSeconds(60), 60.0);
  setenv("TVK_CACHE_LIMIT", "1048576", 1);
  EXPECT_EQ(*envCacheLimit(), 1048576);
  EXPECT_EQ(DeviceOptions::fromEnvironment()->cacheLimitBytes, 1048576);
  setenv("TVK_CACHE_LIMIT", "-1", 1);
  EXPECT_FALSE(envCacheLimit().ok());
  unsetenv("TVK_CACHE_LIMIT");
  EXPECT_EQ(*envCacheLimit(), -1);
}

TEST(Env, DebugRecordsFromEnvironment) {
  EXPECT_EQ(DeviceOptions().debugRecords, 65536u);
  setenv("TVK_DEBUG_RECORDS", "1000", 1);
  EXPECT_EQ(*envDebugRecords(), 1000);
  EXPECT_EQ(DeviceOptions::fromEnvironment()->debugRecords, 1000u);
  setenv("TVK_DEBUG_RECORDS", "0", 1);
  EXPECT_FALSE(envDebugRecords().ok());
  EXPECT_FALSE(DeviceOptions::fromEnvironment().ok());
  unsetenv("TVK_DEBUG_RECORDS");
  EXPECT_EQ(*envDebugRecords(), -1);
  EXPECT_EQ(DeviceOptions::fromEnvironment()->debugRecords, 65536u);
}

TEST(Env, DeviceIndexOutOfRangeIsAnError) {
  std::vector<DeviceInfo> devs(1);
  devs[0].index = 0;
  devs[0].name = "llvmpipe";
  Result<int> r = chooseDevice(devs, "99999999999");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("TVK_DEVICE=99999999999: integer 99999999999 is out of range"),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(chooseDevice(devs, "3").ok());
  EXPECT_EQ(*chooseDevice(devs, "0"), 0);
}

}  // namespace
}  // namespace tvk
