// Launches are rejected when a buffer is smaller than the accesses the kernel certainly makes
// (reflection maxElemIndex), on the local Vulkan device with the validation layer on.
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "compiler/compiler.h"
#include "runtime/device_impl.h"
#include "runtime/device_testing.h"
#include "runtime/runtime.h"

namespace tvk {
namespace {

using testing::device;
using testing::kValidationOn;

// out[i] = 2 * x[i] for i < 64, no mask: both buffers need 64 floats.
const char* kDouble = R"(module {
  tt.func public @twice(%x_ptr: !tt.ptr<f32>, %out_ptr: !tt.ptr<f32>) {
    %r = tt.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>
    %x = tt.splat %x_ptr : !tt.ptr<f32> -> tensor<64x!tt.ptr<f32>>
    %xp = tt.addptr %x, %r : tensor<64x!tt.ptr<f32>>, tensor<64xi32>
    %v = tt.load %xp : tensor<64x!tt.ptr<f32>>
    %w = arith.addf %v, %v : tensor<64xf32>
    %o = tt.splat %out_ptr : !tt.ptr<f32> -> tensor<64x!tt.ptr<f32>>
    %op = tt.addptr %o, %r : tensor<64x!tt.ptr<f32>>, tensor<64xi32>
    tt.store %op, %w : tensor<64x!tt.ptr<f32>>
    tt.return
  }
}
)";

TEST(LaunchBounds, RejectsBuffersSmallerThanTheKernelsAccesses) {
  Device& d = device();
  size_t validationBefore = validationMessageCount();
  CompileOptions o;
  o.target = d.target();
  o.numWarps = 1;
  Result<CompiledKernel> k = compileTTIR(kDouble, o);
  ASSERT_TRUE(k.ok()) << k.status().message();
  ASSERT_EQ(k->reflection.args[0].maxElemIndex, 63);
  ASSERT_EQ(k->reflection.args[1].maxElemIndex, 63);
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(*k);
  ASSERT_TRUE(p.ok()) << p.status().message();
  Result<Buffer> x = d.allocate(64 * 4), small = d.allocate(63 * 4), out = d.allocate(65 * 4);
  ASSERT_TRUE(x.ok() && small.ok() && out.ok());
  uint32_t grid[3] = {1, 1, 1};

  // One float short.
  Status s = d.launch(**p, grid, {LaunchArg::ofBuffer(*small), LaunchArg::ofBuffer(*out)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "kernel 'twice': argument 0 ('x_ptr'): the kernel accesses elements up to index 63, "
            "which needs 256 bytes from byte offset 0, but the buffer has 252 bytes there");
  // Big enough, but the offset leaves too little: 260 - 8 = 252 bytes.
  s = d.launch(**p, grid, {LaunchArg::ofBuffer(*x), LaunchArg::ofBuffer(*out, 8)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("argument 1 ('out_ptr')"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("needs 256 bytes from byte offset 8, but the buffer has 252"), std::string::npos)
      << s.message();
  // An empty grid runs nothing and needs no bytes.
  uint32_t empty[3] = {0, 1, 1};
  EXPECT_TRUE(d.launch(**p, empty, {LaunchArg::ofBuffer(*small), LaunchArg::ofBuffer(*out)}).ok());

  // Exactly enough (out at offset 4 leaves 256 bytes): runs and computes.
  std::vector<float> xs(64), os(65, -1.0f);
  for (int i = 0; i < 64; ++i) xs[i] = 0.25f * i;
  ASSERT_TRUE(d.upload(*x, 0, xs.data(), 64 * 4).ok());
  ASSERT_TRUE(d.upload(*out, 0, os.data(), 65 * 4).ok());
  s = d.launch(**p, grid, {LaunchArg::ofBuffer(*x), LaunchArg::ofBuffer(*out, 4)});
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(d.synchronize().ok());
  ASSERT_TRUE(d.download(*out, 0, os.data(), 65 * 4).ok());
  EXPECT_EQ(os[0], -1.0f);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(os[i + 1], 0.5f * i) << i;

  // Without a known bound (-1) nothing is checked: packing the same arguments succeeds.
  Reflection unknown = k->reflection;
  EXPECT_FALSE(packLaunch(unknown, {LaunchArg::ofBuffer(*small), LaunchArg::ofBuffer(*out)}, grid, d.target()).ok());
  unknown.args[0].maxElemIndex = -1;
  EXPECT_TRUE(packLaunch(unknown, {LaunchArg::ofBuffer(*small), LaunchArg::ofBuffer(*out)}, grid, d.target()).ok());
  EXPECT_EQ(validationMessageCount(), validationBefore);
}

}  // namespace
}  // namespace tvk
