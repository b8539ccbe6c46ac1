// Packing launch arguments, splitting grids, and recording dispatches.
#include <cstring>

#include "runtime/device_impl.h"
#include "runtime/vk_check.h"

namespace tvk {
namespace {

constexpr uint32_t kHeaderBytes = 24;  // pid_base[3], num_programs[3]

void putU32(std::vector<uint8_t>& block, uint32_t offset, uint32_t value) {
  std::memcpy(block.data() + offset, &value, sizeof(value));
}

std::string argName(const ArgInfo& a, size_t i) {
  return "argument " + std::to_string(i) + " ('" + a.name + "')";
}

Status packBuffer(const ArgInfo& a, size_t i, const LaunchArg& arg, const Target& t,
                  PackedLaunch& out) {
  if (arg.kind != LaunchArg::Kind::Buffer || !arg.buffer || !arg.buffer->valid())
    return Status::error(argName(a, i) + " is a buffer (" + a.type +
                         ") but a scalar or empty buffer was passed");
  const Buffer& b = *arg.buffer;
  if (arg.byteOffset >= b.size())
    return Status::error(argName(a, i) + ": byte offset " + std::to_string(arg.byteOffset) +
                         " is outside its buffer of " + std::to_string(b.size()) + " bytes");
  if (arg.byteOffset % a.size != 0)
    return Status::error(argName(a, i) + ": byte offset " + std::to_string(arg.byteOffset) +
                         " is not a multiple of its element size " + std::to_string(a.size));
  if (a.alignment > 1 && arg.byteOffset % a.alignment != 0)
    return Status::error(argName(a, i) + ": byte offset " + std::to_string(arg.byteOffset) +
                         " breaks the kernel's assumed divisibility " +
                         std::to_string(a.alignment));
  const uint64_t align = t.storageBufferOffsetAlignment ? t.storageBufferOffsetAlignment : 1;
  BufferBinding binding;
  binding.binding = static_cast<uint32_t>(a.binding);
  binding.buffer = b.vkBuffer();
  binding.offset = arg.byteOffset / align * align;
  binding.range = b.size() - binding.offset;
  if (binding.range > t.maxStorageBufferRange)
    return Status::error(argName(a, i) + ": " + std::to_string(binding.range) +
                         " bytes to bind exceed maxStorageBufferRange " +
                         std::to_string(t.maxStorageBufferRange));
  if (a.pushOffset < 0 || a.pushOffset + 4 > static_cast<int>(out.pushConstants.size()))
    return Status::error(argName(a, i) + ": base_elems push offset " +
                         std::to_string(a.pushOffset) + " is outside the push constants");
  putU32(out.pushConstants, static_cast<uint32_t>(a.pushOffset),
         static_cast<uint32_t>((arg.byteOffset - binding.offset) / a.size));
  out.bindings.push_back(binding);
  return Status();
}

// A buffer smaller than the accesses the kernel certainly makes (reflection maxElemIndex).
Status checkAccessBounds(const ArgInfo& a, size_t i, const LaunchArg& arg) {
  if (a.maxElemIndex < 0 || !arg.buffer) return Status();
  uint64_t need = (static_cast<uint64_t>(a.maxElemIndex) + 1) * a.size;
  uint64_t have = arg.buffer->size() - arg.byteOffset;  // byteOffset < size() was checked
  if (have >= need) return Status();
  return Status::error(argName(a, i) + ": the kernel accesses elements up to index " +
                       std::to_string(a.maxElemIndex) + ", which needs " + std::to_string(need) +
                       " bytes from byte offset " + std::to_string(arg.byteOffset) +
                       ", but the buffer has " + std::to_string(have) + " bytes there");
}

Status packScalar(const ArgInfo& a, size_t i, const LaunchArg& arg, PackedLaunch& out) {
  if (arg.kind != LaunchArg::Kind::Scalar)
    return Status::error(argName(a, i) + " is a scalar (" + a.type + ") but a buffer was passed");
  if (arg.bytes.size() != a.size)
    return Status::error(argName(a, i) + " (" + a.type + ") takes " + std::to_string(a.size) +
                         " bytes, got " + std::to_string(arg.bytes.size()));
  if (a.pushOffset < 0 ||
      a.pushOffset + a.size > static_cast<uint32_t>(out.pushConstants.size()))
    return Status::error(argName(a, i) + ": push offset " + std::to_string(a.pushOffset) +
                         " is outside the push constants");
  std::memcpy(out.pushConstants.data() + a.pushOffset, arg.bytes.data(), a.size);
  return Status();
}

}  // namespace

LaunchArg LaunchArg::ofBuffer(const Buffer& buffer, uint64_t byteOffset) {
  LaunchArg a;
  a.kind = Kind::Buffer;
  a.buffer = &buffer;
  a.byteOffset = byteOffset;
  return a;
}

LaunchArg LaunchArg::ofBytes(const void* data, size_t size) {
  LaunchArg a;
  a.kind = Kind::Scalar;
  a.bytes.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  return a;
}

std::vector<DispatchPiece> splitGrid(const uint32_t grid[3], const uint32_t maxCount[3]) {
  std::vector<DispatchPiece> pieces;
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return pieces;
  for (uint32_t z = 0; z < grid[2]; z += std::min(grid[2] - z, maxCount[2])) {
    for (uint32_t y = 0; y < grid[1]; y += std::min(grid[1] - y, maxCount[1])) {
      for (uint32_t x = 0; x < grid[0]; x += std::min(grid[0] - x, maxCount[0])) {
        DispatchPiece p;
        p.base[0] = x; p.base[1] = y; p.base[2] = z;
        p.count[0] = std::min(grid[0] - x, maxCount[0]);
        p.count[1] = std::min(grid[1] - y, maxCount[1]);
        p.count[2] = std::min(grid[2] - z, maxCount[2]);
        pieces.push_back(p);
      }
    }
  }
  return pieces;
}

Result<PackedLaunch> packLaunch(const Reflection& r, const std::vector<LaunchArg>& args,
                                const uint32_t grid[3], const Target& t) {
  if (args.size() != r.args.size())
    return Status::error("kernel '" + r.entry + "' takes " + std::to_string(r.args.size()) +
                         " arguments, got " + std::to_string(args.size()));
  if (r.pushConstantBytes < kHeaderBytes)
    return Status::error("kernel '" + r.entry + "': push-constant block of " +
                         std::to_string(r.pushConstantBytes) + " bytes has no header");
  PackedLaunch out;
  out.pushConstants.assign((r.pushConstantBytes + 3) / 4 * 4, 0);
  for (int i = 0; i < 3; ++i) putU32(out.pushConstants, 12 + 4 * i, grid[i]);
  for (size_t i = 0; i < args.size(); ++i) {
    const ArgInfo& a = r.args[i];
    Status s = a.kind == ArgInfo::Kind::Buffer ? packBuffer(a, i, args[i], t, out)
                                               : packScalar(a, i, args[i], out);
    // Programs that do not run touch nothing: an empty grid needs no bytes.
    if (s.ok() && a.kind == ArgInfo::Kind::Buffer && grid[0] && grid[1] && grid[2])
      s = checkAccessBounds(a, i, args[i]);
    if (!s.ok()) return Status::error("kernel '" + r.entry + "': " + s.message());
  }
  return out;
}

Result<VkDescriptorSet> Device::Impl::allocateSet(VkDescriptorSetLayout layout) {
  VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  info.descriptorSetCount = 1;
  info.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (!descriptorPools.empty()) {
    info.descriptorPool = descriptorPools.back();
    VkResult r = vkAllocateDescriptorSets(device, &info, &set);
    if (r == VK_SUCCESS) return set;
    if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
      return vkCheck(r, "vkAllocateDescriptorSets");
  }
  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4096};
  VkDescriptorPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  poolInfo.maxSets = 256;
  poolInfo.poolSizeCount = 1;
  poolInfo.pPoolSizes = &size;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  TVK_VK(vkCreateDescriptorPool(device, &poolInfo, nullptr, &pool));
  descriptorPools.push_back(pool);
  info.descriptorPool = pool;
  TVK_VK(vkAllocateDescriptorSets(device, &info, &set));
  return set;
}

