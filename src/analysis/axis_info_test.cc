// Axis-info rules (analysis/axis_info.h) on small TTIR kernels, through `inspectTTIR`: the
// facts the direct dot operands (analysis/dot_operands.h) rely on for correctness.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "compiler/inspect.h"
#include "target/target.h"

namespace tvk {
namespace {

// `body` defines the values; `uses` lists (value, kind) to keep alive by storing them (dead
// values are dropped before the analyses): kind "i1" (a store mask), "i32" or "i64" (stored
// values), all tensor<64x...>.
std::string axisInfo(const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& uses) {
  std::string keep =
      "    %yr = tt.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>\n"
      "    %ys = tt.splat %y : !tt.ptr<i32> -> tensor<64x!tt.ptr<i32>>\n"
      "    %yp = tt.addptr %ys, %yr : tensor<64x!tt.ptr<i32>>, tensor<64xi32>\n"
      "    %zs = tt.splat %z : !tt.ptr<i64> -> tensor<64x!tt.ptr<i64>>\n"
      "    %zp = tt.addptr %zs, %yr : tensor<64x!tt.ptr<i64>>, tensor<64xi32>\n";
  for (const auto& [v, kind] : uses) {
    if (kind == "i1") keep += "    tt.store %yp, %yr, " + v + " : tensor<64x!tt.ptr<i32>>\n";
    else if (kind == "i32") keep += "    tt.store %yp, " + v + " : tensor<64x!tt.ptr<i32>>\n";
    else keep += "    tt.store %zp, " + v + " : tensor<64x!tt.ptr<i64>>\n";
  }
  std::string ttir = "module {\n  tt.func public @k(%y: !tt.ptr<i32> {tt.divisibility = 16 : i32}, "
                     "%z: !tt.ptr<i64> {tt.divisibility = 16 : i32}, "
                     "%K: i32 {tt.divisibility = 16 : i32}, %n: i32) {\n" + body + keep +
                     "    tt.return\n  }\n}\n";
  CompileOptions o;
  o.target = *targetProfile("nvidia-hopper");
  auto r = inspectTTIR(ttir, o, "axis-info");
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

bool has(const std::string& s, const std::string& line) { return s.find(line + "\n") != std::string::npos; }

const char* kRange =
    "    %c64 = arith.constant 64 : i32\n"
    "    %pid = tt.get_program_id x : i32\n"
    "    %base = arith.muli %pid, %c64 : i32\n"
    "    %r = tt.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>\n"
    "    %s = tt.splat %base : i32 -> tensor<64xi32>\n"
    "    %o = arith.addi %s, %r : tensor<64xi32>\n";

TEST(AxisInfo, OrderingAgainstAnAlignedBoundIsConstantInBlocks) {
  std::string s = axisInfo(std::string(kRange) +
                           "    %kk = tt.splat %K : i32 -> tensor<64xi32>\n"
                           "    %lt = arith.cmpi slt, %o, %kk : tensor<64xi32>\n"
                           "    %ge = arith.cmpi sge, %o, %kk : tensor<64xi32>\n"
                           "    %gt = arith.cmpi sgt, %kk, %o : tensor<64xi32>\n"
                           "    %le = arith.cmpi sle, %o, %kk : tensor<64xi32>\n"
                           "    %xgt = arith.cmpi sgt, %o, %kk : tensor<64xi32>\n"
                           "    %nn = tt.splat %n : i32 -> tensor<64xi32>\n"
                           "    %un = arith.cmpi slt, %o, %nn : tensor<64xi32>\n",
                           {{"%lt", "i1"}, {"%ge", "i1"}, {"%gt", "i1"}, {"%le", "i1"}, {"%xgt", "i1"}, {"%un", "i1"}});
  // x < K, x >= K and K > x with K a multiple of 16: blocks of 16 lie on one side of K.
  EXPECT_TRUE(has(s, "%lt: contiguity=[1] divisibility=[1] constancy=[16]")) << s;
  EXPECT_TRUE(has(s, "%ge: contiguity=[1] divisibility=[1] constancy=[16]")) << s;
  EXPECT_TRUE(has(s, "%gt: contiguity=[1] divisibility=[1] constancy=[16]")) << s;
  // x <= K and x > K split the block that starts at K.
  EXPECT_TRUE(has(s, "%le: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%xgt: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
  // A bound of unknown alignment: nothing.
  EXPECT_TRUE(has(s, "%un: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
}

TEST(AxisInfo, RemainderByAnAlignedValueKeepsShorterRuns) {
  std::string s = axisInfo(std::string(kRange) +
                           "    %kk = tt.splat %K : i32 -> tensor<64xi32>\n"
                           "    %m = arith.remsi %o, %kk : tensor<64xi32>\n"
                           "    %nn = tt.splat %n : i32 -> tensor<64xi32>\n"
                           "    %u = arith.remsi %o, %nn : tensor<64xi32>\n",
                           {{"%m", "i32"}, {"%u", "i32"}});
  EXPECT_TRUE(has(s, "%m: contiguity=[16] divisibility=[16] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%u: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
}

TEST(AxisInfo, ElementsAfterARunStartAreNotDivisible) {
  // range * K: element i is i * K, divisible by K's 16 (not by the range start's 2^30).
  std::string s = axisInfo(std::string(kRange) +
                           "    %kk = tt.splat %K : i32 -> tensor<64xi32>\n"
                           "    %p = arith.muli %r, %kk : tensor<64xi32>\n"
                           "    %w = arith.extsi %o : tensor<64xi32> to tensor<64xi64>\n",
                           {{"%p", "i32"}, {"%w", "i64"}});
  EXPECT_TRUE(has(s, "%p: contiguity=[1] divisibility=[16] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%w: contiguity=[64] divisibility=[64] constancy=[1]")) << s;
}

TEST(AxisInfo, LoadedValuesAreUnknownAndElementwiseOpsKeepCommonRuns) {
  // A tensor read from memory is not constant: a mask made from it has runs of 1 (it was
  // taken as constant over the whole tensor, which vectorized loads under one lane's mask bit).
  // An element-wise op of unknown arithmetic keeps where its operands are equal.
  std::string s = axisInfo(std::string(kRange) +
                           "    %ls = tt.splat %y : !tt.ptr<i32> -> tensor<64x!tt.ptr<i32>>\n"
                           "    %lp = tt.addptr %ls, %o : tensor<64x!tt.ptr<i32>>, tensor<64xi32>\n"
                           "    %v = tt.load %lp : tensor<64x!tt.ptr<i32>>\n"
                           "    %c0 = arith.constant dense<0> : tensor<64xi32>\n"
                           "    %lm = arith.cmpi ne, %v, %c0 : tensor<64xi32>\n"
                           "    %kk = tt.splat %K : i32 -> tensor<64xi32>\n"
                           "    %lt = arith.cmpi slt, %o, %kk : tensor<64xi32>\n"
                           "    %c3 = arith.constant dense<3> : tensor<64xi32>\n"
                           "    %sh = arith.shrui %kk, %c3 : tensor<64xi32>\n"
                           "    %dv = arith.divsi %o, %kk : tensor<64xi32>\n",
                           {{"%lm", "i1"}, {"%lt", "i1"}, {"%sh", "i32"}, {"%dv", "i32"}});
  EXPECT_TRUE(has(s, "%v: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%lm: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%lt: contiguity=[1] divisibility=[1] constancy=[16]")) << s;
  EXPECT_TRUE(has(s, "%sh: contiguity=[1] divisibility=[1] constancy=[64]")) << s;
  // o / K with K a multiple of 16 and o >= 0: constant over aligned blocks of 16.
  EXPECT_TRUE(has(s, "%dv: contiguity=[1] divisibility=[1] constancy=[16]")) << s;
}

TEST(AxisInfo, SelectsAndSignedRemaindersKeepOnlyWhatEveryElementHas) {
  // where(c, range, 0): no runs, and element 1 of the range is odd, so divisible by 1 (it
  // took the range start's 2^30). (o - 64) % K with K aligned: srem of a negative block is
  // not consecutive; o % K (o >= 0: a program id times 64 plus a range) is.
  std::string s = axisInfo(std::string(kRange) +
                           "    %zero = arith.constant dense<0> : tensor<64xi32>\n"
                           "    %kk = tt.splat %K : i32 -> tensor<64xi32>\n"
                           "    %c = arith.cmpi slt, %r, %kk : tensor<64xi32>\n"
                           "    %sel = arith.select %c, %r, %zero : tensor<64xi1>, tensor<64xi32>\n"
                           "    %c64t = arith.constant dense<64> : tensor<64xi32>\n"
                           "    %neg = arith.subi %o, %c64t : tensor<64xi32>\n"
                           "    %sn = arith.remsi %neg, %kk : tensor<64xi32>\n"
                           "    %sp = arith.remsi %o, %kk : tensor<64xi32>\n"
                           "    %qn = arith.divsi %neg, %kk : tensor<64xi32>\n",
                           {{"%sel", "i32"}, {"%sn", "i32"}, {"%sp", "i32"}, {"%qn", "i32"}});
  EXPECT_TRUE(has(s, "%sel: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%sn: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%sp: contiguity=[16] divisibility=[16] constancy=[1]")) << s;
  // sdiv truncates: -64 .. -49 by 16 is -4, -3, .., -3.
  EXPECT_TRUE(has(s, "%qn: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
}

TEST(AxisInfo, LoopCarriedValuesMeetTheirInitialAndYieldedFacts) {
  std::string s = axisInfo(
      "    %c0 = arith.constant 0 : i32\n"
      "    %c1 = arith.constant 1 : i32\n"
      "    %c32 = arith.constant 32 : i32\n"
      "    %c3 = arith.constant 3 : i32\n"
      "    %r = tt.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>\n"
      "    %ws = tt.splat %y : !tt.ptr<i32> -> tensor<64x!tt.ptr<i32>>\n"
      "    %f:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %c0, %b = %c0) -> (i32, i32)  : i32 {\n"
      "      %s = tt.splat %a : i32 -> tensor<64xi32>\n"
      "      %o = arith.addi %s, %r : tensor<64xi32>\n"
      "      %bs = tt.splat %b : i32 -> tensor<64xi32>\n"
      "      %wp = tt.addptr %ws, %o : tensor<64x!tt.ptr<i32>>, tensor<64xi32>\n"
      "      tt.store %wp, %bs : tensor<64x!tt.ptr<i32>>\n"
      "      %a2 = arith.addi %a, %c32 : i32\n"
      "      %b2 = arith.addi %b, %c3 : i32\n"
      "      scf.yield %a2, %b2 : i32, i32\n"
      "    }\n",
      {});
  // %a: 0, 32, 64...: divisible by 32 in every iteration; %b: 0, 3, 6...: by 1.
  EXPECT_TRUE(has(s, "%a: contiguity=[1] divisibility=[32] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%b: contiguity=[1] divisibility=[1] constancy=[1]")) << s;
  EXPECT_TRUE(has(s, "%o: contiguity=[64] divisibility=[32] constancy=[1]")) << s;
}

}  // namespace
}  // namespace tvk
