// Loop accumulators of small loops (through inspectTTIR "loop-accumulators").
#include "analysis/loop_accumulators.h"

#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "compiler/inspect.h"
#include "target/target.h"

namespace tvk {
namespace {

// A kernel with one scf.for carrying %acc (init `init`), whose body is `body` and yields
// `yield` (the dot's result is %d); both results are stored (kept alive).
std::string accs(const std::string& init, const std::string& body, const std::string& yield) {
  std::string ttir =
      "module {\n  tt.func public @k(%p: !tt.ptr<f32>, %n: i32, %s: f32) {\n"
      "    %c0 = arith.constant 0 : i32\n    %c1 = arith.constant 1 : i32\n"
      "    %z = arith.constant dense<0.000000e+00> : tensor<16x16xf32>\n"
      "    %sp = tt.splat %s : f32 -> tensor<16x16xf32>\n"
      "    %x = arith.constant dense<1.000000e+00> : tensor<16x16xf16>\n"
      "    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = " + init +
      ", %o = %z) -> (tensor<16x16xf32>, tensor<16x16xf32>) : i32 {\n" + body +
      "      scf.yield " + yield + " : tensor<16x16xf32>, tensor<16x16xf32>\n    }\n"
      "    %pp = tt.splat %p : !tt.ptr<f32> -> tensor<16x16x!tt.ptr<f32>>\n"
      "    tt.store %pp, %r#0 : tensor<16x16x!tt.ptr<f32>>\n"
      "    tt.store %pp, %r#1 : tensor<16x16x!tt.ptr<f32>>\n"
      "    tt.return\n  }\n}\n";
  CompileOptions o;
  o.target = *targetProfile("lavapipe");
  auto r = inspectTTIR(ttir, o, "loop-accumulators");
  return r.ok() ? *r : "ERROR " + r.status().message();
}

const char* kDot =
    "      %d = tt.dot %x, %x, %acc, inputPrecision = tf32 : tensor<16x16xf16> * "
    "tensor<16x16xf16> -> tensor<16x16xf32>\n";

TEST(LoopAccumulators, DotOnlyAccumulatorIsFound) {
  std::string out = accs("%z", kDot, "%d, %o");
  EXPECT_NE(out.find("%r#0 (scf.for iter_arg 0): tt.dot %d at"), std::string::npos) << out;
}

TEST(LoopAccumulators, OtherUsesOrInitsAreNot) {
  // The accumulator is also read by another op (attention's rescaling).
  std::string scaled = std::string("      %m = arith.mulf %acc, %acc : tensor<16x16xf32>\n") + kDot;
  EXPECT_EQ(accs("%z", scaled, "%d, %m"), "none\n");
  // The dot's result is yielded twice.
  EXPECT_EQ(accs("%z", kDot, "%d, %d"), "none\n");
  // The init is not a splat constant.
  EXPECT_EQ(accs("%sp", kDot, "%d, %o"), "none\n");
}

TEST(LoopAccumulators, RowScaledAccumulatorIsFound) {
  // acc * s[:, None] before the dot (flash attention's rescaling), s a 1-D tensor.
  const std::string scale =
      "      %s1 = tt.splat %s : f32 -> tensor<16xf32>\n"
      "      %e = tt.expand_dims %s1 {axis = 1 : i32} : tensor<16xf32> -> tensor<16x1xf32>\n"
      "      %b = tt.broadcast %e : tensor<16x1xf32> -> tensor<16x16xf32>\n";
  std::string rows = scale + "      %m = arith.mulf %acc, %b : tensor<16x16xf32>\n" +
                     "      %d = tt.dot %x, %x, %m, inputPrecision = tf32 : tensor<16x16xf16> * "
                     "tensor<16x16xf16> -> tensor<16x16xf32>\n";
  std::string out = accs("%z", rows, "%d, %o");
  EXPECT_NE(out.find("tt.dot %d at"), std::string::npos) << out;
  EXPECT_NE(out.find("rows scaled by %s1"), std::string::npos) << out;
  // A column broadcast (axis 0) is not a row scale.
  std::string cols = rows;
  cols.replace(cols.find("axis = 1"), 8, "axis = 0");
  cols.replace(cols.find("tensor<16x1xf32>"), 16, "tensor<1x16xf32>");
  cols.replace(cols.find("tensor<16x1xf32>"), 16, "tensor<1x16xf32>");
  EXPECT_EQ(accs("%z", cols, "%d, %o"), "none\n");
  // The scaled value also yielded: not a fragment-only chain.
  EXPECT_EQ(accs("%z", rows, "%d, %m"), "none\n");
}

}  // namespace
}  // namespace tvk
