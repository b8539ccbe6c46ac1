// The caching buffer allocator: size classes with free lists, small classes suballocated
// from shared memory blocks, every block persistently mapped when host-visible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <vulkan/vulkan.h>

#include "runtime/runtime.h"
#include "support/status.h"

namespace tvk {

/// One block of device memory obtained from vkAllocateMemory.
struct MemoryBlock {
  /// The memory.
  VkDeviceMemory memory = VK_NULL_HANDLE;
  /// Its size in bytes.
  VkDeviceSize size = 0;
  /// Bytes handed out so far (bump pointer).
  VkDeviceSize used = 0;
  /// Persistent mapping, or nullptr.
  uint8_t* mapped = nullptr;
};

/// One cached buffer slot: a VkBuffer of its size class bound inside a block.
struct Allocation {
  /// The buffer covering the whole slot.
  VkBuffer buffer = VK_NULL_HANDLE;
  /// The block's memory.
  VkDeviceMemory memory = VK_NULL_HANDLE;
  /// Offset within `memory`.
  VkDeviceSize offset = 0;
  /// Size-class bytes (>= every request it serves).
  VkDeviceSize classSize = 0;
  /// Host pointer to the slot, or nullptr.
  uint8_t* mapped = nullptr;
  /// Buffer device address (0 when not enabled).
  uint64_t address = 0;
};

/// What memory a pool draws from.
enum class MemoryKind {
  /// Device-local, host-visible when that is large enough (lavapipe, Apple, ReBAR).
  Device,
  /// Host-visible and coherent (staging).
  Staging,
  /// Device memory that is never mapped even when it could be (exercises the staging path).
  DeviceUnmapped
};

/// The size class serving a request of `bytes` (multiple of 256, at most 25% larger above
/// 4 KiB).
VkDeviceSize sizeClassFor(VkDeviceSize bytes);

/// A caching allocator for one device and one memory kind.
class MemoryPool {
 public:
  /// Creates a pool; picks the memory type now.
  static Result<std::unique_ptr<MemoryPool>> create(VkDevice device, VkPhysicalDevice physical,
                                                    MemoryKind kind, bool deviceAddress,
                                                    VkDeviceSize alignment);
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  /// A buffer of `bytes` bytes (cached slot when available).
  Result<Buffer> allocate(size_t bytes);
  /// True when buffers are persistently mapped.
  bool hostVisible() const { return hostVisible_; }
  /// True when mapped reads are cached (else large reads go through a staging copy).
  bool hostCached() const { return hostCached_; }
  /// Bytes of memory allocated from the device.
  size_t allocatedBytes() const { return allocatedBytes_; }
  /// Number of slots created (not reused) so far.
  size_t slotsCreated() const { return slotsCreated_; }
  /// While busy, released slots wait for retire() (the GPU may still use them).
  void setBusy(bool busy) { busy_ = busy; }
  /// Moves slots released while busy to the free lists (after the GPU finished).
  void retire();

 private:
  friend class Buffer;
  MemoryPool() = default;
  void release(Allocation* alloc);
  Result<Allocation*> newSlot(VkDeviceSize classSize);
  Result<MemoryBlock*> blockWithRoom(VkDeviceSize bytes, VkDeviceSize alignment);

  VkDevice device_ = VK_NULL_HANDLE;
  uint32_t memoryType_ = 0;
  bool hostVisible_ = false;
  bool hostCached_ = false;
  bool deviceAddress_ = false;
  bool busy_ = false;
  VkDeviceSize alignment_ = 256;
  VkBufferUsageFlags usage_ = 0;
  size_t allocatedBytes_ = 0;
  size_t slotsCreated_ = 0;
  std::vector<std::unique_ptr<MemoryBlock>> blocks_;
  std::vector<std::unique_ptr<Allocation>> slots_;
  std::map<VkDeviceSize, std::vector<Allocation*>> free_;
  std::vector<Allocation*> pendingFree_;
};

}  // namespace tvk
