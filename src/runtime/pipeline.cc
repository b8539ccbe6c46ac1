// Checking a compiled kernel against the device and creating its compute pipeline.
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>

#include "runtime/device_impl.h"
#include "runtime/env.h"
#include "runtime/pipeline_dump.h"
#include "runtime/vk_check.h"

namespace tvk {
namespace {

constexpr uint32_t kMaxPushDescriptors = 32;  // guaranteed minimum of maxPushDescriptors

// Reflection feature names → whether a target has them.
const std::map<std::string, std::function<bool(const Target&)>>& featureTable() {
  static const std::map<std::string, std::function<bool(const Target&)>> kTable = {
      {"int64", [](const Target& t) { return t.int64; }},
      {"float64", [](const Target& t) { return t.float64; }},
      {"int16", [](const Target& t) { return t.int16; }},
      {"float16", [](const Target& t) { return t.float16; }},
      {"int8", [](const Target& t) { return t.int8; }},
      {"storage16", [](const Target& t) { return t.storage16; }},
      {"storage8", [](const Target& t) { return t.storage8; }},
      {"atomicFloat32Add", [](const Target& t) { return t.atomicFloat32Add; }},
      {"atomicInt64", [](const Target& t) { return t.atomicInt64; }},
      {"bufferDeviceAddress", [](const Target& t) { return t.bufferDeviceAddress; }},
      {"subgroupExtendedTypes", [](const Target& t) { return t.subgroupExtendedTypes; }},
      {"cooperativeMatrix", [](const Target& t) { return !t.coopMatShapes.empty(); }},
      {"bfloat16CooperativeMatrix", [](const Target& t) {
         for (const CoopMatShape& s : t.coopMatShapes)
           if (s.ab == "bf16") return true;
         return false;
       }},
      {"cooperativeMatrixRowOps", [](const Target& t) { return t.coopMatRowOps; }},
      {"subgroupBasic", [](const Target& t) { return (t.subgroupOps & 0x1) != 0; }},
      {"subgroupVote", [](const Target& t) { return (t.subgroupOps & 0x2) != 0; }},
      {"subgroupArithmetic", [](const Target& t) { return (t.subgroupOps & 0x4) != 0; }},
      {"subgroupBallot", [](const Target& t) { return (t.subgroupOps & 0x8) != 0; }},
      {"subgroupShuffle", [](const Target& t) { return (t.subgroupOps & 0x10) != 0; }},
      {"subgroupShuffleRelative", [](const Target& t) { return (t.subgroupOps & 0x20) != 0; }},
      {"subgroupClustered", [](const Target& t) { return (t.subgroupOps & 0x40) != 0; }},
      {"subgroupQuad", [](const Target& t) { return (t.subgroupOps & 0x80) != 0; }},
  };
  return kTable;
}

uint64_t hashWords(const std::vector<uint32_t>& words) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the words
  for (uint32_t w : words) {
    h ^= w;
    h *= 1099511628211ull;
  }
  return h;
}

bool sameKernel(const CompiledKernel& a, const CompiledKernel& b) {
  return a.spirv == b.spirv && a.reflection.entry == b.reflection.entry &&
         a.reflection.subgroupSize == b.reflection.subgroupSize &&
         a.reflection.pushConstantBytes == b.reflection.pushConstantBytes &&
         a.reflection.sharedBytes == b.reflection.sharedBytes &&
         a.reflection.statusBinding == b.reflection.statusBinding &&
         a.reflection.debugBinding == b.reflection.debugBinding &&
         a.reflection.debugKernelId == b.reflection.debugKernelId &&
         a.reflection.addresses == b.reflection.addresses &&
         std::equal(a.reflection.workgroupSize, a.reflection.workgroupSize + 3,
                    b.reflection.workgroupSize) &&
         a.reflection.args.size() == b.reflection.args.size() &&
         std::equal(a.reflection.args.begin(), a.reflection.args.end(),
                    b.reflection.args.begin(), [](const ArgInfo& x, const ArgInfo& y) {
                      return x.kind == y.kind && x.size == y.size && x.binding == y.binding &&
                             x.pushOffset == y.pushOffset && x.alignment == y.alignment;
                    });
}

}  // namespace

