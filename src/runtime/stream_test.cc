// The command stream under load: several threads on one and on two logical devices, batched
// submission of huge split grids, the wait timeout (device lost) and interrupted waits; on the
// local Vulkan device with the validation layer on.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "runtime/device_impl.h"
#include "runtime/device_testing.h"
#include "runtime/glsl_testing.h"
#include "runtime/runtime.h"

namespace tvk {
namespace {

using testing::addKernel;
using testing::device;
using testing::gridKernel;
using testing::kValidationOn;
using testing::spinKernel;

std::unique_ptr<Device> openWith(const DeviceOptions& o) {
  Result<std::unique_ptr<Device>> d = openDevice(device().info().index, o);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return d.ok() ? std::move(*d) : nullptr;
}

// One thread's work: allocate, fill, launch, synchronize (or not), check, free.
void addLoop(Device& d, const CompiledKernel& k, int seed, int rounds, std::atomic<int>& bad) {
  std::mt19937 rng(seed);
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(k);  // cache races included
  if (!p.ok()) {
    ADD_FAILURE() << p.status().message();
    ++bad;
    return;
  }
  const uint32_t wg = k.reflection.workgroupSize[0];
  for (int r = 0; r < rounds; ++r) {
    const int n = 1 + int(rng() % 20000);
    Result<Buffer> x = d.allocate(n * 4), y = d.allocate(n * 4), o = d.allocate(n * 4);
    if (!x.ok() || !y.ok() || !o.ok()) {
      ADD_FAILURE() << "allocation failed";
      ++bad;
      return;
    }
    std::vector<float> xs(n), ys(n), os(n, -1.0f);
    for (int i = 0; i < n; ++i) { xs[i] = float(i + seed); ys[i] = float(r); }
    d.upload(*x, 0, xs.data(), n * 4);
    d.upload(*y, 0, ys.data(), n * 4);
    uint32_t grid[3] = {(uint32_t(n) + wg - 1) / wg, 1, 1};
    Status s = d.launch(**p, grid, {LaunchArg::ofBuffer(*x), LaunchArg::ofBuffer(*y),
                                    LaunchArg::ofBuffer(*o), LaunchArg::of<int32_t>(n)});
    if (s.ok()) s = d.download(*o, 0, os.data(), n * 4);  // synchronizes
    if (!s.ok()) {
      ADD_FAILURE() << s.message();
      ++bad;
      return;
    }
    for (int i = 0; i < n; ++i)
      if (os[i] != xs[i] + ys[i]) {
        ++bad;
        break;
      }
    if (r % 3 == 0) {  // free while other threads' work may be pending, no synchronize
      Result<Buffer> t = d.allocate(4096 + rng() % (1 << 20));
      Result<Event> e = d.recordEvent();
    }
  }
}

TEST(Stream, ThreadsShareOneDeviceAndTwoLogicalDevices) {
  ASSERT_TRUE(kValidationOn);
  size_t before = validationMessageCount();
  std::unique_ptr<Device> second = openWith(DeviceOptions());
  ASSERT_TRUE(second);
  CompiledKernel k = addKernel(device().target());
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    Device& d = t % 3 == 2 ? *second : device();
    threads.emplace_back([&, t] { addLoop(d, k, t * 7919, 25, bad); });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(device().synchronize().ok());
  EXPECT_TRUE(second->synchronize().ok());
  EXPECT_EQ(validationMessageCount(), before);
}

TEST(Stream, HugeSplitGridsAreSubmittedInBatches) {
  DeviceOptions o;
  o.dispatchesPerSubmit = 2;
  o.submitsInFlight = 1;
  std::unique_ptr<Device> d = openWith(o);
  ASSERT_TRUE(d);
  const uint32_t* maxCount = d->target().maxWorkgroupCount;
  const int dim = static_cast<int>(std::min_element(maxCount, maxCount + 3) - maxCount);
  const uint32_t programs = 4 * maxCount[dim] + 7;  // 5 pieces
  Result<std::shared_ptr<Pipeline>> p = d->pipeline(gridKernel());
  ASSERT_TRUE(p.ok()) << p.status().message();
  Result<Buffer> hits = d->allocate(uint64_t(programs) * 4), grid = d->allocate(64);
  ASSERT_TRUE(hits.ok() && grid.ok());
  std::vector<uint32_t> h(programs, 0);
  ASSERT_TRUE(d->upload(*hits, 0, h.data(), h.size() * 4).ok());
  uint64_t serialBefore = d->recordedSerial();
  uint32_t g[3] = {1, 1, 1};
  g[dim] = programs;
  ASSERT_TRUE(d->launch(**p, g, {LaunchArg::ofBuffer(*hits), LaunchArg::ofBuffer(*grid)}).ok());
  // 5 dispatches at 2 per submission: 2 submissions made (the last one waited for) before
  // synchronize, the fifth dispatch still recording.
  EXPECT_EQ(d->recordedSerial() - serialBefore, 3u);
  EXPECT_GE(d->completedSerial(), serialBefore + 1);
  ASSERT_TRUE(d->synchronize().ok());
  EXPECT_EQ(d->dispatchCount(), 5u);
  ASSERT_TRUE(d->download(*hits, 0, h.data(), h.size() * 4).ok());
  uint32_t wrong = 0;
  for (uint32_t v : h) wrong += v != 1;
  EXPECT_EQ(wrong, 0u);
  uint32_t tooBig[3] = {1, 0x80000000u, 1};
  Status s = d->launch(**p, tooBig, {LaunchArg::ofBuffer(*hits), LaunchArg::ofBuffer(*grid)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("exceeds 2147483647"), std::string::npos) << s.message();
}

TEST(Stream, FlushSubmitsAndKeepsAtMostSubmitsInFlightPending) {
  DeviceOptions o;
  o.submitsInFlight = 2;
  std::unique_ptr<Device> d = openWith(o);
  ASSERT_TRUE(d);
  CompiledKernel k = addKernel(d->target());
  Result<std::shared_ptr<Pipeline>> p = d->pipeline(k);
  ASSERT_TRUE(p.ok()) << p.status().message();
  const int n = 1000;
  Result<Buffer> x = d->allocate(n * 4), y = d->allocate(n * 4), out = d->allocate(n * 4);
  ASSERT_TRUE(x.ok() && y.ok() && out.ok());
  std::vector<float> xs(n, 1.0f), ys(n, 2.0f), os(n, 0.0f);
  ASSERT_TRUE(d->upload(*x, 0, xs.data(), n * 4).ok() && d->upload(*y, 0, ys.data(), n * 4).ok());
  const uint32_t wg = k.reflection.workgroupSize[0];
  uint32_t grid[3] = {(n + wg - 1) / wg, 1, 1};
  EXPECT_TRUE(d->flush().ok());  // nothing recorded: nothing to do
  uint64_t last = 0;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(d->launch(**p, grid, {LaunchArg::ofBuffer(*x), LaunchArg::ofBuffer(*y),
                                      LaunchArg::ofBuffer(*out), LaunchArg::of<int32_t>(n)}).ok());
    // each launch is in a submission of its own (the flush before ended the previous one) ...
    EXPECT_GT(d->recordedSerial(), last);
    last = d->recordedSerial();
    ASSERT_TRUE(d->flush().ok());
    // ... and at most submitsInFlight submissions are still pending after a flush
    EXPECT_GE(d->completedSerial() + o.submitsInFlight, d->recordedSerial());
  }
  ASSERT_TRUE(d->download(*out, 0, os.data(), n * 4).ok());
  EXPECT_EQ(os[0], 3.0f);
  EXPECT_EQ(os[n - 1], 3.0f);
}

struct Spinner {
  std::shared_ptr<Pipeline> pipeline;
  Buffer flag, out;
};

Spinner launchSpinner(Device& d) {
  Spinner s;
  Result<std::shared_ptr<Pipeline>> p = d.pipeline(spinKernel(d.target()));
  EXPECT_TRUE(p.ok()) << p.status().message();
  Result<Buffer> flag = d.allocate(4), out = d.allocate(8);
  EXPECT_TRUE(flag.ok() && out.ok());
  if (!p.ok() || !flag.ok() || !out.ok()) return s;
  s.pipeline = *p;
  s.flag = std::move(*flag);
  s.out = std::move(*out);
  uint32_t zero[2] = {0, 0};
  d.upload(s.flag, 0, zero, 4);
  d.upload(s.out, 0, zero, 8);
  uint32_t grid[3] = {50000, 1, 1};  // hours unless released
  Status st = d.launch(*s.pipeline, grid,
                       {LaunchArg::ofBuffer(s.flag), LaunchArg::ofBuffer(s.out),
                        LaunchArg::of<int32_t>(65000)});
  EXPECT_TRUE(st.ok()) << st.message();
  return s;
}

void release(Spinner& s) {
  if (s.flag.data()) static_cast<std::atomic<uint32_t>*>(s.flag.data())->store(1);
}

TEST(Stream, TimeoutMarksTheDeviceLost) {
  DeviceOptions o;
  o.timeoutSeconds = 0.5;
  std::unique_ptr<Device> d = openWith(o);
  ASSERT_TRUE(d);
  if (!d->hostVisibleMemory()) GTEST_SKIP() << "the spinner needs host-visible memory";
  Spinner spin = launchSpinner(*d);
  auto start = std::chrono::steady_clock::now();
  Status s = d->synchronize();
  ASSERT_FALSE(s.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_NE(s.message().find("timed out after 0.5 s"), std::string::npos) << s.message();
  EXPECT_NE(d->lostReason().find("timed out"), std::string::npos);
  Result<Buffer> b = d->allocate(64);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("is lost"), std::string::npos);
  EXPECT_FALSE(d->synchronize().ok());
  uint32_t grid[3] = {1, 1, 1};
  Status l = d->launch(*spin.pipeline, grid,
                       {LaunchArg::ofBuffer(spin.flag), LaunchArg::ofBuffer(spin.out),
                        LaunchArg::of<int32_t>(1)});
  EXPECT_NE(l.message().find("is lost"), std::string::npos) << l.message();
  release(spin);  // the kernel ends within milliseconds: the device can be destroyed
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

TEST(Stream, DeviceLostResultMarksTheDeviceLost) {
  std::unique_ptr<Device> d = openWith(DeviceOptions());
  ASSERT_TRUE(d);
  Device::Impl& impl = d->impl();
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    Status s = impl.vk(VK_ERROR_OUT_OF_HOST_MEMORY, "vkQueueSubmit");
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(impl.lost, "");  // other errors leave the device usable
    s = impl.vk(VK_ERROR_DEVICE_LOST, "vkQueueSubmit(queue, 1, &submit, fence)");
    EXPECT_NE(s.message().find("is lost: vkQueueSubmit failed: VK_ERROR_DEVICE_LOST"),
              std::string::npos)
        << s.message();
  }
  EXPECT_NE(d->lostReason().find("VK_ERROR_DEVICE_LOST"), std::string::npos);
  EXPECT_FALSE(d->synchronize().ok());
  EXPECT_FALSE(d->allocate(64).ok());
  EXPECT_FALSE(d->recordEvent().ok());
  EXPECT_FALSE(d->pipeline(addKernel(d->target())).ok());
}

TEST(Stream, InterruptedWaitLeavesTheWorkPending) {
  std::atomic<bool> stop{false};
  std::atomic<int> polls{0};
  DeviceOptions o;
  o.interrupted = [&] {
    ++polls;
    return stop.load();
  };
  std::unique_ptr<Device> d = openWith(o);
  ASSERT_TRUE(d);
  if (!d->hostVisibleMemory()) GTEST_SKIP() << "the spinner needs host-visible memory";
  Spinner spin = launchSpinner(*d);
  std::thread interrupter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  Status s = d->synchronize();
  interrupter.join();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("interrupted"), std::string::npos) << s.message();
  EXPECT_GT(polls.load(), 0);
  EXPECT_EQ(d->lostReason(), "");
  stop = false;
  release(spin);
  ASSERT_TRUE(d->synchronize().ok());
  uint32_t out = 0;
  ASSERT_TRUE(d->download(spin.out, 0, &out, 4).ok());
  EXPECT_GT(out, 0u);  // the kernel ran and saw the flag
}

}  // namespace
}  // namespace tvk
