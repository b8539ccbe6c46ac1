// The Vulkan runtime's public API: devices, buffers, pipelines, launches, GPU timestamps.
//
// Stream semantics: launch() and recordEvent() only record into the device's command
// buffer; synchronize() submits it and waits. Host writes through Buffer::data() become
// visible to the GPU at the next submission; GPU writes are visible through data() after
// synchronize(). No exceptions: every fallible call returns Status or Result<T>.
// Not thread-safe: use one Device from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "compiler/compiler.h"
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
  /// True for the device openDevice(-1) picks (TVK_DEVICE, else discrete > integrated > rest).
  bool isDefault = false;
};

/// Lists the Vulkan devices that support Vulkan 1.1 and have a compute queue.
Result<std::vector<DeviceInfo>> enumerateDevices();

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
  /// The VkBuffer (covers exactly this buffer, size() bytes from its start).
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
class Pipeline {
 public:
  /// Destroys the Vulkan objects unless the Device already did.
  virtual ~Pipeline() = default;
  /// The reflection record it was created from.
  virtual const Reflection& reflection() const = 0;
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

/// An open logical device with one compute queue, a caching allocator, a pipeline cache and
/// a command stream.
class Device {
 public:
  /// Waits for pending work and destroys every Vulkan object (pipelines handed out become
  /// unusable; Buffers and Events must not outlive their Device).
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
  Result<Buffer> allocate(size_t bytes);
  /// Copies host bytes into `buffer` at `offset` (memcpy when mapped, else staging + wait).
  Status upload(Buffer& buffer, size_t offset, const void* src, size_t bytes);
  /// Copies `bytes` from `buffer` at `offset` to host (synchronizes the stream first).
  Status download(const Buffer& buffer, size_t offset, void* dst, size_t bytes);
  /// Bytes of device memory held by the allocator (in use + cached).
  size_t allocatedBytes() const;
  /// True when buffers are host-visible (Buffer::data() non-null: lavapipe, Apple, ReBAR);
  /// false when upload/download go through staging copies.
  bool hostVisibleMemory() const;

  /// Checks `kernel` against this device and returns its (cached) pipeline.
  Result<std::shared_ptr<Pipeline>> pipeline(const CompiledKernel& kernel);
  /// Records a launch of `grid` programs; `args` follow the tt.func parameters in order.
  Status launch(const Pipeline& pipeline, const uint32_t grid[3],
                const std::vector<LaunchArg>& args);
  /// Records a GPU timestamp into the stream.
  Result<Event> recordEvent();
  /// Milliseconds between two recorded events (synchronizes first if they are pending).
  Result<double> elapsedMs(const Event& start, const Event& end);
  /// Submits everything recorded and waits for it.
  Status synchronize();
  /// Number of vkCmdDispatch calls recorded since opening (grid splits count separately).
  uint64_t dispatchCount() const;

  /// Implementation (runtime/device_impl.h).
  struct Impl;
  /// Internal: the implementation.
  Impl& impl() { return *impl_; }

 private:
  friend Result<std::unique_ptr<Device>> openDevice(int index);
  friend class Event;
  explicit Device(std::unique_ptr<Impl> impl);
  void releaseQuery(uint32_t query);
  std::unique_ptr<Impl> impl_;
};

/// Opens device `index` from enumerateDevices(), or the default device when -1.
Result<std::unique_ptr<Device>> openDevice(int index = -1);

}  // namespace tvk
