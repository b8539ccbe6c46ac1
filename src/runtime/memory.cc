// Caching suballocator.
#include "runtime/memory.h"

#include <algorithm>

#include "runtime/vk_check.h"

namespace tvk {
namespace {

constexpr VkDeviceSize kSmallClassLimit = 4ull << 20;  // classes up to this share blocks
constexpr VkDeviceSize kBlockSize = 32ull << 20;       // size of a shared block
constexpr VkDeviceSize kMinReBarHeap = 1ull << 30;     // smaller host-visible VRAM: staging
constexpr uint64_t kDefaultCacheFraction = 8;          // default limit: heap / 8
constexpr VkDeviceSize kLargestClassRequest = 1ull << 62;

VkDeviceSize alignUp(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

bool isOutOfMemory(VkResult r) {
  return r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY;
}

std::string mib(uint64_t bytes) {
  return std::to_string(bytes) + " bytes (" + std::to_string(bytes >> 20) + " MiB)";
}

// Chooses a memory type for `kind` among `typeBits`; -1 if none fits.
int pickMemoryType(VkPhysicalDevice physical, uint32_t typeBits, MemoryKind kind,
                   bool* hostVisible, bool* hostCached, VkDeviceSize* heapSize) {
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(physical, &mp);
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(physical, &props);
  const VkMemoryPropertyFlags local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  const VkMemoryPropertyFlags mappable =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  auto find = [&](VkMemoryPropertyFlags want, VkDeviceSize minHeap) {
    for (uint32_t i = 0; i < mp.memoryTypeCount; ++i) {
      if (!(typeBits & (1u << i))) continue;
      if ((mp.memoryTypes[i].propertyFlags & want) != want) continue;
      if (mp.memoryHeaps[mp.memoryTypes[i].heapIndex].size < minHeap) continue;
      return static_cast<int>(i);
    }
    return -1;
  };
  int type = -1;
  if (kind == MemoryKind::Device || kind == MemoryKind::DeviceUnmapped) {
    // Host-visible VRAM counts only when it is not the small 256 MiB BAR window of a
    // discrete GPU.
    bool discrete = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
    type = find(local | mappable, discrete ? kMinReBarHeap : 0);
    if (type < 0) type = find(local, 0);
    if (type < 0) type = find(mappable, 0);
  } else {
    type = find(mappable | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0);
    if (type < 0) type = find(mappable, 0);
  }
  if (type >= 0) {
    *hostVisible = kind != MemoryKind::DeviceUnmapped &&
                   (mp.memoryTypes[type].propertyFlags & mappable) == mappable;
    *hostCached = *hostVisible &&
                  (mp.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
    *heapSize = mp.memoryHeaps[mp.memoryTypes[type].heapIndex].size;
  }
  return type;
}

}  // namespace

VkDeviceSize sizeClassFor(VkDeviceSize bytes) {
  if (bytes <= 256) return 256;
  if (bytes <= 4096) return alignUp(bytes, 256);
  if (bytes > kLargestClassRequest) return 0;
  VkDeviceSize pow2 = VkDeviceSize(1) << (63 - __builtin_clzll(bytes));  // <= bytes < 2 pow2
  return alignUp(bytes, pow2 / 4);
}

Result<std::unique_ptr<MemoryPool>> MemoryPool::create(VkDevice device,
                                                       VkPhysicalDevice physical,
                                                       const PoolOptions& options) {
  std::unique_ptr<MemoryPool> pool(new MemoryPool());
  pool->device_ = device;
  pool->deviceAddress_ = options.deviceAddress && options.kind != MemoryKind::Staging;
  pool->alignment_ = std::max<VkDeviceSize>(options.alignment, 256);
  pool->clock_ = options.clock;
  pool->usage_ = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                 VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  if (pool->deviceAddress_) pool->usage_ |= VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
  // Probe the memory types a buffer of this usage accepts.
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = 256;
  info.usage = pool->usage_;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer probe = VK_NULL_HANDLE;
  TVK_VK(vkCreateBuffer(device, &info, nullptr, &probe));
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device, probe, &req);
  vkDestroyBuffer(device, probe, nullptr);
  int type = pickMemoryType(physical, req.memoryTypeBits, options.kind, &pool->hostVisible_,
                            &pool->hostCached_, &pool->heapSize_);
  if (type < 0) return Status::error("no Vulkan memory type fits storage buffers");
  pool->memoryType_ = static_cast<uint32_t>(type);
  pool->maxAllocation_ = pool->heapSize_;
  pool->hardLimit_ = pool->heapSize_;
  if (options.maxBuffer > 0) pool->hardLimit_ = std::min(pool->hardLimit_, options.maxBuffer);
  if (options.maxAllocation > 0)
    pool->maxAllocation_ = std::min(pool->maxAllocation_, options.maxAllocation);
  pool->cacheLimit_ = options.cacheLimit >= 0 ? uint64_t(options.cacheLimit)
                                              : pool->heapSize_ / kDefaultCacheFraction;
  return pool;
}

MemoryPool::~MemoryPool() {
  for (auto& slot : slots_) vkDestroyBuffer(device_, slot.second->buffer, nullptr);
  for (auto& block : blocks_) {
    if (block->mapped) vkUnmapMemory(device_, block->memory);
    vkFreeMemory(device_, block->memory, nullptr);
  }
}

Result<MemoryBlock*> MemoryPool::blockWithRoomLocked(VkDeviceSize bytes, VkDeviceSize alignment,
                                                     VkResult* failure) {
  const bool shared = bytes <= kSmallClassLimit;
  if (shared) {
    for (auto& block : blocks_) {
      if (block->dedicated) continue;
      if (alignUp(block->used, alignment) + bytes <= block->size) return block.get();
    }
  }
  auto block = std::make_unique<MemoryBlock>();
  block->size = shared ? kBlockSize : bytes;
  block->dedicated = !shared;
  if (budget_ && allocatedBytes_ + block->size > budget_) {
    *failure = VK_ERROR_OUT_OF_DEVICE_MEMORY;  // the testing budget
    return vkCheck(*failure, "vkAllocateMemory");
  }
  VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO};
  flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
  VkMemoryAllocateInfo info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  info.pNext = deviceAddress_ ? &flags : nullptr;
  info.allocationSize = block->size;
  info.memoryTypeIndex = memoryType_;
  VkResult r = vkAllocateMemory(device_, &info, nullptr, &block->memory);
  if (r != VK_SUCCESS) {
    *failure = r;
    return vkCheck(r, "vkAllocateMemory");
  }
  if (hostVisible_) {
    void* ptr = nullptr;
    r = vkMapMemory(device_, block->memory, 0, VK_WHOLE_SIZE, 0, &ptr);
    if (r != VK_SUCCESS) {
      vkFreeMemory(device_, block->memory, nullptr);
      *failure = r;
      return vkCheck(r, "vkMapMemory");
    }
    block->mapped = static_cast<uint8_t*>(ptr);
  }
  allocatedBytes_ += block->size;
  blocks_.push_back(std::move(block));
  return blocks_.back().get();
}

Result<Allocation*> MemoryPool::newSlotLocked(VkDeviceSize classSize, VkResult* failure) {
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = classSize;
  info.usage = usage_;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  auto slot = std::make_unique<Allocation>();
  VkResult r = vkCreateBuffer(device_, &info, nullptr, &slot->buffer);
  if (r != VK_SUCCESS) {
    *failure = r;
    return vkCheck(r, "vkCreateBuffer");
  }
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device_, slot->buffer, &req);
  VkDeviceSize alignment = std::max(req.alignment, alignment_);
  Result<MemoryBlock*> block = blockWithRoomLocked(req.size, alignment, failure);
  if (!block.ok()) {
    vkDestroyBuffer(device_, slot->buffer, nullptr);
    return block.status();
  }
  MemoryBlock* b = *block;
  VkDeviceSize offset = alignUp(b->used, alignment);
  r = vkBindBufferMemory(device_, slot->buffer, b->memory, offset);
  if (r != VK_SUCCESS) {
    vkDestroyBuffer(device_, slot->buffer, nullptr);
    if (b->dedicated) freeBlockLocked(b);
    *failure = r;
    return vkCheck(r, "vkBindBufferMemory");
  }
  b->used = offset + req.size;
  slot->memory = b->memory;
  slot->offset = offset;
  slot->classSize = classSize;
  slot->mapped = b->mapped ? b->mapped + offset : nullptr;
  slot->block = b;
  if (deviceAddress_) {
    VkBufferDeviceAddressInfo ai{VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO};
    ai.buffer = slot->buffer;
    slot->address = vkGetBufferDeviceAddress(device_, &ai);
  }
  ++slotsCreated_;
  Allocation* a = slot.get();
  slots_.emplace(a, std::move(slot));
  return a;
}

