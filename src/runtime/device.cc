// Opening a logical device, the command stream, and host transfers.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "runtime/debug_records.h"
#include "runtime/device_impl.h"
#include "runtime/devices.h"
#include "runtime/env.h"
#include "runtime/vk_check.h"

namespace tvk {
namespace {

constexpr uint32_t kQueryCapacity = 4096;
// Default limits of one wait without progress: a GPU finishes any sane dispatch within a minute;
// a CPU device (lavapipe) runs big kernels for minutes.
constexpr double kDefaultTimeoutSeconds = 60;
constexpr double kDefaultCpuTimeoutSeconds = 600;
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
      if (f.bf16CooperativeMatrix()) {
        f.bf16.shaderBFloat16DotProduct = VK_FALSE;
        link(f.bf16);
        ext(false, kBFloat16Extension);
      }
      if (f.workgroupCoopMat() || f.coopMatRowOps()) {
        link(f.coopMat2);
        ext(false, kCoopMat2Extension);
      }
    }
    if (f.hasExecProps && f.execProps.pipelineExecutableInfo) {
      link(f.execProps);
      ext(false, VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME);
    }
    if (f.hasHostQueryReset && f.hostQueryReset.hostQueryReset) {
      link(f.hostQueryReset);
      ext(v12, VK_EXT_HOST_QUERY_RESET_EXTENSION_NAME);
    }
    *tail = nullptr;
    if (f.pushDescriptor) extensions.push_back(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
    ext(false, "VK_KHR_portability_subset");
  }
};

}  // namespace

Result<DeviceOptions> DeviceOptions::fromEnvironment() {
  DeviceOptions o;
  Result<double> timeout = envTimeoutSeconds(-1);  // unset: the device type's default
  if (!timeout.ok()) return timeout.status();
  o.timeoutSeconds = *timeout;
  Result<int64_t> limit = envCacheLimit();
  if (!limit.ok()) return limit.status();
  o.cacheLimitBytes = *limit;
  Result<int64_t> records = envDebugRecords();
  if (!records.ok()) return records.status();
  if (*records > 0) o.debugRecords = static_cast<uint32_t>(*records);
  return o;
}

Result<int> defaultDeviceIndex() {
  Result<std::vector<DeviceInfo>> devices = enumerateDevices();
  if (!devices.ok()) return devices.status();
  return chooseDevice(*devices, envDevice());
}

Result<std::unique_ptr<Device>> openDevice(int index) {
  Result<DeviceOptions> options = DeviceOptions::fromEnvironment();
  if (!options.ok()) return options.status();
  return openDevice(index, *options);
}