Status checkKernelFitsDevice(const Reflection& r, const Target& t) {
  const std::string who = "kernel '" + r.entry + "' cannot run on " + t.name + ": ";
  for (const std::string& f : r.features) {
    auto it = featureTable().find(f);
    if (it == featureTable().end())
      return Status::error(who + "unknown required feature '" + f + "'");
    if (!it->second(t)) return Status::error(who + "the device lacks feature '" + f + "'");
  }
  uint32_t invocations = r.workgroupSize[0] * r.workgroupSize[1] * r.workgroupSize[2];
  if (invocations == 0) return Status::error(who + "workgroup size is 0");
  if (invocations > t.maxWorkgroupInvocations)
    return Status::error(who + "workgroup of " + std::to_string(invocations) +
                         " invocations exceeds maxComputeWorkGroupInvocations " +
                         std::to_string(t.maxWorkgroupInvocations));
  for (int i = 0; i < 3; ++i)
    if (r.workgroupSize[i] > t.maxWorkgroupSize[i])
      return Status::error(who + "workgroup size " + std::to_string(r.workgroupSize[i]) +
                           " exceeds maxComputeWorkGroupSize[" + std::to_string(i) + "] " +
                           std::to_string(t.maxWorkgroupSize[i]));
  if (r.sharedBytes > t.sharedMemoryBytes)
    return Status::error(who + "needs " + std::to_string(r.sharedBytes) +
                         " bytes of shared memory, the device has " +
                         std::to_string(t.sharedMemoryBytes));
  if (r.pushConstantBytes > t.pushConstantBytes)
    return Status::error(who + "needs " + std::to_string(r.pushConstantBytes) +
                         " bytes of push constants, the device has " +
                         std::to_string(t.pushConstantBytes));
  if (r.subgroupSize != 0) {
    bool controllable = t.subgroupSizeControl && r.subgroupSize >= t.minSubgroupSize &&
                        r.subgroupSize <= t.maxSubgroupSize;
    if (!controllable && r.subgroupSize != t.subgroupSize)
      return Status::error(who + "compiled for subgroup size " +
                           std::to_string(r.subgroupSize) + ", the device runs " +
                           std::to_string(t.subgroupSize) + " and cannot require another");
    if (controllable && t.maxWorkgroupSubgroups > 0 &&
        invocations > r.subgroupSize * t.maxWorkgroupSubgroups)
      return Status::error(who + "workgroup of " + std::to_string(invocations) +
                           " exceeds maxComputeWorkgroupSubgroups " +
                           std::to_string(t.maxWorkgroupSubgroups) + " x subgroup size");
  }
  if (r.statusBinding >= 0 && static_cast<size_t>(r.statusBinding) < r.args.size())
    return Status::error(who + "its status binding " + std::to_string(r.statusBinding) +
                         " is a parameter's binding");
  if (r.debugBinding >= 0 && (static_cast<size_t>(r.debugBinding) < r.args.size() ||
                              r.debugBinding == r.statusBinding))
    return Status::error(who + "its debug record binding " + std::to_string(r.debugBinding) +
                         " is a parameter's or the status binding");
  for (const DebugSite& s : r.debugSites)
    if (r.debugBinding < 0 || r.debugKernelId == 0)
      return Status::error(who + "has print/assert sites but no debug record binding ('" +
                           s.text + "')");
  for (const ArgInfo& a : r.args) {
    if (a.kind == ArgInfo::Kind::Buffer && a.size == 0)
      return Status::error(who + "buffer parameter '" + a.name + "' has element size 0");
  }
  return Status();
}

