#include "support/parse_int.h"

#include <gtest/gtest.h>

namespace tvk {
namespace {

TEST(ParseInt, ParsesInRange) {
  EXPECT_EQ(*parseInt64("0"), 0);
  EXPECT_EQ(*parseInt64("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(*parseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(*parseInt64("2147483647", INT32_MIN, INT32_MAX), INT32_MAX);
  EXPECT_EQ(*parseUint64("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(*parseUint64("ff", 255, 16), 255u);
  EXPECT_EQ(*parseUint64("7FC00000", UINT32_MAX, 16), 0x7FC00000u);
}

TEST(ParseInt, RejectsOutOfRangeWithAMessage) {
  Result<int64_t> a = parseInt64("2147483648", INT32_MIN, INT32_MAX);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message(), "integer 2147483648 is out of range [-2147483648, 2147483647]");
  EXPECT_FALSE(parseInt64("9223372036854775808").ok());
  EXPECT_FALSE(parseInt64("-9223372036854775809").ok());
  EXPECT_FALSE(parseUint64("18446744073709551616").ok());
  EXPECT_FALSE(parseUint64("100", 255, 16).ok());
  Result<int64_t> huge = parseInt64(std::string(200, '9'));
  ASSERT_FALSE(huge.ok());
  EXPECT_LT(huge.status().message().size(), 120u);  // long inputs are cut in messages
}

TEST(ParseInt, RejectsNonNumbers) {
  for (const char* s : {"", "-", "+1", "1x", " 1", "0x10", "1.5", "--1"}) EXPECT_FALSE(parseInt64(s).ok()) << s;
  for (const char* s : {"", "-1", "g", "1 "}) EXPECT_FALSE(parseUint64(s, UINT64_MAX, 16).ok()) << s;
}

}  // namespace
}  // namespace tvk
