// Access bounds of small kernels (through inspectTTIR "access-bounds") and in the reflection.
#include "analysis/access_bounds.h"

#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "compiler/inspect.h"
#include "target/target.h"

namespace tvk {
namespace {

CompileOptions lavapipe() {
  CompileOptions o;
  o.target = *targetProfile("lavapipe");
  return o;
}

std::string bounds(const std::string& args, const std::string& body) {
  std::string ttir = "module {\n  tt.func public @k(" + args + ") {\n" + body + "    tt.return\n  }\n}\n";
  auto r = inspectTTIR(ttir, lavapipe(), "access-bounds");
  return r.ok() ? *r : "ERROR " + r.status().message();
}

// x[r[:, None] * 16 + c[None, :]] for a 4x8 tile, and y[15 - k + k] (correlated terms: an
// interval would say 30, the elements say 15).
TEST(AccessBounds, ConstantOffsetsAreEvaluatedExactly) {
  std::string out = bounds(
      "%x: !tt.ptr<f32>, %y: !tt.ptr<f16>",
      "    %r = tt.make_range {end = 4 : i32, start = 0 : i32} : tensor<4xi32>\n"
      "    %c = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
      "    %r1 = tt.expand_dims %r {axis = 1 : i32} : tensor<4xi32> -> tensor<4x1xi32>\n"
      "    %s = arith.constant dense<16> : tensor<4x1xi32>\n"
      "    %rs = arith.muli %r1, %s : tensor<4x1xi32>\n"
      "    %rb = tt.broadcast %rs : tensor<4x1xi32> -> tensor<4x8xi32>\n"
      "    %c1 = tt.expand_dims %c {axis = 0 : i32} : tensor<8xi32> -> tensor<1x8xi32>\n"
      "    %cb = tt.broadcast %c1 : tensor<1x8xi32> -> tensor<4x8xi32>\n"
      "    %o = arith.addi %rb, %cb : tensor<4x8xi32>\n"
      "    %xp = tt.splat %x : !tt.ptr<f32> -> tensor<4x8x!tt.ptr<f32>>\n"
      "    %xq = tt.addptr %xp, %o : tensor<4x8x!tt.ptr<f32>>, tensor<4x8xi32>\n"
      "    %v = tt.load %xq : tensor<4x8x!tt.ptr<f32>>\n"
      "    tt.store %xq, %v : tensor<4x8x!tt.ptr<f32>>\n"
      "    %k = tt.make_range {end = 16 : i32, start = 0 : i32} : tensor<16xi32>\n"
      "    %c15 = arith.constant dense<15> : tensor<16xi32>\n"
      "    %d = arith.subi %c15, %k : tensor<16xi32>\n"
      "    %e = arith.addi %d, %k : tensor<16xi32>\n"
      "    %yp = tt.splat %y : !tt.ptr<f16> -> tensor<16x!tt.ptr<f16>>\n"
      "    %yq = tt.addptr %yp, %e : tensor<16x!tt.ptr<f16>>, tensor<16xi32>\n"
      "    %w = arith.constant dense<1.0> : tensor<16xf16>\n"
      "    tt.store %yq, %w : tensor<16x!tt.ptr<f16>>\n"
      "    %t = tt.trans %o {order = array<i32: 1, 0>} : tensor<4x8xi32> -> tensor<8x4xi32>\n");
  EXPECT_EQ(out, "arg 0 %x: max index 55\narg 1 %y: max index 15\n");
}

TEST(AccessBounds, ScalarsBitcastsAndTransposes) {
  std::string out = bounds(
      "%x: !tt.ptr<i8>, %y: !tt.ptr<i32>",
      // A scalar load at x + 5, then x viewed as i32 at element 3: bytes 12..15 of x.
      "    %c5 = arith.constant 5 : i32\n"
      "    %p = tt.addptr %x, %c5 : !tt.ptr<i8>, i32\n"
      "    %v = tt.load %p : !tt.ptr<i8>\n"
      "    %x32 = tt.bitcast %x : !tt.ptr<i8> -> !tt.ptr<i32>\n"
      "    %c3 = arith.constant 3 : i32\n"
      "    %q = tt.addptr %x32, %c3 : !tt.ptr<i32>, i32\n"
      "    %w = tt.load %q : !tt.ptr<i32>\n"
      "    tt.store %p, %v : !tt.ptr<i8>\n"
      "    tt.store %q, %w : !tt.ptr<i32>\n"
      // y[trans(r[:, None] * 2 + c[None, :])]: offsets 0..7 (a 4x2 tile), transposed.
      "    %r = tt.make_range {end = 4 : i32, start = 0 : i32} : tensor<4xi32>\n"
      "    %c = tt.make_range {end = 2 : i32, start = 0 : i32} : tensor<2xi32>\n"
      "    %r1 = tt.expand_dims %r {axis = 1 : i32} : tensor<4xi32> -> tensor<4x1xi32>\n"
      "    %two = arith.constant dense<2> : tensor<4x1xi32>\n"
      "    %r2 = arith.muli %r1, %two : tensor<4x1xi32>\n"
      "    %rb = tt.broadcast %r2 : tensor<4x1xi32> -> tensor<4x2xi32>\n"
      "    %c1 = tt.expand_dims %c {axis = 0 : i32} : tensor<2xi32> -> tensor<1x2xi32>\n"
      "    %cb = tt.broadcast %c1 : tensor<1x2xi32> -> tensor<4x2xi32>\n"
      "    %o = arith.addi %rb, %cb : tensor<4x2xi32>\n"
      "    %t = tt.trans %o {order = array<i32: 1, 0>} : tensor<4x2xi32> -> tensor<2x4xi32>\n"
      "    %yp = tt.splat %y : !tt.ptr<i32> -> tensor<2x4x!tt.ptr<i32>>\n"
      "    %yq = tt.addptr %yp, %t : tensor<2x4x!tt.ptr<i32>>, tensor<2x4xi32>\n"
      "    %l = tt.load %yq : tensor<2x4x!tt.ptr<i32>>\n"
      "    %s = arith.addi %l, %t : tensor<2x4xi32>\n"
      "    tt.store %yq, %s : tensor<2x4x!tt.ptr<i32>>\n");
  EXPECT_EQ(out, "arg 0 %x: max index 15\narg 1 %y: max index 7\n");
}

TEST(AccessBounds, UnknownWhenNotProvableFromConstants) {
  const char* range =
      "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
      "    %p = tt.splat %x : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
      "    %q = tt.addptr %p, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n";
  struct Case {
    const char* what;
    std::string body;
  } cases[] = {
      {"masked", std::string(range) +
                     "    %m = arith.constant dense<true> : tensor<8xi1>\n"
                     "    %v = tt.load %q, %m : tensor<8x!tt.ptr<f32>>\n"
                     "    tt.store %y, %v : tensor<8x!tt.ptr<f32>>\n"},
      {"program id", std::string(range) +
                         "    %pid = tt.get_program_id x : i32\n"
                         "    %s = tt.splat %pid : i32 -> tensor<8xi32>\n"
                         "    %q2 = tt.addptr %q, %s : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
                         "    %v = tt.load %q2 : tensor<8x!tt.ptr<f32>>\n"
                         "    tt.store %y, %v : tensor<8x!tt.ptr<f32>>\n"},
      {"scalar argument", std::string(range) +
                              "    %s = tt.splat %n : i32 -> tensor<8xi32>\n"
                              "    %q2 = tt.addptr %q, %s : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
                              "    %v = tt.load %q2 : tensor<8x!tt.ptr<f32>>\n"
                              "    tt.store %y, %v : tensor<8x!tt.ptr<f32>>\n"},
      {"in a loop", std::string(range) +
                        "    %c0 = arith.constant 0 : i32\n"
                        "    %c1 = arith.constant 1 : i32\n"
                        "    scf.for %i = %c0 to %n step %c1  : i32 {\n"
                        "      %v = tt.load %q : tensor<8x!tt.ptr<f32>>\n"
                        "      tt.store %y, %v : tensor<8x!tt.ptr<f32>>\n"
                        "    }\n"},
      {"one known and one masked access", std::string(range) +
                                              "    %v = tt.load %q : tensor<8x!tt.ptr<f32>>\n"
                                              "    %m = arith.constant dense<false> : tensor<8xi1>\n"
                                              "    %w = tt.load %q, %m : tensor<8x!tt.ptr<f32>>\n"
                                              "    %s = arith.addf %v, %w : tensor<8xf32>\n"
                                              "    tt.store %y, %s : tensor<8x!tt.ptr<f32>>\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    // y is only ever a scalar-free tensor of one splatted pointer: its bound is known.
    std::string body = c.body;
    size_t at = body.find("tt.store %y, ");
    ASSERT_NE(at, std::string::npos);
    body.replace(at, std::string("tt.store %y, ").size(), "tt.store %ys, ");
    body = "    %ys = tt.splat %y : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n" + body;
    EXPECT_EQ(bounds("%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %n: i32", body),
              std::string("arg 0 %x: unknown\narg 1 %y: ") +
                  (std::string(c.what) == "in a loop" ? "unknown\n" : "max index 0\n"));
  }
}

TEST(AccessBounds, InTheReflection) {
  std::string ttir =
      "module {\n  tt.func public @k(%x: !tt.ptr<f32>, %u: !tt.ptr<f32>, %n: i32) {\n"
      "    %r = tt.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>\n"
      "    %p = tt.splat %x : !tt.ptr<f32> -> tensor<64x!tt.ptr<f32>>\n"
      "    %q = tt.addptr %p, %r : tensor<64x!tt.ptr<f32>>, tensor<64xi32>\n"
      "    %v = tt.load %q : tensor<64x!tt.ptr<f32>>\n"
      "    %w = arith.addf %v, %v : tensor<64xf32>\n"
      "    tt.store %q, %w : tensor<64x!tt.ptr<f32>>\n"
      "    tt.return\n  }\n}\n";
  auto k = compileTTIR(ttir, lavapipe());
  ASSERT_TRUE(k.ok()) << k.status().message();
  ASSERT_EQ(k->reflection.args.size(), 3u);
  EXPECT_EQ(k->reflection.args[0].maxElemIndex, 63);
  EXPECT_EQ(k->reflection.args[1].maxElemIndex, -1);  // never accessed
  EXPECT_EQ(k->reflection.args[2].maxElemIndex, -1);  // scalar
}

}  // namespace
}  // namespace tvk
