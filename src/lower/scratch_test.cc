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

}  // namespace
}  // namespace tvk::lower
