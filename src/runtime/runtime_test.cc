// Runtime tests on the local Vulkan device (lavapipe here), all under the validation layer.
#include "runtime/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "runtime/device_impl.h"
#include "runtime/device_testing.h"
#include "runtime/devices.h"
#include "runtime/glsl_testing.h"
#include "runtime/memory.h"
#include "runtime/vk_check.h"

namespace tvk {
namespace {

using testing::addKernel;
using testing::gridKernel;

// Every test here runs with the validation layer on (set before the instance exists).
using testing::device;
using testing::kValidationOn;

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { before_ = validationMessageCount(); }
  void TearDown() override {
    EXPECT_EQ(validationMessageCount(), before_) << "validation messages were reported";
  }
  size_t before_ = 0;
};

TEST(Validation, MessengerCountsAndStoresMessages) {
  Device& d = device();
  ASSERT_TRUE(validationEnabled());
  size_t before = validationMessageCount();
  // Invalid on purpose: a buffer of size 0 (VUID-VkBufferCreateInfo-size-00912).
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = 0;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkResult r = vkCreateBuffer(d.impl().device, &info, nullptr, &buffer);
  if (r == VK_SUCCESS && buffer != VK_NULL_HANDLE) vkDestroyBuffer(d.impl().device, buffer, nullptr);
  ASSERT_GT(validationMessageCount(), before);
  std::vector<std::string> messages = validationMessages();
  EXPECT_NE(messages.back().find("size"), std::string::npos) << messages.back();
}

TEST_F(RuntimeTest, EnumeratesLavapipeWithDeviceLimits) {
  ASSERT_TRUE(kValidationOn);
  Result<std::vector<DeviceInfo>> devices = enumerateDevices();
  ASSERT_TRUE(devices.ok()) << devices.status().message();
  ASSERT_FALSE(devices->empty());
  int defaults = 0;
  for (const DeviceInfo& d : *devices) defaults += d.isDefault;
  EXPECT_EQ(defaults, 1);
  EXPECT_TRUE(validationEnabled());
  const Target& t = device().target();
  // Every limit comes from the device: sanity, not hard-coded values.
  EXPECT_GT(t.subgroupSize, 0u);
  EXPECT_EQ(t.subgroupSize & (t.subgroupSize - 1), 0u);
  EXPECT_GE(t.maxSubgroupSize, t.minSubgroupSize);
  EXPECT_GE(t.sharedMemoryBytes, 16384u);
  EXPECT_GE(t.pushConstantBytes, 128u);
  EXPECT_GE(t.maxWorkgroupCount[0], 65535u);
  EXPECT_EQ(t.name, device().info().name);
  if (device().info().name.find("llvmpipe") != std::string::npos) {
    EXPECT_EQ(device().info().type, "cpu");
    EXPECT_TRUE(t.int64 && t.float16 && t.storage8 && t.storage16);
    // lavapipe's subgroup size follows LP_NATIVE_VECTOR_WIDTH (32-bit lanes).
    const char* width = std::getenv("LP_NATIVE_VECTOR_WIDTH");
    if (width) {
      EXPECT_EQ(t.subgroupSize, static_cast<uint32_t>(std::atoi(width) / 32));
    }
  }
}

TEST(DeviceChoice, PrefersDiscreteThenIntegratedAndHonoursSelector) {
  std::vector<DeviceInfo> devs(3);
  devs[0].index = 0; devs[0].name = "llvmpipe (LLVM 15)"; devs[0].type = "cpu";
  devs[1].index = 1; devs[1].name = "Intel UHD"; devs[1].type = "integrated";
  devs[2].index = 2; devs[2].name = "NVIDIA H100"; devs[2].type = "discrete";
  EXPECT_EQ(*chooseDevice(devs, ""), 2);
  devs.pop_back();
  EXPECT_EQ(*chooseDevice(devs, ""), 1);
  EXPECT_EQ(*chooseDevice(devs, "0"), 0);
  EXPECT_EQ(*chooseDevice(devs, "LLVMPIPE"), 0);
  EXPECT_FALSE(chooseDevice(devs, "7").ok());
  EXPECT_FALSE(chooseDevice(devs, "radeon").ok());
  EXPECT_FALSE(chooseDevice({}, "").ok());
}

TEST_F(RuntimeTest, BufferAllocMapAndReuse) {
  Device& d = device();
  Result<Buffer> a = d.allocate(1000);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->data() != nullptr, d.hostVisibleMemory());
  EXPECT_EQ(a->size(), 1000u);
  if (a->data()) std::memset(a->data(), 0xab, a->size());
  Result<Buffer> b = d.allocate(1000);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->vkBuffer(), b->vkBuffer());
  if (a->vkMemory() == b->vkMemory()) {
    VkDeviceSize lo = std::min(a->memoryOffset(), b->memoryOffset());
    VkDeviceSize hi = std::max(a->memoryOffset(), b->memoryOffset());
    EXPECT_GE(hi - lo, 1000u);
  }
  VkBuffer first = a->vkBuffer();
  size_t allocated = d.allocatedBytes();
  *a = Buffer();  // back to the cache
  Result<Buffer> c = d.allocate(900);  // same size class
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->vkBuffer(), first);
  EXPECT_EQ(c->size(), 900u);
  EXPECT_EQ(d.allocatedBytes(), allocated);
  // Upload/download round trip.
  std::vector<uint8_t> bytes(900);
  std::iota(bytes.begin(), bytes.end(), 0);
  ASSERT_TRUE(d.upload(*c, 0, bytes.data(), bytes.size()).ok());
  std::vector<uint8_t> back(900);
  ASSERT_TRUE(d.download(*c, 0, back.data(), back.size()).ok());
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(d.upload(*c, 800, bytes.data(), 200).ok());
  EXPECT_FALSE(d.allocate(0).ok());
  Result<Buffer> big = d.allocate(40u << 20);  // dedicated block
  ASSERT_TRUE(big.ok()) << big.status().message();
  uint8_t seven = 7, back7 = 0;
  ASSERT_TRUE(d.upload(*big, (40u << 20) - 1, &seven, 1).ok());
  ASSERT_TRUE(d.download(*big, (40u << 20) - 1, &back7, 1).ok());
  EXPECT_EQ(back7, 7);
}

