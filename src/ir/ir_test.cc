// IR helper tests: type and attribute spelling, locations, walk.
#include "ir/ir.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

TEST(Ir, TypeSpelling) {
  EXPECT_EQ(Type::i(32).str(), "i32");
  EXPECT_EQ(Type::f("bf16").bits, 16);
  EXPECT_EQ(Type::f("f8E4M3FN").bits, 8);
  EXPECT_EQ(Type::ptr(Type::f("f32")).str(), "!tt.ptr<f32>");
  EXPECT_EQ(Type::ptr(Type::f("f32"), 3).str(), "!tt.ptr<f32, 3>");
  Type t = Type::tensor({64, 32}, Type::ptr(Type::f("f16")));
  EXPECT_EQ(t.str(), "tensor<64x32x!tt.ptr<f16>>");
  EXPECT_EQ(t.numel(), 2048);
  EXPECT_EQ(t.rank(), 2);
  EXPECT_TRUE(t.scalar().isPtr());
  EXPECT_EQ(Type::tensor({}, Type::f("f32")).str(), "tensor<f32>");
  EXPECT_EQ(t, Type::tensor({64, 32}, Type::ptr(Type::f("f16"))));
  EXPECT_NE(t, Type::tensor({64, 32}, Type::ptr(Type::f("f32"))));
  EXPECT_NE(Type::i(32), Type::f("f32"));
}

TEST(Ir, AttributeSpelling) {
  EXPECT_EQ(Attribute::integer(16, Type::i(32)).str(), "16 : i32");
  EXPECT_EQ(Attribute::keyword("slt").str(), "slt");
  Attribute arr;
  arr.kind = Attribute::Kind::Array;
  arr.denseArray = true;
  arr.type = Type::i(32);
  arr.elems = {Attribute::integer(1, Type()), Attribute::integer(0, Type())};
  EXPECT_EQ(arr.str(), "array<i32: 1, 0>");
  Attribute f;
  f.kind = Attribute::Kind::Float;
  f.f = 1.0;
  f.type = Type::f("f32");
  EXPECT_EQ(f.str(), "1.000000e+00 : f32");
  Attribute inf = f;
  inf.f = -INFINITY;
  EXPECT_EQ(inf.str(), "0xFF800000 : f32");
  Attribute d;
  d.kind = Attribute::Kind::Dense;
  d.type = Type::tensor({4}, Type::f("f32"));
  Attribute e = f;
  e.f = 0.5;
  d.elems = {e};
  EXPECT_TRUE(d.isSplat());
  EXPECT_EQ(d.str(), "dense<5.000000e-01> : tensor<4xf32>");
}

TEST(Ir, LocationSpelling) {
  Location callee;
  callee.file = "standard.py";
  callee.line = 181;
  callee.col = 58;
  Location user;
  user.file = "kernels.py";
  user.line = 119;
  user.col = 38;
  user.name = "m";
  callee.caller = std::make_shared<const Location>(user);
  EXPECT_EQ(callee.userStr(), "kernels.py:119");
  EXPECT_EQ(callee.mlir(), "loc(callsite(\"standard.py\":181:58 at \"m\"(\"kernels.py\":119:38)))");
  EXPECT_EQ(Location().userStr(), "unknown");
  EXPECT_EQ(Location().mlir(), "loc(unknown)");
}

TEST(Ir, WalkVisitsNestedOpsInOrder) {
  auto m = parser::parseTTIR(
      "module {\n tt.func public @k(%n: i32) {\n  %c0 = arith.constant 0 : i32\n"
      "  scf.for %i = %c0 to %n step %n  : i32 {\n   gpu.barrier\n  }\n  tt.return\n }\n}\n",
      "w");
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<std::string> names;
  walk(**m, [&](Operation& o) { names.push_back(o.name); });
  std::vector<std::string> want = {"tt.func", "arith.constant", "scf.for", "gpu.barrier",
                                   "scf.yield", "tt.return"};
  EXPECT_EQ(names, want);
  Operation* k = (*m)->kernel();
  ASSERT_TRUE(k);
  EXPECT_EQ(funcName(*k), "k");
  EXPECT_EQ(usesOf(k->body().arg(0), *k).size(), 2u);  // ub and step
}

}  // namespace
}  // namespace tvk::ir
