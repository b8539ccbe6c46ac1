// The status buffer of kernels with a loop-limit check (abi/reflection.h,
// lower/loop_limit.h): bound at Reflection::statusBinding, read after each submission; a
// kernel that ran into the device's loop limit makes synchronize() an error naming it.
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

// out[0] = 2 * a + a * b: `a` outer iterations, each with an inner loop of `b`.
const char* kNested = R"(module {
  tt.func public @nested(%out: !tt.ptr<i32>, %a: i32, %b: i32) {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c2 = arith.constant 2 : i32
    %r = scf.for %i = %c0 to %a step %c1 iter_args(%acc = %c0) -> (i32)  : i32 {
      %in = scf.for %j = %c0 to %b step %c1 iter_args(%x = %acc) -> (i32)  : i32 {
        %x1 = arith.addi %x, %c1 : i32
        scf.yield %x1 : i32
      }
      %y = arith.addi %in, %c2 : i32
      scf.yield %y : i32
    }
    tt.store %out, %r : !tt.ptr<i32>
    tt.return
  }
}
)";

TEST(LoopStatus, ParameterBindingsAreNotTheStatusBinding) {
  Reflection r;
  r.entry = "k";
  r.workgroupSize[0] = 8;
  r.args.resize(2);
  r.statusBinding = 1;
  Target t = *targetProfile("lavapipe");
  Status s = checkKernelFitsDevice(r, t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("status binding 1"), std::string::npos) << s.message();
  r.statusBinding = 2;
  EXPECT_TRUE(checkKernelFitsDevice(r, t).ok());
}

TEST(LoopStatus, RunningIntoTheLimitIsAnErrorAtSynchronize) {
  Device& d = device();
  if (d.target().maxLoopIterations == 0) GTEST_SKIP() << "the device has no loop limit";
  size_t validationBefore = validationMessageCount();
  CompileOptions o;
  o.target = d.target();
  o.numWarps = 1;
  Result<CompiledKernel> k = compileTTIR(kNested, o);
  ASSERT_TRUE(k.ok()) << k.status().message();
  ASSERT_EQ(k->reflection.statusBinding, 3);
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(*k);
  ASSERT_TRUE(p.ok()) << p.status().message();
  Result<Buffer> out = d.allocate(4);
  ASSERT_TRUE(out.ok());
  uint32_t grid[3] = {2, 1, 1};
  auto run = [&](int32_t a, int32_t b) {
    return d.launch(**p, grid, {LaunchArg::ofBuffer(*out), LaunchArg::of(a), LaunchArg::of(b)});
  };
  auto result = [&] {
    int32_t v = -1;
    EXPECT_TRUE(d.download(*out, 0, &v, 4).ok());
    return v;
  };

  // 300 × 70000 inner iterations in 8 body copies per pass: about 2.6 million passes.
  ASSERT_TRUE(run(300, 70000).ok());
  Status s = d.synchronize();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("loop limit: kernel 'nested' ran into the loop limit of " +
                             d.target().name + " (" +
                             std::to_string(d.target().maxLoopIterations) + " loop iterations"),
            std::string::npos)
      << s.message();
  // The flag was cleared: the same kernel within the limit runs and reports nothing.
  ASSERT_TRUE(run(3, 70000).ok());
  ASSERT_TRUE(d.synchronize().ok());
  EXPECT_EQ(result(), 3 * 70002);
  // Loops far past the limit as written, within it once copied.
  ASSERT_TRUE(run(2, 200000).ok());
  ASSERT_TRUE(d.synchronize().ok());
  EXPECT_EQ(result(), 2 * 200002);
  EXPECT_EQ(validationMessageCount(), validationBefore);
}

}  // namespace
}  // namespace tvk
