// The analyses printed as text for small TTIR snippets (through inspectTTIR).
#include <gtest/gtest.h>

#include "analysis/layout.h"
#include "compiler/inspect.h"
#include "target/target.h"

namespace tvk {
namespace {

const char* kSnippet = R"(module {
  tt.func public @k(%x_ptr: !tt.ptr<f32> {tt.divisibility = 16 : i32}, %y_ptr: !tt.ptr<f32>, %n: i32) {
    %c64 = arith.constant 64 : i32
    %pid = tt.get_program_id x : i32
    %base = arith.muli %pid, %c64 : i32
    %r = tt.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>
    %s = tt.splat %base : i32 -> tensor<64xi32>
    %offs = arith.addi %s, %r : tensor<64xi32>
    %p = tt.splat %x_ptr : !tt.ptr<f32> -> tensor<64x!tt.ptr<f32>>
    %q = tt.addptr %p, %offs : tensor<64x!tt.ptr<f32>>, tensor<64xi32>
    %v = tt.load %q : tensor<64x!tt.ptr<f32>>
    %e = tt.expand_dims %v {axis = 0 : i32} : tensor<64xf32> -> tensor<1x64xf32>
    %b = tt.broadcast %e : tensor<1x64xf32> -> tensor<4x64xf32>
    %t = "tt.reduce"(%b) <{axis = 0 : i32}> ({
    ^bb0(%a0: f32, %a1: f32):
      %sum = arith.addf %a0, %a1 : f32
      tt.reduce.return %sum : f32
    }) : (tensor<4x64xf32>) -> tensor<64xf32>
    %y = tt.splat %y_ptr : !tt.ptr<f32> -> tensor<64x!tt.ptr<f32>>
    %y2 = tt.addptr %y, %offs : tensor<64x!tt.ptr<f32>>, tensor<64xi32>
    tt.store %y2, %t : tensor<64x!tt.ptr<f32>>
    tt.return
  }
}
)";

CompileOptions lavapipeOneWarp() {
  CompileOptions o;
  o.target = *targetProfile("lavapipe");
  o.target.subgroupSize = 8;
  o.numWarps = 1;
  return o;
}

std::string inspect(const std::string& ttir, const std::string& what) {
  auto r = inspectTTIR(ttir, lavapipeOneWarp(), what);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

TEST(Analyses, Provenance) {
  EXPECT_EQ(inspect(kSnippet, "provenance"),
            "%x_ptr -> arg 0 (%x_ptr) i32\n"
            "%y_ptr -> arg 1 (%y_ptr) i32\n"
            "%p -> arg 0 (%x_ptr) i32\n"
            "%q -> arg 0 (%x_ptr) i32\n"
            "%y -> arg 1 (%y_ptr) i32\n"
            "%y2 -> arg 1 (%y_ptr) i32\n"
            "arg 0 %x_ptr: read\n"
            "arg 1 %y_ptr: written\n");
}

TEST(Analyses, AxisInfo) {
  std::string s = inspect(kSnippet, "axis-info");
  // pid * 64 + range(0, 64): 64 contiguous values starting at a multiple of 64.
  EXPECT_NE(s.find("%offs: contiguity=[64] divisibility=[64] constancy=[1]\n"), std::string::npos) << s;
  EXPECT_NE(s.find("%s: contiguity=[1] divisibility=[64] constancy=[64]\n"), std::string::npos) << s;
  // Pointer divisibility in bytes: gcd(16, 64 elements * 4 bytes).
  EXPECT_NE(s.find("%q: contiguity=[64] divisibility=[16] constancy=[1]\n"), std::string::npos) << s;
  EXPECT_NE(s.find("%y2: contiguity=[64] divisibility=[1] constancy=[1]\n"), std::string::npos) << s;
}

TEST(Analyses, Layouts) {
  std::string s = inspect(kSnippet, "layouts");
  EXPECT_NE(s.find("%offs : tensor<64xi32> -> blocked<64> W=32 v=1 R=2\n"), std::string::npos) << s;
  EXPECT_NE(s.find("%b : tensor<4x64xf32> -> blocked<4x64> W=32 v=1 R=8\n"), std::string::npos) << s;
}

TEST(Analyses, LayoutReplication) {
  auto l = analysis::blockedLayout({16, 1}, 128);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->replicated);
  EXPECT_EQ(l->slots, 1u);
  EXPECT_EQ(l->linearIndex(17, 0), 1);
  EXPECT_TRUE(l->isOwner(15));
  EXPECT_FALSE(l->isOwner(16));
  auto big = analysis::blockedLayout({1024}, 128);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->slots, 8u);
  EXPECT_EQ(big->linearIndex(3, 2), 2 * 128 + 3);
  EXPECT_FALSE(analysis::blockedLayout({12}, 128).ok());
}

