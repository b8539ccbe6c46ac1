// Canonicalizer tests: DCE keeps side effects, folds scalar constants, drops dead blocks.
#include "ir/canonicalize.h"

#include <gtest/gtest.h>

#include "ir/printer.h"
#include "ir/verifier.h"
#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::unique_ptr<Module> parse(const std::string& args, const std::string& body) {
  auto m = parser::parseTTIR(
      "module {\n  tt.func public @k(" + args + ") {\n" + body + "    tt.return\n  }\n}\n", "c");
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? std::move(m.value()) : nullptr;
}

int count(Module& m, const std::string& name) {
  int n = 0;
  walk(m, [&](Operation& o) { n += o.name == name; });
  return n;
}

TEST(Canonicalize, RemovesUnusedPureOpsKeepsEffects) {
  auto m = parse("%p: !tt.ptr<f32>, %x: f32",
                 "    %unused = arith.addf %x, %x : f32\n"
                 "    %chain = arith.mulf %unused, %x : f32\n"
                 "    %dead_load = tt.load %p : !tt.ptr<f32>\n"
                 "    %live = arith.addf %x, %x : f32\n"
                 "    tt.store %p, %live : !tt.ptr<f32>\n"
                 "    %true = arith.constant true\n"
                 "    %old = tt.atomic_rmw fadd, acq_rel, gpu, %p, %x, %true : (!tt.ptr<f32>, f32, i1) -> f32\n");
  ASSERT_TRUE(m);
  canonicalize(*m);
  EXPECT_EQ(count(*m, "arith.mulf"), 0);
  EXPECT_EQ(count(*m, "arith.addf"), 1);
  EXPECT_EQ(count(*m, "tt.load"), 0);
  EXPECT_EQ(count(*m, "tt.store"), 1);
  EXPECT_EQ(count(*m, "tt.atomic_rmw"), 1);  // unused result, but a side effect
  EXPECT_TRUE(verifyModule(*m).ok());
}

TEST(Canonicalize, FoldsScalarConstants) {
  auto m = parse("%p: !tt.ptr<i32>",
                 "    %a = arith.constant 1000 : i32\n"
                 "    %b = arith.constant 24 : i32\n"
                 "    %c = arith.addi %a, %b : i32\n"
                 "    %d = arith.muli %c, %b : i32\n"
                 "    %e = arith.constant 7 : i32\n"
                 "    %f = arith.divsi %d, %e : i32\n"
                 "    %lt = arith.cmpi slt, %f, %a : i32\n"
                 "    %g = arith.select %lt, %a, %f : i32\n"
                 "    tt.store %p, %g : !tt.ptr<i32>\n");
  ASSERT_TRUE(m);
  canonicalize(*m);
  EXPECT_EQ(count(*m, "arith.addi") + count(*m, "arith.muli") + count(*m, "arith.divsi") +
                count(*m, "arith.select") + count(*m, "arith.cmpi"),
            0);
  Operation* store = nullptr;
  walk(*m, [&](Operation& o) { if (o.name == "tt.store") store = &o; });
  ASSERT_TRUE(store);
  const Attribute* v = store->operand(1)->def->attr("value");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->i, (1000 + 24) * 24 / 7);  // 3510 is not < 1000, so select picks %f
  EXPECT_TRUE(verifyModule(*m).ok());
}

TEST(Canonicalize, FoldsWithWrapAround) {
  auto m = parse("%p: !tt.ptr<i8>",
                 "    %a = arith.constant 100 : i8\n"
                 "    %c = arith.addi %a, %a : i8\n"
                 "    tt.store %p, %c : !tt.ptr<i8>\n");
  ASSERT_TRUE(m);
  canonicalize(*m);
  Operation* store = nullptr;
  walk(*m, [&](Operation& o) { if (o.name == "tt.store") store = &o; });
  EXPECT_EQ(store->operand(1)->def->attr("value")->i, -56);
}

TEST(Canonicalize, DropsUnreachableBlocks) {
  auto m = parser::parseTTIR(
      "module {\n  tt.func private @f(%a: i32) -> i32 {\n    tt.return %a : i32\n"
      "  ^bb1:  // no predecessors\n    %0 = ub.poison : i32\n    tt.return %0 : i32\n  }\n}\n",
      "c");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->ops[0]->regions[0]->blocks.size(), 2u);
  canonicalize(**m);
  EXPECT_EQ((*m)->ops[0]->regions[0]->blocks.size(), 1u);
  EXPECT_EQ(count(**m, "ub.poison"), 0);
}

TEST(Canonicalize, KeepsBlocksReachedByBranches) {
  auto m = parser::parseTTIR(
      "module {\n  tt.func public @k(%p: !tt.ptr<i32>, %n: i32) {\n"
      "    %c = arith.cmpi sge, %n, %n : i32\n"
      "    cf.cond_br %c, ^bb1, ^bb2\n"
      "  ^bb1:\n    tt.return\n"
      "  ^bb2:\n    tt.store %p, %n : !tt.ptr<i32>\n    tt.return\n"
      "  ^bb3:\n    tt.return\n  }\n}\n",
      "c");
  ASSERT_TRUE(m.ok()) << m.status().message();
  canonicalize(**m);
  EXPECT_EQ((*m)->ops[0]->regions[0]->blocks.size(), 3u);  // ^bb3 is unreachable
  EXPECT_TRUE(verifyModule(**m).ok()) << verifyModule(**m).message();
}

}  // namespace
}  // namespace tvk::ir
