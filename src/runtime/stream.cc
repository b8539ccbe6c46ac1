// The device's command stream: batches (command buffer + fence) recorded under the device
// mutex, submitted in order, and waited for without the mutex, in slices that poll the
// interrupt callback and enforce the timeout.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "runtime/device_impl.h"
#include "runtime/vk_check.h"

namespace tvk {
namespace {

constexpr uint64_t kSliceNs = 50'000'000;  // 50 ms between interrupt polls
constexpr size_t kSpareBatches = 8;        // finished batches kept for reuse

using Clock = std::chrono::steady_clock;

std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", ms / 1000.0);
  return buf;
}

void destroyBatch(VkDevice device, Batch& b) {
  for (VkDescriptorPool pool : b.descriptorPools) vkDestroyDescriptorPool(device, pool, nullptr);
  b.descriptorPools.clear();
  if (b.fence) vkDestroyFence(device, b.fence, nullptr);
  if (b.pool) vkDestroyCommandPool(device, b.pool, nullptr);  // frees b.cmd
  b.fence = VK_NULL_HANDLE;
  b.pool = VK_NULL_HANDLE;
}

}  // namespace

Status Device::Impl::checkAlive() const {
  if (lost.empty()) return Status();
  return Status::error("Vulkan device '" + info.name + "' is lost: " + lost);
}

Status Device::Impl::markLost(const std::string& reason) {
  if (lost.empty()) {
    lost = reason;
    isLost = true;
  }
  return checkAlive();
}

Status Device::Impl::vk(VkResult result, const char* what) {
  Status s = vkCheck(result, what);
  if (result == VK_ERROR_DEVICE_LOST) return markLost(s.message());
  return s;
}

Status Device::Impl::begin() {
  if (current) return Status();
  TVK_RETURN_IF_ERROR(checkAlive());
  std::shared_ptr<Batch> b;
  for (auto it = spare.begin(); it != spare.end(); ++it) {
    if (it->use_count() != 1) continue;  // a thread still waits on its fence
    b = std::move(*it);
    spare.erase(it);
    break;
  }
  if (b) {
    TVK_RETURN_IF_ERROR(vk(vkResetCommandPool(device, b->pool, 0), "vkResetCommandPool"));
    if (b->submitted) TVK_RETURN_IF_ERROR(vk(vkResetFences(device, 1, &b->fence), "vkResetFences"));
    for (VkDescriptorPool pool : b->descriptorPools) vkResetDescriptorPool(device, pool, 0);
  } else {
    b = std::make_shared<Batch>();
    VkCommandPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    poolInfo.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    poolInfo.queueFamilyIndex = queueFamily;
    Status s = vk(vkCreateCommandPool(device, &poolInfo, nullptr, &b->pool), "vkCreateCommandPool");
    VkCommandBufferAllocateInfo cmdInfo{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cmdInfo.commandPool = b->pool;
    cmdInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cmdInfo.commandBufferCount = 1;
    if (s.ok()) s = vk(vkAllocateCommandBuffers(device, &cmdInfo, &b->cmd), "vkAllocateCommandBuffers");
    VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (s.ok()) s = vk(vkCreateFence(device, &fenceInfo, nullptr, &b->fence), "vkCreateFence");
    if (!s.ok()) {
      destroyBatch(device, *b);
      return s;
    }
  }
  b->dispatches = 0;
  b->submitted = false;
  VkCommandBufferBeginInfo beginInfo{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  beginInfo.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  Status s = vk(vkBeginCommandBuffer(b->cmd, &beginInfo), "vkBeginCommandBuffer");
  if (!s.ok()) {
    destroyBatch(device, *b);
    return s;
  }
  b->serial = ++lastSerial;
  clock.lastUsed = b->serial;
  // Earlier submissions may still run: order this batch's first command after them.
  needBarrier = !inFlight.empty();
  current = std::move(b);
  return Status();
}

void Device::Impl::barrier() {
  if (!needBarrier || !current) return;
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  VkPipelineStageFlags stages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  vkCmdPipelineBarrier(current->cmd, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
  needBarrier = false;
}

Status Device::Impl::flush() {
  if (!current) return Status();
  std::shared_ptr<Batch> b = std::move(current);
  current.reset();
  // Make shader and transfer writes visible to the host.
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(b->cmd,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  Status status = vk(vkEndCommandBuffer(b->cmd), "vkEndCommandBuffer");
  if (status.ok()) {
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &b->cmd;
    status = vk(vkQueueSubmit(queue, 1, &submit, b->fence), "vkQueueSubmit");
    b->submitted = status.ok();
  }
  // A batch that failed to submit runs nothing: it finishes at once (retireFinished).
  lastSubmitted = b->serial;
  inFlight.push_back(std::move(b));
  needBarrier = false;
  return status;
}

Status Device::Impl::flushBounded(std::unique_lock<std::mutex>& lock) {
  Status s = flush();
  if (s.ok() && inFlight.size() >= options.submitsInFlight)
    s = waitFor(inFlight[inFlight.size() - options.submitsInFlight]->serial, lock);
  return s;
}

void Device::Impl::retireFinished() {
  uint64_t done = clock.completed;
  while (!inFlight.empty()) {
    Batch& b = *inFlight.front();
    if (b.submitted) {
      VkResult r = vkGetFenceStatus(device, b.fence);
      if (r == VK_NOT_READY) break;
      if (r != VK_SUCCESS) {
        vk(r, "vkGetFenceStatus");
        break;
      }
    }
    done = b.serial;
    if (b.submitted) finishedStatusKernels.insert(b.statusKernels.begin(), b.statusKernels.end());
    b.statusKernels.clear();
    b.debug = false;
    if (spare.size() < kSpareBatches || inFlight.front().use_count() != 1)
      spare.push_back(std::move(inFlight.front()));
    else
      destroyBatch(device, b);
    inFlight.pop_front();
  }
  if (done == clock.completed) return;
  clock.completed = done;
  memory->retire(done);
  if (staging) staging->retire(done);
}

Status Device::Impl::waitFor(uint64_t serial, std::unique_lock<std::mutex>& lock) {
  auto progress = Clock::now();
  for (;;) {
    retireFinished();
    TVK_RETURN_IF_ERROR(checkAlive());
    if (clock.completed >= serial) return Status();
    if (current && current->serial <= serial) TVK_RETURN_IF_ERROR(flush());
    if (inFlight.empty()) return Status();  // nothing left that could be waited for
    std::shared_ptr<Batch> b = inFlight.front();
    if (!b->submitted) continue;  // retired by the next retireFinished()
    const int64_t limitMs = timeoutMs;
    const uint64_t completedBefore = clock.completed;
    lock.unlock();
    VkResult r = vkWaitForFences(device, 1, &b->fence, VK_TRUE, kSliceNs);
    b.reset();
    bool interrupted = r == VK_TIMEOUT && options.interrupted && options.interrupted();
    lock.lock();
    if (r == VK_SUCCESS || clock.completed > completedBefore) {
      progress = Clock::now();
      continue;
    }
    if (r != VK_TIMEOUT) return vk(r, "vkWaitForFences");
    if (interrupted)
      return Status::error("interrupted while waiting for the GPU (the work is still pending)");
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - progress);
    if (limitMs > 0 && waited.count() >= limitMs)
      return markLost("timed out after " + seconds(limitMs) +
                      " s waiting for the GPU (TVK_TIMEOUT; 0 waits without limit); its "
                      "pending work is abandoned");
  }
}

Status Device::Impl::synchronize(std::unique_lock<std::mutex>& lock) {
  TVK_RETURN_IF_ERROR(checkAlive());
  TVK_RETURN_IF_ERROR(flush());
  TVK_RETURN_IF_ERROR(waitFor(lastSubmitted, lock));
  Status debug = drainDebug();
  Status status = checkStatus();
  if (!debug.ok()) return status.ok() ? debug : Status::error(debug.message() + "\n" + status.message());
  return status;
}

Status Device::synchronize() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->synchronize(lock);
}

Status Device::flush() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  TVK_RETURN_IF_ERROR(impl_->checkAlive());
  Status s = impl_->flushBounded(lock);  // as a full batch is (launch.cc)
  impl_->retireFinished();
  return s;
}

std::string Device::lostReason() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->lost;
}