Result<Buffer> MemoryPool::allocate(size_t bytes, bool* outOfMemory, Reuse reuse) {
  if (outOfMemory) *outOfMemory = false;
  if (bytes == 0) return Status::error("cannot allocate a buffer of 0 bytes");
  const std::string what = "allocating " + mib(bytes);
  // maxMemoryAllocationSize is where allocations *may* start to fail (Vulkan 1.1,
  // VkPhysicalDeviceMaintenance3Properties), not a validity limit: NVIDIA reports 4 GiB and
  // allocates more. Larger requests are tried; only the heap size is a hard bound.
  if (bytes > hardLimit_)
    return Status::error(what + ": more than the device's largest allocation, " +
                         mib(hardLimit_) + " (its memory heap of " + mib(heapSize_) +
                         ", or maxBufferSize when smaller)");
  VkDeviceSize classSize = sizeClassFor(bytes);
  if (classSize == 0) return Status::error(what + ": no size class is that large");
  if (classSize > hardLimit_) classSize = alignUp(bytes, 256);  // near the limit: exact size
  std::lock_guard<std::mutex> lock(mu_);
  if (clock_) retireLocked(clock_->completed.load());
  auto it = free_.find(classSize);
  if (it != free_.end() && !it->second.empty()) {
    Allocation* a = it->second.back();
    it->second.pop_back();
    if (a->block->dedicated) lru_.erase(a->lru);
    cachedBytes_ -= a->classSize;
    inUseBytes_ += a->classSize;
    ++a->block->liveSlots;
    return Buffer(this, a, bytes);
  }
  if (reuse == Reuse::StreamOrdered) {  // the newest pending slot of the class (Reuse)
    for (auto p = pending_.rbegin(); p != pending_.rend(); ++p) {
      Allocation* a = *p;
      if (a->classSize != classSize) continue;
      pending_.erase(std::next(p).base());  // the tags of the rest stay in order
      pendingBytes_ -= a->classSize;
      inUseBytes_ += a->classSize;
      return Buffer(this, a, bytes);  // never left its block's live slots
    }
  }
  VkResult failure = VK_SUCCESS;
  Result<Allocation*> slot = newSlotLocked(classSize, &failure);
  if (!slot.ok() && isOutOfMemory(failure) && cachedBytes_ > 0) {
    trimLocked(0);  // out of memory: return the cache to Vulkan and try once more
    ++oomRetries_;
    failure = VK_SUCCESS;
    slot = newSlotLocked(classSize, &failure);
  }
  if (!slot.ok()) {
    if (outOfMemory) *outOfMemory = isOutOfMemory(failure);
    const std::string over = bytes > maxAllocation_
                                 ? " (more than the device's maxMemoryAllocationSize, " +
                                       mib(maxAllocation_) + ")"
                                 : "";
    return Status::error(what + over + ": " + slot.status().message() + " (the pool holds " +
                         mib(allocatedBytes_) + ", " + mib(inUseBytes_) + " in use, " +
                         mib(pendingBytes_) + " waiting for the GPU)");
  }
  inUseBytes_ += classSize;
  ++(*slot)->block->liveSlots;
  return Buffer(this, *slot, bytes);
}