void PipelineImpl::destroy() {
  if (device == VK_NULL_HANDLE) return;
  if (pipeline) vkDestroyPipeline(device, pipeline, nullptr);
  if (layout) vkDestroyPipelineLayout(device, layout, nullptr);
  if (setLayout) vkDestroyDescriptorSetLayout(device, setLayout, nullptr);
  pipeline = VK_NULL_HANDLE;
  layout = VK_NULL_HANDLE;
  setLayout = VK_NULL_HANDLE;
  device = VK_NULL_HANDLE;
}

// The driver's statistics of `pipeline` (VK_KHR_pipeline_executable_properties; empty
// without it or when a query fails: statistics are informational).
static std::vector<PipelineStatistic> captureStatistics(const Device::Impl& d, VkPipeline pipeline) {
  std::vector<PipelineStatistic> out;
  if (!d.executablePropertiesFn || !d.executableStatisticsFn) return out;
  VkPipelineInfoKHR pinfo{VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR};
  pinfo.pipeline = pipeline;
  uint32_t n = 0;
  if (d.executablePropertiesFn(d.device, &pinfo, &n, nullptr) != VK_SUCCESS) return out;
  std::vector<VkPipelineExecutablePropertiesKHR> props(
      n, VkPipelineExecutablePropertiesKHR{VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_PROPERTIES_KHR});
  if (d.executablePropertiesFn(d.device, &pinfo, &n, props.data()) != VK_SUCCESS) return out;
  for (uint32_t e = 0; e < n; ++e) {
    VkPipelineExecutableInfoKHR einfo{VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR};
    einfo.pipeline = pipeline;
    einfo.executableIndex = e;
    uint32_t m = 0;
    if (d.executableStatisticsFn(d.device, &einfo, &m, nullptr) != VK_SUCCESS) continue;
    std::vector<VkPipelineExecutableStatisticKHR> st(
        m, VkPipelineExecutableStatisticKHR{VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR});
    if (d.executableStatisticsFn(d.device, &einfo, &m, st.data()) != VK_SUCCESS) continue;
    for (const auto& s : st) {
      PipelineStatistic ps{props[e].name, s.name, s.description, 0};
      switch (s.format) {
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR: ps.value = s.value.b32; break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR: ps.value = static_cast<double>(s.value.i64); break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR: ps.value = static_cast<double>(s.value.u64); break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_FLOAT64_KHR: ps.value = s.value.f64; break;
        default: break;
      }
      out.push_back(std::move(ps));
    }
  }
  return out;
}

