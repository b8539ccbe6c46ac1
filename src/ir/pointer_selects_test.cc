// Pointer-select sinking tests: selects between kernel arguments become one masked access per
// argument; selects with other uses, or between pointers of one argument, are left alone.
#include "ir/pointer_selects.h"

#include <gtest/gtest.h>

#include "ir/canonicalize.h"
#include "ir/printer.h"
#include "ir/testing.h"
#include "ir/verifier.h"
#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::unique_ptr<Module> parse(const std::string& body) {
  return testing::parseKernel("%a: !tt.ptr<f32>, %b: !tt.ptr<f32>, %c: i1, %o: !tt.ptr<f32>, %t: tensor<8xi1>", body);
}

int count(Module& m, const std::string& name) {
  int n = 0;
  walk(m, [&](Operation& o) { n += o.name == name; });
  return n;
}

bool pointerSelects(Module& m) {
  bool any = false;
  walk(m, [&](Operation& o) {
    any |= o.name == "arith.select" && o.result()->type.scalar().isPtr();
  });
  return any;
}

TEST(PointerSelects, ScalarSelectThenOffsetLoadAndStore) {
  auto m = parse(
      "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
      "    %p = arith.select %c, %a, %b : !tt.ptr<f32>\n"
      "    %s = tt.splat %p : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    %q = tt.addptr %s, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
      "    %v = tt.load %q : tensor<8x!tt.ptr<f32>>\n"
      "    tt.store %q, %v : tensor<8x!tt.ptr<f32>>\n");
  ASSERT_TRUE(m);
  Status s = sinkPointerSelects(*m);
  ASSERT_TRUE(s.ok()) << s.message();
  canonicalize(*m);
  EXPECT_FALSE(pointerSelects(*m)) << printModule(*m);
  EXPECT_EQ(count(*m, "tt.load"), 2);
  EXPECT_EQ(count(*m, "tt.store"), 2);
  // Every access is masked; the loaded value is the select of the two loads.
  walk(*m, [&](Operation& o) {
    if (o.name == "tt.load") {
      EXPECT_EQ(o.numOperands(), 2) << printModule(*m);
    }
    if (o.name == "tt.store") {
      EXPECT_EQ(o.numOperands(), 3) << printModule(*m);
    }
  });
  EXPECT_EQ(count(*m, "arith.select"), 1);
}

TEST(PointerSelects, TensorConditionFollowsShapeOps) {
  auto m = parse(
      "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
      "    %sa = tt.splat %a : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    %sb = tt.splat %b : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    %p = arith.select %t, %sa, %sb : tensor<8xi1>, tensor<8x!tt.ptr<f32>>\n"
      "    %e = tt.expand_dims %p {axis = 1 : i32} : tensor<8x!tt.ptr<f32>> -> tensor<8x1x!tt.ptr<f32>>\n"
      "    %w = tt.broadcast %e : tensor<8x1x!tt.ptr<f32>> -> tensor<8x4x!tt.ptr<f32>>\n"
      "    %v = tt.load %w : tensor<8x4x!tt.ptr<f32>>\n"
      "    %so = tt.splat %o : !tt.ptr<f32> -> tensor<8x4x!tt.ptr<f32>>\n"
      "    tt.store %so, %v : tensor<8x4x!tt.ptr<f32>>\n");
  ASSERT_TRUE(m);
  Status s = sinkPointerSelects(*m);
  ASSERT_TRUE(s.ok()) << s.message();
  canonicalize(*m);
  EXPECT_FALSE(pointerSelects(*m)) << printModule(*m);
  // The condition went through the same expand_dims and broadcast (i1 tensors).
  int boolShapeOps = 0;
  walk(*m, [&](Operation& o) {
    if ((o.name == "tt.expand_dims" || o.name == "tt.broadcast") &&
        o.result()->type.scalar().bits == 1 && !o.result()->type.scalar().isPtr())
      ++boolShapeOps;
  });
  EXPECT_EQ(boolShapeOps, 2) << printModule(*m);
}

TEST(PointerSelects, OtherUsesAndSameArgumentAreLeftAlone) {
  // Same argument on both sides: provenance handles it, nothing to do.
  auto same = parse(
      "    %c1 = arith.constant 1 : i32\n"
      "    %a1 = tt.addptr %a, %c1 : !tt.ptr<f32>, i32\n"
      "    %p = arith.select %c, %a, %a1 : !tt.ptr<f32>\n"
      "    %v = tt.load %p : !tt.ptr<f32>\n"
      "    tt.store %o, %v : !tt.ptr<f32>\n");
  ASSERT_TRUE(same);
  ASSERT_TRUE(sinkPointerSelects(*same).ok());
  EXPECT_TRUE(pointerSelects(*same));
  // tt.ptr_to_int of the selected pointer: left for provenance to report.
  auto other = parse(
      "    %p = arith.select %c, %a, %b : !tt.ptr<f32>\n"
      "    %i = tt.ptr_to_int %p : !tt.ptr<f32> -> i64\n");
  ASSERT_TRUE(other);
  ASSERT_TRUE(sinkPointerSelects(*other).ok());
  EXPECT_TRUE(pointerSelects(*other));
}

}  // namespace
}  // namespace tvk::ir