uint64_t Device::recordedSerial() const { return impl_->clock.lastUsed; }
uint64_t Device::completedSerial() const { return impl_->clock.completed; }

void Device::setTimeout(double seconds) {
  impl_->timeoutMs = seconds <= 0 ? 0 : std::max<int64_t>(1, int64_t(seconds * 1000.0 + 0.5));
}

double Device::timeoutSeconds() const { return impl_->timeoutMs / 1000.0; }

bool Device::Impl::destroy() {
  if (device == VK_NULL_HANDLE) return true;
  {
    std::unique_lock<std::mutex> lock(mu);
    if (lost.empty()) {
      flush();
      const DeviceOptions saved = options;
      options.interrupted = nullptr;  // no callbacks during teardown
      waitFor(lastSubmitted, lock);
      options = saved;
    }
    retireFinished();
    // Work that never finished (a timeout) may still use every object: leak them all.
    for (const auto& b : inFlight) {
      if (!b->submitted) continue;
      VkResult r = vkGetFenceStatus(device, b->fence);
      if (r != VK_SUCCESS && r != VK_ERROR_DEVICE_LOST) return false;
    }
  }
  vkDeviceWaitIdle(device);
  for (auto& entry : pipelines)
    for (auto& p : entry.second) p->destroy();
  pipelines.clear();
  statusBuf = Buffer();
  debugBuf = Buffer();
  memory.reset();
  staging.reset();
  if (current) destroyBatch(device, *current);
  for (auto& b : inFlight) destroyBatch(device, *b);
  for (auto& b : spare) destroyBatch(device, *b);
  current.reset();
  inFlight.clear();
  spare.clear();
  if (queryPool) vkDestroyQueryPool(device, queryPool, nullptr);
  vkDestroyDevice(device, nullptr);
  device = VK_NULL_HANDLE;
  return true;
}

}  // namespace tvk
