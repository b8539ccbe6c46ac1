// The grid check and the lazy grid split (no device).
#include "runtime/grid.h"

#include <gtest/gtest.h>

#include <vector>

namespace tvk {
namespace {

std::vector<DispatchPiece> all(const uint32_t grid[3], const uint32_t max[3]) {
  std::vector<DispatchPiece> pieces;
  GridSplitter split(grid, max);
  DispatchPiece p;
  while (split.next(p)) pieces.push_back(p);
  return pieces;
}

TEST(GridSplitter, CoversEveryProgramOnce) {
  uint32_t grid[3] = {70000, 3, 70000};
  uint32_t max[3] = {65535, 2, 65535};
  std::vector<DispatchPiece> pieces = all(grid, max);
  EXPECT_EQ(pieces.size(), 8u);
  EXPECT_EQ(GridSplitter(grid, max).pieceCount(), 8u);
  uint64_t total = 0;
  for (const DispatchPiece& p : pieces) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_LE(p.count[i], max[i]);
      EXPECT_LE(p.base[i] + p.count[i], grid[i]);
    }
    total += uint64_t(p.count[0]) * p.count[1] * p.count[2];
  }
  EXPECT_EQ(total, 70000ull * 3 * 70000);
  uint32_t empty[3] = {5, 0, 1};
  EXPECT_TRUE(all(empty, max).empty());
  EXPECT_EQ(GridSplitter(empty, max).pieceCount(), 0u);
}

TEST(GridSplitter, OrderIsXFastest) {
  uint32_t grid[3] = {70000, 3, 1};
  uint32_t max[3] = {65535, 2, 65535};
  std::vector<DispatchPiece> p = all(grid, max);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[1].base[0], 65535u);
  EXPECT_EQ(p[1].count[0], 4465u);
  EXPECT_EQ(p[2].base[1], 2u);
  EXPECT_EQ(p[2].count[1], 1u);
}

TEST(GridSplitter, HugeGridsAreNeverMaterialized) {
  // (2^31 - 1)^2 programs in pieces of 65535: ~1.07e9 pieces, produced one at a time.
  uint32_t grid[3] = {kMaxGridDim, kMaxGridDim, 1};
  uint32_t max[3] = {65535, 65535, 65535};
  GridSplitter split(grid, max);
  EXPECT_EQ(split.pieceCount(), 32769ull * 32769ull);
  DispatchPiece p;
  for (int i = 0; i < 32769; ++i) ASSERT_TRUE(split.next(p));
  EXPECT_EQ(p.base[0], 32768u * 65535u);
  EXPECT_EQ(p.count[0], kMaxGridDim - 32768u * 65535u);
  ASSERT_TRUE(split.next(p));
  EXPECT_EQ(p.base[0], 0u);
  EXPECT_EQ(p.base[1], 65535u);
  uint32_t tiny[3] = {kMaxGridDim, kMaxGridDim, kMaxGridDim};
  uint32_t one[3] = {1, 1, 1};
  EXPECT_EQ(GridSplitter(tiny, one).pieceCount(), UINT64_MAX);  // saturates
}

TEST(CheckGrid, ProgramIdMustFitI32) {
  uint32_t max[3] = {65535, 65535, 65535};
  uint32_t ok[3] = {kMaxGridDim, 1, kMaxGridDim};
  EXPECT_TRUE(checkGrid(ok, max).ok());
  uint32_t bad[3] = {1, 0xffffffffu, 1};
  Status s = checkGrid(bad, max);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("grid dimension y = 4294967295 exceeds 2147483647"),
            std::string::npos)
      << s.message();
  uint32_t zero[3] = {65535, 0, 65535};
  EXPECT_FALSE(checkGrid(ok, zero).ok());
}

}  // namespace
}  // namespace tvk
