// Pointer inductions: a loop's load whose i64 offsets move by a uniform amount per iteration
// (a block pointer's offset iter_arg advanced by a constant, times invariant strides) takes a
// carried pointer tensor advanced at the yield; i32 offsets, offsets from the induction
// variable, and iter_args that do not advance by an addition stay as they are.
#include "ir/pointer_inductions.h"

#include <gtest/gtest.h>

#include <string>

#include "ir/printer.h"
#include "ir/verifier.h"
#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::unique_ptr<Module> parse(const std::string& body) {
  auto m = parser::parseTTIR("module {\n  tt.func public @k(%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %n: i32, %s: i64) {\n" +
                                 body + "    tt.return\n  }\n}\n",
                             "c");
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return nullptr;
  EXPECT_TRUE(verifyModule(**m).ok());
  return std::move(m.value());
}

// Sums x[o + r * s] over the loop, o an i64 iter_arg advanced by `ADV` (the offset of a 1-D
// block pointer with stride %s); OFFTYPE/step variants below.
std::string loop(const std::string& advance, const std::string& offset = "%o") {
  return "    %c0 = arith.constant 0 : i32\n"
         "    %c1 = arith.constant 1 : i32\n"
         "    %z64 = arith.constant 0 : i64\n"
         "    %c8 = arith.constant 8 : i64\n"
         "    %z = arith.constant dense<0.0> : tensor<8xf32>\n"
         "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
         "    %r64 = arith.extsi %r : tensor<8xi32> to tensor<8xi64>\n"
         "    %ss = tt.splat %s : i64 -> tensor<8xi64>\n"
         "    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
         "    %acc:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %z, %o = %z64) -> (tensor<8xf32>, i64)  : i32 {\n"
         "      %os = tt.splat " + offset + " : i64 -> tensor<8xi64>\n"
         "      %e = arith.addi %os, %r64 : tensor<8xi64>\n"
         "      %f = arith.muli %e, %ss : tensor<8xi64>\n"
         "      %p = tt.addptr %xs, %f : tensor<8x!tt.ptr<f32>>, tensor<8xi64>\n"
         "      %v = tt.load %p : tensor<8x!tt.ptr<f32>>\n"
         "      %sum = arith.addf %a, %v : tensor<8xf32>\n"
         "      %o2 = " + advance + "\n"
         "      scf.yield %sum, %o2 : tensor<8xf32>, i64\n"
         "    }\n"
         "    %ys = tt.splat %y : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
         "    %yp = tt.addptr %ys, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
         "    tt.store %yp, %acc#0 : tensor<8x!tt.ptr<f32>>\n";
}

Operation* theLoad(Module& m) {
  Operation* out = nullptr;
  walk(m, [&](Operation& op) {
    if (op.name == "tt.load") out = &op;
  });
  return out;
}

TEST(PointerInductions, AnAdvancedOffsetBecomesACarriedPointer) {
  auto m = parse(loop("arith.addi %o, %c8 : i64"));
  ASSERT_TRUE(m);
  EXPECT_EQ(carryPointerInductions(*m), 1);
  EXPECT_TRUE(verifyModule(*m).ok()) << printModule(*m, false);
  const std::string text = printModule(*m, false);
  Operation* load = theLoad(*m);
  ASSERT_TRUE(load);
  // The load reads a block argument of the loop (the new iter_arg), advanced at the yield by
  // splat(8 * s), computed before the loop.
  EXPECT_EQ(load->operand(0)->def, nullptr);
  EXPECT_NE(load->operand(0)->ownerBlock, nullptr);
  EXPECT_NE(text.find("arith.muli %c8, %s : i64"), std::string::npos) << text;
  Operation* yield = load->parentBlock->terminator();
  ASSERT_EQ(yield->numOperands(), 3);
  EXPECT_EQ(yield->operand(2)->def->name, "tt.addptr");
  // The old pointer arithmetic is gone from the body.
  int addptrs = 0;
  for (const auto& o : load->parentBlock->ops) addptrs += o->name == "tt.addptr";
  EXPECT_EQ(addptrs, 1);
}

TEST(PointerInductions, ANegativeOrRuntimeAdvanceQualifies) {
  auto m = parse(loop("arith.addi %s, %o : i64"));  // advance by the argument, operands swapped
  ASSERT_TRUE(m);
  EXPECT_EQ(carryPointerInductions(*m), 1);
  EXPECT_TRUE(verifyModule(*m).ok()) << printModule(*m, false);
}

TEST(PointerInductions, OtherAdvancesStay) {
  for (const std::string adv : {"arith.muli %o, %c8 : i64", "arith.addi %o, %o : i64"}) {
    auto m = parse(loop(adv));
    ASSERT_TRUE(m);
    EXPECT_EQ(carryPointerInductions(*m), 0) << adv;
  }
}

TEST(PointerInductions, OffsetsFromTheInductionVariableOrOfI32Stay) {
  // The induction variable (i32, extended per element: not linear once it wraps).
  auto m = parse(
      "    %c0 = arith.constant 0 : i32\n"
      "    %c1 = arith.constant 1 : i32\n"
      "    %z = arith.constant dense<0.0> : tensor<8xf32>\n"
      "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
      "    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    %acc = scf.for %i = %c0 to %n step %c1 iter_args(%a = %z) -> (tensor<8xf32>)  : i32 {\n"
      "      %is = tt.splat %i : i32 -> tensor<8xi32>\n"
      "      %e = arith.addi %is, %r : tensor<8xi32>\n"
      "      %p = tt.addptr %xs, %e : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
      "      %v = tt.load %p : tensor<8x!tt.ptr<f32>>\n"
      "      %sum = arith.addf %a, %v : tensor<8xf32>\n"
      "      scf.yield %sum : tensor<8xf32>\n"
      "    }\n"
      "    %ys = tt.splat %y : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    %yp = tt.addptr %ys, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
      "    tt.store %yp, %acc : tensor<8x!tt.ptr<f32>>\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(carryPointerInductions(*m), 0);
}

TEST(PointerInductions, AProductOfTwoChangingValuesStays) {
  // offsets (o + r) * o: not linear in o.
  std::string s = loop("arith.addi %o, %c8 : i64");
  const std::string from = "%f = arith.muli %e, %ss : tensor<8xi64>";
  s.replace(s.find(from), from.size(), "%f = arith.muli %e, %os : tensor<8xi64>");
  auto m = parse(s);
  ASSERT_TRUE(m);
  EXPECT_EQ(carryPointerInductions(*m), 0);
}

}  // namespace
}  // namespace tvk::ir
