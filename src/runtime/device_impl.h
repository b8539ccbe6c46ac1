// Device internals shared by device.cc, stream.cc, pipeline.cc, launch.cc and timing.cc.
//
// Locking: Device::Impl::mu guards every member below it (the stream, queries, pipeline
// cache, lost state). It is never held while waiting for a fence (waitFor() releases it), nor
// while a pipeline is compiled, nor while DeviceOptions::interrupted runs. Lock order:
// Impl::mu, then a MemoryPool's mutex; a pool never calls back into the device.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/device_query.h"
#include "runtime/grid.h"
#include "runtime/instance.h"
#include "runtime/memory.h"
#include "runtime/runtime.h"

namespace tvk {

/// A created compute pipeline and its layouts.
class PipelineImpl : public Pipeline {
 public:
  ~PipelineImpl() override { destroy(); }
  const Reflection& reflection() const override { return kernel.reflection; }
  const std::vector<PipelineStatistic>& statistics() const override { return stats; }
  /// Destroys the Vulkan objects (idempotent; called by ~Device).
  void destroy();

  /// Owning device handle (null once destroyed).
  VkDevice device = VK_NULL_HANDLE;
  /// The kernel (SPIR-V kept to make cache hits exact).
  CompiledKernel kernel;
  /// Set 0 layout: one storage buffer per buffer parameter.
  VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
  /// Pipeline layout with the push-constant range.
  VkPipelineLayout layout = VK_NULL_HANDLE;
  /// The pipeline.
  VkPipeline pipeline = VK_NULL_HANDLE;
  /// Buffers bound with vkCmdPushDescriptorSetKHR (else from a descriptor pool).
  bool pushDescriptors = false;
  /// Push-constant bytes declared in the layout (reflection size rounded up to 4).
  uint32_t pushBytes = 0;
  /// The device that made it (to reject pipelines from another device).
  const Device::Impl* owner = nullptr;
  /// The driver's statistics (captured at creation where the device can).
  std::vector<PipelineStatistic> stats;
};

/// One storage-buffer binding of a launch.
struct BufferBinding {
  /// Binding index (= parameter index).
  uint32_t binding = 0;
  /// The VkBuffer.
  VkBuffer buffer = VK_NULL_HANDLE;
  /// Bound offset (aligned down to minStorageBufferOffsetAlignment).
  VkDeviceSize offset = 0;
  /// Bound range (rest of the buffer).
  VkDeviceSize range = 0;
};

/// The arguments of a launch, checked and packed.
struct PackedLaunch {
  /// Push-constant block with pid_base zero (patched per dispatch).
  std::vector<uint8_t> pushConstants;
  /// Buffer bindings in parameter order.
  std::vector<BufferBinding> bindings;
};

/// Checks `args` against `reflection` and packs push constants and bindings per
/// reflection.h (grid goes into num_programs).
Result<PackedLaunch> packLaunch(const Reflection& reflection, const std::vector<LaunchArg>& args,
                                const uint32_t grid[3], const Target& target);

/// Checks that `device`'s target can run `reflection` (features, sizes, subgroup size).
Status checkKernelFitsDevice(const Reflection& reflection, const Target& target);

/// One command buffer of the stream with its fence: recorded, submitted, then recycled once
/// it finished and no thread waits on its fence (use_count() == 1).
struct Batch {
  /// Command pool owning `cmd` (reset as a whole when recycled).
  VkCommandPool pool = VK_NULL_HANDLE;
  /// The command buffer.
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  /// Signalled when the submission finishes.
  VkFence fence = VK_NULL_HANDLE;
  /// Descriptor pools of the fallback path used by this batch (reset when recycled).
  std::vector<VkDescriptorPool> descriptorPools;
  /// Submission serial (1, 2, ...).
  uint64_t serial = 0;
  /// Dispatches recorded into it.
  uint32_t dispatches = 0;
  /// The fence will be signalled (false when vkQueueSubmit failed: nothing runs).
  bool submitted = false;
  /// Entry names of the kernels recorded with the status buffer (loop-limit check).
  std::set<std::string> statusKernels;
  /// A kernel with the debug record buffer (tt.print/tt.assert) was recorded into it.
  bool debug = false;
};

struct Device::Impl {
  /// Keeps the instance alive.
  std::shared_ptr<Instance> instance;
  /// Physical-device facts.
  DeviceFacts facts;
  /// Public description.
  DeviceInfo info;
  /// How the device was opened (timeoutSeconds lives in timeoutMs below).
  DeviceOptions options;
  /// The logical device.
  VkDevice device = VK_NULL_HANDLE;
  /// The compute queue.
  VkQueue queue = VK_NULL_HANDLE;
  /// Its family.
  uint32_t queueFamily = 0;
  /// Submission serials read by the memory pools.
  SubmissionClock clock;
  /// Device buffers.
  std::unique_ptr<MemoryPool> memory;
  /// Staging buffers (created on first use: unmapped or uncached device memory).
  std::unique_ptr<MemoryPool> staging;
  /// vkCmdPushDescriptorSetKHR when the extension is enabled (and allowed).
  PFN_vkCmdPushDescriptorSetKHR pushDescriptorFn = nullptr;
  // VK_KHR_pipeline_executable_properties (null without it): pipeline statistics.
  PFN_vkGetPipelineExecutablePropertiesKHR executablePropertiesFn = nullptr;
  PFN_vkGetPipelineExecutableStatisticsKHR executableStatisticsFn = nullptr;
  PFN_vkGetPipelineExecutableInternalRepresentationsKHR executableIRFn = nullptr;
  /// Timestamp query pool.
  VkQueryPool queryPool = VK_NULL_HANDLE;
  /// Limit of one fence wait in milliseconds (0 = none).
  std::atomic<int64_t> timeoutMs{0};
  /// Dispatches recorded so far.
  std::atomic<uint64_t> dispatches{0};
  /// Set once the device is lost (lost holds why).
  std::atomic<bool> isLost{false};

