// The Vulkan runtime's public API: devices, buffers, pipelines, launches, GPU timestamps.
//
// Stream semantics: launch() and recordEvent() only record into the device's command
// buffer; synchronize() submits it and waits. A launch that records many dispatches (a split
// grid, or many launches without a synchronize) submits every DeviceOptions::dispatchesPerSubmit
// dispatches and waits for old submissions when DeviceOptions::submitsInFlight are pending, so
// the recorded work stays bounded. Host writes through Buffer::data() become visible to the
// GPU at the next submission; GPU writes are visible through data() after synchronize().
// No exceptions: every fallible call returns Status or Result<T>.
//
// Thread safety: every Device method may be called from several threads at once. One mutex
// per device guards the stream (command buffers, queue, queries, pipeline cache); it is never
// held while waiting for the GPU, so one thread's synchronize() does not block another
// thread's launches. Each memory pool has its own mutex (Buffer destruction takes only that).
// Waits for the GPU last at most DeviceOptions::timeoutSeconds; a timeout or
// VK_ERROR_DEVICE_LOST marks the device lost, after which every call fails (open a new one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "abi/compiled_kernel.h"
#include "support/status.h"
#include "target/target.h"

namespace tvk {

class Device;
class MemoryPool;
struct Allocation;

/// One Vulkan physical device as seen by enumerateDevices().
struct DeviceInfo {
  /// Index in enumeration order (what TVK_DEVICE and openDevice() take).
  int index = -1;
  /// deviceName (`llvmpipe (LLVM 15.0.6, 256 bits)`).
  std::string name;
  /// `discrete`, `integrated`, `virtual`, `cpu` or `other`.
  std::string type;
  /// driverName and driverInfo (`llvmpipe Mesa 22.3.6 (LLVM 15.0.6)`).
  std::string driver;
  /// Device apiVersion (VK_MAKE_API_VERSION form).
  uint32_t apiVersion = 0;
  /// Every Target field read from the device's properties and features.
  Target target;
  /// Shader cores the driver reports (DeviceFacts::computeUnits; 0: none reported).
  uint32_t computeUnits = 0;
  /// True for the device openDevice(-1) picks (TVK_DEVICE, else discrete > integrated > rest).
  bool isDefault = false;
};

/// Lists the Vulkan devices that support Vulkan 1.1 and have a compute queue.
Result<std::vector<DeviceInfo>> enumerateDevices();
/// The index openDevice(-1) opens (TVK_DEVICE, else discrete > integrated > rest), or why
/// there is none (no device, a malformed or unmatched TVK_DEVICE).
Result<int> defaultDeviceIndex();

/// Byte counts of a device's caching allocator (device and staging pools together).
struct MemoryStats {
  /// Device memory held from Vulkan (in use + cached + pending + block remainders).
  uint64_t allocatedBytes = 0;
  /// Size-class bytes of live buffers.
  uint64_t inUseBytes = 0;
  /// Size-class bytes of freed buffers ready for reuse.
  uint64_t cachedBytes = 0;
  /// Size-class bytes freed while the GPU may still use them (cached once it finished).
  uint64_t pendingBytes = 0;
  /// Cached bytes beyond this are returned to Vulkan.
  uint64_t cacheLimit = 0;
  /// Bytes returned to Vulkan so far.
  uint64_t returnedBytes = 0;
  /// Allocations that succeeded only after the cache was returned (out of memory first).
  uint64_t outOfMemoryRetries = 0;
};

/// How a device is opened; fromEnvironment() applies TVK_TIMEOUT and TVK_CACHE_LIMIT.
struct DeviceOptions {
  /// Seconds one wait for the GPU may last without progress before the device is marked lost
  /// (TVK_TIMEOUT); 0 = no limit; -1 = the device type's default (60 s, 600 s on CPU devices).
  double timeoutSeconds = -1;
  /// Bytes of freed memory the allocator keeps for reuse (TVK_CACHE_LIMIT); -1 = an eighth of
  /// the memory heap.
  int64_t cacheLimitBytes = -1;
  /// Polled every few milliseconds while a thread waits for the GPU, with no device lock held;
  /// returning true abandons that wait with an "interrupted" error (the work stays pending).
  std::function<bool()> interrupted;
  /// Dispatches recorded into one command buffer before it is submitted (> 0).
  uint32_t dispatchesPerSubmit = 4096;
  /// Submitted command buffers in flight before recording waits for the oldest (> 0).
  uint32_t submitsInFlight = 4;
  /// Records of the debug record buffer of tt.print/tt.assert (TVK_DEBUG_RECORDS; > 0); more
  /// records between two reads are dropped and counted.
  uint32_t debugRecords = 65536;
  /// The defaults with TVK_TIMEOUT, TVK_CACHE_LIMIT and TVK_DEBUG_RECORDS applied; an error
  /// when one is malformed.
  static Result<DeviceOptions> fromEnvironment();
};

/// Number of validation warnings/errors reported since start (TVK_VALIDATION=1 only).
size_t validationMessageCount();
/// Text of every validation warning/error reported since start.
std::vector<std::string> validationMessages();
/// True when the Khronos validation layer was enabled (TVK_VALIDATION=1 and installed).
bool validationEnabled();

/// A device buffer from the caching allocator; move-only, returns its memory on destruction.
class Buffer {
 public:
  /// An empty handle.
  Buffer() = default;
  /// Returns the memory to its pool's cache (reused after the stream's pending work ends).
  ~Buffer();
  /// Takes over `other`'s memory.
  Buffer(Buffer&& other) noexcept;
  /// Releases this buffer's memory, then takes over `other`'s.
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  /// True when this handle holds memory.
  bool valid() const { return alloc_ != nullptr; }
  /// Persistently mapped host pointer, or nullptr when the memory is not host-visible
  /// (use Device::upload/download then).
  void* data() const;
  /// Requested size in bytes.
  size_t size() const;
  /// The pool the memory came from (identifies the device that owns it).
  const MemoryPool* pool() const { return pool_; }
  /// The VkBuffer (covers at least size() bytes from its start).
  VkBuffer vkBuffer() const;
  /// The VkDeviceMemory the buffer lives in.
  VkDeviceMemory vkMemory() const;
  /// Byte offset of the buffer within vkMemory().
  VkDeviceSize memoryOffset() const;
  /// Buffer device address, or 0 when bufferDeviceAddress is not enabled.
  uint64_t deviceAddress() const;

