// The caching allocator: impossible sizes, the cache limit, and out-of-memory retries, on the
// local Vulkan device with the validation layer on.
#include "runtime/memory.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "runtime/device_impl.h"
#include "runtime/device_testing.h"

namespace tvk {
namespace {

using testing::device;
using testing::kValidationOn;

constexpr uint64_t kMiB = 1ull << 20;

std::unique_ptr<Device> openWith(const DeviceOptions& o) {
  Result<std::unique_ptr<Device>> d = openDevice(device().info().index, o);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return d.ok() ? std::move(*d) : nullptr;
}

TEST(SizeClass, RoundsUpWithBoundedWasteAndNeverOverflows) {
  EXPECT_EQ(sizeClassFor(1), 256u);
  EXPECT_EQ(sizeClassFor(256), 256u);
  EXPECT_EQ(sizeClassFor(257), 512u);
  EXPECT_EQ(sizeClassFor(4096), 4096u);
  for (VkDeviceSize s : {4097ull, 10000ull, 1000000ull, 123456789ull, (1ull << 61) + 3}) {
    VkDeviceSize c = sizeClassFor(s);
    EXPECT_GE(c, s);
    EXPECT_LE(c, s + s / 4 + 256);
    EXPECT_EQ(sizeClassFor(c), c);
  }
  EXPECT_EQ(sizeClassFor(1ull << 62), 1ull << 62);
  EXPECT_EQ(sizeClassFor((1ull << 62) + 1), 0u);  // no class: impossible request
  EXPECT_EQ(sizeClassFor(1ull << 63), 0u);
  EXPECT_EQ(sizeClassFor(~0ull), 0u);
}

TEST(Allocator, ImpossibleSizesFailAtOnce) {
  ASSERT_TRUE(kValidationOn);
  auto start = std::chrono::steady_clock::now();
  for (uint64_t bytes : {1ull << 63, 1ull << 61, ~0ull}) {
    Result<Buffer> b = device().allocate(bytes);
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.status().message().find("largest allocation"), std::string::npos)
        << b.status().message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(Allocator, CacheStaysWithinItsLimit) {
  DeviceOptions o;
  o.cacheLimitBytes = 64 * kMiB;
  std::unique_ptr<Device> d = openWith(o);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->memoryStats().cacheLimit, 64 * kMiB);
  // Twelve large buffers of different size classes, each freed before the next.
  for (int i = 0; i < 12; ++i) {
    Result<Buffer> b = d->allocate((40 + 7 * i) * kMiB);
    ASSERT_TRUE(b.ok()) << b.status().message();
    *b = Buffer();
    MemoryStats s = d->memoryStats();
    EXPECT_LE(s.cachedBytes, 64 * kMiB) << i;
    EXPECT_LE(s.allocatedBytes, 64 * kMiB + 40 * kMiB) << i;  // cache + one shared block
  }
  EXPECT_GT(d->memoryStats().returnedBytes, 0u);
  // Reuse within the limit: the same size class comes back from the cache.
  Result<Buffer> a = d->allocate(50 * kMiB);
  ASSERT_TRUE(a.ok());
  VkBuffer first = a->vkBuffer();
  *a = Buffer();
  Result<Buffer> again = d->allocate(50 * kMiB);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->vkBuffer(), first);
  *again = Buffer();
  d->emptyCache();
  EXPECT_EQ(d->memoryStats().cachedBytes, 0u);
  EXPECT_EQ(d->memoryStats().allocatedBytes, 0u);
  d->setCacheLimit(0);
  Result<Buffer> small = d->allocate(1000);
  ASSERT_TRUE(small.ok());
  *small = Buffer();
  EXPECT_EQ(d->memoryStats().allocatedBytes, 0u);  // a whole idle shared block goes back
}

TEST(Allocator, OutOfMemoryReturnsTheCacheAndRetries) {
  DeviceOptions o;
  o.cacheLimitBytes = int64_t(1) << 40;  // keep everything unless out of memory
  std::unique_ptr<Device> d = openWith(o);
  ASSERT_TRUE(d);
  d->impl().memory->setBudgetForTesting(200 * kMiB);
  Result<Buffer> a = d->allocate(120 * kMiB);
  ASSERT_TRUE(a.ok()) << a.status().message();
  *a = Buffer();
  EXPECT_EQ(d->memoryStats().cachedBytes, sizeClassFor(120 * kMiB));
  Result<Buffer> b = d->allocate(150 * kMiB);  // another class: over budget until the cache goes
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(d->memoryStats().outOfMemoryRetries, 1u);
  EXPECT_EQ(d->memoryStats().cachedBytes, 0u);
  Result<Buffer> c = d->allocate(150 * kMiB);  // really out of memory
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("VK_ERROR_OUT_OF_DEVICE_MEMORY"), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("in use"), std::string::npos);
}

TEST(Allocator, OutOfMemoryWaitsForBuffersTheGpuStillUses) {
  DeviceOptions o;
  o.cacheLimitBytes = int64_t(1) << 40;
  std::unique_ptr<Device> d = openWith(o);
  ASSERT_TRUE(d);
  d->impl().memory->setBudgetForTesting(200 * kMiB);
  Result<Buffer> a = d->allocate(120 * kMiB);
  ASSERT_TRUE(a.ok());
  Result<Event> e = d->recordEvent();  // recorded work not yet finished: frees wait for it
  ASSERT_TRUE(e.ok()) << e.status().message();
  *a = Buffer();
  EXPECT_EQ(d->memoryStats().pendingBytes, sizeClassFor(120 * kMiB));
  Result<Buffer> b = d->allocate(150 * kMiB);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(d->memoryStats().pendingBytes, 0u);
}

// A buffer released while recorded work may still use it: an AfterGpu allocation of its size
// class gets new memory, a StreamOrdered one takes it at once (the stream orders the work).
TEST(Allocator, StreamOrderedAllocationsReusePendingBuffers) {
  std::unique_ptr<Device> d = openWith(DeviceOptions());
  ASSERT_TRUE(d);
  Result<Buffer> a = d->allocate(3 * kMiB);
  ASSERT_TRUE(a.ok());
  const uint64_t address = a->deviceAddress();
  void* host = a->data();
  Result<Event> e = d->recordEvent();  // recorded work not yet finished
  ASSERT_TRUE(e.ok()) << e.status().message();
  *a = Buffer();
  EXPECT_EQ(d->memoryStats().pendingBytes, sizeClassFor(3 * kMiB));
  const size_t created = d->impl().memory->slotsCreated();
  Result<Buffer> b = d->allocate(3 * kMiB);  // AfterGpu: a new slot
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(d->impl().memory->slotsCreated(), created + 1);
  Result<Buffer> other = d->allocate(5 * kMiB, Reuse::StreamOrdered);  // another class: new
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(d->impl().memory->slotsCreated(), created + 2);
  Result<Buffer> c = d->allocate(3 * kMiB, Reuse::StreamOrdered);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(d->impl().memory->slotsCreated(), created + 2);
  EXPECT_EQ(c->data(), host);
  EXPECT_EQ(c->deviceAddress(), address);
  EXPECT_EQ(d->memoryStats().pendingBytes, 0u);
  ASSERT_TRUE(d->synchronize().ok());
}

}  // namespace
}  // namespace tvk