  /// Guards everything below.
  mutable std::mutex mu;
  /// Why the device is lost ("" while usable).
  std::string lost;
  /// The batch being recorded, or null.
  std::shared_ptr<Batch> current;
  /// Submitted batches, oldest first, not yet known to have finished.
  std::deque<std::shared_ptr<Batch>> inFlight;
  /// Finished batches for reuse.
  std::vector<std::shared_ptr<Batch>> spare;
  /// Serial given to the newest batch.
  uint64_t lastSerial = 0;
  /// Serial of the newest submitted batch.
  uint64_t lastSubmitted = 0;
  /// Work recorded since the last barrier needs one before the next dispatch/copy.
  bool needBarrier = false;
  /// Free query slots.
  std::vector<uint32_t> freeQueries;
  /// Per query: serial of the batch that wrote it (0 = never written).
  std::vector<uint64_t> querySerial;
  /// Per query: reset on the host since its last write (then its timestamp needs no reset
  /// command in the stream).
  std::vector<uint8_t> queryClean;
  /// Released queries whose batch may still run (reset on the host once it finished).
  std::vector<uint32_t> releasedQueries;
  /// vkResetQueryPool where the device has hostQueryReset, else null (reset in the stream).
  PFN_vkResetQueryPool hostResetQueries = nullptr;
  /// Pipeline cache: SPIR-V hash → pipelines.
  std::map<uint64_t, std::vector<std::shared_ptr<PipelineImpl>>> pipelines;
  /// The status buffer of kernels with a loop-limit check (abi/reflection.h: word 0 the
  /// flag, word 1 = 2), host-visible staging memory; created on first use.
  Buffer statusBuf;
  /// Entry names of the status-checked kernels of batches finished since the last check.
  std::set<std::string> finishedStatusKernels;
  /// The debug record buffer of kernels with tt.print/tt.assert (abi/reflection.h),
  /// host-visible staging memory; created on first use.
  Buffer debugBuf;
  /// Site tables by Reflection::debugKernelId: the entry name and its sites (registered at
  /// launch, read when the records are).
  std::map<uint32_t, std::pair<std::string, std::vector<DebugSite>>> debugTables;

  /// Options of a new memory pool of `kind` for this device.
  PoolOptions poolOptions(MemoryKind kind) const;

  // The members below need `mu` held.
  /// An error when the device is lost.
  Status checkAlive() const;
  /// Marks the device lost for `reason`; returns the error every later call gets.
  Status markLost(const std::string& reason);
  /// vkCheck that also marks the device lost on VK_ERROR_DEVICE_LOST.
  Status vk(VkResult result, const char* what);
  /// The staging pool, created on first use.
  Result<MemoryPool*> stagingPool();
  /// Starts a batch when none is being recorded.
  Status begin();
  /// Records a memory barrier for compute/transfer → compute/transfer when needed.
  void barrier();
  /// Allocates a descriptor set for `layout` from the current batch's pools (fallback path).
  Result<VkDescriptorSet> allocateSet(VkDescriptorSetLayout layout);
  /// The status buffer (created and initialised on first use).
  Result<const Buffer*> statusBuffer();
  /// After waiting for submissions: an error naming the status-checked kernels of the batches
  /// finished since the previous check when one of them set the status flag (then cleared).
  Status checkStatus();
  /// The debug record buffer (created and initialised on first use).
  Result<const Buffer*> debugBuffer();
  /// When no submitted batch with a debug kernel still runs: prints the records of tt.print
  /// (stdout) and resets the buffer; an error (kDeviceAssertPrefix) when assertions failed.
  Status drainDebug();
  /// Submits the batch being recorded (if any), without waiting.
  Status flush();
  /// flush(), then waits while more than DeviceOptions::submitsInFlight submissions are pending.
  Status flushBounded(std::unique_lock<std::mutex>& lock);
  /// Moves finished batches out of inFlight and lets the pools reuse what they freed.
  void retireFinished();
  /// Resets released queries whose batch finished on the host (hostResetQueries) and frees
  /// them.
  void recycleQueries();
  /// Waits until submission `serial` finished. `lock` holds `mu` on entry and on return; it is
  /// released during the fence waits. Times out per DeviceOptions (marks the device lost) and
  /// polls DeviceOptions::interrupted.
  Status waitFor(uint64_t serial, std::unique_lock<std::mutex>& lock);
  /// Flushes and waits for everything submitted so far, then checks the status flag.
  Status synchronize(std::unique_lock<std::mutex>& lock);
  /// Destroys every Vulkan object; false (nothing destroyed) when submitted work did not
  /// finish: the caller must then leak the Impl, whose members would destroy objects in use.
  bool destroy();
};

}  // namespace tvk
