// Caching suballocator.
#include "runtime/memory.h"

#include <algorithm>

#include "runtime/vk_check.h"

namespace tvk {
namespace {

constexpr VkDeviceSize kSmallClassLimit = 4ull << 20;  // classes up to this share blocks
constexpr VkDeviceSize kBlockSize = 32ull << 20;       // size of a shared block
constexpr VkDeviceSize kMinReBarHeap = 1ull << 30;     // smaller host-visible VRAM: staging

VkDeviceSize alignUp(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

// Chooses a memory type for `kind` among `typeBits`; -1 if none fits.
int pickMemoryType(VkPhysicalDevice physical, uint32_t typeBits, MemoryKind kind,
                   bool* hostVisible, bool* hostCached) {
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
  }
  return type;
}

}  // namespace

VkDeviceSize sizeClassFor(VkDeviceSize bytes) {
  if (bytes <= 256) return 256;
  if (bytes <= 4096) return alignUp(bytes, 256);
  VkDeviceSize pow2 = 1;
  while (pow2 * 2 <= bytes) pow2 *= 2;
  return alignUp(bytes, pow2 / 4);
}

Result<std::unique_ptr<MemoryPool>> MemoryPool::create(VkDevice device,
                                                       VkPhysicalDevice physical,
                                                       MemoryKind kind, bool deviceAddress,
                                                       VkDeviceSize alignment) {
  std::unique_ptr<MemoryPool> pool(new MemoryPool());
  pool->device_ = device;
  pool->deviceAddress_ = deviceAddress && kind != MemoryKind::Staging;
  pool->alignment_ = std::max<VkDeviceSize>(alignment, 256);
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
  int type = pickMemoryType(physical, req.memoryTypeBits, kind, &pool->hostVisible_,
                            &pool->hostCached_);
  if (type < 0) return Status::error("no Vulkan memory type fits storage buffers");
  pool->memoryType_ = static_cast<uint32_t>(type);
  return pool;
}

MemoryPool::~MemoryPool() {
  for (auto& slot : slots_) vkDestroyBuffer(device_, slot->buffer, nullptr);
  for (auto& block : blocks_) {
    if (block->mapped) vkUnmapMemory(device_, block->memory);
    vkFreeMemory(device_, block->memory, nullptr);
  }
}

Result<MemoryBlock*> MemoryPool::blockWithRoom(VkDeviceSize bytes, VkDeviceSize alignment) {
  const bool shared = bytes <= kSmallClassLimit;
  if (shared) {
    for (auto& block : blocks_) {
      if (block->size != kBlockSize) continue;
      if (alignUp(block->used, alignment) + bytes <= block->size) return block.get();
    }
  }
  auto block = std::make_unique<MemoryBlock>();
  block->size = shared ? kBlockSize : bytes;
  VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO};
  flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
  VkMemoryAllocateInfo info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  info.pNext = deviceAddress_ ? &flags : nullptr;
  info.allocationSize = block->size;
  info.memoryTypeIndex = memoryType_;
  TVK_VK(vkAllocateMemory(device_, &info, nullptr, &block->memory));
  allocatedBytes_ += block->size;
  if (hostVisible_) {
    void* ptr = nullptr;
    VkResult r = vkMapMemory(device_, block->memory, 0, VK_WHOLE_SIZE, 0, &ptr);
    if (r != VK_SUCCESS) {
      vkFreeMemory(device_, block->memory, nullptr);
      allocatedBytes_ -= block->size;
      return vkCheck(r, "vkMapMemory");
    }
    block->mapped = static_cast<uint8_t*>(ptr);
  }
  blocks_.push_back(std::move(block));
  return blocks_.back().get();
}

Result<Allocation*> MemoryPool::newSlot(VkDeviceSize classSize) {
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = classSize;
  info.usage = usage_;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  auto slot = std::make_unique<Allocation>();
  TVK_VK(vkCreateBuffer(device_, &info, nullptr, &slot->buffer));
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device_, slot->buffer, &req);
  VkDeviceSize alignment = std::max(req.alignment, alignment_);
  Result<MemoryBlock*> block = blockWithRoom(req.size, alignment);
  if (!block.ok()) {
    vkDestroyBuffer(device_, slot->buffer, nullptr);
    return block.status();
  }
  MemoryBlock* b = *block;
  VkDeviceSize offset = alignUp(b->used, alignment);
  VkResult r = vkBindBufferMemory(device_, slot->buffer, b->memory, offset);
  if (r != VK_SUCCESS) {
    vkDestroyBuffer(device_, slot->buffer, nullptr);
    return vkCheck(r, "vkBindBufferMemory");
  }
  b->used = offset + req.size;
  slot->memory = b->memory;
  slot->offset = offset;
  slot->classSize = classSize;
  slot->mapped = b->mapped ? b->mapped + offset : nullptr;
  if (deviceAddress_) {
    VkBufferDeviceAddressInfo ai{VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO};
    ai.buffer = slot->buffer;
    slot->address = vkGetBufferDeviceAddress(device_, &ai);
  }
  ++slotsCreated_;
  slots_.push_back(std::move(slot));
  return slots_.back().get();
}

Result<Buffer> MemoryPool::allocate(size_t bytes) {
  if (bytes == 0) return Status::error("cannot allocate a buffer of 0 bytes");
  VkDeviceSize classSize = sizeClassFor(bytes);
  auto it = free_.find(classSize);
  if (it != free_.end() && !it->second.empty()) {
    Allocation* a = it->second.back();
    it->second.pop_back();
    return Buffer(this, a, bytes);
  }
  Result<Allocation*> slot = newSlot(classSize);
  if (!slot.ok()) {
    // Out of memory: drop cached slots' claims is not possible with bump blocks; report.
    return Status::error("allocating " + std::to_string(bytes) +
                         " bytes: " + slot.status().message());
  }
  return Buffer(this, *slot, bytes);
}

void MemoryPool::release(Allocation* alloc) {
  if (busy_)
    pendingFree_.push_back(alloc);
  else
    free_[alloc->classSize].push_back(alloc);
}

void MemoryPool::retire() {
  for (Allocation* a : pendingFree_) free_[a->classSize].push_back(a);
  pendingFree_.clear();
  busy_ = false;
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
