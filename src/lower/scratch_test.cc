// The shared-memory scratch (lower/scratch.h) on a bare module: the array is made on the first
// store with the plan's size, a load before any store is an internal error, 64-bit values take
// two words, and allocation bases come from the plan (an op without one is an error).
#include "lower/scratch.h"

#include <gtest/gtest.h>

#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::lower {
namespace {

// Counts words with opcode `op` in a module.
int countOps(const std::vector<uint32_t>& w, spv::Op op) {
  int n = 0;
  for (size_t i = 5; i < w.size() && (w[i] >> 16); i += w[i] >> 16) n += (w[i] & 0xffff) == static_cast<uint32_t>(op);
  return n;
}

struct Fixture {
  analysis::SmemPlan plan;
  spirv::ModuleBuilder b{0x00010300};
  Fixture() {
    plan.totalBytes = 40;
    Id v = b.typeVoid();
    b.beginFunction(b.newId(), v, b.typeFunction(v, {}));
  }
};

TEST(Scratch, LoadBeforeAnyStoreIsAnError) {
  Fixture f;
  Scratch s(f.b, f.plan);
  auto r = s.load(f.b.u32(0), f.b.typeInt(32));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("before any write"), std::string::npos);
}

TEST(Scratch, SixtyFourBitValuesTakeTwoWords) {
  Fixture f;
  Scratch s(f.b, f.plan);
  Id u64 = f.b.typeInt(64);
  ASSERT_TRUE(s.store(f.b.u32(2), u64, f.b.constInt(u64, 5)).ok());
  auto r = s.load(f.b.u32(2), u64);
  ASSERT_TRUE(r.ok());
  f.b.emitVoid(spv::Op::OpReturn, {});
  f.b.endFunction();
  const std::vector<uint32_t> w = f.b.finish();
  EXPECT_EQ(countOps(w, spv::Op::OpStore), 2);
  EXPECT_EQ(countOps(w, spv::Op::OpLoad), 2);
  EXPECT_EQ(countOps(w, spv::Op::OpTypeArray), 1);  // one array of ceil(40 / 4) words
}

TEST(Scratch, BasesComeFromThePlan) {
  Fixture f;
  auto m = parser::parseTTIR("module {\n  tt.func public @k() {\n    tt.return\n  }\n}\n", "t.ttir");
  ASSERT_TRUE(m.ok()) << m.status().message();
  const ir::Operation* ret = nullptr;
  ir::walk(*(*m)->kernel(), [&](const ir::Operation& op) {
    if (op.name == "tt.return") ret = &op;
  });
  ASSERT_NE(ret, nullptr);
  Scratch s(f.b, f.plan);
  EXPECT_FALSE(s.base(*ret).ok());
  f.plan.allocs[ret].offset = 64;
  auto base = s.base(*ret);
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(*base, 16u);  // bytes / 4
}


// Loop-head barriers: a loop body whose first scratch event is a barrier before a staging of
// region K (words 0-3) drops that barrier when the iteration ends, in its last barrier's block,
// with accesses apart from K (V, words 4-7); else the barrier before the loop goes. `last`: the
// region the iteration touches after its last barrier; `extra`: a region the head barrier's
// window touches besides K; `branch`: the body ends in another block than its last barrier.
size_t loopHeadDrop(Scratch::Region last, Scratch::Region extra, bool branch, size_t& pre, size_t& head) {
  Fixture f;
  f.plan.totalBytes = 64;
  Scratch s(f.b, f.plan);
  spirv::ModuleBuilder& b = f.b;
  const Scratch::Region K{0, 16}, V{16, 32};
  Id entry = b.newId();
  b.startBlock(entry);
  s.functionEntry(entry);
  auto barrier = [&] {
    s.atBarrier();
    b.emitVoid(spv::Op::OpControlBarrier, {b.u32(2), b.u32(2), b.u32(0x108)});
  };
  auto access = [&](Scratch::Region r) {
    s.declareRegion(r);
    EXPECT_TRUE(s.store(b.u32(r.first / 4), b.typeInt(32), b.u32(1)).ok());
  };
  access(K);  // before the loop (the barrier before it separates this)
  pre = b.bodyWords();
  barrier();
  Id header = b.newId(), body = b.newId(), cont = b.newId(), merge = b.newId();
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(header);
  b.emitVoid(spv::Op::OpLoopMerge, {merge, cont, 0});
  b.emitVoid(spv::Op::OpBranch, {body});
  b.startBlock(body);
  s.beginLoopBody(body, b.loopDepth(), pre);
  EXPECT_TRUE(s.loopHeadOpen());
  head = b.bodyWords();
  EXPECT_TRUE(s.barrierNeeded(K));  // a new block: needed as far as the record knows
  barrier();
  s.loopHeadBarrier(head, K);
  access(K);
  if (extra.second) access(extra);
  barrier();  // the window ends
  access(V);
  barrier();
  access(last);
  if (branch) {
    Id next = b.newId();
    b.emitVoid(spv::Op::OpBranch, {next});
    b.startBlock(next);
  }
  return s.endLoopBody(true);
}

TEST(Scratch, LoopHeadBarrierGoesWhenTheIterationEndsApartFromItsStaging) {
  size_t pre = 0, head = 0;
  EXPECT_EQ(loopHeadDrop({16, 32}, {0, 0}, false, pre, head), head);  // ends with V's loads
  EXPECT_EQ(loopHeadDrop({8, 24}, {0, 0}, false, pre, head), pre);    // ends touching K
  EXPECT_EQ(loopHeadDrop({16, 32}, {16, 32}, false, pre, head), pre);  // the window touched V too
  EXPECT_EQ(loopHeadDrop({16, 32}, {0, 0}, true, pre, head), pre);    // not exactly known at the end
  EXPECT_NE(pre, head);
}

}  // namespace
}  // namespace tvk::lower