void MemoryPool::cacheLocked(Allocation* a) {
  free_[a->classSize].push_back(a);
  if (a->block->dedicated) a->lru = lru_.insert(lru_.end(), a);
  cachedBytes_ += a->classSize;
  --a->block->liveSlots;
}

void MemoryPool::release(Allocation* a) {
  std::lock_guard<std::mutex> lock(mu_);
  inUseBytes_ -= a->classSize;
  uint64_t used = clock_ ? clock_->lastUsed.load() : 0;
  if (clock_ && used > clock_->completed.load()) {
    a->releasedAt = used;  // released while the GPU may still use it
    pending_.push_back(a);
    pendingBytes_ += a->classSize;
    return;
  }
  cacheLocked(a);
  trimLocked(cacheLimit_);
}

void MemoryPool::retireLocked(uint64_t completed) {
  // Tags never decrease along pending_ (lastUsed only grows and is read under mu_).
  bool moved = false;
  while (!pending_.empty() && pending_.front()->releasedAt <= completed) {
    Allocation* a = pending_.front();
    pending_.pop_front();
    pendingBytes_ -= a->classSize;
    cacheLocked(a);
    moved = true;
  }
  if (moved) trimLocked(cacheLimit_);
}

void MemoryPool::retire(uint64_t completed) {
  std::lock_guard<std::mutex> lock(mu_);
  retireLocked(completed);
}

