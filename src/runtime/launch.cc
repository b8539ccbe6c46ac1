// Packing launch arguments, splitting grids, and recording dispatches.
#include <cstring>
#include <mutex>
#include <string>

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
                  bool addresses, PackedLaunch& out) {
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
  if (addresses) {  // the pointer's device address; no binding, no range limit
    if (b.deviceAddress() == 0)
      return Status::error(argName(a, i) + ": the buffer has no device address (the device "
                           "was opened without bufferDeviceAddress)");
    if (a.pushOffset < 0 || a.pushOffset + 8 > static_cast<int>(out.pushConstants.size()))
      return Status::error(argName(a, i) + ": address push offset " +
                           std::to_string(a.pushOffset) + " is outside the push constants");
    uint64_t address = b.deviceAddress() + arg.byteOffset;
    std::memcpy(out.pushConstants.data() + a.pushOffset, &address, sizeof(address));
    return Status();
  }
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
    Status s = a.kind == ArgInfo::Kind::Buffer ? packBuffer(a, i, args[i], t, r.addresses, out)
                                               : packScalar(a, i, args[i], out);
    // Programs that do not run touch nothing: an empty grid needs no bytes.
    if (s.ok() && a.kind == ArgInfo::Kind::Buffer && grid[0] && grid[1] && grid[2])
      s = checkAccessBounds(a, i, args[i]);
    if (!s.ok()) return Status::error("kernel '" + r.entry + "': " + s.message());
  }
  return out;
}

Result<VkDescriptorSet> Device::Impl::allocateSet(VkDescriptorSetLayout layout) {
  std::vector<VkDescriptorPool>& pools = current->descriptorPools;
  VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  info.descriptorSetCount = 1;
  info.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  for (VkDescriptorPool pool : pools) {  // pools are reset when the batch is recycled
    info.descriptorPool = pool;
    VkResult r = vkAllocateDescriptorSets(device, &info, &set);
    if (r == VK_SUCCESS) return set;
    if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
      return vk(r, "vkAllocateDescriptorSets");
  }
  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4096};
  VkDescriptorPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  poolInfo.maxSets = 256;
  poolInfo.poolSizeCount = 1;
  poolInfo.pPoolSizes = &size;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  TVK_RETURN_IF_ERROR(vk(vkCreateDescriptorPool(device, &poolInfo, nullptr, &pool),
                         "vkCreateDescriptorPool"));
  pools.push_back(pool);
  info.descriptorPool = pool;
  TVK_RETURN_IF_ERROR(vk(vkAllocateDescriptorSets(device, &info, &set), "vkAllocateDescriptorSets"));
  return set;
}

namespace {

// Binds `p` and its buffers in the current batch (descriptor set, barrier, pipeline).
Status bindLaunch(Device::Impl& d, const PipelineImpl& p, std::vector<VkWriteDescriptorSet>& writes) {
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (!p.pushDescriptors && !writes.empty()) {
    Result<VkDescriptorSet> allocated = d.allocateSet(p.setLayout);
    if (!allocated.ok()) return allocated.status();
    set = *allocated;
    for (VkWriteDescriptorSet& w : writes) w.dstSet = set;
    vkUpdateDescriptorSets(d.device, static_cast<uint32_t>(writes.size()), writes.data(), 0,
                           nullptr);
  }
  d.barrier();
  VkCommandBuffer cmd = d.current->cmd;
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
  if (!writes.empty()) {
    if (p.pushDescriptors)
      d.pushDescriptorFn(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0,
                         static_cast<uint32_t>(writes.size()), writes.data());
    else
      vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0,
                              nullptr);
  }
  return Status();
}

}  // namespace

Status Device::launch(const Pipeline& pipeline, const uint32_t grid[3],
                      const std::vector<LaunchArg>& args) {
  Impl& d = *impl_;
  const auto* p = dynamic_cast<const PipelineImpl*>(&pipeline);
  if (!p || p->owner != impl_.get() || p->device == VK_NULL_HANDLE)
    return Status::error("launch: the pipeline was not created by this device");
  const Reflection& r = p->reflection();
  const std::string who = "kernel '" + r.entry + "': ";
  Status gridOk = checkGrid(grid, target().maxWorkgroupCount);
  if (!gridOk.ok()) return Status::error(who + gridOk.message());
  Result<PackedLaunch> packed = packLaunch(r, args, grid, target());
  if (!packed.ok()) return packed.status();
  for (size_t i = 0; i < args.size() && i < r.args.size(); ++i) {
    const LaunchArg& a = args[i];
    if (a.kind == LaunchArg::Kind::Buffer && a.buffer && a.buffer->pool() != d.memory.get())
      return Status::error(who + "argument " + std::to_string(i) + " ('" + r.args[i].name +
                           "') is a buffer of another device");
  }
  GridSplitter split(grid, target().maxWorkgroupCount);
  const uint64_t total = split.pieceCount();
  if (total == 0) return Status();
  std::unique_lock<std::mutex> lock(d.mu);
  // The runtime's own buffers (loop-limit status, print/assert records) at their bindings.
  auto bindRuntimeBuffer = [&](int binding, Result<const Buffer*> buf) -> Status {
    if (!buf.ok()) return buf.status();
    BufferBinding b;
    b.binding = static_cast<uint32_t>(binding);
    b.buffer = (*buf)->vkBuffer();
    b.range = (*buf)->size();
    packed->bindings.push_back(b);
    return Status();
  };
  if (r.statusBinding >= 0)
    TVK_RETURN_IF_ERROR(bindRuntimeBuffer(r.statusBinding, d.statusBuffer()));
  if (r.debugBinding >= 0) {
    TVK_RETURN_IF_ERROR(bindRuntimeBuffer(r.debugBinding, d.debugBuffer()));
    auto& table = d.debugTables[r.debugKernelId];
    if (table.first != r.entry || table.second.size() != r.debugSites.size())
      table = {r.entry, r.debugSites};
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
  std::vector<uint8_t>& push = packed->pushConstants;
  uint64_t recorded = 0;
  uint64_t bound = 0;  // serial of the batch the pipeline is bound in
  DispatchPiece piece;
  while (split.next(piece)) {
    if (!d.current || d.current->serial != bound) {
      TVK_RETURN_IF_ERROR(d.begin());
      TVK_RETURN_IF_ERROR(bindLaunch(d, *p, writes));
      bound = d.current->serial;
      if (r.statusBinding >= 0) d.current->statusKernels.insert(r.entry);
      if (r.debugBinding >= 0) d.current->debug = true;
    }
    for (int i = 0; i < 3; ++i) putU32(push, 4 * i, piece.base[i]);
    if (p->pushBytes)
      vkCmdPushConstants(d.current->cmd, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, p->pushBytes,
                         push.data());
    vkCmdDispatch(d.current->cmd, piece.count[0], piece.count[1], piece.count[2]);
    ++d.dispatches;
    ++recorded;
    d.needBarrier = true;
    if (++d.current->dispatches < d.options.dispatchesPerSubmit) continue;
    // A full batch: submit it, and keep at most submitsInFlight batches pending.
    bound = 0;
    Status s = d.flushBounded(lock);
    if (!s.ok() && recorded < total)
      return Status::error(who + "stopped after recording " + std::to_string(recorded) + " of " +
                           std::to_string(total) + " dispatches: " + s.message());
    TVK_RETURN_IF_ERROR(s);
  }
  return Status();
}

}  // namespace tvk
