// PackedLanes (lower/packed_lanes.h): a word comes back only for all of its lanes, in order, of
// one word and one element type.
#include "lower/packed_lanes.h"

#include <gtest/gtest.h>

namespace tvk::lower {
namespace {

TEST(PackedLanes, AllLanesInOrderGiveTheWord) {
  PackedLanes l;
  const ir::Type f16 = ir::Type::f("f16"), i8 = ir::Type::i(8);
  l.note(11, 10, 0, f16);
  l.note(12, 10, 1, f16);
  EXPECT_EQ(l.wordOf({11, 12}, f16), 10u);
  for (uint32_t j = 0; j < 4; ++j) l.note(21 + j, 20, j, i8);
  EXPECT_EQ(l.wordOf({21, 22, 23, 24}, i8), 20u);
}

TEST(PackedLanes, AnythingElseGivesNone) {
  PackedLanes l;
  const ir::Type f16 = ir::Type::f("f16"), bf16 = ir::Type::f("bf16"), i8 = ir::Type::i(8);
  l.note(11, 10, 0, f16);
  l.note(12, 10, 1, f16);
  l.note(31, 30, 0, f16);
  l.note(32, 30, 1, f16);
  EXPECT_EQ(l.wordOf({12, 11}, f16), 0u);   // swapped lanes
  EXPECT_EQ(l.wordOf({11, 32}, f16), 0u);   // lanes of two words
  EXPECT_EQ(l.wordOf({11, 12}, bf16), 0u);  // packed as another type of the same width
  EXPECT_EQ(l.wordOf({11, 99}, f16), 0u);   // a register that is no lane
  EXPECT_EQ(l.wordOf({11}, f16), 0u);       // not a whole word
  for (uint32_t j = 0; j < 4; ++j) l.note(21 + j, 20, j, i8);
  EXPECT_EQ(l.wordOf({21, 23, 22, 24}, i8), 0u);
  EXPECT_EQ(l.wordOf({21, 22}, i8), 0u);
  EXPECT_EQ(l.wordOf({21, 22, 23, 24}, ir::Type::i(16)), 0u);
}

}  // namespace
}  // namespace tvk::lower