TEST(Analyses, SharedMemoryPlan) {
  // The broadcast's source is a load (not rematerializable): it goes through memory.
  EXPECT_EQ(inspect(kSnippet, "smem"),
            "tt.broadcast at <ttir>:13: 256 bytes at 0\n"
            "tt.reduce at <ttir>:14: 1024 bytes at 0\n"
            "total 1024 bytes\n");
}

TEST(Analyses, SharedMemoryOverLimitChunksTheReduction) {
  // 256x64 f32 needs 65536 bytes; the generic reduction goes in passes of rows that fit.
  std::string big = kSnippet;
  size_t pos;
  while ((pos = big.find("4x64xf32")) != std::string::npos) big.replace(pos, 8, "256x64xf32");
  std::string s = inspect(big, "smem");
  EXPECT_EQ(s.find("ERROR"), std::string::npos) << s;
  EXPECT_NE(s.find("tt.reduce at <ttir>:14: 32768 bytes at 0"), std::string::npos) << s;
}

TEST(Analyses, UnresolvedProvenanceIsAnError) {
  // A select between arguments that only feeds accesses is rewritten into one access per
  // argument (ir/pointer_selects.h); one that an scf.for carries is not.
  const char* sel = R"(module {
  tt.func public @k(%a: !tt.ptr<f32>, %b: !tt.ptr<f32>, %c: i1) {
    %p = arith.select %c, %a, %b : !tt.ptr<f32>
    %v = tt.load %p : !tt.ptr<f32>
    tt.store %a, %v : !tt.ptr<f32>
    tt.return
  }
}
)";
  std::string s = inspect(sel, "provenance");
  EXPECT_EQ(s.find("ERROR"), std::string::npos) << s;
  EXPECT_NE(s.find("arg 1 %b: read"), std::string::npos) << s;
  const char* carried = R"(module {
  tt.func public @k(%a: !tt.ptr<f32>, %b: !tt.ptr<f32>, %c: i1, %n: i32) {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %p = arith.select %c, %a, %b : !tt.ptr<f32>
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%q = %p) -> (!tt.ptr<f32>)  : i32 {
      %q2 = tt.addptr %q, %c1 : !tt.ptr<f32>, i32
      scf.yield %q2 : !tt.ptr<f32>
    }
    %v = tt.load %r : !tt.ptr<f32>
    tt.store %a, %v : !tt.ptr<f32>
    tt.return
  }
}
)";
  // With bindings (no buffer device addresses) a pointer must come from one argument.
  CompileOptions bindings = lavapipeOneWarp();
  bindings.target.bufferDeviceAddress = false;
  auto r = inspectTTIR(carried, bindings, "provenance");
  ASSERT_FALSE(r.ok());
  s = r.status().message();
  EXPECT_EQ(s.rfind("unsupported: arith.select", 0), 0u) << s;
  EXPECT_NE(s.find("different kernel arguments"), std::string::npos) << s;
  // With addresses (lavapipe) it is a raw address; a load through it may read every pointer
  // argument (the store goes through %a only).
  s = inspect(carried, "provenance");
  EXPECT_NE(s.find("%r -> raw address i64"), std::string::npos) << s;
  EXPECT_NE(s.find("arg 0 %a: read written\narg 1 %b: read\n"), std::string::npos) << s;
}

TEST(Analyses, ProvenanceThroughLoops) {
  const char* loop = R"(module {
  tt.func public @k(%a: !tt.ptr<f32>, %n: i32) {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c1_64 = arith.constant 1 : i64
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%p = %a) -> (!tt.ptr<f32>)  : i32 {
      %q = tt.addptr %p, %c1_64 : !tt.ptr<f32>, i64
      scf.yield %q : !tt.ptr<f32>
    }
    %v = tt.load %r : !tt.ptr<f32>
    tt.store %a, %v : !tt.ptr<f32>
    tt.return
  }
}
)";
  std::string s = inspect(loop, "provenance");
  // The i64 offset makes the whole cycle wide.
  EXPECT_NE(s.find("%p -> arg 0 (%a) i64\n"), std::string::npos) << s;
  EXPECT_NE(s.find("%r -> arg 0 (%a) i64\n"), std::string::npos) << s;
  EXPECT_NE(s.find("arg 0 %a: read written\n"), std::string::npos) << s;
}

}  // namespace
}  // namespace tvk