 private:
  friend class MemoryPool;
  Buffer(MemoryPool* pool, Allocation* alloc, size_t size)
      : pool_(pool), alloc_(alloc), size_(size) {}
  void release();
  MemoryPool* pool_ = nullptr;
  Allocation* alloc_ = nullptr;
  size_t size_ = 0;
};

/// A compute pipeline for one CompiledKernel on one device (owned and cached by the Device).
/// One statistic the driver reports for a pipeline (VK_KHR_pipeline_executable_properties),
/// e.g. NVIDIA's register count: its name, value, and the executable it belongs to.
struct PipelineStatistic {
  std::string executable;
  std::string name;
  std::string description;
  double value = 0;
};

class Pipeline {
 public:
  /// Destroys the Vulkan objects unless the Device already did.
  virtual ~Pipeline() = default;
  /// The reflection record it was created from.
  virtual const Reflection& reflection() const = 0;
  /// The driver's statistics of the compiled pipeline (empty where the device has no
  /// VK_KHR_pipeline_executable_properties, e.g. lavapipe).
  virtual const std::vector<PipelineStatistic>& statistics() const = 0;
};

/// One kernel argument: a buffer (with a byte offset) or scalar bytes.
struct LaunchArg {
  /// Buffer or scalar.
  enum class Kind { Buffer, Scalar };
  /// What this argument is.
  Kind kind = Kind::Scalar;
  /// Buffer: the buffer (not owned; must outlive the submission).
  const Buffer* buffer = nullptr;
  /// Buffer: the kernel pointer's distance in bytes from the buffer's start.
  uint64_t byteOffset = 0;
  /// Scalar: its bytes, little-endian, exactly the parameter's size.
  std::vector<uint8_t> bytes;

  /// A buffer argument pointing `byteOffset` bytes into `buffer`.
  static LaunchArg ofBuffer(const Buffer& buffer, uint64_t byteOffset = 0);
  /// A scalar argument from raw bytes.
  static LaunchArg ofBytes(const void* data, size_t size);
  /// A scalar argument from a trivially copyable value (int32_t, float, int64_t, ...).
  template <typename T>
  static LaunchArg of(T value) {
    return ofBytes(&value, sizeof(T));
  }
};

/// A GPU timestamp recorded in the stream; move-only, returns its query slot on destruction.
class Event {
 public:
  /// An unrecorded event.
  Event() = default;
  /// Returns the query slot to its device (the device must still be open).
  ~Event();
  /// Takes over `other`'s query slot.
  Event(Event&& other) noexcept;
  /// Releases this event's slot, then takes over `other`'s.
  Event& operator=(Event&& other) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  /// True once recorded.
  bool valid() const { return device_ != nullptr; }

 private:
  friend class Device;
  Device* device_ = nullptr;
  uint32_t query_ = 0;
};

/// When a released buffer may serve a new allocation.
enum class Reuse {
  /// Once the GPU work that may use it has completed: the new owner may touch the memory from
  /// the host at once (the plain API's buffers, staging).
  AfterGpu,
  /// At once, ordered after that work by the stream: every dispatch is separated from the
  /// previous ones by a full barrier (Device::Impl::barrier), so later GPU work of the new owner
  /// runs after the old owner's. Only for owners that synchronize before any host access (the
  /// torch device: its copies and CPU fallbacks wait for the device first), as CUDA's caching
  /// allocator reuses memory in stream order.
  StreamOrdered
};

/// An open logical device with one compute queue, a caching allocator, a pipeline cache and
/// a command stream.
class Device {
 public:
  /// Waits for pending work and destroys every Vulkan object (pipelines handed out become
  /// unusable; Buffers and Events must not outlive their Device). When the work does not
  /// finish within the timeout (a lost device), the Vulkan objects are leaked instead.
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  /// Description of the physical device (name, type, target).
  const DeviceInfo& info() const;
  /// The device's target (what the compiler compiles for).
  const Target& target() const;
  /// True when VK_KHR_push_descriptor is used for binding buffers.
  bool usesPushDescriptors() const;

