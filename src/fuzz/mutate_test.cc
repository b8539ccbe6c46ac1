#include "fuzz/mutate.h"

#include <gtest/gtest.h>

#include <set>

namespace tvk::fuzz {
namespace {

const char* kKernel =
    "module {\n"
    "  tt.func public @k(%p: !tt.ptr<f32>, %n: i32) {\n"
    "    %0 = tt.make_range {end = 16 : i32, start = 0 : i32} : tensor<16xi32>\n"
    "    %1 = tt.splat %p : !tt.ptr<f32> -> tensor<16x!tt.ptr<f32>>\n"
    "    %2 = tt.addptr %1, %0 : tensor<16x!tt.ptr<f32>>, tensor<16xi32>\n"
    "    %c = arith.constant 0x7F800000 : f32\n"
    "    %3 = tt.load %2 : tensor<16x!tt.ptr<f32>>\n"
    "    tt.store %2, %3 : tensor<16x!tt.ptr<f32>>\n"
    "    tt.return\n"
    "  }\n"
    "}\n";

TEST(Rng, IsDeterministic) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
  EXPECT_EQ(iterationSeed(1, 7), iterationSeed(1, 7));
  EXPECT_NE(iterationSeed(1, 7), iterationSeed(1, 8));
  EXPECT_NE(iterationSeed(1, 7), iterationSeed(2, 7));
  EXPECT_EQ(Rng(1).below(0), 0u);
}

TEST(Mutate, SameSeedSameOutput) {
  for (uint64_t it = 0; it < 50; ++it) {
    Rng a(iterationSeed(5, it)), b(iterationSeed(5, it));
    EXPECT_EQ(mutate(kKernel, kKernel, a), mutate(kKernel, kKernel, b));
  }
}

TEST(Mutate, EveryKindChangesTheKernelForSomeSeed) {
  for (int k = 0; k < static_cast<int>(Mutation::kCount); ++k) {
    Mutation m = static_cast<Mutation>(k);
    bool changed = false;
    for (uint64_t s = 0; s < 64 && !changed; ++s) {
      Rng r(s);
      changed = mutateOnce(kKernel, "  %9 = arith.addi %n, %n : i32\n", r, m) != kKernel;
    }
    EXPECT_TRUE(changed) << mutationName(m);
  }
}

TEST(Mutate, IntTokenUsesBoundaryValues) {
  std::set<std::string> seen;
  for (uint64_t s = 0; s < 400; ++s) {
    Rng r(s);
    std::string out = mutateOnce("%0 = arith.constant 5 : i32", "", r, Mutation::IntToken);
    seen.insert(out);
  }
  EXPECT_TRUE(seen.count("%0 = arith.constant 2147483648 : i32"));
  EXPECT_TRUE(seen.count("%0 = arith.constant 99999999999999999999999999999999 : i32"));
  EXPECT_TRUE(seen.count("%0 = arith.constant 5 : i2147483648"));  // the type's width
}

TEST(Mutate, DropOperandRemovesOneOperand) {
  std::set<std::string> seen;
  for (uint64_t s = 0; s < 100; ++s) {
    Rng r(s);
    seen.insert(mutateOnce("%y = arith.addf %a, %b : f32", "", r, Mutation::DropOperand));
  }
  EXPECT_TRUE(seen.count("%y = arith.addf %b : f32"));
  EXPECT_TRUE(seen.count("%y = arith.addf %a : f32"));
}

TEST(Mutate, TypeNameSwapsWholeTypeWords) {
  for (uint64_t s = 0; s < 100; ++s) {
    Rng r(s);
    std::string out = mutateOnce("%y = arith.addi %a, %b : tensor<4xi32>", "", r, Mutation::TypeName);
    EXPECT_EQ(out.rfind("%y = arith.addi %a, %b : tensor<4x", 0), 0u) << out;
  }
}

TEST(Mutate, EmptyInputStaysEmpty) {
  for (int k = 0; k < static_cast<int>(Mutation::kCount); ++k) {
    Rng r(1);
    EXPECT_EQ(mutateOnce("", "", r, static_cast<Mutation>(k)), "") << mutationName(static_cast<Mutation>(k));
  }
}

}  // namespace
}  // namespace tvk::fuzz