Status Device::launch(const Pipeline& pipeline, const uint32_t grid[3],
                      const std::vector<LaunchArg>& args) {
  Impl& d = *impl_;
  const auto* p = dynamic_cast<const PipelineImpl*>(&pipeline);
  if (!p || p->owner != impl_.get() || p->device == VK_NULL_HANDLE)
    return Status::error("launch: the pipeline was not created by this device");
  Result<PackedLaunch> packed = packLaunch(p->reflection(), args, grid, target());
  if (!packed.ok()) return packed.status();
  std::vector<DispatchPiece> pieces = splitGrid(grid, target().maxWorkgroupCount);
  if (pieces.empty()) return Status();
  const int statusBinding = p->reflection().statusBinding;
  if (statusBinding >= 0) {
    Result<const Buffer*> status = d.statusBuffer();
    if (!status.ok()) return status.status();
    BufferBinding b;
    b.binding = static_cast<uint32_t>(statusBinding);
    b.buffer = (*status)->vkBuffer();
    b.range = (*status)->size();
    packed->bindings.push_back(b);
  }

  std::vector<VkDescriptorBufferInfo> infos(packed->bindings.size());
  std::vector<VkWriteDescriptorSet> writes(packed->bindings.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    const BufferBinding& b = packed->bindings[i];
    infos[i] = {b.buffer, b.offset, b.range};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstBinding = b.binding;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  TVK_RETURN_IF_ERROR(d.begin());
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (!p->pushDescriptors && !writes.empty()) {
    Result<VkDescriptorSet> allocated = d.allocateSet(p->setLayout);
    if (!allocated.ok()) return allocated.status();
    set = *allocated;
    for (VkWriteDescriptorSet& w : writes) w.dstSet = set;
    vkUpdateDescriptorSets(d.device, static_cast<uint32_t>(writes.size()), writes.data(), 0,
                           nullptr);
  }
  d.barrier();
  vkCmdBindPipeline(d.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipeline);
  if (!writes.empty()) {
    if (p->pushDescriptors)
      d.pushDescriptorFn(d.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0,
                         static_cast<uint32_t>(writes.size()), writes.data());
    else
      vkCmdBindDescriptorSets(d.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, 1, &set, 0,
                              nullptr);
  }
  std::vector<uint8_t>& push = packed->pushConstants;
  for (const DispatchPiece& piece : pieces) {
    for (int i = 0; i < 3; ++i) putU32(push, 4 * i, piece.base[i]);
    if (p->pushBytes)
      vkCmdPushConstants(d.cmd, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, p->pushBytes,
                         push.data());
    vkCmdDispatch(d.cmd, piece.count[0], piece.count[1], piece.count[2]);
    ++d.dispatches;
  }
  d.needBarrier = true;
  if (statusBinding >= 0) d.statusKernels.insert(p->reflection().entry);
  return Status();
}

}  // namespace tvk
