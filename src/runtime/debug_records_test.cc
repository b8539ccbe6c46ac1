// tt.print / tt.assert records: formatting (runtime/debug_records.h) and kernels that print and
// assert on the device in both pointer models (bindings and device addresses).
#include "runtime/debug_records.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "compiler/compiler.h"
#include "runtime/device_impl.h"
#include "runtime/device_testing.h"
#include "runtime/runtime.h"

namespace tvk {
namespace {

using testing::device;
using testing::kValidationOn;

DebugSite printSite(const std::string& type, std::vector<int64_t> shape, bool hex = false,
                    bool isSigned = true) {
  DebugSite s;
  s.text = " x: ";
  s.operand = 0;
  s.numOperands = 1;
  s.type = type;
  s.shape = std::move(shape);
  s.hex = hex;
  s.isSigned = isSigned;
  return s;
}

DebugRecord record(uint32_t index, uint64_t bits, uint32_t px = 0) {
  DebugRecord r;
  r.pid[0] = px;
  r.index = index;
  r.bits = bits;
  return r;
}

TEST(DebugRecords, FormatsLikeTritonCuda) {
  EXPECT_EQ(formatPrintRecord(printSite("i32", {128}), record(5, 5)), "pid (0, 0, 0) idx (  5) x: 5");
  EXPECT_EQ(formatPrintRecord(printSite("i32", {128}), record(5, 0xfffffffbu)),
            "pid (0, 0, 0) idx (  5) x: -5");
  EXPECT_EQ(formatPrintRecord(printSite("i32", {128}, false, false), record(5, 0x80000000u)),
            "pid (0, 0, 0) idx (  5) x: 2147483648");
  EXPECT_EQ(formatPrintRecord(printSite("i8", {4}, false, false), record(1, 0xffffff80u)),
            "pid (0, 0, 0) idx (1) x: 128");
  EXPECT_EQ(formatPrintRecord(printSite("i64", {}), record(0, ~uint64_t{0})),
            "pid (0, 0, 0) idx () x: -1");
  EXPECT_EQ(formatPrintRecord(printSite("f32", {64, 128}), record(130, 0x3fc00000u, 3)),
            "pid (3, 0, 0) idx ( 1,   2) x: 1.500000");
  EXPECT_EQ(formatPrintRecord(printSite("f16", {2}, true), record(1, 0x3fc00000u)),
            "pid (0, 0, 0) idx (1) x: 0x3e00");
  EXPECT_EQ(formatPrintRecord(printSite("bf16", {2}, true), record(1, 0x3fc00000u)),
            "pid (0, 0, 0) idx (1) x: 0x3fc0");
  EXPECT_EQ(formatPrintRecord(printSite("i16", {2}, true), record(1, 0xfffffffeu)),
            "pid (0, 0, 0) idx (1) x: 0xfffe");
  EXPECT_EQ(formatPrintRecord(printSite("i64", {2}, true), record(1, 255)),
            "pid (0, 0, 0) idx (1) x: 0x00000000000000ff");
  DebugSite multi = printSite("i32", {16});
  multi.text = ": ";
  multi.operand = 1;
  multi.numOperands = 2;
  EXPECT_EQ(formatPrintRecord(multi, record(3, 1)), "pid (0, 0, 0) idx ( 3): (operand 1) 1");
  DebugSite none;
  none.text = " no arg";
  EXPECT_EQ(formatPrintRecord(none, record(0, 0, 7)), "pid (7, 0, 0) no arg");
  DebugSite ptr = printSite("!tt.ptr<f32>", {4});
  ptr.pointerArg = "x_ptr";
  EXPECT_EQ(formatPrintRecord(ptr, record(2, 18)), "pid (0, 0, 0) idx (2) x: &x_ptr[18]");
  ptr.pointerArg.clear();
  EXPECT_EQ(formatPrintRecord(ptr, record(2, 0x7f00)), "pid (0, 0, 0) idx (2) x: 0x7f00");
}

TEST(DebugRecords, AssertMessage) {
  AssertFailure f;
  f.kernel = "k";
  f.site.kind = DebugSite::Kind::Assert;
  f.site.text = "x > 0";
  f.site.file = "k.py";
  f.site.line = 7;
  f.site.shape = {16};
  f.first = record(3, 0, 1);
  f.count = 2;
  EXPECT_EQ(formatAssertFailures({f}, 0),
            "device-side assertion failed:\n  k.py:7: kernel 'k': Assertion `x > 0` failed at "
            "pid (1, 0, 0) idx ( 3) (2 failing elements recorded)");
}

// out[i] = x[i] + 1 for 16 elements per program, printing x, its pointers and asserting x < 8.
const char* kKernel = R"(#loc = loc("k.py":1:0)
module {
  tt.func public @dbg(%x: !tt.ptr<i32> loc("x"(#loc)), %out: !tt.ptr<i32> loc("out"(#loc))) {
    %pid = tt.get_program_id x : i32
    %c16 = arith.constant 16 : i32
    %base = arith.muli %pid, %c16 : i32
    %r = tt.make_range {end = 16 : i32, start = 0 : i32} : tensor<16xi32>
    %b = tt.splat %base : i32 -> tensor<16xi32>
    %o = arith.addi %b, %r : tensor<16xi32>
    %p = tt.splat %x : !tt.ptr<i32> -> tensor<16x!tt.ptr<i32>>
    %q = tt.addptr %p, %o : tensor<16x!tt.ptr<i32>>, tensor<16xi32>
    %v = tt.load %q : tensor<16x!tt.ptr<i32>>
    tt.print " v: " {hex = false, isSigned = array<i32: 1, 0>} : %v, %q : tensor<16xi32>, tensor<16x!tt.ptr<i32>> loc(#loc1)
    %c8 = arith.constant dense<8> : tensor<16xi32>
    %ok = arith.cmpi slt, %v, %c8 : tensor<16xi32>
    tt.assert %ok, "v < 8" : tensor<16xi1> loc(#loc2)
    %c1 = arith.constant dense<1> : tensor<16xi32>
    %w = arith.addi %v, %c1 : tensor<16xi32>
    %op = tt.splat %out : !tt.ptr<i32> -> tensor<16x!tt.ptr<i32>>
    %oq = tt.addptr %op, %o : tensor<16x!tt.ptr<i32>>, tensor<16xi32>
    tt.store %oq, %w : tensor<16x!tt.ptr<i32>>
    tt.return
  } loc(#loc)
} loc(#loc)
#loc1 = loc("k.py":5:4)
#loc2 = loc("k.py":6:4)
)";

void runBothModels(bool addresses) {
  Device& d = device();
  if (addresses && !usesDeviceAddresses(d.target())) GTEST_SKIP() << "no device addresses";
  size_t validationBefore = validationMessageCount();
  CompileOptions o;
  o.target = d.target();
  if (!addresses) o.target.bufferDeviceAddress = false;
  o.numWarps = 1;
  Result<CompiledKernel> k = compileTTIR(kKernel, o);
  ASSERT_TRUE(k.ok()) << k.status().message();
  const Reflection& r = k->reflection;
  ASSERT_EQ(r.addresses, addresses);
  ASSERT_EQ(r.debugBinding, 3);
  ASSERT_EQ(r.debugSites.size(), 3u);
  EXPECT_EQ(r.debugSites[1].pointerArg, addresses ? "" : "x");
  EXPECT_EQ(r.debugSites[2].kind, DebugSite::Kind::Assert);
  EXPECT_EQ(r.debugSites[2].file + ":" + std::to_string(r.debugSites[2].line), "k.py:6");
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(*k);
  ASSERT_TRUE(p.ok()) << p.status().message();
  std::vector<int32_t> x(32);
  for (int i = 0; i < 32; ++i) x[i] = i % 16 < 8 ? i % 16 : -i;  // only x[8] fails
  x[8] = 100;
  Result<Buffer> xb = d.allocate(128), ob = d.allocate(128);
  ASSERT_TRUE(xb.ok() && ob.ok());
  ASSERT_TRUE(d.upload(*xb, 0, x.data(), 128).ok());
  uint32_t grid[3] = {2, 1, 1};
  ::testing::internal::CaptureStdout();
  ASSERT_TRUE(d.launch(**p, grid, {LaunchArg::ofBuffer(*xb), LaunchArg::ofBuffer(*ob)}).ok());
  Status s = d.synchronize();
  std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("device-side assertion failed:\n  k.py:6: kernel 'dbg': Assertion "
                             "`v < 8` failed at pid (0, 0, 0) idx ( 8) (1 failing element recorded)"),
            std::string::npos)
      << s.message();
  EXPECT_NE(out.find("pid (0, 0, 0) idx ( 8) v: (operand 0) 100\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pid (1, 0, 0) idx (15) v: (operand 0) -31\n"), std::string::npos) << out;
  if (!addresses)
    EXPECT_NE(out.find("pid (1, 0, 0) idx ( 3) v: (operand 1) &x[19]\n"), std::string::npos) << out;
  else
    EXPECT_NE(out.find("pid (1, 0, 0) idx ( 3) v: (operand 1) 0x"), std::string::npos) << out;
  size_t lines = 0;
  for (char ch : out) lines += ch == '\n';
  EXPECT_EQ(lines, 64u) << out;
  // The kernel continued past the failed assertion; the device stays usable.
  std::vector<int32_t> res(32);
  ASSERT_TRUE(d.download(*ob, 0, res.data(), 128).ok());
  EXPECT_EQ(res[8], 101);
  x[8] = 0;
  ASSERT_TRUE(d.upload(*xb, 0, x.data(), 128).ok());
  ::testing::internal::CaptureStdout();
  ASSERT_TRUE(d.launch(**p, grid, {LaunchArg::ofBuffer(*xb), LaunchArg::ofBuffer(*ob)}).ok());
  Status again = d.synchronize();
  out = ::testing::internal::GetCapturedStdout();
  EXPECT_TRUE(again.ok()) << again.message();
  EXPECT_NE(out.find("pid (0, 0, 0) idx ( 8) v: (operand 0) 0\n"), std::string::npos) << out;
  EXPECT_EQ(validationMessageCount(), validationBefore);
}

TEST(DebugRecords, PrintAndAssertWithBindings) { runBothModels(false); }

TEST(DebugRecords, PrintAndAssertWithDeviceAddresses) { runBothModels(true); }

TEST(DebugRecords, DebugBindingIsNotAParameterBinding) {
  Reflection r;
  r.entry = "k";
  r.workgroupSize[0] = 8;
  r.args.resize(2);
  r.debugBinding = 1;
  r.debugKernelId = 5;
  Target t = *targetProfile("lavapipe");
  EXPECT_FALSE(checkKernelFitsDevice(r, t).ok());
  r.debugBinding = 3;
  EXPECT_TRUE(checkKernelFitsDevice(r, t).ok());
}

}  // namespace
}  // namespace tvk