Result<std::shared_ptr<Pipeline>> Device::pipeline(const CompiledKernel& kernel) {
  Impl& d = *impl_;
  const Reflection& r = kernel.reflection;
  if (kernel.spirv.empty()) return Status::error("kernel '" + r.entry + "' has no SPIR-V");
  TVK_RETURN_IF_ERROR(checkKernelFitsDevice(r, target()));
  uint64_t key = hashWords(kernel.spirv);
  {
    std::lock_guard<std::mutex> lock(d.mu);
    TVK_RETURN_IF_ERROR(d.checkAlive());
    for (const auto& p : d.pipelines[key])
      if (sameKernel(p->kernel, kernel)) return std::shared_ptr<Pipeline>(p);
  }
  // Created without the lock (compiling can take long); another thread may create the same
  // pipeline meanwhile: the first one inserted wins.

  auto p = std::make_shared<PipelineImpl>();
  p->device = d.device;
  p->kernel = kernel;
  p->owner = &d;
  p->pushBytes = (r.pushConstantBytes + 3) / 4 * 4;
  std::vector<VkDescriptorSetLayoutBinding> bindings;
  for (const ArgInfo& a : r.args) {
    if (a.kind != ArgInfo::Kind::Buffer || a.binding < 0) continue;  // < 0: an address
    VkDescriptorSetLayoutBinding b{};
    b.binding = static_cast<uint32_t>(a.binding);
    b.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    b.descriptorCount = 1;
    b.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    bindings.push_back(b);
  }
  for (int extra : {r.statusBinding, r.debugBinding}) {
    if (extra < 0) continue;
    VkDescriptorSetLayoutBinding b{};
    b.binding = static_cast<uint32_t>(extra);
    b.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    b.descriptorCount = 1;
    b.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    bindings.push_back(b);
  }
  p->pushDescriptors = d.pushDescriptorFn != nullptr && bindings.size() <= kMaxPushDescriptors;
  VkDescriptorSetLayoutCreateInfo setInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  setInfo.flags =
      p->pushDescriptors ? VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR : 0;
  setInfo.bindingCount = static_cast<uint32_t>(bindings.size());
  setInfo.pBindings = bindings.data();
  TVK_VK(vkCreateDescriptorSetLayout(d.device, &setInfo, nullptr, &p->setLayout));

  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, p->pushBytes};
  VkPipelineLayoutCreateInfo layoutInfo{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layoutInfo.setLayoutCount = 1;
  layoutInfo.pSetLayouts = &p->setLayout;
  layoutInfo.pushConstantRangeCount = p->pushBytes ? 1 : 0;
  layoutInfo.pPushConstantRanges = &range;
  TVK_VK(vkCreatePipelineLayout(d.device, &layoutInfo, nullptr, &p->layout));

  VkShaderModuleCreateInfo moduleInfo{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  moduleInfo.codeSize = kernel.spirv.size() * sizeof(uint32_t);
  moduleInfo.pCode = kernel.spirv.data();
  VkShaderModule module = VK_NULL_HANDLE;
  TVK_VK(vkCreateShaderModule(d.device, &moduleInfo, nullptr, &module));

  const Target& t = target();
  VkPipelineShaderStageRequiredSubgroupSizeCreateInfo required{
      VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO};
  required.requiredSubgroupSize = r.subgroupSize;
  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = r.entry.c_str();
  if (r.subgroupSize != 0 && t.subgroupSizeControl && r.subgroupSize >= t.minSubgroupSize &&
      r.subgroupSize <= t.maxSubgroupSize) {
    info.stage.pNext = &required;
    if (t.computeFullSubgroups && r.workgroupSize[0] % r.subgroupSize == 0)
      info.stage.flags |= VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT;
  }
  info.layout = p->layout;
  if (d.executableStatisticsFn) info.flags |= VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR;
  // TVK_PIPELINE_DUMP: a cache of this pipeline alone, and its internal representations.
  static const std::string dumpDir = envPipelineDump();
  VkPipelineCache cache = VK_NULL_HANDLE;
  if (!dumpDir.empty()) {
    VkPipelineCacheCreateInfo cacheInfo{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    if (vkCreatePipelineCache(d.device, &cacheInfo, nullptr, &cache) != VK_SUCCESS) cache = VK_NULL_HANDLE;
    if (d.executableIRFn) info.flags |= VK_PIPELINE_CREATE_CAPTURE_INTERNAL_REPRESENTATIONS_BIT_KHR;
  }
  VkResult result = vkCreateComputePipelines(d.device, cache, 1, &info, nullptr, &p->pipeline);
  vkDestroyShaderModule(d.device, module, nullptr);
  if (result == VK_SUCCESS) p->stats = captureStatistics(d, p->pipeline);
  if (result == VK_SUCCESS && !dumpDir.empty())
    dumpPipeline(d, cache, p->pipeline, dumpDir, r.entry, kernel.spirv);
  if (cache != VK_NULL_HANDLE) vkDestroyPipelineCache(d.device, cache, nullptr);
  std::lock_guard<std::mutex> lock(d.mu);
  TVK_RETURN_IF_ERROR(d.vk(result, "vkCreateComputePipelines"));
  for (const auto& other : d.pipelines[key])
    if (sameKernel(other->kernel, kernel)) return std::shared_ptr<Pipeline>(other);
  d.pipelines[key].push_back(p);
  return std::shared_ptr<Pipeline>(p);
}

}  // namespace tvk
