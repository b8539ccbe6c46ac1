// Device internals shared by device.cc, pipeline.cc, launch.cc and timing.cc.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/device_query.h"
#include "runtime/instance.h"
#include "runtime/memory.h"
#include "runtime/runtime.h"

namespace tvk {

/// A created compute pipeline and its layouts.
class PipelineImpl : public Pipeline {
 public:
  ~PipelineImpl() override { destroy(); }
  const Reflection& reflection() const override { return kernel.reflection; }
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

/// One vkCmdDispatch of a possibly split grid.
struct DispatchPiece {
  /// Program-id offset (pid_base).
  uint32_t base[3] = {0, 0, 0};
  /// Workgroup count of this dispatch.
  uint32_t count[3] = {0, 0, 0};
};

/// Splits `grid` into dispatches of at most `maxCount` per dimension (empty if any is 0).
std::vector<DispatchPiece> splitGrid(const uint32_t grid[3], const uint32_t maxCount[3]);

/// Checks `args` against `reflection` and packs push constants and bindings per
/// reflection.h (grid goes into num_programs).
Result<PackedLaunch> packLaunch(const Reflection& reflection, const std::vector<LaunchArg>& args,
                                const uint32_t grid[3], const Target& target);

/// Checks that `device`'s target can run `reflection` (features, sizes, subgroup size).
Status checkKernelFitsDevice(const Reflection& reflection, const Target& target);

struct Device::Impl {
  /// Keeps the instance alive.
  std::shared_ptr<Instance> instance;
  /// Physical-device facts.
  DeviceFacts facts;
  /// Public description.
  DeviceInfo info;
  /// The logical device.
  VkDevice device = VK_NULL_HANDLE;
  /// The compute queue.
  VkQueue queue = VK_NULL_HANDLE;
  /// Its family.
  uint32_t queueFamily = 0;
  /// Command pool of the stream.
  VkCommandPool commandPool = VK_NULL_HANDLE;
  /// The stream's command buffer.
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  /// Signalled by the stream's submission.
  VkFence fence = VK_NULL_HANDLE;
  /// The command buffer is in the recording state.
  bool recording = false;
  /// Work recorded since the last barrier needs one before the next dispatch/copy.
  bool needBarrier = false;
  /// Device buffers.
  std::unique_ptr<MemoryPool> memory;
  /// Staging buffers (created on first use: unmapped or uncached device memory).
  std::unique_ptr<MemoryPool> staging;
  /// vkCmdPushDescriptorSetKHR when the extension is enabled (and allowed).
  PFN_vkCmdPushDescriptorSetKHR pushDescriptorFn = nullptr;
  /// Descriptor pools of the fallback path; reset at synchronize().
  std::vector<VkDescriptorPool> descriptorPools;
  /// Timestamp query pool.
  VkQueryPool queryPool = VK_NULL_HANDLE;
  /// Free query slots.
  std::vector<uint32_t> freeQueries;
  /// Per query: written in the not yet submitted command buffer.
  std::vector<bool> queryPending;
  /// Pipeline cache: SPIR-V hash → pipelines.
  std::map<uint64_t, std::vector<std::shared_ptr<PipelineImpl>>> pipelines;
  /// Dispatches recorded so far.
  uint64_t dispatches = 0;
  /// The status buffer of kernels with a loop-limit check (compiler/reflection.h: word 0 the
  /// flag, word 1 = 2), host-visible staging memory; created on first use.
  Buffer statusBuf;
  /// Entry names of the kernels launched with the status buffer since the last submission.
  std::set<std::string> statusKernels;

  /// The staging pool, created on first use.
  Result<MemoryPool*> stagingPool();
  /// Begins the command buffer when not recording.
  Status begin();
  /// Records a memory barrier for compute/transfer → compute/transfer when needed.
  void barrier();
  /// Allocates a descriptor set for `layout` from the pools (fallback path).
  Result<VkDescriptorSet> allocateSet(VkDescriptorSetLayout layout);
  /// The status buffer (created and initialised on first use).
  Result<const Buffer*> statusBuffer();
  /// After a submission finished: an error naming the kernels launched since the previous one
  /// when one of them set the status flag (the flag is cleared).
  Status checkStatus();
  /// Submits, waits, and resets the stream.
  Status synchronize();
  /// Destroys every Vulkan object.
  void destroy();
};

}  // namespace tvk