TEST_F(RuntimeTest, StagingPathForUnmappedMemory) {
  Result<std::unique_ptr<Device>> opened = openDevice(device().info().index);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Device::Impl& d = (*opened)->impl();
  auto memory =
      MemoryPool::create(d.device, d.facts.physical, d.poolOptions(MemoryKind::DeviceUnmapped));
  auto staging = MemoryPool::create(d.device, d.facts.physical, d.poolOptions(MemoryKind::Staging));
  ASSERT_TRUE(memory.ok() && staging.ok());
  d.memory = std::move(*memory);
  d.staging = std::move(*staging);
  Result<Buffer> b = (*opened)->allocate(4000);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data(), nullptr);
  std::vector<uint32_t> in(1000), out(1000, 0);
  std::iota(in.begin(), in.end(), 17u);
  ASSERT_TRUE((*opened)->upload(*b, 0, in.data(), 4000).ok());
  ASSERT_TRUE((*opened)->download(*b, 0, out.data(), 4000).ok());
  EXPECT_EQ(out, in);
  std::vector<uint32_t> part(10, 0);
  ASSERT_TRUE((*opened)->download(*b, 400, part.data(), 40).ok());
  EXPECT_EQ(part[0], 117u);
}

void runAdd(Device& d, uint64_t outOffsetElems) {
  const Target& t = d.target();
  CompiledKernel k = addKernel(t);
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(k);
  ASSERT_TRUE(p.ok()) << p.status().message();
  const int n = 10007;
  Result<Buffer> x = d.allocate(n * 4), y = d.allocate(n * 4);
  Result<Buffer> out = d.allocate((n + outOffsetElems) * 4);
  ASSERT_TRUE(x.ok() && y.ok() && out.ok());
  std::vector<float> xp(n), yp(n), op(n + outOffsetElems, -1.0f);
  for (int i = 0; i < n; ++i) { xp[i] = i * 0.5f; yp[i] = 1000.0f - i; }
  ASSERT_TRUE(d.upload(*x, 0, xp.data(), n * 4).ok());
  ASSERT_TRUE(d.upload(*y, 0, yp.data(), n * 4).ok());
  ASSERT_TRUE(d.upload(*out, 0, op.data(), op.size() * 4).ok());
  uint32_t wg = k.reflection.workgroupSize[0];
  uint32_t grid[3] = {(n + wg - 1) / wg, 1, 1};
  Status s = d.launch(**p, grid,
                      {LaunchArg::ofBuffer(*x), LaunchArg::ofBuffer(*y),
                       LaunchArg::ofBuffer(*out, outOffsetElems * 4), LaunchArg::of<int32_t>(n)});
  ASSERT_TRUE(s.ok()) << s.message();
  if (out->data()) {  // nothing runs before synchronize()
    EXPECT_EQ(static_cast<float*>(out->data())[outOffsetElems], -1.0f);
  }
  ASSERT_TRUE(d.synchronize().ok());
  ASSERT_TRUE(d.download(*out, 0, op.data(), op.size() * 4).ok());
  for (uint64_t i = 0; i < outOffsetElems; ++i) EXPECT_EQ(op[i], -1.0f) << i;
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += op[outOffsetElems + i] != xp[i] + yp[i];
  EXPECT_EQ(bad, 0);
}