Result<std::unique_ptr<Device>> openDevice(int index, const DeviceOptions& options) {
  if (options.dispatchesPerSubmit == 0 || options.submitsInFlight == 0)
    return Status::error("DeviceOptions: dispatchesPerSubmit and submitsInFlight must be > 0");
  if (!(options.timeoutSeconds >= 0) && options.timeoutSeconds != -1)
    return Status::error("DeviceOptions: timeoutSeconds must be >= 0 (or -1: the device type's default)");
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
  impl->options = options;
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
  double timeout = options.timeoutSeconds;
  if (timeout < 0)
    timeout = d.facts.props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? kDefaultCpuTimeoutSeconds
                                                                     : kDefaultTimeoutSeconds;
  device->setTimeout(timeout);
  vkGetDeviceQueue(d.device, d.queueFamily, 0, &d.queue);
  if (d.facts.pushDescriptor)
    d.pushDescriptorFn = reinterpret_cast<PFN_vkCmdPushDescriptorSetKHR>(
        vkGetDeviceProcAddr(d.device, "vkCmdPushDescriptorSetKHR"));
  if (d.facts.hasExecProps && d.facts.execProps.pipelineExecutableInfo) {
    d.executablePropertiesFn = reinterpret_cast<PFN_vkGetPipelineExecutablePropertiesKHR>(
        vkGetDeviceProcAddr(d.device, "vkGetPipelineExecutablePropertiesKHR"));
    d.executableStatisticsFn = reinterpret_cast<PFN_vkGetPipelineExecutableStatisticsKHR>(
        vkGetDeviceProcAddr(d.device, "vkGetPipelineExecutableStatisticsKHR"));
    d.executableIRFn = reinterpret_cast<PFN_vkGetPipelineExecutableInternalRepresentationsKHR>(
        vkGetDeviceProcAddr(d.device, "vkGetPipelineExecutableInternalRepresentationsKHR"));
  }
  if (d.facts.timestampValidBits > 0) {
    VkQueryPoolCreateInfo qInfo{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    qInfo.queryType = VK_QUERY_TYPE_TIMESTAMP;
    qInfo.queryCount = kQueryCapacity;
    TVK_VK(vkCreateQueryPool(d.device, &qInfo, nullptr, &d.queryPool));
    for (uint32_t q = kQueryCapacity; q > 0; --q) d.freeQueries.push_back(q - 1);
    d.querySerial.assign(kQueryCapacity, 0);
    d.queryClean.assign(kQueryCapacity, 0);
    if (d.facts.hasHostQueryReset && d.facts.hostQueryReset.hostQueryReset) {
      const bool v12 = d.facts.apiVersion >= VK_API_VERSION_1_2;
      d.hostResetQueries = reinterpret_cast<PFN_vkResetQueryPool>(
          vkGetDeviceProcAddr(d.device, v12 ? "vkResetQueryPool" : "vkResetQueryPoolEXT"));
    }
    if (d.hostResetQueries) {
      d.hostResetQueries(d.device, d.queryPool, 0, kQueryCapacity);
      d.queryClean.assign(kQueryCapacity, 1);
    }
  }
  Result<std::unique_ptr<MemoryPool>> memory =
      MemoryPool::create(d.device, d.facts.physical, d.poolOptions(MemoryKind::Device));
  if (!memory.ok()) return memory.status();
  d.memory = std::move(*memory);
  return device;
}

PoolOptions Device::Impl::poolOptions(MemoryKind kind) const {
  PoolOptions o;
  o.kind = kind;
  o.deviceAddress = info.target.bufferDeviceAddress;
  o.alignment = info.target.storageBufferOffsetAlignment;
  o.clock = &clock;
  o.cacheLimit = options.cacheLimitBytes;
  o.maxAllocation = facts.maxMemoryAllocationSize;
  o.maxBuffer = facts.maxBufferSize;
  return o;
}

Device::Device(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Device::~Device() {
  if (impl_ && !impl_->destroy()) (void)impl_.release();  // work still running: leak it all
}

const DeviceInfo& Device::info() const { return impl_->info; }
const Target& Device::target() const { return impl_->info.target; }
bool Device::usesPushDescriptors() const { return impl_->pushDescriptorFn != nullptr; }
uint64_t Device::dispatchCount() const { return impl_->dispatches; }

size_t Device::allocatedBytes() const { return memoryStats().allocatedBytes; }

MemoryStats Device::memoryStats() const {
  std::unique_lock<std::mutex> lock(impl_->mu);  // impl_->staging may be created meanwhile
  MemoryStats s = impl_->memory->stats();
  if (impl_->staging) {
    MemoryStats t = impl_->staging->stats();
    s.allocatedBytes += t.allocatedBytes;
    s.inUseBytes += t.inUseBytes;
    s.cachedBytes += t.cachedBytes;
    s.pendingBytes += t.pendingBytes;
    s.returnedBytes += t.returnedBytes;
    s.outOfMemoryRetries += t.outOfMemoryRetries;
  }
  return s;
}

void Device::setCacheLimit(uint64_t bytes) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->options.cacheLimitBytes = static_cast<int64_t>(std::min<uint64_t>(bytes, INT64_MAX));
  impl_->memory->setCacheLimit(bytes);
  if (impl_->staging) impl_->staging->setCacheLimit(bytes);
}

void Device::emptyCache() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->retireFinished();
  impl_->memory->emptyCache();
  if (impl_->staging) impl_->staging->emptyCache();
}

bool Device::hostVisibleMemory() const { return impl_->memory->hostVisible(); }

bool Device::hostCachedMemory() const { return impl_->memory->hostCached(); }

Result<Buffer> Device::allocate(size_t bytes, Reuse reuse) {
  Impl& d = *impl_;
  if (d.isLost) {
    std::lock_guard<std::mutex> lock(d.mu);
    return d.checkAlive();
  }
  bool outOfMemory = false;
  Result<Buffer> buffer = d.memory->allocate(bytes, &outOfMemory, reuse);
  if (buffer.ok() || !outOfMemory || d.memory->stats().pendingBytes == 0) return buffer;
  // Out of memory while freed buffers wait for the GPU: let the GPU finish, then retry.
  {
    std::unique_lock<std::mutex> lock(d.mu);
    TVK_RETURN_IF_ERROR(d.synchronize(lock));
  }
  return d.memory->allocate(bytes, nullptr, reuse);
}

Status Device::upload(Buffer& buffer, size_t offset, const void* src, size_t bytes) {
  if (offset > buffer.size() || bytes > buffer.size() - offset)
    return Status::error("upload of " + std::to_string(bytes) + " bytes at " +
                         std::to_string(offset) + " overflows a buffer of " +
                         std::to_string(buffer.size()));
  if (bytes == 0) return Status();
  if (buffer.data()) {
    std::memcpy(static_cast<uint8_t*>(buffer.data()) + offset, src, bytes);
    return Status();
  }
  std::unique_lock<std::mutex> lock(impl_->mu);
  Impl& d = *impl_;
  Result<MemoryPool*> pool = d.stagingPool();
  if (!pool.ok()) return pool.status();
  Result<Buffer> stage = (*pool)->allocate(bytes);
  if (!stage.ok()) return stage.status();
  std::memcpy(stage->data(), src, bytes);
  TVK_RETURN_IF_ERROR(d.begin());
  d.barrier();
  VkBufferCopy region{0, offset, bytes};
  vkCmdCopyBuffer(d.current->cmd, stage->vkBuffer(), buffer.vkBuffer(), 1, &region);
  d.needBarrier = true;
  return d.synchronize(lock);
}