  /// Allocates `bytes` (> 0), reusing cached memory when a free block of its size class exists.
  /// Out of memory, it returns the cache to Vulkan, then waits for buffers freed while the GPU
  /// used them, and retries; sizes beyond the device's largest allocation fail at once.
  /// `reuse` (Reuse): StreamOrdered may hand out memory that earlier, still pending
  /// work used, for owners that synchronize before touching memory from the host.
  Result<Buffer> allocate(size_t bytes, Reuse reuse = Reuse::AfterGpu);
  /// Copies host bytes into `buffer` at `offset` (memcpy when mapped, else staging + wait).
  Status upload(Buffer& buffer, size_t offset, const void* src, size_t bytes);
  /// Copies `bytes` from `buffer` at `offset` to host (synchronizes the stream first).
  Status download(const Buffer& buffer, size_t offset, void* dst, size_t bytes);
  /// Bytes of device memory held by the allocator (in use + cached + pending).
  size_t allocatedBytes() const;
  /// The allocator's byte counts.
  MemoryStats memoryStats() const;
  /// Sets how many freed bytes the allocator keeps (returns the excess to Vulkan at once).
  void setCacheLimit(uint64_t bytes);
  /// Returns the allocator's cached memory to Vulkan (whole blocks only).
  void emptyCache();
  /// Sets the limit of one wait for the GPU in seconds (0 = none).
  void setTimeout(double seconds);
  /// The limit of one wait for the GPU in seconds (0 = none).
  double timeoutSeconds() const;
  /// Why the device is lost (a timeout, VK_ERROR_DEVICE_LOST), or "" while it is usable.
  std::string lostReason() const;
  /// Serial of the newest submission recorded so far (work recorded before this call is in a
  /// submission with this serial or a lower one).
  uint64_t recordedSerial() const;
  /// Every submission up to this serial has finished.
  uint64_t completedSerial() const;
  /// True when buffers are host-visible (Buffer::data() non-null: lavapipe, Apple, ReBAR);
  /// false when upload/download go through staging copies.
  bool hostVisibleMemory() const;
  /// True when buffers are host-cached as well (CPU reads are fast: lavapipe, unified memory);
  /// false for write-combined VRAM behind a BAR, where download() copies large reads through
  /// cached staging memory on the GPU.
  bool hostCachedMemory() const;

  /// Checks `kernel` against this device and returns its (cached) pipeline.
  Result<std::shared_ptr<Pipeline>> pipeline(const CompiledKernel& kernel);
  /// Records a launch of `grid` programs; `args` follow the tt.func parameters in order. A
  /// grid dimension above 2^31 - 1 (what program_id, an i32, can number) is an error; larger
  /// grids than maxComputeWorkGroupCount are split into dispatches, recorded lazily.
  Status launch(const Pipeline& pipeline, const uint32_t grid[3],
                const std::vector<LaunchArg>& args);
  /// Records a GPU timestamp into the stream.
  Result<Event> recordEvent();
  /// Milliseconds between two recorded events (synchronizes first if they are pending).
  Result<double> elapsedMs(const Event& start, const Event& end);
  /// Submits everything recorded and waits for it (and for work other threads submitted
  /// before). Fails when the wait is interrupted (the work stays pending), times out or the
  /// device is lost (both mark the device lost).
  Status synchronize();
  /// Submits everything recorded so far (work then finishes, and memory that it keeps from
  /// reuse is released, without a synchronize()); waits only while DeviceOptions::
  /// submitsInFlight older submissions are pending, as a full batch does.
  Status flush();
  /// Number of vkCmdDispatch calls recorded since opening (grid splits count separately).
  uint64_t dispatchCount() const;

  /// Implementation (runtime/device_impl.h).
  struct Impl;
  /// Internal: the implementation.
  Impl& impl() { return *impl_; }

 private:
  friend Result<std::unique_ptr<Device>> openDevice(int index, const DeviceOptions& options);
  friend class Event;
  explicit Device(std::unique_ptr<Impl> impl);
  void releaseQuery(uint32_t query);
  std::unique_ptr<Impl> impl_;
};

/// Opens device `index` from enumerateDevices(), or the default device when -1, with
/// DeviceOptions::fromEnvironment(). Each call opens a new logical device.
Result<std::unique_ptr<Device>> openDevice(int index = -1);
/// Opens device `index` (or the default device when -1) with `options`.
Result<std::unique_ptr<Device>> openDevice(int index, const DeviceOptions& options);

}  // namespace tvk
