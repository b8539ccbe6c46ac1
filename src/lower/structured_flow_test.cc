// The structured control-flow helpers (lower/structured_flow.h) on a bare module: scopes open
// and close around every body, counted loops add their trips to the loop budget (nested
// loops multiply), a null condition runs the body inline, and errors from a body come back.
#include "lower/structured_flow.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tvk::lower {
namespace {

struct Fixture {
  spirv::ModuleBuilder b{0x00010300};
  LoopBudget budget{1000};
  std::vector<std::string> events;
  StructuredFlow flow{b, budget, [this]() { events.push_back("enter"); }, [this]() { events.push_back("exit"); }};
  Fixture() {
    Id v = b.typeVoid();
    b.beginFunction(b.newId(), v, b.typeFunction(v, {}));
  }
};

TEST(StructuredFlow, NullConditionRunsInline) {
  Fixture f;
  Id before = f.b.currentBlock();
  bool ran = false;
  ASSERT_TRUE(f.flow.ifThen(0, [&]() { ran = true; return Status(); }).ok());
  EXPECT_TRUE(ran);
  EXPECT_EQ(f.b.currentBlock(), before);  // no selection, no scope
  EXPECT_TRUE(f.events.empty());
}

TEST(StructuredFlow, SelectionOpensAScopeAndEndsInItsMerge) {
  Fixture f;
  Id before = f.b.currentBlock();
  Id cond = f.b.constBool(true);
  ASSERT_TRUE(f.flow.ifThen(cond, []() { return Status(); }).ok());
  EXPECT_NE(f.b.currentBlock(), before);
  EXPECT_EQ(f.events, (std::vector<std::string>{"enter", "exit"}));
}

TEST(StructuredFlow, BodyErrorsComeBackAndCloseTheScope) {
  Fixture f;
  Status s = f.flow.ifThen(f.b.constBool(true), []() { return Status::error("boom"); });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "boom");
  EXPECT_EQ(f.events, (std::vector<std::string>{"enter", "exit"}));
}

TEST(StructuredFlow, CountedLoopsFeedTheBudget) {
  Fixture f;
  ASSERT_TRUE(f.flow.counted(10, [&](Id) {
    return f.flow.counted(20, [](Id) { return Status(); });
  }).ok());
  // The outer loop makes 11 passes (10 trips and the exit test); the inner one 21 per outer trip.
  EXPECT_EQ(f.budget.total(), 11u + 10u * 21u);
  EXPECT_EQ(f.events.size(), 4u);
}

TEST(StructuredFlow, CarriedValuesComeOutAsPhis) {
  Fixture f;
  Id u = f.b.typeInt(32);
  auto r = f.flow.countedCarry(4, {u, u}, {f.b.u32(0), f.b.u32(1)},
                               [&](Id i, const std::vector<Id>& cur) -> Result<std::vector<Id>> {
                                 return std::vector<Id>{f.b.emit(spv::Op::OpIAdd, u, {cur[0], i}), cur[1]};
                               });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2u);
  EXPECT_NE((*r)[0], (*r)[1]);
}

TEST(StructuredFlow, AndCondTreatsZeroAsTrue) {
  Fixture f;
  Id t = f.b.constBool(true);
  EXPECT_EQ(f.flow.andCond(0, 0), 0u);
  EXPECT_EQ(f.flow.andCond(t, 0), t);
  EXPECT_EQ(f.flow.andCond(0, t), t);
  EXPECT_NE(f.flow.andCond(t, t), t);  // an OpLogicalAnd
}

}  // namespace
}  // namespace tvk::lower
