// tt.dot through cooperative matrices, without a device: the conformance dots compiled for the
// nvidia-hopper profile use OpCooperativeMatrixMulAddKHR under the Vulkan memory model and
// pass this build's spirv-val; lavapipe (no shapes) and f32 dots keep the FMA path.
#include <gtest/gtest.h>

#include <memory>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "compiler/compiler.h"

namespace tvk {
namespace {

namespace fs = std::filesystem;
const fs::path kCases = fs::path(TVK_SOURCE_DIR) / "tests" / "conformance" / "cases";
const fs::path kLowerCases = fs::path(TVK_SOURCE_DIR) / "src" / "lower" / "testdata";

// Counts of the opcodes of interest in a module.
struct OpCounts {
  int mulAdd = 0, coopCap = 0, vulkanModel = 0;
  int accPhis = 0;  // OpPhi of a cooperative-matrix accumulator type
  int vec4Loads = 0, shuffles = 0;  // OpLoad of a 4 x uint32 vector, OpGroupNonUniformShuffleXor
  int accMuls = 0;  // OpFMul of a cooperative-matrix accumulator type (row scaling)
  int vec4Phis = 0;  // OpPhi of a 4 x uint32 vector (loaded runs carried by a loop)
  int reduceRows = 0, perElement = 0;  // OpCooperativeMatrixReduceNV, ...PerElementOpNV
};

OpCounts count(const std::vector<uint32_t>& w) {
  OpCounts c;
  std::vector<uint32_t> accTypes;
  std::map<uint32_t, uint32_t> consts;  // OpConstant result id -> first value word
  std::vector<uint32_t> uvec4;           // OpTypeVector of 4 32-bit unsigned ints
  std::vector<uint32_t> uint32s;
  for (size_t i = 5; i < w.size() && (w[i] >> 16); i += w[i] >> 16) {
    uint32_t op = w[i] & 0xffff;
    if (op == 21 && w[i + 2] == 32 && w[i + 3] == 0) uint32s.push_back(w[i + 1]);  // OpTypeInt 32 0
    if (op == 23 && w[i + 3] == 4 && std::count(uint32s.begin(), uint32s.end(), w[i + 2]))
      uvec4.push_back(w[i + 1]);  // OpTypeVector uint 4
    if (op == 61 && std::count(uvec4.begin(), uvec4.end(), w[i + 1])) ++c.vec4Loads;
    if (op == 245 && std::count(uvec4.begin(), uvec4.end(), w[i + 1])) ++c.vec4Phis;
    if (op == 346) ++c.shuffles;
    if (op == 43 && (w[i] >> 16) >= 4) consts[w[i + 2]] = w[i + 3];
    // OpTypeCooperativeMatrixKHR result, component, scope, rows, cols, use (constant ids).
    if (op == 4456 && consts.count(w[i + 6]) && consts[w[i + 6]] == 2) accTypes.push_back(w[i + 1]);
    if (op == 245 && std::find(accTypes.begin(), accTypes.end(), w[i + 1]) != accTypes.end())
      ++c.accPhis;
    if (op == 133 && std::find(accTypes.begin(), accTypes.end(), w[i + 1]) != accTypes.end())
      ++c.accMuls;                                  // OpFMul
    if (op == 4459) ++c.mulAdd;                     // OpCooperativeMatrixMulAddKHR
    if (op == 5366) ++c.reduceRows;                 // OpCooperativeMatrixReduceNV
    if (op == 5369) ++c.perElement;                 // OpCooperativeMatrixPerElementOpNV
    if (op == 17 && w[i + 1] == 6022) ++c.coopCap;  // OpCapability CooperativeMatrixKHR
    if (op == 14 && w[i + 2] == 3) ++c.vulkanModel; // OpMemoryModel _ Vulkan
  }
  return c;
}

Result<CompiledKernel> compileCase(const std::string& cs, const std::string& profile,
                                   const fs::path& dir = kCases) {
  std::ifstream f(dir / cs / "kernel.ttir");
  std::stringstream ss;
  ss << f.rdbuf();
  std::ifstream jf(dir / cs / "case.json");
  nlohmann::json j = nlohmann::json::parse(jf);
  CompileOptions o;
  auto t = targetProfile(profile);
  if (!t.ok()) return t.status();
  o.target = *t;
  o.numWarps = j.value("num_warps", 4);
  o.fileName = "kernel.ttir";
  return compileTTIR(ss.str(), o);  // validates with spirv-val (o.validate)
}

#ifdef TVK_HAVE_COOPMAT
TEST(DotCoopMat, HopperDotsUseCooperativeMatrices) {
  for (const char* cs : {"matmul_f16", "blockptr_matmul", "attention", "dot_i8"}) {
    SCOPED_TRACE(cs);
    auto k = compileCase(cs, "nvidia-hopper");
    ASSERT_TRUE(k.ok()) << k.status().message();
    OpCounts c = count(k->spirv);
    EXPECT_GT(c.mulAdd, 0);
    EXPECT_EQ(c.coopCap, 1);
    EXPECT_EQ(c.vulkanModel, 1);
    const auto& f = k->reflection.features;
    EXPECT_NE(std::find(f.begin(), f.end(), "cooperativeMatrix"), f.end());
  }
}
// Direct operands (analysis/dot_operands.h): the block-pointer matmul's and dot_i8's A and B
// are loaded by their dot in 16-byte runs (no element shuffles); matmul_f16's K (72, not a
// known multiple of 16) leaves its mask without 8-element runs, so it stages from registers.
TEST(DotCoopMat, AlignedOperandLoadsAreDirect) {
  for (const char* cs : {"blockptr_matmul", "dot_i8"}) {
    SCOPED_TRACE(cs);
    auto k = compileCase(cs, "nvidia-hopper");
    ASSERT_TRUE(k.ok()) << k.status().message();
    OpCounts c = count(k->spirv);
    EXPECT_GT(c.vec4Loads, 0);
    EXPECT_EQ(c.shuffles, 0);
  }
  auto k = compileCase("matmul_f16", "nvidia-hopper");
  ASSERT_TRUE(k.ok()) << k.status().message();
  OpCounts c = count(k->spirv);
  EXPECT_EQ(c.vec4Loads, 0);
  EXPECT_GT(c.shuffles, 0);
}

// Attention's V (a direct operand of the second dot, not a matmul K loop) is carried across the
// key loop (analysis/dot_prefetch.h planCarriedLoads): its runs are loaded before the loop and,
// in each iteration, for the next one, and the loop carries them as phis. TVK_CARRY_LOADS=0
// loads them where they are staged.
TEST(DotCoopMat, AttentionCarriesItsDirectLoadsAcrossIterations) {
  auto on = compileCase("attention", "nvidia-hopper");
  ASSERT_TRUE(on.ok()) << on.status().message();
  setenv("TVK_CARRY_LOADS", "0", 1);
  auto off = compileCase("attention", "nvidia-hopper");
  unsetenv("TVK_CARRY_LOADS");
  ASSERT_TRUE(off.ok()) << off.status().message();
  // One more set of V's 16-byte loads (before the loop), and the header's phis for them.
  const OpCounts a = count(on->spirv), b = count(off->spirv);
  EXPECT_GT(b.vec4Loads, 0);
  EXPECT_EQ(a.vec4Loads - b.vec4Loads, 4);  // 64 x 64 f16 in 16-byte runs over 128 invocations
  EXPECT_GT(a.vec4Phis, b.vec4Phis);
  // Matmul K loops are not carried: their SPIR-V does not depend on the switch.
  for (const char* cs : {"matmul_f16", "blockptr_matmul", "dot_i8"}) {
    SCOPED_TRACE(cs);
    auto k = compileCase(cs, "nvidia-hopper");
    setenv("TVK_CARRY_LOADS", "0", 1);
    auto k0 = compileCase(cs, "nvidia-hopper");
    unsetenv("TVK_CARRY_LOADS");
    ASSERT_TRUE(k.ok() && k0.ok());
    EXPECT_EQ(k->spirv, k0->spirv);
  }
}

// The SPIR-V does not depend on where the compiler's objects were allocated: the run addresses
// a pipelined dot hoists before its loop (coopHoistRuns) follow program order, not the address
// order of the plans' maps. The block-pointer matmul with pointer inductions (two hoisted
// operands, one of them from ops the rewrite allocated) compiled with the heap in other states.
TEST(DotCoopMat, SpirvDoesNotDependOnAllocationAddresses) {
  setenv("TVK_POINTER_INDUCTIONS", "1", 1);
  std::vector<std::vector<std::unique_ptr<char[]>>> junk;
  std::vector<std::vector<uint32_t>> out;
  for (int i = 0; i < 6; ++i) {
    junk.emplace_back();
    for (int j = 0; j < 100; ++j) junk.back().push_back(std::make_unique<char[]>(64 * (i + 1) + j));
    auto k = compileCase("blockptr_matmul", "nvidia-hopper");
    ASSERT_TRUE(k.ok()) << k.status().message();
    out.push_back(k->spirv);
    if (i % 2) junk.erase(junk.begin());
  }
  unsetenv("TVK_POINTER_INDUCTIONS");
  for (size_t i = 1; i < out.size(); ++i) EXPECT_EQ(out[i], out[0]) << "compile " << i;
}

// Attention's softmax on the score fragments (lower/fragment_rows.h: row reductions and
// per-element functions of SPV_NV_cooperative_matrix2) leaves out the scores' exchange and the
// row-scale table, and the module still validates. By default only where the two accumulators
// fit Target::fragmentRowsWords; TVK_FRAGMENT_ROWS=1 regardless of it, =0 never; never on
// targets without the row operations.
Result<CompiledKernel> compileFile(const fs::path& file, const Target& t, int numWarps) {
  std::ifstream f(file);
  std::stringstream ss;
  ss << f.rdbuf();
  CompileOptions o;
  o.target = t;
  o.numWarps = numWarps;
  o.fileName = file.filename().string();
  return compileTTIR(ss.str(), o);  // validates with spirv-val (o.validate)
}

TEST(DotCoopMat, AttentionSoftmaxOnTheScoreFragments) {
  // tensorcore.py's attention at head dim 64 (the golden test's kernel).
  const fs::path attention = fs::path(TVK_SOURCE_DIR) / "tests" / "golden" / "attention_fragment_rows.ttir";
  auto t = targetProfile("nvidia-hopper");
  ASSERT_TRUE(t.ok());
  setenv("TVK_FRAGMENT_ROWS", "1", 1);
  auto on = compileFile(attention, *t, 4);
  Target without = *t;
  without.coopMatRowOps = false;
  auto plain = compileFile(attention, without, 4);  // no row operations: the blocked layout
  unsetenv("TVK_FRAGMENT_ROWS");
  ASSERT_TRUE(on.ok()) << on.status().message();
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  // By default: 32 rows a subgroup x (64 + 64) columns / 32 lanes = 128 words, over the
  // profile's 96, so the blocked layout; with a budget of 128 the fragment softmax.
  ASSERT_EQ(t->fragmentRowsWords, 96u);
  auto off = compileFile(attention, *t, 4);
  ASSERT_TRUE(off.ok()) << off.status().message();
  EXPECT_EQ(plain->spirv, off->spirv);
  Target roomy = *t;
  roomy.fragmentRowsWords = 128;
  auto fits = compileFile(attention, roomy, 4);
  ASSERT_TRUE(fits.ok()) << fits.status().message();
  EXPECT_EQ(fits->spirv, on->spirv);
  setenv("TVK_FRAGMENT_ROWS", "0", 1);
  auto never = compileFile(attention, roomy, 4);
  unsetenv("TVK_FRAGMENT_ROWS");
  ASSERT_TRUE(never.ok()) << never.status().message();
  EXPECT_EQ(never->spirv, plain->spirv);
  const OpCounts a = count(on->spirv), b = count(off->spirv);
  EXPECT_GT(a.reduceRows, 0);
  EXPECT_GT(a.perElement, 0);
  EXPECT_EQ(b.reduceRows, 0);
  EXPECT_EQ(b.perElement, 0);
  const auto& f = on->reflection.features;
  EXPECT_NE(std::find(f.begin(), f.end(), "cooperativeMatrixRowOps"), f.end());
  // The same kernel in bf16 (P rounded to bf16 in integer code, then converted to bf16 A
  // fragments).
  {
    std::ifstream f(attention);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string text = ss.str();
    for (const std::string from : {"xf16>", "<f16>"}) {
      const std::string to = from == "xf16>" ? "xbf16>" : "<bf16>";
      for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    }
    CompileOptions o;
    o.target = *t;
    o.numWarps = 4;
    setenv("TVK_FRAGMENT_ROWS", "1", 1);
    auto bf = compileTTIR(text, o);
    unsetenv("TVK_FRAGMENT_ROWS");
    ASSERT_TRUE(bf.ok()) << bf.status().message();
    EXPECT_GT(count(bf->spirv).reduceRows, 0);
  }
  // The conformance attention masks its key tail with a select whose condition a per-element
  // function recomputes from the element's coordinates (the loop's key offset passed in).
  setenv("TVK_FRAGMENT_ROWS", "1", 1);
  auto masked = compileCase("attention", "nvidia-hopper");
  unsetenv("TVK_FRAGMENT_ROWS");
  ASSERT_TRUE(masked.ok()) << masked.status().message();
  EXPECT_GT(count(masked->spirv).reduceRows, 0);
}

// A bf16 x bf16 -> f32 dot takes the bf16 shape (SPV_KHR_bfloat16) with direct operands.
TEST(DotCoopMat, BFloat16DotsUseBFloat16Matrices) {
  const char* ttir = R"(module {
  tt.func public @k(%a: !tt.ptr<bf16> {tt.divisibility = 16 : i32}, %b: !tt.ptr<bf16> {tt.divisibility = 16 : i32}, %c: !tt.ptr<f32> {tt.divisibility = 16 : i32}) {
    %r64 = tt.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>
    %r32 = tt.make_range {end = 32 : i32, start = 0 : i32} : tensor<32xi32>
    %c32 = arith.constant dense<32> : tensor<64x1xi32>
    %c64 = arith.constant dense<64> : tensor<32x1xi32>
    %c64b = arith.constant dense<64> : tensor<64x1xi32>
    %am = tt.expand_dims %r64 {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
    %am2 = arith.muli %am, %c32 : tensor<64x1xi32>
    %am3 = tt.broadcast %am2 : tensor<64x1xi32> -> tensor<64x32xi32>
    %ak = tt.expand_dims %r32 {axis = 0 : i32} : tensor<32xi32> -> tensor<1x32xi32>
    %ak3 = tt.broadcast %ak : tensor<1x32xi32> -> tensor<64x32xi32>
    %aoff = arith.addi %am3, %ak3 : tensor<64x32xi32>
    %ap = tt.splat %a : !tt.ptr<bf16> -> tensor<64x32x!tt.ptr<bf16>>
    %ap2 = tt.addptr %ap, %aoff : tensor<64x32x!tt.ptr<bf16>>, tensor<64x32xi32>
    %av = tt.load %ap2 : tensor<64x32x!tt.ptr<bf16>>
    %bk = tt.expand_dims %r32 {axis = 1 : i32} : tensor<32xi32> -> tensor<32x1xi32>
    %bk2 = arith.muli %bk, %c64 : tensor<32x1xi32>
    %bk3 = tt.broadcast %bk2 : tensor<32x1xi32> -> tensor<32x64xi32>
    %bn = tt.expand_dims %r64 {axis = 0 : i32} : tensor<64xi32> -> tensor<1x64xi32>
    %bn3 = tt.broadcast %bn : tensor<1x64xi32> -> tensor<32x64xi32>
    %boff = arith.addi %bk3, %bn3 : tensor<32x64xi32>
    %bp = tt.splat %b : !tt.ptr<bf16> -> tensor<32x64x!tt.ptr<bf16>>
    %bp2 = tt.addptr %bp, %boff : tensor<32x64x!tt.ptr<bf16>>, tensor<32x64xi32>
    %bv = tt.load %bp2 : tensor<32x64x!tt.ptr<bf16>>
    %acc = arith.constant dense<0.000000e+00> : tensor<64x64xf32>
    %d = tt.dot %av, %bv, %acc, inputPrecision = tf32 : tensor<64x32xbf16> * tensor<32x64xbf16> -> tensor<64x64xf32>
    %cm = arith.muli %am, %c64b : tensor<64x1xi32>
    %cm3 = tt.broadcast %cm : tensor<64x1xi32> -> tensor<64x64xi32>
    %cn3 = tt.broadcast %bn : tensor<1x64xi32> -> tensor<64x64xi32>
    %coff = arith.addi %cm3, %cn3 : tensor<64x64xi32>
    %cp = tt.splat %c : !tt.ptr<f32> -> tensor<64x64x!tt.ptr<f32>>
    %cp2 = tt.addptr %cp, %coff : tensor<64x64x!tt.ptr<f32>>, tensor<64x64xi32>
    tt.store %cp2, %d : tensor<64x64x!tt.ptr<f32>>
    tt.return
  }
}
)";
  CompileOptions o;
  o.target = *targetProfile("nvidia-hopper");
  auto k = compileTTIR(ttir, o);  // spirv-val included
  ASSERT_TRUE(k.ok()) << k.status().message();
  OpCounts c = count(k->spirv);
  EXPECT_GT(c.mulAdd, 0);
  EXPECT_GT(c.vec4Loads, 0);
  const auto& f = k->reflection.features;
  EXPECT_NE(std::find(f.begin(), f.end(), "bfloat16CooperativeMatrix"), f.end());
  // Without a bf16 shape the same dot takes the FMA path.
  o.target.coopMatShapes.pop_back();
  ASSERT_EQ(o.target.coopMatShapes.size(), 10u);
  auto fma = compileTTIR(ttir, o);
  ASSERT_TRUE(fma.ok()) << fma.status().message();
  EXPECT_EQ(count(fma->spirv).mulAdd, 0);
}

// Loop accumulators (analysis/loop_accumulators.h) stay in fragments across the scf.for:
// one accumulator phi per fragment in each K-step loop (one MulAdd per fragment there) plus
// one per fragment in the scf.for header; other dots carry none through their loops.
// Attention's accumulator, scaled by rows each iteration, stays in fragments too
// (coopScaleRows): the scf.for carries its fragments, while the K steps of its dot with the
// held Q operand are unrolled (no phis).
TEST(DotCoopMat, LoopAccumulatorsStayInFragments) {
  {
    auto k = compileCase("attention", "nvidia-hopper");
    ASSERT_TRUE(k.ok()) << k.status().message();
    OpCounts c = count(k->spirv);
    EXPECT_GT(c.mulAdd, 0);
    EXPECT_GT(c.accPhis, 0);
    EXPECT_GT(c.accMuls, 0);
  }
  for (const char* cs : {"matmul_f16", "blockptr_matmul"}) {
    SCOPED_TRACE(cs);
    auto k = compileCase(cs, "nvidia-hopper");
    ASSERT_TRUE(k.ok()) << k.status().message();
    OpCounts c = count(k->spirv);
    EXPECT_GT(c.mulAdd, 0);
    EXPECT_GT(c.accPhis, c.mulAdd);
  }
  for (const char* cs : {"dot_i8"}) {
    SCOPED_TRACE(cs);
    auto k = compileCase(cs, "nvidia-hopper");
    ASSERT_TRUE(k.ok()) << k.status().message();
    OpCounts c = count(k->spirv);
    EXPECT_EQ(c.accPhis, c.mulAdd);
    EXPECT_EQ(c.accMuls, 0);
  }
}
#endif

TEST(DotCoopMat, FmaWhereNoShapeMatches) {
  for (const char* cs : {"matmul_f16", "dot_i8"}) {
    SCOPED_TRACE(cs);
    auto k = compileCase(cs, "lavapipe");
    ASSERT_TRUE(k.ok()) << k.status().message();
    OpCounts c = count(k->spirv);
    EXPECT_EQ(c.mulAdd, 0);
    EXPECT_EQ(c.vulkanModel, 0);
  }
}

// f32 dots at tf32 (Triton's default) take bf16 matrices, split into hi and lo planes: four
// products per step; at ieee they stay exact on the FMA path.
TEST(DotCoopMat, Tf32DotsSplitIntoBFloat16) {
  auto k = compileCase("matmul_f32", "nvidia-hopper");  // inputPrecision = tf32
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(count(k->spirv).mulAdd, 4);
  std::ifstream f(kCases / "matmul_f32" / "kernel.ttir");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string ttir = ss.str();
  const std::string from = "inputPrecision = tf32", to = "inputPrecision = ieee";
  ASSERT_NE(ttir.find(from), std::string::npos);
  ttir.replace(ttir.find(from), from.size(), to);
  CompileOptions o;
  o.target = *targetProfile("nvidia-hopper");
  auto ieee = compileTTIR(ttir, o);
  ASSERT_TRUE(ieee.ok()) << ieee.status().message();
  EXPECT_EQ(count(ieee->spirv).mulAdd, 0);
}

// Batched (3-D) dots take cooperative matrices where the target has them (each subgroup's
// fragment rows in one batch); f16 accumulators have no cooperative-matrix form here and take
// the FMA path on every profile. The modules validate (compileTTIR runs spirv-val).
TEST(DotCoopMat, BatchedDotsUseFragmentsAndF16AccumulatorsFallBackToFma) {
  for (const char* profile : {"nvidia-hopper", "lavapipe"})
    for (const char* cs : {"dot_batched", "dot_f16_acc"}) {
      SCOPED_TRACE(std::string(profile) + " " + cs);
      auto k = compileCase(cs, profile, kLowerCases);
      ASSERT_TRUE(k.ok()) << k.status().message();
      OpCounts c = count(k->spirv);
      const bool coop = std::string(profile) == "nvidia-hopper" && std::string(cs) == "dot_batched";
      EXPECT_EQ(c.mulAdd > 0, coop);
      EXPECT_EQ(c.coopCap > 0, coop);
    }
}

}  // namespace
}  // namespace tvk
