// Vector width choice (analysis/vector_width.h) and the axis-info facts it rests on, printed
// through inspectTTIR for small TTIR snippets.
#include <gtest/gtest.h>

#include "compiler/inspect.h"
#include "target/target.h"

namespace tvk {
namespace {

// `nAttrs`/`xAttrs`: attributes of %n (divisibility of the bound) and %x_ptr; `use` computes
// the stored %w from the loaded %v.
std::string kernel(const std::string& nAttrs, const std::string& xAttrs, const std::string& use) {
  return R"(module {
  tt.func public @k(%x_ptr: !tt.ptr<f32> )" + xAttrs + R"(, %y_ptr: !tt.ptr<f32> {tt.divisibility = 16 : i32}, %n: i32 )" + nAttrs + R"() {
    %c256 = arith.constant 256 : i32
    %pid = tt.get_program_id x : i32
    %base = arith.muli %pid, %c256 : i32
    %r = tt.make_range {end = 256 : i32, start = 0 : i32} : tensor<256xi32>
    %s = tt.splat %base : i32 -> tensor<256xi32>
    %offs = arith.addi %s, %r : tensor<256xi32>
    %ns = tt.splat %n : i32 -> tensor<256xi32>
    %m = arith.cmpi slt, %offs, %ns : tensor<256xi32>
    %m2 = arith.cmpi sgt, %ns, %offs : tensor<256xi32>
    %m3 = arith.cmpi sle, %offs, %ns : tensor<256xi32>
    %m4 = arith.andi %m2, %m3 : tensor<256xi1>
    %p = tt.splat %x_ptr : !tt.ptr<f32> -> tensor<256x!tt.ptr<f32>>
    %q = tt.addptr %p, %offs : tensor<256x!tt.ptr<f32>>, tensor<256xi32>
    %v = tt.load %q, %m : tensor<256x!tt.ptr<f32>>
)" + use + R"(
    %y = tt.splat %y_ptr : !tt.ptr<f32> -> tensor<256x!tt.ptr<f32>>
    %y2 = tt.addptr %y, %offs : tensor<256x!tt.ptr<f32>>, tensor<256xi32>
    tt.store %y2, %w, %m4 : tensor<256x!tt.ptr<f32>>
    tt.return
  }
}
)";
}

const char* kDiv16 = "{tt.divisibility = 16 : i32}";
const char* kDouble = "    %w = arith.addf %v, %v : tensor<256xf32>";

std::string inspect(const std::string& ttir, const std::string& what) {
  CompileOptions o;
  o.target = *targetProfile("lavapipe");
  o.target.subgroupSize = 8;
  o.numWarps = 2;  // W = 16: 256 elements allow v up to 16, 16-byte accesses cap it at 4
  auto r = inspectTTIR(ttir, o, what);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

bool has(const std::string& s, const std::string& line) { return s.find(line) != std::string::npos; }

TEST(VectorWidth, MaskConstancyNeedsDivisibleBound) {
  // n divisible by 16: `offs < n` is constant on aligned runs of 16 (offs runs start at
  // multiples of 256); the mirrored `n > offs` too; `offs <= n` is not (offs == n flips).
  std::string s = inspect(kernel(kDiv16, kDiv16, kDouble), "axis-info");
  EXPECT_TRUE(has(s, "%m: contiguity=[1] divisibility=[1] constancy=[16]\n")) << s;
  EXPECT_TRUE(has(s, "%m2: contiguity=[1] divisibility=[1] constancy=[16]\n")) << s;
  EXPECT_TRUE(has(s, "%m3: contiguity=[1] divisibility=[1] constancy=[1]\n")) << s;
  EXPECT_TRUE(has(s, "%m4: contiguity=[1] divisibility=[1] constancy=[1]\n")) << s;
  // n of unknown divisibility: not constant on any run.
  s = inspect(kernel("", kDiv16, kDouble), "axis-info");
  EXPECT_TRUE(has(s, "%m: contiguity=[1] divisibility=[1] constancy=[1]\n")) << s;
}

TEST(VectorWidth, ContiguousAlignedAccessGetsFour) {
  // Masks do not limit v (the lowering tests a run's masks together).
  for (const char* n : {"", kDiv16}) {
    std::string s = inspect(kernel(n, kDiv16, kDouble), "layouts");
    EXPECT_TRUE(has(s, "%offs : tensor<256xi32> -> blocked<256> W=16 v=4 R=16\n")) << s;
    EXPECT_TRUE(has(s, "%v : tensor<256xf32> -> blocked<256> W=16 v=4 R=16\n")) << s;
  }
  // Only the store is provably aligned: still v = 4 (the load stays per element).
  std::string s = inspect(kernel("", "", kDouble), "layouts");
  EXPECT_TRUE(has(s, "%v : tensor<256xf32> -> blocked<256> W=16 v=4 R=16\n")) << s;
}

TEST(VectorWidth, NonPerSlotUserPinsTheClass) {
  // A reduction of the loaded tensor pins every 256-element tensor to v = 1.
  std::string use = R"(    %t = "tt.reduce"(%v) <{axis = 0 : i32}> ({
    ^bb0(%a0: f32, %a1: f32):
      %sum = arith.addf %a0, %a1 : f32
      tt.reduce.return %sum : f32
    }) : (tensor<256xf32>) -> f32
    %ts = tt.splat %t : f32 -> tensor<256xf32>
    %w = arith.addf %v, %ts : tensor<256xf32>)";
  std::string s = inspect(kernel(kDiv16, kDiv16, use), "layouts");
  EXPECT_TRUE(has(s, "%v : tensor<256xf32> -> blocked<256> W=16 v=1 R=16\n")) << s;
  EXPECT_TRUE(has(s, "%offs : tensor<256xi32> -> blocked<256> W=16 v=1 R=16\n")) << s;
}

TEST(VectorWidth, UnalignedPointersKeepOne) {
  // Neither pointer argument is known to be 16-byte aligned: nothing proven, v = 1.
  std::string t = kernel(kDiv16, "", kDouble);
  t.replace(t.find("%y_ptr: !tt.ptr<f32> {tt.divisibility = 16 : i32}"),
            std::string("%y_ptr: !tt.ptr<f32> {tt.divisibility = 16 : i32}").size(),
            "%y_ptr: !tt.ptr<f32>");
  std::string s = inspect(t, "layouts");
  EXPECT_TRUE(has(s, "%v : tensor<256xf32> -> blocked<256> W=16 v=1 R=16\n")) << s;
}

}  // namespace
}  // namespace tvk