void MemoryPool::freeBlockLocked(MemoryBlock* block) {
  if (block->mapped) vkUnmapMemory(device_, block->memory);
  vkFreeMemory(device_, block->memory, nullptr);
  allocatedBytes_ -= block->size;
  returnedBytes_ += block->size;
  auto it = std::find_if(blocks_.begin(), blocks_.end(),
                         [&](const std::unique_ptr<MemoryBlock>& b) { return b.get() == block; });
  blocks_.erase(it);
}

void MemoryPool::trimLocked(uint64_t limit) {
  if (cachedBytes_ <= limit) return;
  // Dedicated (large) slots first, least recently freed first: each returns its block.
  while (cachedBytes_ > limit && !lru_.empty()) {
    Allocation* a = lru_.front();
    lru_.pop_front();
    std::vector<Allocation*>& list = free_[a->classSize];
    list.erase(std::find(list.begin(), list.end(), a));
    cachedBytes_ -= a->classSize;
    vkDestroyBuffer(device_, a->buffer, nullptr);
    freeBlockLocked(a->block);
    slots_.erase(a);
  }
  if (cachedBytes_ <= limit) return;
  // Shared blocks whose every slot is cached.
  std::vector<MemoryBlock*> idle;
  for (auto& b : blocks_)
    if (!b->dedicated && b->liveSlots == 0) idle.push_back(b.get());
  for (MemoryBlock* block : idle) {
    if (cachedBytes_ <= limit) break;
    for (auto& entry : free_) {
      std::vector<Allocation*>& list = entry.second;
      auto keep = std::partition(list.begin(), list.end(),
                                 [&](Allocation* a) { return a->block != block; });
      for (auto it = keep; it != list.end(); ++it) {
        cachedBytes_ -= (*it)->classSize;
        vkDestroyBuffer(device_, (*it)->buffer, nullptr);
        slots_.erase(*it);
      }
      list.erase(keep, list.end());
    }
    freeBlockLocked(block);
  }
}

size_t MemoryPool::allocatedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return allocatedBytes_;
}

size_t MemoryPool::slotsCreated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slotsCreated_;
}

MemoryStats MemoryPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  MemoryStats s;
  s.allocatedBytes = allocatedBytes_;
  s.inUseBytes = inUseBytes_;
  s.cachedBytes = cachedBytes_;
  s.pendingBytes = pendingBytes_;
  s.cacheLimit = cacheLimit_;
  s.returnedBytes = returnedBytes_;
  s.outOfMemoryRetries = oomRetries_;
  return s;
}

void MemoryPool::setCacheLimit(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  cacheLimit_ = bytes;
  trimLocked(cacheLimit_);
}

void MemoryPool::emptyCache() {
  std::lock_guard<std::mutex> lock(mu_);
  trimLocked(0);
}

void MemoryPool::setBudgetForTesting(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  budget_ = bytes;
}

// Buffer handle.

Buffer::~Buffer() { release(); }

Buffer::Buffer(Buffer&& other) noexcept
    : pool_(other.pool_), alloc_(other.alloc_), size_(other.size_) {
  other.pool_ = nullptr;
  other.alloc_ = nullptr;
  other.size_ = 0;
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = other.pool_;
    alloc_ = other.alloc_;
    size_ = other.size_;
    other.pool_ = nullptr;
    other.alloc_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void Buffer::release() {
  if (pool_ && alloc_) pool_->release(alloc_);
  pool_ = nullptr;
  alloc_ = nullptr;
  size_ = 0;
}

void* Buffer::data() const { return alloc_ ? alloc_->mapped : nullptr; }
size_t Buffer::size() const { return size_; }
VkBuffer Buffer::vkBuffer() const { return alloc_ ? alloc_->buffer : VK_NULL_HANDLE; }
VkDeviceMemory Buffer::vkMemory() const { return alloc_ ? alloc_->memory : VK_NULL_HANDLE; }
VkDeviceSize Buffer::memoryOffset() const { return alloc_ ? alloc_->offset : 0; }
uint64_t Buffer::deviceAddress() const { return alloc_ ? alloc_->address : 0; }

}  // namespace tvk