TEST_F(RuntimeTest, LaunchesGlslAddWithPushConstants) { runAdd(device(), 0); }

TEST_F(RuntimeTest, LaunchesWithUnalignedBufferOffset) {
  // 5 floats = 20 bytes: bound at 16 (alignment) with base_elems 1 on lavapipe.
  runAdd(device(), 5);
  runAdd(device(), 64);
}

TEST_F(RuntimeTest, PipelinesAreCached) {
  CompiledKernel k = addKernel(device().target());
  Result<std::shared_ptr<Pipeline>> a = device().pipeline(k);
  Result<std::shared_ptr<Pipeline>> b = device().pipeline(k);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
}

TEST_F(RuntimeTest, DescriptorPoolPathWithoutPushDescriptors) {
  Result<std::unique_ptr<Device>> d = openDevice(device().info().index);
  ASSERT_TRUE(d.ok()) << d.status().message();
  (*d)->impl().pushDescriptorFn = nullptr;
  EXPECT_FALSE((*d)->usesPushDescriptors());
  runAdd(**d, 3);
  runAdd(**d, 0);
}

TEST_F(RuntimeTest, SplitsGridsLargerThanMaxWorkgroupCount) {
  Device& d = device();
  // Overflow the dimension with the smallest limit (x: 65535 on lavapipe → 70000 programs;
  // y on NVIDIA, whose x limit is 2^31-1).
  const uint32_t* maxCount = d.target().maxWorkgroupCount;
  const int dim = static_cast<int>(std::min_element(maxCount, maxCount + 3) - maxCount);
  const uint32_t programs = maxCount[dim] + 4465;
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(gridKernel());
  ASSERT_TRUE(p.ok()) << p.status().message();
  Result<Buffer> hits = d.allocate(programs * 4), grid = d.allocate(64);
  ASSERT_TRUE(hits.ok() && grid.ok());
  std::vector<uint32_t> h(programs, 0), gp(16, 0);
  ASSERT_TRUE(d.upload(*hits, 0, h.data(), programs * 4).ok());
  ASSERT_TRUE(d.upload(*grid, 0, gp.data(), 64).ok());
  uint64_t before = d.dispatchCount();
  uint32_t g[3] = {1, 1, 1};
  g[dim] = programs;
  ASSERT_TRUE(d.launch(**p, g, {LaunchArg::ofBuffer(*hits), LaunchArg::ofBuffer(*grid)}).ok());
  ASSERT_TRUE(d.synchronize().ok());
  EXPECT_EQ(d.dispatchCount() - before, 2u);
  ASSERT_TRUE(d.download(*hits, 0, h.data(), programs * 4).ok());
  ASSERT_TRUE(d.download(*grid, 0, gp.data(), 64).ok());
  uint32_t wrong = 0;
  for (uint32_t i = 0; i < programs; ++i) wrong += h[i] != 1;
  EXPECT_EQ(wrong, 0u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(gp[i], g[i]);
}

// The add kernel over n elements with its buffers, launched by launch().
struct AddLaunch {
  AddLaunch(Device& dev, int elems) : d(dev), n(elems), k(addKernel(dev.target())) {
    Result<std::shared_ptr<Pipeline>> made = d.pipeline(k);
    Result<Buffer> bx = d.allocate(n * 4), by = d.allocate(n * 4), bo = d.allocate(n * 4);
    ok = made.ok() && bx.ok() && by.ok() && bo.ok();
    if (!ok) return;
    p = *made;
    x = std::move(*bx), y = std::move(*by), o = std::move(*bo);
  }
  Status launch() {
    uint32_t grid[3] = {n / k.reflection.workgroupSize[0], 1, 1};
    return d.launch(*p, grid, {LaunchArg::ofBuffer(x), LaunchArg::ofBuffer(y), LaunchArg::ofBuffer(o),
                              LaunchArg::of<int32_t>(n)});
  }
  Device& d;
  uint32_t n;
  CompiledKernel k;
  std::shared_ptr<Pipeline> p;
  Buffer x, y, o;
  bool ok = false;
};

TEST_F(RuntimeTest, TimestampsMeasureLaunches) {
  Device& d = device();
  AddLaunch add(d, 1 << 20);
  ASSERT_TRUE(add.ok);
  Result<Event> start = d.recordEvent();
  ASSERT_TRUE(start.ok()) << start.status().message();
  ASSERT_TRUE(add.launch().ok());
  Result<Event> end = d.recordEvent();
  ASSERT_TRUE(end.ok());
  Result<double> ms = d.elapsedMs(*start, *end);
  ASSERT_TRUE(ms.ok()) << ms.status().message();
  EXPECT_GT(*ms, 0.0);
  EXPECT_LT(*ms, 60000.0);
}

// More events than the device's query pool holds (4096), as do_bench records them: pairs kept
// alive over a batch, then dropped. Released queries come back reset (on the host where the
// device has hostQueryReset, else in the stream); a timestamp into a query not reset is a
// validation error, which the fixture counts.
TEST_F(RuntimeTest, EventsRecycleTheirQueries) {
  Device& d = device();
  AddLaunch add(d, 1024);
  ASSERT_TRUE(add.ok);
  for (int round = 0; round < 6; ++round) {
    std::vector<Event> starts, ends;
    for (int i = 0; i < 1000; ++i) {
      Result<Event> start = d.recordEvent();
      ASSERT_TRUE(start.ok()) << round << " " << i << ": " << start.status().message();
      ASSERT_TRUE(add.launch().ok());
      Result<Event> end = d.recordEvent();
      ASSERT_TRUE(end.ok());
      starts.push_back(std::move(*start));
      ends.push_back(std::move(*end));
      if (round % 2 && i % 3 == 0) {  // dropped before its batch ran: reused in the stream
        starts.pop_back();
        ends.pop_back();
      }
    }
    for (size_t i = 0; i < starts.size(); i += 97) {
      Result<double> ms = d.elapsedMs(starts[i], ends[i]);
      ASSERT_TRUE(ms.ok()) << ms.status().message();
      EXPECT_GE(*ms, 0.0);
      EXPECT_LT(*ms, 60000.0);
    }
  }
  EXPECT_TRUE(d.synchronize().ok());
}

TEST_F(RuntimeTest, ArgumentErrorsAreClear) {
  Device& d = device();
  CompiledKernel k = addKernel(d.target());
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(k);
  ASSERT_TRUE(p.ok());
  Result<Buffer> x = d.allocate(64);
  ASSERT_TRUE(x.ok());
  uint32_t grid[3] = {1, 1, 1};
  LaunchArg b = LaunchArg::ofBuffer(*x);
  auto err = [&](std::vector<LaunchArg> args) {
    Status s = d.launch(**p, grid, args);
    EXPECT_FALSE(s.ok());
    return s.message();
  };
  EXPECT_NE(err({b, b, b}).find("takes 4 arguments, got 3"), std::string::npos);
  EXPECT_NE(err({b, b, LaunchArg::of<int32_t>(1), LaunchArg::of<int32_t>(1)})
                .find("is a buffer"),
            std::string::npos);
  EXPECT_NE(err({b, b, b, b}).find("is a scalar"), std::string::npos);
  EXPECT_NE(err({b, b, b, LaunchArg::of<int64_t>(1)}).find("takes 4 bytes, got 8"),
            std::string::npos);
  EXPECT_NE(err({b, b, LaunchArg::ofBuffer(*x, 64), LaunchArg::of<int32_t>(1)})
                .find("outside its buffer"),
            std::string::npos);
  EXPECT_NE(err({b, b, LaunchArg::ofBuffer(*x, 2), LaunchArg::of<int32_t>(1)})
                .find("element size"),
            std::string::npos);
  ASSERT_TRUE(d.synchronize().ok());
}

TEST_F(RuntimeTest, KernelsTheDeviceCannotRunAreRejected) {
  Device& d = device();
  CompiledKernel k = addKernel(d.target());
  k.reflection.features = {"noSuchFeature"};
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(k);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("noSuchFeature"), std::string::npos);
  k.reflection.features = {};
  k.reflection.subgroupSize = d.target().maxSubgroupSize * 2;
  p = d.pipeline(k);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("subgroup size"), std::string::npos);
  k.reflection.subgroupSize = d.target().subgroupSize;
  k.reflection.sharedBytes = d.target().sharedMemoryBytes + 4;
  p = d.pipeline(k);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("shared memory"), std::string::npos);
  Target noFp64 = d.target();
  noFp64.float64 = false;
  Reflection r = k.reflection;
  r.sharedBytes = 0;
  r.features = {"float64"};
  Status s = checkKernelFitsDevice(r, noFp64);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("float64"), std::string::npos);
}

TEST(VkCheck, NamesResults) {
  Status s = vkCheck(VK_ERROR_DEVICE_LOST, "vkQueueSubmit(queue, 1, &submit, fence)");
  EXPECT_EQ(s.message(), "vkQueueSubmit failed: VK_ERROR_DEVICE_LOST");
  EXPECT_STREQ(vkResultName(VK_ERROR_OUT_OF_DEVICE_MEMORY), "VK_ERROR_OUT_OF_DEVICE_MEMORY");
  EXPECT_TRUE(vkCheck(VK_SUCCESS, "x").ok());
}

}  // namespace
}  // namespace tvk
