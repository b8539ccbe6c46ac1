// Early loads: a load independent of the ops before it moves up, with its address, to just
// after the previous load or memory write; loads feeding a dot, loads behind a store or an
// assert, and loads whose address needs a reduction stay.
#include "ir/early_loads.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ir/testing.h"
#include "ir/verifier.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::unique_ptr<Module> parse(const std::string& body) {
  return testing::parseKernel("%x: !tt.ptr<f32>, %w: !tt.ptr<f32>, %y: !tt.ptr<f32>", body);
}

// The op names of the kernel's body, in order.
std::vector<std::string> names(Module& m) {
  std::vector<std::string> out;
  for (const auto& op : m.kernel()->body().ops) out.push_back(op->name);
  return out;
}

// x loaded and summed into %s.
const std::string kLoadAndSum =
    "    %r = tt.make_range {end = 8 : i32, start = 0 : i32} : tensor<8xi32>\n"
    "    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
    "    %xp = tt.addptr %xs, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
    "    %a = tt.load %xp : tensor<8x!tt.ptr<f32>>\n"
    "    %s = \"tt.reduce\"(%a) <{axis = 0 : i32}> ({\n"
    "    ^bb0(%p: f32, %q: f32):\n"
    "      %t = arith.addf %p, %q : f32\n"
    "      tt.reduce.return %t : f32\n"
    "    }) : (tensor<8xf32>) -> f32\n";

const std::string kLayerNormLike = kLoadAndSum +
    "    %ss = tt.splat %s : f32 -> tensor<8xf32>\n"
    "    %d = arith.subf %a, %ss : tensor<8xf32>\n"
    "    %ws = tt.splat %w : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
    "    %wp = tt.addptr %ws, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
    "    %b = tt.load %wp : tensor<8x!tt.ptr<f32>>\n"
    "    %o = arith.mulf %d, %b : tensor<8xf32>\n"
    "    %ys = tt.splat %y : !tt.ptr<f32> -> tensor<8x!tt.ptr<f32>>\n"
    "    %yp = tt.addptr %ys, %r : tensor<8x!tt.ptr<f32>>, tensor<8xi32>\n"
    "    tt.store %yp, %o : tensor<8x!tt.ptr<f32>>\n";

TEST(EarlyLoads, AWeightLoadMovesAboveTheReduction) {
  auto m = parse(kLayerNormLike);
  ASSERT_TRUE(m);
  EXPECT_EQ(hoistLoads(*m), 1);
  EXPECT_TRUE(verifyModule(*m).ok());
  const std::vector<std::string> want{"tt.make_range", "tt.splat", "tt.addptr", "tt.load", "tt.splat",
                                      "tt.addptr", "tt.load", "tt.reduce", "tt.splat", "arith.subf",
                                      "arith.mulf", "tt.splat", "tt.addptr", "tt.store", "tt.return"};
  EXPECT_EQ(names(*m), want);
  EXPECT_EQ(hoistLoads(*m), 0);  // already as early as it can be
}

TEST(EarlyLoads, ALoadBehindAStoreOrWhoseAddressNeedsAReductionStays) {
  // The store before the weight load is a fence.
  std::string behindStore = kLayerNormLike;
  const std::string store = "    tt.store %xp, %a : tensor<8x!tt.ptr<f32>>\n";
  behindStore.insert(behindStore.find("    %ws = "), store);
  auto m = parse(behindStore);
  ASSERT_TRUE(m);
  EXPECT_EQ(hoistLoads(*m), 0);
  // An address computed from the reduced value.
  auto m2 = parse(kLoadAndSum +
      "    %i = arith.fptosi %s : f32 to i32\n"
      "    %wp = tt.addptr %w, %i : !tt.ptr<f32>, i32\n"
      "    %b = tt.load %wp : !tt.ptr<f32>\n"
      "    tt.store %y, %b : !tt.ptr<f32>\n");
  ASSERT_TRUE(m2);
  EXPECT_EQ(hoistLoads(*m2), 0);
}

}  // namespace
}  // namespace tvk::ir
