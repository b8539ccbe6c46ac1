// The loop limit (lower/loop_limit.h) without a device: trip bounds from constants, the pass
// budget, and what long loops compile to on the lavapipe profile (body copies per pass, the
// end-of-kernel check and its status binding) versus targets without a limit (unchanged).
#include "lower/loop_limit.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "compiler/compiler.h"
#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk {
namespace {

using lower::kUnboundedTrips;

// A kernel storing the result of one loop; LOOP is replaced by the loop (result %r : i32).
std::string kernel(const std::string& loop, const std::string& extraArgs = "") {
  return "module {\n  tt.func public @k(%out: !tt.ptr<i32>, %n: i32" + extraArgs +
         ") {\n"
         "    %c0 = arith.constant 0 : i32\n"
         "    %c1 = arith.constant 1 : i32\n"
         "    %c7 = arith.constant 7 : i32\n"
         "    %c40000 = arith.constant 40000 : i32\n"
         "    %c300 = arith.constant 300 : i32\n"
         "    %cbig = arith.constant 1000000 : i32\n" +
         loop +
         "    tt.store %out, %r : !tt.ptr<i32>\n"
         "    tt.return\n  }\n}\n";
}

// for i in range(LB, UB): acc = (acc ^ i) + 7
std::string forLoop(const std::string& lb, const std::string& ub, const std::string& name = "%r",
                    const std::string& init = "%c0") {
  return "    " + name + " = scf.for %i = " + lb + " to " + ub + " step %c1 iter_args(%a = " +
         init + ") -> (i32)  : i32 {\n"
         "      %x = arith.xori %a, %i : i32\n"
         "      %y = arith.addi %x, %c7 : i32\n"
         "      scf.yield %y : i32\n"
         "    }\n";
}

const std::string kWhile =
    "    %r = scf.while (%k = %c0) : (i32) -> i32 {\n"
    "      %cond = arith.cmpi slt, %k, %n : i32\n"
    "      scf.condition(%cond) %k : i32\n"
    "    } do {\n"
    "    ^bb0(%k2: i32):\n"
    "      %k3 = arith.xori %k2, %c7 : i32\n"
    "      %k4 = arith.addi %k3, %c1 : i32\n"
    "      scf.yield %k4 : i32\n"
    "    }\n";

struct Compiled {
  std::string text;
  std::vector<uint32_t> words;
  int statusBinding = -1;
};

Compiled compile(const std::string& ttir, const Target& t) {
  CompileOptions o;
  o.target = t;
  o.numWarps = 1;
  o.fileName = "loops.ttir";
  Result<CompiledKernel> k = compileTTIR(ttir, o);  // validated with spirv-val
  EXPECT_TRUE(k.ok()) << k.status().message();
  if (!k.ok()) return {};
  Result<std::string> d = disassembleSpirv(k->spirv);
  EXPECT_TRUE(d.ok());
  // Filled member by member: GCC 12 at -O3 freed a stack address when this was one braced
  // return with `d.ok() ? *d : ""` (after CompiledKernel grew the debug-site vector).
  Compiled out;
  if (d.ok()) out.text = *d;
  out.words = k->spirv;
  out.statusBinding = k->reflection.statusBinding;
  return out;
}

Compiled compile(const std::string& ttir, const std::string& profile) {
  return compile(ttir, *targetProfile(profile));
}

int countOf(const std::string& text, const std::string& op) {
  std::regex re("\\b" + op + "\\b");
  return static_cast<int>(std::distance(std::sregex_iterator(text.begin(), text.end(), re),
                                        std::sregex_iterator()));
}

TEST(LoopBudget, SaturatingArithmetic) {
  EXPECT_EQ(lower::mulTrips(3, 4), 12u);
  EXPECT_EQ(lower::mulTrips(0, kUnboundedTrips), 0u);
  EXPECT_EQ(lower::mulTrips(1ull << 40, 1ull << 40), kUnboundedTrips);
  EXPECT_EQ(lower::addTrips(kUnboundedTrips, 1), kUnboundedTrips);
}

TEST(LoopBudget, CountsPassesOfNestedLoops) {
  lower::LoopBudget b(65535);
  b.addLoop(301);  // outer loop: 300 trips
  b.enterBody(300);
  EXPECT_EQ(b.multiplier(), 300u);
  b.addLoop(101);  // inner loop of 100 trips, once per outer trip
  EXPECT_TRUE(b.shouldUnroll(100));   // 300 × 101 passes > 65535 / 16
  EXPECT_FALSE(b.shouldUnroll(10));   // 300 × 11
  b.exitBody();
  EXPECT_EQ(b.total(), 301u + 300u * 101u);
  EXPECT_FALSE(b.needsCheck());
  b.addLoop(kUnboundedTrips);
  EXPECT_TRUE(b.needsCheck());
  EXPECT_EQ(b.unrollFactor(1), lower::kMaxUnroll);
  EXPECT_EQ(b.unrollFactor(1000000), 1u);
  lower::LoopBudget none(0);
  none.addLoop(kUnboundedTrips);
  EXPECT_FALSE(none.needsCheck());
  EXPECT_FALSE(none.shouldUnroll(kUnboundedTrips));
  EXPECT_EQ(none.unrollFactor(1), 1u);
}

// Trip bounds of the scf.for of `loop` (i32 or i64 bounds).
uint64_t tripsOf(const std::string& ty, const std::string& lb, const std::string& ub,
                 const std::string& step, bool isUnsigned = false) {
  std::string text = "module {\n  tt.func public @k(%n: " + ty + ") {\n"
                     "    %lb = arith.constant " + lb + " : " + ty + "\n"
                     "    %ub = arith.constant " + ub + " : " + ty + "\n"
                     "    %st = arith.constant " + step + " : " + ty + "\n"
                     "    scf.for %i = %lb to %ub step %st  : " + ty + " {\n"
                     "    }\n    tt.return\n  }\n}\n";
  auto m = parser::parseTTIR(text, "t.ttir");
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return 0;
  uint64_t trips = 0;
  ir::walk(**m, [&](const ir::Operation& op) {
    if (op.name == "scf.for") trips = lower::forTripBound(op, ty == "i64" ? 64 : 32, isUnsigned);
  });
  return trips;
}

TEST(LoopBudget, TripBoundsFromConstants) {
  EXPECT_EQ(tripsOf("i32", "0", "100000", "1"), 100000u);
  EXPECT_EQ(tripsOf("i32", "0", "10", "3"), 4u);
  EXPECT_EQ(tripsOf("i32", "-5", "5", "2"), 5u);
  EXPECT_EQ(tripsOf("i32", "5", "5", "1"), 0u);
  EXPECT_EQ(tripsOf("i32", "7", "-7", "1"), 0u);
  EXPECT_EQ(tripsOf("i32", "0", "10", "-1"), kUnboundedTrips);
  EXPECT_EQ(tripsOf("i32", "-2147483648", "2147483647", "1"), 4294967295u);
  EXPECT_EQ(tripsOf("i64", "-9223372036854775808", "9223372036854775807", "4611686018427387904"),
            4u);
  // Unsigned comparison: -1 is the largest value.
  EXPECT_EQ(tripsOf("i32", "0", "-1", "1", true), 4294967295u);
  EXPECT_EQ(tripsOf("i32", "-1", "0", "1", true), 0u);
}

TEST(LoopLimit, RuntimeBoundLoopGetsCopiesAndTheCheckOnLavapipeOnly) {
  std::string ttir = kernel(forLoop("%c0", "%n"));
  Compiled lvp = compile(ttir, "lavapipe");
  EXPECT_EQ(countOf(lvp.text, "OpBitwiseXor"), static_cast<int>(lower::kMaxUnroll)) << lvp.text;
  EXPECT_EQ(countOf(lvp.text, "OpLoopMerge"), 2);  // the loop and the check
  EXPECT_EQ(countOf(lvp.text, "OpAtomicOr"), 1);
  EXPECT_NE(lvp.text.find("tvk_status"), std::string::npos);
  EXPECT_EQ(lvp.statusBinding, 2);  // one past the parameters
  for (const char* profile : {"nvidia-hopper", "apple-m1-moltenvk"}) {
    Compiled other = compile(ttir, profile);
    EXPECT_EQ(countOf(other.text, "OpBitwiseXor"), 1) << profile;
    EXPECT_EQ(countOf(other.text, "OpLoopMerge"), 1) << profile;
    EXPECT_EQ(other.statusBinding, -1) << profile;
  }
}

TEST(LoopLimit, ShortLoopsCompileAsWithoutTheLimit) {
  Target limited = *targetProfile("lavapipe");
  Target unlimited = limited;
  unlimited.maxLoopIterations = 0;
  for (const std::string& loop : {forLoop("%c0", "%c300"), forLoop("%c7", "%c0")}) {
    std::string ttir = kernel(loop);
    Compiled a = compile(ttir, limited), b = compile(ttir, unlimited);
    EXPECT_EQ(a.words, b.words) << loop;
    EXPECT_EQ(a.statusBinding, -1);
    EXPECT_EQ(countOf(a.text, "OpBitwiseXor"), 1);
  }
  // Without a limit, long and unbounded loops are single loops too.
  for (const std::string& loop : {forLoop("%c0", "%n"), forLoop("%c0", "%cbig"), kWhile}) {
    Compiled b = compile(kernel(loop), unlimited);
    EXPECT_EQ(countOf(b.text, "OpLoopMerge"), 1);
    EXPECT_EQ(b.statusBinding, -1);
  }
}

TEST(LoopLimit, LongConstantLoopsFitOnceCopied) {
  // Two sequential loops of 40000 iterations: 80002 passes as written, 2 × 5001 with 8 copies.
  std::string two = forLoop("%c0", "%c40000", "%r0") + forLoop("%c0", "%c40000", "%r", "%r0");
  Compiled c = compile(kernel(two), "lavapipe");
  EXPECT_EQ(countOf(c.text, "OpBitwiseXor"), 16);
  EXPECT_EQ(c.statusBinding, -1);
  // 1,000,000 iterations need 125001 passes even with 8 copies: checked at run time.
  Compiled big = compile(kernel(forLoop("%c0", "%cbig")), "lavapipe");
  EXPECT_EQ(big.statusBinding, 2);
}

TEST(LoopLimit, NestedLoopsCopyTheInnerLoop) {
  // 300 × 300: the outer loop (301 passes) stays, the inner one (300 × 301 passes) is copied.
  std::string nested =
      "    %r = scf.for %j = %c0 to %c300 step %c1 iter_args(%b = %c0) -> (i32)  : i32 {\n" +
      forLoop("%c0", "%c300", "%in", "%b") +
      "      scf.yield %in : i32\n"
      "    }\n";
  Compiled c = compile(kernel(nested), "lavapipe");
  EXPECT_EQ(countOf(c.text, "OpBitwiseXor"), 8);
  EXPECT_EQ(countOf(c.text, "OpLoopMerge"), 2);
  EXPECT_EQ(c.statusBinding, -1);  // 301 + 300 × 38 passes
}

TEST(LoopLimit, WhileLoopsGetCopiesAndTheCheck) {
  Compiled lvp = compile(kernel(kWhile), "lavapipe");
  EXPECT_EQ(countOf(lvp.text, "OpBitwiseXor"), static_cast<int>(lower::kMaxUnroll));
  EXPECT_EQ(countOf(lvp.text, "OpSLessThan"), static_cast<int>(lower::kMaxUnroll));
  EXPECT_EQ(lvp.statusBinding, 2);
  Compiled hopper = compile(kernel(kWhile), "nvidia-hopper");
  EXPECT_EQ(countOf(hopper.text, "OpBitwiseXor"), 1);
  EXPECT_EQ(hopper.statusBinding, -1);
}

TEST(LoopLimit, LargeBodiesAreNotCopied) {
  // A body of more than kUnrollWords words runs once per pass; the check still guards it.
  std::string body;
  std::string prev = "%a";
  for (int i = 0; i < 600; ++i) {
    std::string v = "%v" + std::to_string(i);
    body += "      " + v + " = arith.xori " + prev + ", %i : i32\n";
    prev = v;
  }
  std::string loop = "    %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %c0) -> (i32)  : i32 {\n" +
                     body + "      scf.yield " + prev + " : i32\n    }\n";
  Compiled c = compile(kernel(loop), "lavapipe");
  EXPECT_EQ(countOf(c.text, "OpBitwiseXor"), 600);
  EXPECT_EQ(c.statusBinding, 2);
}

}  // namespace
}  // namespace tvk