Status Device::download(const Buffer& buffer, size_t offset, void* dst, size_t bytes) {
  if (offset > buffer.size() || bytes > buffer.size() - offset)
    return Status::error("download of " + std::to_string(bytes) + " bytes at " +
                         std::to_string(offset) + " overflows a buffer of " +
                         std::to_string(buffer.size()));
  std::unique_lock<std::mutex> lock(impl_->mu);
  Impl& d = *impl_;
  // Mapped memory that is not host-cached (ReBAR VRAM) reads slowly: copy large reads to
  // cached staging memory instead.
  if (buffer.data() && (d.memory->hostCached() || bytes <= kDirectReadBytes)) {
    TVK_RETURN_IF_ERROR(d.synchronize(lock));
    lock.unlock();
    if (bytes) std::memcpy(dst, static_cast<const uint8_t*>(buffer.data()) + offset, bytes);
    return Status();
  }
  if (bytes == 0) return Status();
  Result<MemoryPool*> pool = d.stagingPool();
  if (!pool.ok()) return pool.status();
  Result<Buffer> stage = (*pool)->allocate(bytes);
  if (!stage.ok()) return stage.status();
  TVK_RETURN_IF_ERROR(d.begin());
  d.barrier();
  VkBufferCopy region{offset, 0, bytes};
  vkCmdCopyBuffer(d.current->cmd, buffer.vkBuffer(), stage->vkBuffer(), 1, &region);
  d.needBarrier = true;
  TVK_RETURN_IF_ERROR(d.synchronize(lock));
  lock.unlock();
  std::memcpy(dst, stage->data(), bytes);
  return Status();
}

Result<MemoryPool*> Device::Impl::stagingPool() {
  if (!staging) {
    Result<std::unique_ptr<MemoryPool>> pool =
        MemoryPool::create(device, facts.physical, poolOptions(MemoryKind::Staging));
    if (!pool.ok()) return pool.status();
    staging = std::move(*pool);
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

Result<const Buffer*> Device::Impl::debugBuffer() {
  if (debugBuf.valid()) return &debugBuf;
  Result<MemoryPool*> pool = stagingPool();
  if (!pool.ok()) return pool.status();
  const uint32_t capacity = std::max<uint32_t>(1, options.debugRecords);
  const size_t words = kDebugHeaderWords + (size_t{capacity} + 1) * kDebugRecordWords;
  Result<Buffer> buffer = (*pool)->allocate(words * sizeof(uint32_t));
  if (!buffer.ok()) return buffer.status();
  if (!buffer->data()) return Status::error("the debug record buffer is not host-visible");
  const uint32_t header[kDebugHeaderWords] = {0, capacity, 0, 0};
  std::memcpy(buffer->data(), header, sizeof(header));
  debugBuf = std::move(*buffer);
  return &debugBuf;
}

Status Device::Impl::drainDebug() {
  if (!debugBuf.valid()) return Status();
  for (const auto& b : inFlight)
    if (b->submitted && b->debug) return Status();  // still writing: read at a later sync
  uint32_t* words = static_cast<uint32_t*>(debugBuf.data());
  const uint32_t claimed = words[0], capacity = words[1], failedTotal = words[2];
  if (claimed == 0 && failedTotal == 0) return Status();
  const uint32_t n = std::min(claimed, capacity);
  const uint32_t* records = words + kDebugHeaderWords;
  std::string out;
  std::vector<AssertFailure> failures;
  uint64_t failedRecorded = 0;
  for (uint32_t i = 0; i < n; ++i) {
    DebugRecord r = decodeDebugRecord(records, i);
    auto table = debugTables.find(r.kernel);
    if (table == debugTables.end() || r.site >= table->second.second.size()) {
      out += "(a debug record of an unknown kernel)\n";
      continue;
    }
    const DebugSite& site = table->second.second[r.site];
    if (site.kind == DebugSite::Kind::Print) {
      out += formatPrintRecord(site, r) + "\n";
      continue;
    }
    ++failedRecorded;
    auto f = std::find_if(failures.begin(), failures.end(), [&](const AssertFailure& a) {
      return a.kernel == table->second.first && a.site.file == site.file &&
             a.site.line == site.line && a.site.text == site.text;
    });
    if (f == failures.end()) {
      failures.push_back({table->second.first, site, r, 0});
      f = failures.end() - 1;
    }
    ++f->count;
  }
  words[0] = 0;
  words[2] = 0;
  if (claimed > n)
    out += "triton_vulkan: " + std::to_string(claimed - n) +
           " records dropped (device_print/device_assert; the debug record buffer holds " +
           std::to_string(capacity) + ", TVK_DEBUG_RECORDS)\n";
  if (!out.empty()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  const uint64_t unrecorded = failedTotal > failedRecorded ? failedTotal - failedRecorded : 0;
  if (failures.empty() && unrecorded == 0) return Status();
  return Status::error(formatAssertFailures(failures, unrecorded));
}

Status Device::Impl::checkStatus() {
  if (finishedStatusKernels.empty()) return Status();
  std::set<std::string> kernels;
  kernels.swap(finishedStatusKernels);
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

}  // namespace tvk
