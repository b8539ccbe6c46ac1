#include "support/narrow_float.h"

#include <cmath>

#include <gtest/gtest.h>

namespace tvk {
namespace {

TEST(NarrowFloat, HalfRoundsToNearestEven) {
  EXPECT_EQ(floatToHalfBits(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalfBits(0.1f), 0x2e66);            // 0.0999755859375
  EXPECT_EQ(floatToHalfBits(1.0f + 1.0f / 2048), 0x3c00);  // tie: to even
  EXPECT_EQ(floatToHalfBits(1.0f + 3.0f / 2048), 0x3c02);  // tie: to even (up)
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7c00);        // overflow
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(halfBitsToFloat(0x2e66), 0.0999755859375f);
  EXPECT_EQ(halfBitsToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isnan(halfBitsToFloat(floatToHalfBits(NAN))));
}

TEST(NarrowFloat, Bf16RoundsToNearestEven) {
  EXPECT_EQ(floatToBf16Bits(1.0f / 3), 0x3eab);  // 0.333984375, not the truncated 0x3eaa
  EXPECT_EQ(bf16BitsToFloat(0x3eab), 0.333984375f);
  EXPECT_EQ(floatToBf16Bits(1.0f + 1.0f / 256), 0x3f80);  // tie: to even
  EXPECT_EQ(floatToBf16Bits(1.0f + 3.0f / 256), 0x3f82);
  EXPECT_TRUE(std::isnan(bf16BitsToFloat(floatToBf16Bits(NAN))));
  EXPECT_EQ(floatToBf16Bits(INFINITY), 0x7f80);
}

}  // namespace
}  // namespace tvk
