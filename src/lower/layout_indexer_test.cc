// The layout indexer (lower/layout_indexer.h) on a bare module: layouts take their class's
// vector width, replicated shapes get an owner condition and others none, slot coordinates
// are memoized per shape and slot, and register-only moves are found exactly where every
// invocation keeps its elements (expand_dims-like reshapes and row broadcasts under row
// layouts) and refused where elements change hands (transposes, replicated shapes).
#include "lower/layout_indexer.h"

#include <gtest/gtest.h>

#include <vector>

namespace tvk::lower {
namespace {

ir::Type tensor(std::vector<int64_t> shape) {
  ir::Type t;
  t.kind = ir::Type::Kind::Tensor;
  t.shape = std::move(shape);
  return t;
}

struct Fixture {
  spirv::ModuleBuilder b{0x00010300};
  analysis::VectorPlan plan;
  std::vector<Id> interface;
  Fixture() {
    Id v = b.typeVoid();
    b.beginFunction(b.newId(), v, b.typeFunction(v, {}));
  }
};

TEST(LayoutIndexer, LayoutsTakeTheirClassWidth) {
  Fixture f;
  f.plan.widths[1024] = 4;
  LayoutIndexer ix(f.b, 128, 32, f.plan, f.interface);
  EXPECT_EQ(ix.layout(tensor({1024})).vec, 4u);
  EXPECT_EQ(ix.layout(tensor({32, 32})).vec, 4u);  // same numel, same class
  EXPECT_EQ(ix.layout(tensor({512})).vec, 1u);
  EXPECT_EQ(ix.layout(tensor({1024})).slots, 8u);
}

TEST(LayoutIndexer, OnlyReplicatedShapesHaveAnOwnerCondition) {
  Fixture f;
  LayoutIndexer ix(f.b, 128, 32, f.plan, f.interface);
  EXPECT_EQ(ix.ownerCond({256}), 0u);
  Id c = ix.ownerCond({16});
  EXPECT_NE(c, 0u);
  EXPECT_EQ(ix.ownerCond({16}), c);  // memoized
  EXPECT_EQ(f.interface.size(), 2u);  // SubgroupId and SubgroupLocalInvocationId
}

TEST(LayoutIndexer, SlotCoordinatesAreMemoized) {
  Fixture f;
  LayoutIndexer ix(f.b, 128, 32, f.plan, f.interface);
  const std::vector<Id> a = ix.slotCoords({64, 64}, 3);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(ix.slotCoords({64, 64}, 3), a);
  EXPECT_EQ(ix.slotLinear({64, 64}, 3), ix.slotLinear({64, 64}, 3));
}

TEST(LayoutIndexer, RegisterMoves) {
  Fixture f;
  LayoutIndexer ix(f.b, 128, 32, f.plan, f.interface);
  // [64, 64] -> [64, 64, 1] keeps every element where it is.
  auto same = ix.registerMove({64, 64}, {64, 64, 1}, [](const std::vector<int64_t>& c) {
    return std::vector<int64_t>{c[0], c[1]};
  });
  ASSERT_EQ(same.size(), 32u);
  for (uint32_t r = 0; r < same.size(); ++r) EXPECT_EQ(same[r], r);
  // A transpose moves elements between invocations.
  EXPECT_TRUE(ix.registerMove({64, 64}, {64, 64}, [](const std::vector<int64_t>& c) {
                return std::vector<int64_t>{c[1], c[0]};
              }).empty());
  // Replicated shapes never move in registers.
  EXPECT_TRUE(ix.registerMove({16}, {16}, [](const std::vector<int64_t>& c) { return c; }).empty());
}

TEST(LayoutIndexer, RowBroadcastUnderRowLayouts) {
  Fixture f;
  f.plan.widths[128 * 64] = 64;  // row layouts: each invocation holds one whole row of 64
  LayoutIndexer ix(f.b, 128, 32, f.plan, f.interface);
  // Element (i, j) of a [128, 64] row broadcast needs element (i, 0): same invocation.
  auto m = ix.registerMove({128, 64}, {128, 64}, [](const std::vector<int64_t>& c) {
    return std::vector<int64_t>{c[0], 0};
  });
  ASSERT_EQ(m.size(), 64u);
  for (uint32_t r = 0; r < m.size(); ++r) EXPECT_EQ(m[r], 0u);
}

TEST(LayoutIndexer, SplitRowsKeepTheirStatisticsInPlace) {
  Fixture f;
  f.plan.widths[128 * 64] = 32;  // each row of 64 in 2 adjacent invocations of 256
  f.plan.repShifts[128] = 1;     // the 128 row statistics repeated over the same 2
  LayoutIndexer ix(f.b, 256, 32, f.plan, f.interface);
  const analysis::Layout& rows = ix.layout(tensor({128}));
  EXPECT_TRUE(rows.replicated);
  EXPECT_EQ(rows.repShift, 1u);
  EXPECT_EQ(rows.linearIndex(5, 0), 2);  // invocation 5 holds row 2
  EXPECT_FALSE(rows.isOwner(5));
  EXPECT_TRUE(rows.isOwner(4));
  EXPECT_NE(ix.ownerCond({128}), 0u);
  // Broadcasting a statistic back along its row ([128, 1] -> [128, 64]) is a register move.
  auto m = ix.registerMove({128, 1}, {128, 64}, [](const std::vector<int64_t>& c) {
    return std::vector<int64_t>{c[0], 0};
  });
  ASSERT_EQ(m.size(), 32u);
  for (uint32_t s : m) EXPECT_EQ(s, 0u);
  // Without the adjacent copies (copies 128 apart) it is not.
  analysis::VectorPlan plain;
  plain.widths[128 * 64] = 32;
  LayoutIndexer ix2(f.b, 256, 32, plain, f.interface);
  EXPECT_TRUE(ix2.registerMove({128, 1}, {128, 64}, [](const std::vector<int64_t>& c) {
                return std::vector<int64_t>{c[0], 0};
              }).empty());
}

}  // namespace
}  // namespace tvk::lower
