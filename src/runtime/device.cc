// Opening a logical device, the command stream, and host transfers.
#include <cstring>

#include "runtime/device_impl.h"
#include "runtime/devices.h"
#include "runtime/env.h"
#include "runtime/vk_check.h"

namespace tvk {
namespace {

constexpr uint32_t kQueryCapacity = 4096;
constexpr size_t kDirectReadBytes = 256 << 10;  // uncached mapped reads up to this size

// Relinks the feature structs the device supports into one chain and lists the extensions
// they need below their core version.
struct FeatureChain {
  DeviceFacts f;  // copies whose pNext we own
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  std::vector<const char*> extensions;

  explicit FeatureChain(const DeviceFacts& facts) : f(facts) {
    const bool v12 = f.apiVersion >= VK_API_VERSION_1_2;
    const bool v13 = f.apiVersion >= VK_API_VERSION_1_3;
    VkPhysicalDeviceFeatures& core = features.features;
    core.shaderInt64 = f.core.shaderInt64;
    core.shaderFloat64 = f.core.shaderFloat64;
    core.shaderInt16 = f.core.shaderInt16;
    void** tail = &features.pNext;
    auto link = [&](auto& s) { *tail = &s; tail = &s.pNext; };
    auto ext = [&](bool core, const char* name) {
      if (!core && f.hasExtension(name)) extensions.push_back(name);
    };
    link(f.storage16);
    if (f.has8Bit) { link(f.storage8); ext(v12, VK_KHR_8BIT_STORAGE_EXTENSION_NAME); }
    if (f.hasFloat16Int8) {
      link(f.float16Int8);
      ext(v12, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
    }
    if (f.hasAtomicInt64) {
      link(f.atomicInt64);
      ext(v12, VK_KHR_SHADER_ATOMIC_INT64_EXTENSION_NAME);
    }
    if (f.hasAtomicFloat) {
      link(f.atomicFloat);
      ext(false, VK_EXT_SHADER_ATOMIC_FLOAT_EXTENSION_NAME);
    }
    if (f.hasBda) {
      f.bda.bufferDeviceAddressCaptureReplay = VK_FALSE;
      f.bda.bufferDeviceAddressMultiDevice = VK_FALSE;
      link(f.bda);
      ext(v12, VK_KHR_BUFFER_DEVICE_ADDRESS_EXTENSION_NAME);
    }
    if (f.hasSizeControl) {
      link(f.sizeControl);
      ext(v13, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    }
    if (f.hasExtendedTypes) {
      link(f.extendedTypes);
      ext(v12, VK_KHR_SHADER_SUBGROUP_EXTENDED_TYPES_EXTENSION_NAME);
    }
    if (f.hasMemoryModel) {
      link(f.memoryModel);
      ext(v12, VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME);
    }
    if (f.hasCoopMat && f.coopMat.cooperativeMatrix) {
      f.coopMat.cooperativeMatrixRobustBufferAccess = VK_FALSE;
      link(f.coopMat);
      ext(false, kCoopMatExtension);
    }
    *tail = nullptr;
    if (f.pushDescriptor) extensions.push_back(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
    ext(false, "VK_KHR_portability_subset");
  }
};

}  // namespace

Result<std::unique_ptr<Device>> openDevice(int index) {
  Result<std::vector<DeviceInfo>> devices = enumerateDevices();
  if (!devices.ok()) return devices.status();
  if (index < 0) {
    Result<int> chosen = chooseDevice(*devices, envDevice());
    if (!chosen.ok()) return chosen.status();
    index = *chosen;
  }
  const DeviceInfo* info = nullptr;
  for (const DeviceInfo& d : *devices)
    if (d.index == index) info = &d;
  if (!info)
    return Status::error("no Vulkan device with index " + std::to_string(index) + " (" +
                         std::to_string(devices->size()) + " usable devices)");

  auto impl = std::make_unique<Device::Impl>();
  Result<std::shared_ptr<Instance>> instance = Instance::get();
  if (!instance.ok()) return instance.status();
  impl->instance = *instance;
  Result<std::vector<VkPhysicalDevice>> physicals = impl->instance->physicalDevices();
  if (!physicals.ok()) return physicals.status();
  Result<DeviceFacts> facts = queryDeviceFacts(*impl->instance, (*physicals)[index]);
  if (!facts.ok()) return facts.status();
  impl->facts = *facts;
  impl->info = *info;
  impl->queueFamily = static_cast<uint32_t>(impl->facts.computeQueueFamily);

  FeatureChain chain(impl->facts);
  float priority = 1.0f;
  VkDeviceQueueCreateInfo queueInfo{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queueInfo.queueFamilyIndex = impl->queueFamily;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  VkDeviceCreateInfo createInfo{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  createInfo.pNext = &chain.features;
  createInfo.queueCreateInfoCount = 1;
  createInfo.pQueueCreateInfos = &queueInfo;
  createInfo.enabledExtensionCount = static_cast<uint32_t>(chain.extensions.size());
  createInfo.ppEnabledExtensionNames = chain.extensions.data();
  TVK_VK(vkCreateDevice(impl->facts.physical, &createInfo, nullptr, &impl->device));
  std::unique_ptr<Device> device(new Device(std::move(impl)));
  Device::Impl& d = device->impl();
  vkGetDeviceQueue(d.device, d.queueFamily, 0, &d.queue);
  if (d.facts.pushDescriptor)
    d.pushDescriptorFn = reinterpret_cast<PFN_vkCmdPushDescriptorSetKHR>(
        vkGetDeviceProcAddr(d.device, "vkCmdPushDescriptorSetKHR"));

  VkCommandPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  poolInfo.queueFamilyIndex = d.queueFamily;
  TVK_VK(vkCreateCommandPool(d.device, &poolInfo, nullptr, &d.commandPool));
  VkCommandBufferAllocateInfo cmdInfo{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cmdInfo.commandPool = d.commandPool;
  cmdInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cmdInfo.commandBufferCount = 1;
  TVK_VK(vkAllocateCommandBuffers(d.device, &cmdInfo, &d.cmd));
  VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  TVK_VK(vkCreateFence(d.device, &fenceInfo, nullptr, &d.fence));
  if (d.facts.timestampValidBits > 0) {
    VkQueryPoolCreateInfo qInfo{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    qInfo.queryType = VK_QUERY_TYPE_TIMESTAMP;
    qInfo.queryCount = kQueryCapacity;
    TVK_VK(vkCreateQueryPool(d.device, &qInfo, nullptr, &d.queryPool));
    for (uint32_t q = kQueryCapacity; q > 0; --q) d.freeQueries.push_back(q - 1);
    d.queryPending.assign(kQueryCapacity, false);
  }
  const Target& t = d.info.target;
  Result<std::unique_ptr<MemoryPool>> memory =
      MemoryPool::create(d.device, d.facts.physical, MemoryKind::Device, t.bufferDeviceAddress,
                         t.storageBufferOffsetAlignment);
  if (!memory.ok()) return memory.status();
  d.memory = std::move(*memory);
  return device;
}

Device::Device(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Device::~Device() {
  if (impl_) impl_->destroy();
}

const DeviceInfo& Device::info() const { return impl_->info; }
const Target& Device::target() const { return impl_->info.target; }
bool Device::usesPushDescriptors() const { return impl_->pushDescriptorFn != nullptr; }
uint64_t Device::dispatchCount() const { return impl_->dispatches; }
size_t Device::allocatedBytes() const {
  return impl_->memory->allocatedBytes() + (impl_->staging ? impl_->staging->allocatedBytes() : 0);
}

bool Device::hostVisibleMemory() const { return impl_->memory->hostVisible(); }

Result<Buffer> Device::allocate(size_t bytes) { return impl_->memory->allocate(bytes); }

Status Device::upload(Buffer& buffer, size_t offset, const void* src, size_t bytes) {
  if (offset + bytes > buffer.size())
    return Status::error("upload of " + std::to_string(bytes) + " bytes at " +
                         std::to_string(offset) + " overflows a buffer of " +
                         std::to_string(buffer.size()));
  if (bytes == 0) return Status();
  if (buffer.data()) {
    std::memcpy(static_cast<uint8_t*>(buffer.data()) + offset, src, bytes);
    return Status();
  }
  Result<MemoryPool*> pool = impl_->stagingPool();
  if (!pool.ok()) return pool.status();
  Result<Buffer> stage = (*pool)->allocate(bytes);
  if (!stage.ok()) return stage.status();
  std::memcpy(stage->data(), src, bytes);
  TVK_RETURN_IF_ERROR(impl_->begin());
  impl_->barrier();
  VkBufferCopy region{0, offset, bytes};
  vkCmdCopyBuffer(impl_->cmd, stage->vkBuffer(), buffer.vkBuffer(), 1, &region);
  impl_->needBarrier = true;
  return impl_->synchronize();
}

Status Device::download(const Buffer& buffer, size_t offset, void* dst, size_t bytes) {
  if (offset + bytes > buffer.size())
    return Status::error("download of " + std::to_string(bytes) + " bytes at " +
                         std::to_string(offset) + " overflows a buffer of " +
                         std::to_string(buffer.size()));
  // Mapped memory that is not host-cached (ReBAR VRAM) reads slowly: copy large reads to
  // cached staging memory instead.
  if (buffer.data() && (impl_->memory->hostCached() || bytes <= kDirectReadBytes)) {
    TVK_RETURN_IF_ERROR(impl_->synchronize());
    if (bytes) std::memcpy(dst, static_cast<const uint8_t*>(buffer.data()) + offset, bytes);
    return Status();
  }
  if (bytes == 0) return Status();
  Result<MemoryPool*> pool = impl_->stagingPool();
  if (!pool.ok()) return pool.status();
  Result<Buffer> stage = (*pool)->allocate(bytes);
  if (!stage.ok()) return stage.status();
  TVK_RETURN_IF_ERROR(impl_->begin());
  impl_->barrier();
  VkBufferCopy region{offset, 0, bytes};
  vkCmdCopyBuffer(impl_->cmd, buffer.vkBuffer(), stage->vkBuffer(), 1, &region);
  impl_->needBarrier = true;
  TVK_RETURN_IF_ERROR(impl_->synchronize());
  std::memcpy(dst, stage->data(), bytes);
  return Status();
}

Status Device::synchronize() { return impl_->synchronize(); }

Result<MemoryPool*> Device::Impl::stagingPool() {
  if (!staging) {
    Result<std::unique_ptr<MemoryPool>> pool =
        MemoryPool::create(device, facts.physical, MemoryKind::Staging, false,
                           info.target.storageBufferOffsetAlignment);
    if (!pool.ok()) return pool.status();
    staging = std::move(*pool);
    if (recording) staging->setBusy(true);
  }
  return staging.get();
}

Result<const Buffer*> Device::Impl::statusBuffer() {
  if (statusBuf.valid()) return &statusBuf;
  Result<MemoryPool*> pool = stagingPool();
  if (!pool.ok()) return pool.status();
  Result<Buffer> buffer = (*pool)->allocate(2 * sizeof(uint32_t));
  if (!buffer.ok()) return buffer.status();
  if (!buffer->data()) return Status::error("the status buffer is not host-visible");
  const uint32_t init[2] = {0, 2};
  std::memcpy(buffer->data(), init, sizeof(init));
  statusBuf = std::move(*buffer);
  return &statusBuf;
}

Status Device::Impl::checkStatus() {
  if (statusKernels.empty()) return Status();
  std::set<std::string> kernels;
  kernels.swap(statusKernels);
  uint32_t flag = 0;
  std::memcpy(&flag, statusBuf.data(), sizeof(flag));
  if (flag == 0) return Status();
  const uint32_t zero = 0;
  std::memcpy(statusBuf.data(), &zero, sizeof(zero));
  std::string names;
  for (const std::string& k : kernels) names += (names.empty() ? "'" : ", '") + k + "'";
  return Status::error(
      "loop limit: " + std::string(kernels.size() == 1 ? "kernel " : "one of the kernels ") +
      names + " ran into the loop limit of " + info.target.name + " (" +
      std::to_string(info.target.maxLoopIterations) +
      " loop iterations per invocation, all loops together; the driver ends loops early past "
      "it), so its results are wrong: give each program fewer loop iterations (more programs) "
      "or use another device");
}

Status Device::Impl::begin() {
  if (recording) return Status();
  VkCommandBufferBeginInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  TVK_VK(vkBeginCommandBuffer(cmd, &info));
  recording = true;
  needBarrier = false;
  memory->setBusy(true);
  if (staging) staging->setBusy(true);
  return Status();
}

void Device::Impl::barrier() {
  if (!needBarrier) return;
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  VkPipelineStageFlags stages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  vkCmdPipelineBarrier(cmd, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
  needBarrier = false;
}

Status Device::Impl::synchronize() {
  if (!recording) return Status();
  // Make shader and transfer writes visible to the host.
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  recording = false;
  Status status = vkCheck(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
  bool submitted = false;
  if (status.ok()) {
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    status = vkCheck(vkQueueSubmit(queue, 1, &submit, fence), "vkQueueSubmit");
    submitted = status.ok();
  }
  if (submitted) {
    status = vkCheck(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences");
    if (!status.ok()) return status;  // the GPU may still use the resources: keep them busy
    status = vkCheck(vkResetFences(device, 1, &fence), "vkResetFences");
  }
  // The stream restarts empty whether or not the submission worked.
  Status reset = vkCheck(vkResetCommandPool(device, commandPool, 0), "vkResetCommandPool");
  for (VkDescriptorPool pool : descriptorPools) vkResetDescriptorPool(device, pool, 0);
  std::fill(queryPending.begin(), queryPending.end(), false);
  memory->retire();
  if (staging) staging->retire();
  if (!status.ok()) {
    statusKernels.clear();  // their work did not run
    return status;
  }
  TVK_RETURN_IF_ERROR(reset);
  return checkStatus();
}

void Device::Impl::destroy() {
  if (device == VK_NULL_HANDLE) return;
  synchronize();
  vkDeviceWaitIdle(device);
  for (auto& entry : pipelines)
    for (auto& p : entry.second) p->destroy();
  pipelines.clear();
  statusBuf = Buffer();
  memory.reset();
  staging.reset();
  for (VkDescriptorPool pool : descriptorPools) vkDestroyDescriptorPool(device, pool, nullptr);
  descriptorPools.clear();
  if (queryPool) vkDestroyQueryPool(device, queryPool, nullptr);
  if (fence) vkDestroyFence(device, fence, nullptr);
  if (commandPool) vkDestroyCommandPool(device, commandPool, nullptr);
  vkDestroyDevice(device, nullptr);
  device = VK_NULL_HANDLE;
}

}  // namespace tvk
