// Pointer inductions: a loop load whose pointer is rebuilt in every iteration from i64 offsets
// that advance by a loop-invariant step (Triton's rewritten block pointers) takes a loop-carried
// pointer advanced by one splat; i32 offsets, products of two changing values and offsets
// advanced by values computed in the loop stay as they are.
#include "ir/pointer_inductions.h"

#include <gtest/gtest.h>

#include <string>

#include "ir/printer.h"
#include "ir/testing.h"
#include "ir/verifier.h"
#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::unique_ptr<Module> parse(const std::string& body) {
  return testing::parseKernel("%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %n: i32, %s: i64", body);
}

// The tt.load of `m` (there is one).
Operation* theLoad(Module& m) {
  Operation* load = nullptr;
  walk(m, [&](Operation& op) {
    if (op.name == "tt.load") load = &op;
  });
  return load;
}

// Sums x[(off + r) * s] over the loop, `off` an iter_arg advanced by `step` (TYPE offsets),
// then stores the sum.
std::string blockLoop(const std::string& type, const std::string& advance = "arith.addi %off, %c4") {
  return "    %c0 = arith.constant 0 : i32\n"
         "    %c1 = arith.constant 1 : i32\n"
         "    %o0 = arith.constant 0 : " + type + "\n"
         "    %c4 = arith.constant 4 : " + type + "\n"
         "    %z = arith.constant dense<0.0> : tensor<8xf32>\n"
         "    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
         "    %acc:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %z, %off = %o0) -> (tensor<8xf32>, " + type + ")  : i32 {\n"
         "      %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
         + (type == "i32" ? std::string("      %re = arith.addi %r, %r : tensor<8xi32>\n")
                          : "      %re = arith.extsi %r : tensor<8xi32> to tensor<8x" + type + ">\n") +
         "      %os = tt.splat %off : " + type + " -> tensor<8x" + type + ">\n"
         "      %o = arith.addi %os, %re : tensor<8x" + type + ">\n"
         "      %ss = arith.constant dense<3> : tensor<8x" + type + ">\n"
         "      %oo = arith.muli %o, %ss : tensor<8x" + type + ">\n"
         "      %p = tt.addptr %xs, %oo : tensor<8x!tt.ptr<f32>>, tensor<8x" + type + ">\n"
         "      %v = tt.load %p : tensor<8x!tt.ptr<f32>>\n"
         "      %sum = arith.addf %a, %v : tensor<8xf32>\n"
         "      %next = " + advance + " : " + type + "\n"
         "      scf.yield %sum, %next : tensor<8xf32>, " + type + "\n"
         "    }\n"
         "    %ys = tt.splat %y : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
         "    %r2 = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
         "    %yp = tt.addptr %ys, %r2 : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
         "    tt.store %yp, %acc#0 : tensor<8x!tt.ptr<f32>>\n";
}

TEST(PointerInductions, BlockPointerOffsetsBecomeACarriedPointer) {
  auto m = parse(blockLoop("i64"));
  ASSERT_TRUE(m);
  EXPECT_EQ(rewritePointerInductions(*m), 1);
  ASSERT_TRUE(verifyModule(*m).ok()) << printModule(*m, false);
  // The load reads a block argument of the loop, which the yield advances by a splat of 4 * 3
  // elements computed before the loop.
  Operation* load = theLoad(*m);
  ASSERT_TRUE(load);
  const Value* p = load->operand(0);
  ASSERT_EQ(p->def, nullptr);
  const Operation* loop = p->ownerBlock->parentRegion->parentOp;
  ASSERT_EQ(loop->name, "scf.for");
  EXPECT_EQ(loop->numOperands(), 3 + 3);
  const Operation* yield = p->ownerBlock->terminator();
  const Operation* adv = yield->operand(p->index - 1)->def;
  ASSERT_TRUE(adv);
  EXPECT_EQ(adv->name, "tt.addptr");
  EXPECT_EQ(adv->operand(0), p);
  const Operation* splat = adv->operand(1)->def;
  ASSERT_TRUE(splat);
  EXPECT_EQ(splat->name, "tt.splat");
  EXPECT_EQ(splat->parentBlock, loop->parentBlock);
  const Operation* mul = splat->operand(0)->def;
  ASSERT_TRUE(mul);
  EXPECT_EQ(mul->name, "arith.muli");
  // The initial pointer: the same chain on the iter_arg's initial value, before the loop.
  const Operation* init = loop->operand(p->index + 2)->def;
  ASSERT_TRUE(init);
  EXPECT_EQ(init->name, "tt.addptr");
  EXPECT_EQ(init->parentBlock, loop->parentBlock);
}

TEST(PointerInductions, LoopsItCannotProveExactStay) {
  // i32 offsets: the pointer offset is their sign extension, a wrap-around would differ.
  auto m32 = parse(blockLoop("i32"));
  ASSERT_TRUE(m32);
  EXPECT_EQ(rewritePointerInductions(*m32), 0);
  // The offset advanced by itself (quadratic, not by a loop-invariant step).
  auto sq = parse(blockLoop("i64", "arith.addi %off, %off"));
  ASSERT_TRUE(sq);
  EXPECT_EQ(rewritePointerInductions(*sq), 0);
  // Multiplied by a changing value.
  std::string t = blockLoop("i64");
  t.replace(t.find("%oo = arith.muli %o, %ss"), std::string("%oo = arith.muli %o, %ss").size(), "%oo = arith.muli %o, %o");
  auto sq2 = parse(t);
  ASSERT_TRUE(sq2);
  EXPECT_EQ(rewritePointerInductions(*sq2), 0);
}

}  // namespace
}  // namespace tvk::ir
