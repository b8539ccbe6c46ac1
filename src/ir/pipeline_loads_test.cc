// Pipelined loads: a loop's load whose address follows from the induction variable or from a
// carried pointer is issued one iteration ahead into a new iter_arg (its first iteration's load
// before the loop, masked by lb < ub); loops that store, and loads feeding a carried dot, stay.
#include "ir/pipeline_loads.h"

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
  return testing::parseKernel("%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %n: i32", body);
}

int count(Module& m, const std::string& name) {
  int n = 0;
  walk(m, [&](Operation& op) { n += op.name == name; });
  return n;
}

// Sums x[i * 8 + r] over i < n (the address from the induction variable), then stores the sum.
const std::string kSumLoop =
    "    %c0 = arith.constant 0 : i32\n"
    "    %c1 = arith.constant 1 : i32\n"
    "    %z = arith.constant dense<0.0> : tensor<8xf32>\n"
    "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
    "    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
    "    %acc = scf.for %i = %c0 to %n step %c1 iter_args(%a = %z) -> (tensor<8xf32>)  : i32 {\n"
    "      %c8 = arith.constant 8 : i32\n"
    "      %b = arith.muli %i, %c8 : i32\n"
    "      %bs = tt.splat %b : i32 -> tensor<8xi32>\n"
    "      %o = arith.addi %bs, %r : tensor<8xi32>\n"
    "      %p = tt.addptr %xs, %o : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
    "      %v = tt.load %p : tensor<8x!tt.ptr<f32>>\n"
    "      %s = arith.addf %a, %v : tensor<8xf32>\n"
    "      scf.yield %s : tensor<8xf32>\n"
    "    }\n";
const std::string kStoreSum =
    "    %ys = tt.splat %y : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
    "    %yp = tt.addptr %ys, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
    "    tt.store %yp, %acc : tensor<8x!tt.ptr<f32>>\n";

TEST(PipelineLoads, AnInductionAddressedLoadIsIssuedAnIterationAhead) {
  auto m = parse(kSumLoop + kStoreSum);
  ASSERT_TRUE(m);
  EXPECT_EQ(pipelineLoads(*m), 1);
  EXPECT_TRUE(verifyModule(*m).ok()) << printModule(*m, false);
  const std::string text = printModule(*m, false);
  // One load before the loop (masked by 0 < n), one at the top of the body (masked by
  // i + 1 < n), yielded as the new iter_arg; the body's sum reads the carried tile.
  EXPECT_EQ(count(*m, "tt.load"), 2);
  Operation* loop = nullptr;
  walk(*m, [&](Operation& op) {
    if (op.name == "scf.for") loop = &op;
  });
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->results.size(), 2u);
  EXPECT_EQ(loop->body().args.size(), 3u);
  Block& body = loop->body();
  EXPECT_EQ(body.ops.front()->name, "arith.addi");  // i + 1
  const Operation* yield = body.terminator();
  EXPECT_EQ(yield->operand(1)->def->name, "tt.load");
  EXPECT_EQ(yield->operand(1)->def->numOperands(), 2);  // the mask i + 1 < n
  EXPECT_EQ(loop->operand(4)->def->name, "tt.load");
  const Operation* sum = nullptr;
  for (const auto& o : body.ops)
    if (o->name == "arith.addf") sum = o.get();
  ASSERT_TRUE(sum);
  EXPECT_EQ(sum->operand(1), body.arg(2)) << text;
}

TEST(PipelineLoads, ACarriedPointerIsAdvancedForTheNextLoad) {
  auto m = parse(
      "    %c0 = arith.constant 0 : i32\n"
      "    %c1 = arith.constant 1 : i32\n"
      "    %c8t = arith.constant dense<8> : tensor<8xi32>\n"
      "    %z = arith.constant dense<0.0> : tensor<8xf32>\n"
      "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
      "    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    %p0 = tt.addptr %xs, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
      "    %acc, %pe = scf.for %i = %c0 to %n step %c1 iter_args(%a = %z, %p = %p0) -> (tensor<8xf32>, "
      "tensor<8x!tt.ptr<f32>>)  : i32 {\n"
      "      %v = tt.load %p : tensor<8x!tt.ptr<f32>>\n"
      "      %s = arith.addf %a, %v : tensor<8xf32>\n"
      "      %pn = tt.addptr %p, %c8t : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
      "      scf.yield %s, %pn : tensor<8xf32>, tensor<8x!tt.ptr<f32>>\n"
      "    }\n" +
      kStoreSum);
  ASSERT_TRUE(m);
  EXPECT_EQ(pipelineLoads(*m), 1);
  EXPECT_TRUE(verifyModule(*m).ok()) << printModule(*m, false);
  Operation* loop = nullptr;
  walk(*m, [&](Operation& op) {
    if (op.name == "scf.for") loop = &op;
  });
  ASSERT_TRUE(loop);
  // The next load reads p + 8 (an addptr of the carried pointer at the top of the body).
  const Operation* next = loop->body().terminator()->operand(2)->def;
  ASSERT_EQ(next->name, "tt.load");
  EXPECT_EQ(next->operand(0)->def->name, "tt.addptr");
  EXPECT_EQ(next->operand(0)->def->operand(0), loop->body().arg(2));
}

TEST(PipelineLoads, ALoopThatStoresKeepsItsLoads) {
  auto m = parse(
      "    %c0 = arith.constant 0 : i32\n"
      "    %c1 = arith.constant 1 : i32\n"
      "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
      "    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    %ys = tt.splat %y : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    scf.for %i = %c0 to %n step %c1  : i32 {\n"
      "      %is = tt.splat %i : i32 -> tensor<8xi32>\n"
      "      %o = arith.addi %is, %r : tensor<8xi32>\n"
      "      %p = tt.addptr %xs, %o : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
      "      %v = tt.load %p : tensor<8x!tt.ptr<f32>>\n"
      "      %q = tt.addptr %ys, %o : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
      "      tt.store %q, %v : tensor<8x!tt.ptr<f32>>\n"
      "    }\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(pipelineLoads(*m), 0);
}

TEST(PipelineLoads, AMatmulLoopsOperandsStay) {
  auto m = parse(
      "    %c0 = arith.constant 0 : i32\n"
      "    %c1 = arith.constant 1 : i32\n"
      "    %z = arith.constant dense<0.0> : tensor<16x16xf32>\n"
      "    %r = tt.make_range {end = 16 : i32, start = 0 : i32} : tensor<16xi32>\n"
      "    %re = tt.expand_dims %r {axis = 1 : i32} : tensor<16xi32> -> tensor<16x1xi32>\n"
      "    %rb = tt.broadcast %re : tensor<16x1xi32> -> tensor<16x16xi32>\n"
      "    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<16x16x!tt.ptr<f32>>\n"
      "    %acc = scf.for %i = %c0 to %n step %c1 iter_args(%a = %z) -> (tensor<16x16xf32>)  : i32 {\n"
      "      %is = tt.splat %i : i32 -> tensor<16x16xi32>\n"
      "      %o = arith.addi %is, %rb : tensor<16x16xi32>\n"
      "      %p = tt.addptr %xs, %o : tensor<16x16x!tt.ptr<f32>>, tensor<16x16xi32>\n"
      "      %v = tt.load %p : tensor<16x16x!tt.ptr<f32>>\n"
      "      %d = tt.dot %v, %v, %a : tensor<16x16xf32> * tensor<16x16xf32> -> tensor<16x16xf32>\n"
      "      scf.yield %d : tensor<16x16xf32>\n"
      "    }\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(pipelineLoads(*m), 0);
}

}  // namespace
}  // namespace tvk::ir
