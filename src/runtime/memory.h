// The caching buffer allocator: size classes with free lists, small classes suballocated
// from shared memory blocks, every block persistently mapped when host-visible.
//
// Thread-safe (one mutex per pool). A released buffer is cached at once when the GPU cannot
// be using it, else it waits until the submission it may be used by has completed (read from
// the device's SubmissionClock). Cached bytes beyond the pool's limit are returned to Vulkan;
// an allocation that runs out of memory returns the whole cache and tries once more.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <vulkan/vulkan.h>

#include "runtime/runtime.h"
#include "support/status.h"

namespace tvk {

/// Serial numbers of a device's submissions, written by the device, read by its pools.
struct SubmissionClock {
  /// The newest submission that memory released now may be used by (the batch being recorded,
  /// else the last one submitted; 0 before any).
  std::atomic<uint64_t> lastUsed{0};
  /// Every submission up to and including this serial has finished.
  std::atomic<uint64_t> completed{0};
};

struct MemoryBlock;

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
  /// The block the slot lives in.
  MemoryBlock* block = nullptr;
  /// While pending: the submission serial that must complete before reuse.
  uint64_t releasedAt = 0;
  /// While a cached dedicated slot: its place in the pool's eviction order.
  std::list<Allocation*>::iterator lru;
};

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
  /// Holds exactly one (large) slot.
  bool dedicated = false;
  /// Slots in use or waiting for the GPU (the block can be freed when 0).
  uint32_t liveSlots = 0;
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

/// How a pool is created.
struct PoolOptions {
  /// The memory it draws from.
  MemoryKind kind = MemoryKind::Device;
  /// Buffers get VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT (not for Staging).
  bool deviceAddress = false;
  /// Minimum slot alignment (minStorageBufferOffsetAlignment; at least 256 is used).
  VkDeviceSize alignment = 256;
  /// The device's submissions; nullptr: released memory is reusable at once.
  const SubmissionClock* clock = nullptr;
  /// Bytes of freed memory kept for reuse; -1: an eighth of the memory type's heap.
  int64_t cacheLimit = -1;
  /// Largest single allocation (maxMemoryAllocationSize); 0: the heap size.
  VkDeviceSize maxAllocation = 0;
  /// Largest VkBuffer (maxBufferSize); 0: not reported (no bound besides the heap).
  VkDeviceSize maxBuffer = 0;
};

/// The size class serving a request of `bytes` (multiple of 256, at most 25% larger above
/// 4 KiB); 0 when `bytes` exceeds 2^62 (no class: the request is impossible).
VkDeviceSize sizeClassFor(VkDeviceSize bytes);

/// A caching allocator for one device and one memory kind.
class MemoryPool {
 public:
  /// Creates a pool; picks the memory type now.
  static Result<std::unique_ptr<MemoryPool>> create(VkDevice device, VkPhysicalDevice physical,
                                                    const PoolOptions& options);
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  /// A buffer of `bytes` bytes (cached slot when available). When Vulkan runs out of memory
  /// the cache is returned and the allocation retried; if it still fails, `*outOfMemory` (when
  /// given) is set so that the caller can wait for pending frees and try again. `reuse`:
  /// StreamOrdered may also take a buffer released while the GPU may still use it (Reuse).
  Result<Buffer> allocate(size_t bytes, bool* outOfMemory = nullptr, Reuse reuse = Reuse::AfterGpu);
  /// True when buffers are persistently mapped.
  bool hostVisible() const { return hostVisible_; }
  /// True when mapped reads are cached (else large reads go through a staging copy).
  bool hostCached() const { return hostCached_; }
  /// Bytes of memory allocated from the device.
  size_t allocatedBytes() const;
  /// Byte counts (allocated, in use, cached, pending, limit, returned to Vulkan, retries).
  MemoryStats stats() const;
  /// Number of slots created (not reused) so far.
  size_t slotsCreated() const;
  /// Moves slots released before submission `completed` finished to the cache, then trims
  /// the cache to its limit.
  void retire(uint64_t completed);
  /// Sets the cache limit in bytes (trims at once).
  void setCacheLimit(uint64_t bytes);
  /// Returns every cached slot's memory that can be returned (whole blocks) to Vulkan.
  void emptyCache();
  /// Testing: vkAllocateMemory beyond `bytes` held in all fails as out of device memory
  /// (0 = no budget).
  void setBudgetForTesting(uint64_t bytes);

 private:
  friend class Buffer;
  MemoryPool() = default;
  void release(Allocation* alloc);
  void retireLocked(uint64_t completed);
  void cacheLocked(Allocation* alloc);
  void trimLocked(uint64_t limit);
  void freeBlockLocked(MemoryBlock* block);
  Result<Allocation*> newSlotLocked(VkDeviceSize classSize, VkResult* failure);
  Result<MemoryBlock*> blockWithRoomLocked(VkDeviceSize bytes, VkDeviceSize alignment,
                                           VkResult* failure);

  VkDevice device_ = VK_NULL_HANDLE;
  uint32_t memoryType_ = 0;
  bool hostVisible_ = false;
  bool hostCached_ = false;
  bool deviceAddress_ = false;
  VkDeviceSize alignment_ = 256;
  VkDeviceSize heapSize_ = 0;
  VkDeviceSize maxAllocation_ = 0;
  VkDeviceSize hardLimit_ = 0;  // heap size, or maxBufferSize when smaller
  VkBufferUsageFlags usage_ = 0;
  const SubmissionClock* clock_ = nullptr;

  mutable std::mutex mu_;  // guards everything below
  uint64_t cacheLimit_ = 0;
  uint64_t budget_ = 0;
  uint64_t allocatedBytes_ = 0;
  uint64_t inUseBytes_ = 0;
  uint64_t cachedBytes_ = 0;
  uint64_t pendingBytes_ = 0;
  uint64_t returnedBytes_ = 0;
  uint64_t oomRetries_ = 0;
  size_t slotsCreated_ = 0;
  std::vector<std::unique_ptr<MemoryBlock>> blocks_;
  std::unordered_map<Allocation*, std::unique_ptr<Allocation>> slots_;
  std::map<VkDeviceSize, std::vector<Allocation*>> free_;
  std::deque<Allocation*> pending_;
  std::list<Allocation*> lru_;  // cached dedicated slots, least recently freed first
};

}  // namespace tvk
