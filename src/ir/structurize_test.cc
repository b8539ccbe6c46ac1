// Structurizer tests: early returns (cf.cond_br / cf.br) become nested scf.if that verify and
// round-trip through the printer; loops built from branches and mixed exits are rejected.
#include "ir/structurize.h"

#include <gtest/gtest.h>

#include "ir/printer.h"
#include "ir/verifier.h"
#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::unique_ptr<Module> parse(const std::string& text) {
  auto m = parser::parseTTIR(text, "s");
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? std::move(m.value()) : nullptr;
}

int count(Module& m, const std::string& name) {
  int n = 0;
  walk(m, [&](Operation& o) { n += o.name == name; });
  return n;
}

// What Triton emits for `if x: (if c: store 0; return) else: store 1; return` after its
// canonicalizer: one conditional branch into a join block with an argument.
const char* kJoin = R"(module {
  tt.func public @k(%p: !tt.ptr<i32>, %o: !tt.ptr<i32>) {
    %c1 = arith.constant 1 : i32
    %c0 = arith.constant 0 : i32
    %x = tt.load %p : !tt.ptr<i32>
    %b = arith.cmpi ne, %x, %c0 : i32
    cf.cond_br %b, ^bb1(%c0 : i32), ^bb1(%c1 : i32)
  ^bb1(%v: i32):
    tt.store %o, %v : !tt.ptr<i32>
    tt.return
  }
}
)";

TEST(Structurize, JoinBlockCopiedIntoBothArms) {
  auto m = parse(kJoin);
  ASSERT_TRUE(m);
  ASSERT_TRUE(structurize(*m).ok());
  ASSERT_TRUE(verifyModule(*m).ok()) << verifyModule(*m).message();
  EXPECT_EQ(count(*m, "cf.cond_br"), 0);
  EXPECT_EQ(count(*m, "scf.if"), 1);
  EXPECT_EQ(count(*m, "tt.store"), 2);
  EXPECT_EQ(count(*m, "tt.return"), 1);
  // Each arm stores its own branch operand.
  Operation* ifOp = nullptr;
  walk(*m, [&](Operation& o) { if (o.name == "scf.if") ifOp = &o; });
  ASSERT_TRUE(ifOp);
  for (int arm = 0; arm < 2; ++arm) {
    const Operation& st = *ifOp->regions[arm]->blocks[0]->ops[0];
    ASSERT_EQ(st.name, "tt.store");
    EXPECT_EQ(st.operands[1]->name, arm ? "c1" : "c0");
  }
  // The printed form parses again to the same text.
  std::string text = printModule(*m);
  auto again = parse(text);
  ASSERT_TRUE(again);
  EXPECT_EQ(printModule(*again), text);
}

TEST(Structurize, ValuesReturnedThroughNestedIfs) {
  auto m = parse(R"(module {
  tt.func private @f(%x: i32, %y: i32) -> i32 {
    %lt = arith.cmpi slt, %x, %y : i32
    cf.cond_br %lt, ^bb2(%x : i32), ^bb1
  ^bb1:
    %eq = arith.cmpi eq, %x, %y : i32
    %s = arith.addi %x, %y : i32
    cf.cond_br %eq, ^bb2(%s : i32), ^bb3
  ^bb3:
    tt.return %y : i32
  ^bb2(%r: i32):
    tt.return %r : i32
  }
}
)");
  ASSERT_TRUE(m);
  ASSERT_TRUE(structurize(*m).ok());
  ASSERT_TRUE(verifyModule(*m).ok()) << verifyModule(*m).message();
  EXPECT_EQ(count(*m, "scf.if"), 2);
  EXPECT_EQ(count(*m, "tt.return"), 1);
  const Block& body = *m->ops[0]->regions[0]->blocks[0];
  ASSERT_EQ(body.terminator()->name, "tt.return");
  ASSERT_EQ(body.terminator()->operands.size(), 1u);
  EXPECT_EQ(body.terminator()->operands[0]->def->name, "scf.if");
}

TEST(Structurize, RejectsLoopsAndMixedExits) {
  auto loop = parse(R"(module {
  tt.func public @k(%b: i1) {
    cf.br ^bb1
  ^bb1:
    cf.cond_br %b, ^bb1, ^bb2
  ^bb2:
    tt.return
  }
}
)");
  ASSERT_TRUE(loop);
  Status st = structurize(*loop);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unsupported: cf.cond_br"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("loop"), std::string::npos) << st.message();
  // The rejected region is left as it was: its blocks and the function's arguments.
  EXPECT_EQ(loop->ops[0]->regions[0]->blocks.size(), 3u);
  EXPECT_NE(printModule(*loop).find("cf.cond_br %b"), std::string::npos);
}

}  // namespace
}  // namespace tvk::ir
