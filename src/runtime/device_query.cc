// Reading a physical device's facts and deriving its Target.
#include "runtime/device_query.h"

#include <algorithm>
#include <cstring>

#include "runtime/vk_check.h"

namespace tvk {
namespace {

// Appends `s` to a pNext chain whose tail is `*tail`.
template <typename S>
void chain(void**& tail, S& s) {
  *tail = &s;
  tail = &s.pNext;
}

// The structs (sType preset, pNext cleared) that instance function `name`, of the
// vkGet...PropertiesKHR shape (physical device, count, array), lists for `physical`; empty when
// the function is missing or fails.
template <typename S>
std::vector<S> listStructs(VkInstance instance, const char* name, VkPhysicalDevice physical) {
  using Fn = VkResult(VKAPI_PTR*)(VkPhysicalDevice, uint32_t*, S*);
  auto get = reinterpret_cast<Fn>(vkGetInstanceProcAddr(instance, name));
  uint32_t count = 0;
  if (!get || get(physical, &count, nullptr) != VK_SUCCESS) return {};
  std::vector<S> out(count);
  if (get(physical, &count, out.data()) != VK_SUCCESS) return {};
  out.resize(count);
  for (S& s : out) s.pNext = nullptr;
  return out;
}

void readCoopMatShapes(VkInstance instance, DeviceFacts& f) {
  for (const CoopMatPropertiesKHR& p : listStructs<CoopMatPropertiesKHR>(
           instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR", f.physical))
    if (p.scope == 3 /* VK_SCOPE_SUBGROUP_KHR */) f.coopMatProps.push_back(p);
}

void readFlexibleShapes(VkInstance instance, DeviceFacts& f) {
  for (const CoopMatFlexiblePropertiesNV& p : listStructs<CoopMatFlexiblePropertiesNV>(
           instance, "vkGetPhysicalDeviceCooperativeMatrixFlexibleDimensionsPropertiesNV", f.physical))
    if (p.scope == 2 /* VK_SCOPE_WORKGROUP_KHR */) f.coopMatFlexible.push_back(p);
}

// The A/B and C/result type spellings of a listed cooperative-matrix shape (KHR or flexible),
// false when we cannot use it: A and B or C and the result differ, a type has no spelling,
// saturating accumulation, or bf16 without the bfloat16 type and its cooperative matrices.
template <typename P>
bool coopMatTypes(const DeviceFacts& f, const P& p, std::string& ab, std::string& c) {
  ab = componentTypeName(p.AType);
  c = componentTypeName(p.CType);
  if (ab.empty() || ab != componentTypeName(p.BType) || c.empty() || c != componentTypeName(p.ResultType) ||
      p.saturatingAccumulation)
    return false;
  return !((ab == "bf16" || c == "bf16") && !f.bf16CooperativeMatrix());
}

void pickComputeQueue(DeviceFacts& f) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(f.physical, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(f.physical, &count, families.data());
  int best = -1;
  for (uint32_t i = 0; i < count; ++i) {
    if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
    bool computeOnly = !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT);
    // Prefer a family with timestamps; among those, a compute-only one.
    bool better = best < 0 ||
                  (families[i].timestampValidBits > 0 &&
                   families[best].timestampValidBits == 0) ||
                  (computeOnly && families[i].timestampValidBits > 0 &&
                   (families[best].queueFlags & VK_QUEUE_GRAPHICS_BIT));
    if (better) best = static_cast<int>(i);
  }
  f.computeQueueFamily = best;
  if (best >= 0) f.timestampValidBits = families[best].timestampValidBits;
}

}  // namespace

bool DeviceFacts::hasExtension(const char* name) const {
  return std::find(extensions.begin(), extensions.end(), name) != extensions.end();
}

std::string componentTypeName(uint32_t t) {
  switch (t) {
    case 0: return "f16";
    case 1: return "f32";
    case 2: return "f64";
    case 3: return "i8";
    case 4: return "i16";
    case 5: return "i32";
    case 6: return "i64";
    case 7: return "u8";
    case 8: return "u16";
    case 9: return "u32";
    case 10: return "u64";
    case 1000141000: return "bf16";
    default: return "";
  }
}

Result<DeviceFacts> queryDeviceFacts(const Instance& instance, VkPhysicalDevice physical) {
  const uint32_t instanceApi = instance.apiVersion();
  DeviceFacts f;
  f.physical = physical;
  vkGetPhysicalDeviceProperties(physical, &f.props);
  f.apiVersion = std::min(f.props.apiVersion, instanceApi);
  uint32_t count = 0;
  TVK_VK(vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, nullptr));
  std::vector<VkExtensionProperties> exts(count);
  TVK_VK(vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, exts.data()));
  for (uint32_t i = 0; i < count; ++i) f.extensions.push_back(exts[i].extensionName);

  const bool v12 = f.apiVersion >= VK_API_VERSION_1_2;
  const bool v13 = f.apiVersion >= VK_API_VERSION_1_3;
  f.has8Bit = v12 || f.hasExtension(VK_KHR_8BIT_STORAGE_EXTENSION_NAME);
  f.hasFloat16Int8 = v12 || f.hasExtension(VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  f.hasAtomicInt64 = v12 || f.hasExtension(VK_KHR_SHADER_ATOMIC_INT64_EXTENSION_NAME);
  f.hasAtomicFloat = f.hasExtension(VK_EXT_SHADER_ATOMIC_FLOAT_EXTENSION_NAME);
  f.hasBda = v12 || f.hasExtension(VK_KHR_BUFFER_DEVICE_ADDRESS_EXTENSION_NAME);
  f.hasSizeControl = v13 || f.hasExtension(VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  f.hasExtendedTypes =
      v12 || f.hasExtension(VK_KHR_SHADER_SUBGROUP_EXTENDED_TYPES_EXTENSION_NAME);
  f.hasCoopMat = f.hasExtension(kCoopMatExtension) && !instance.layerLacksCoopMat();
  f.hasMemoryModel = v12 || f.hasExtension(VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME);
  f.hasBFloat16 = f.hasCoopMat && f.hasExtension(kBFloat16Extension);
  f.hasCoopMat2 = f.hasCoopMat && f.hasExtension(kCoopMat2Extension);
  f.pushDescriptor = f.hasExtension(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
  f.hasExecProps = f.hasExtension(VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME);
  f.hasHostQueryReset = v12 || f.hasExtension(VK_EXT_HOST_QUERY_RESET_EXTENSION_NAME);

  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  void** tail = &features.pNext;
  chain(tail, f.storage16);
  if (f.has8Bit) chain(tail, f.storage8);
  if (f.hasFloat16Int8) chain(tail, f.float16Int8);
  if (f.hasAtomicInt64) chain(tail, f.atomicInt64);
  if (f.hasAtomicFloat) chain(tail, f.atomicFloat);
  if (f.hasBda) chain(tail, f.bda);
  if (f.hasSizeControl) chain(tail, f.sizeControl);
  if (f.hasExtendedTypes) chain(tail, f.extendedTypes);
  if (f.hasCoopMat) chain(tail, f.coopMat);
  if (f.hasMemoryModel) chain(tail, f.memoryModel);
  if (f.hasBFloat16) chain(tail, f.bf16);
  if (f.hasCoopMat2) chain(tail, f.coopMat2);
  if (f.hasExecProps) chain(tail, f.execProps);
  if (f.hasHostQueryReset) chain(tail, f.hostQueryReset);
  vkGetPhysicalDeviceFeatures2(physical, &features);
  f.core = features.features;
  *tail = nullptr;

  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  const bool hasDriver = v12 || f.hasExtension(VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  tail = &props.pNext;
  chain(tail, f.subgroup);
  VkPhysicalDeviceMaintenance3Properties maintenance3{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  chain(tail, maintenance3);
  VkPhysicalDeviceMaintenance4Properties maintenance4{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_4_PROPERTIES};
  if (v13) chain(tail, maintenance4);
  if (f.hasSizeControl) chain(tail, f.sizeControlProps);
  if (hasDriver) chain(tail, driver);
  if (v12) chain(tail, f.floatControls);  // core in 1.2 (the extension would need enabling)
  VkPhysicalDeviceShaderSMBuiltinsPropertiesNV smNV{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SM_BUILTINS_PROPERTIES_NV};
  VkPhysicalDeviceShaderCorePropertiesAMD coreAMD{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CORE_PROPERTIES_AMD};
  VkPhysicalDeviceShaderCoreBuiltinsPropertiesARM coreARM{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CORE_BUILTINS_PROPERTIES_ARM};
  const bool hasNV = f.hasExtension(VK_NV_SHADER_SM_BUILTINS_EXTENSION_NAME);
  const bool hasAMD = f.hasExtension(VK_AMD_SHADER_CORE_PROPERTIES_EXTENSION_NAME);
  const bool hasARM = f.hasExtension(VK_ARM_SHADER_CORE_BUILTINS_EXTENSION_NAME);
  if (hasNV) chain(tail, smNV);
  if (hasAMD) chain(tail, coreAMD);
  if (hasARM) chain(tail, coreARM);
  if (f.hasCoopMat2) chain(tail, f.coopMat2Props);
  vkGetPhysicalDeviceProperties2(physical, &props);
  *tail = nullptr;
  if (hasNV) f.computeUnits = smNV.shaderSMCount;
  else if (hasAMD)
    f.computeUnits = coreAMD.shaderEngineCount * coreAMD.shaderArraysPerEngineCount *
                     coreAMD.computeUnitsPerShaderArray;
  else if (hasARM) f.computeUnits = coreARM.shaderCoreCount;
  if (hasDriver) {
    f.driver = std::string(driver.driverName) + " " + driver.driverInfo;
    f.driverId = static_cast<uint32_t>(driver.driverID);
  }
  f.maxMemoryAllocationSize = maintenance3.maxMemoryAllocationSize;
  if (v13) f.maxBufferSize = maintenance4.maxBufferSize;
  if (f.hasCoopMat && f.coopMat.cooperativeMatrix) readCoopMatShapes(instance.handle(), f);
  if (f.workgroupCoopMat()) readFlexibleShapes(instance.handle(), f);
  pickComputeQueue(f);
  // The structs are copied into the caller's value: drop pointers into this frame.
  f.storage16.pNext = f.storage8.pNext = f.float16Int8.pNext = f.atomicInt64.pNext = nullptr;
  f.atomicFloat.pNext = f.bda.pNext = f.sizeControl.pNext = f.extendedTypes.pNext = nullptr;
  f.coopMat.pNext = f.memoryModel.pNext = f.subgroup.pNext = f.sizeControlProps.pNext = nullptr;
  f.floatControls.pNext = f.coopMat2.pNext = f.coopMat2Props.pNext = nullptr;
  f.hostQueryReset.pNext = nullptr;
  return f;
}

Target targetFromDevice(const DeviceFacts& f) {
  const VkPhysicalDeviceLimits& l = f.props.limits;
  Target t;
  t.name = f.props.deviceName;
  t.vulkanVersion = VK_MAKE_API_VERSION(0, VK_API_VERSION_MAJOR(f.apiVersion),
                                        VK_API_VERSION_MINOR(f.apiVersion), 0);
  t.subgroupSize = f.subgroup.subgroupSize;
  t.subgroupOps = (f.subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT)
                      ? f.subgroup.supportedOperations
                      : 0;
  t.subgroupSizeControl = f.hasSizeControl && f.sizeControl.subgroupSizeControl &&
                          (f.sizeControlProps.requiredSubgroupSizeStages &
                           VK_SHADER_STAGE_COMPUTE_BIT);
  t.minSubgroupSize = t.subgroupSizeControl ? f.sizeControlProps.minSubgroupSize : t.subgroupSize;
  t.maxSubgroupSize = t.subgroupSizeControl ? f.sizeControlProps.maxSubgroupSize : t.subgroupSize;
  t.maxWorkgroupSubgroups =
      f.hasSizeControl ? f.sizeControlProps.maxComputeWorkgroupSubgroups : 0;
  t.computeFullSubgroups = f.hasSizeControl && f.sizeControl.computeFullSubgroups;
  t.subgroupExtendedTypes = f.hasExtendedTypes && f.extendedTypes.shaderSubgroupExtendedTypes;
  t.sharedMemoryBytes = l.maxComputeSharedMemorySize;
  t.maxWorkgroupInvocations = l.maxComputeWorkGroupInvocations;
  for (int i = 0; i < 3; ++i) {
    t.maxWorkgroupSize[i] = l.maxComputeWorkGroupSize[i];
    t.maxWorkgroupCount[i] = l.maxComputeWorkGroupCount[i];
  }
  t.pushConstantBytes = l.maxPushConstantsSize;
  t.maxStorageBufferRange = l.maxStorageBufferRange;
  t.storageBufferOffsetAlignment = static_cast<uint32_t>(l.minStorageBufferOffsetAlignment);
  t.int64 = f.core.shaderInt64;
  t.float64 = f.core.shaderFloat64;
  t.int16 = f.core.shaderInt16;
  t.float16 = f.hasFloat16Int8 && f.float16Int8.shaderFloat16;
  t.int8 = f.hasFloat16Int8 && f.float16Int8.shaderInt8;
  t.storage16 = f.storage16.storageBuffer16BitAccess;
  t.storage8 = f.has8Bit && f.storage8.storageBuffer8BitAccess;
  t.atomicFloat32Add = f.hasAtomicFloat && f.atomicFloat.shaderBufferFloat32AtomicAdd;
  t.atomicInt64 = f.hasAtomicInt64 && f.atomicInt64.shaderBufferInt64Atomics;
  t.bufferDeviceAddress = f.hasBda && f.bda.bufferDeviceAddress;
  t.nanPreserve32 = f.floatControls.shaderSignedZeroInfNanPreserveFloat32;
  t.nanPreserve16 = f.floatControls.shaderSignedZeroInfNanPreserveFloat16;
  t.roundingRTE16 = f.floatControls.shaderRoundingModeRTEFloat16;
  // llvmpipe silently ends loops once an invocation has iterated this often (target.h).
  if (f.driverId == VK_DRIVER_ID_MESA_LLVMPIPE) t.maxLoopIterations = llvmpipeLoopIterations;
  // ... and loses updates in compare-and-swap loops of some invocations (target.h).
  if (f.driverId == VK_DRIVER_ID_MESA_LLVMPIPE) t.casLoopAtomics = false;
  // Cooperative-matrix shaders use the Vulkan memory model (SPV_KHR_cooperative_matrix).
  const bool memoryModel = f.hasMemoryModel && f.memoryModel.vulkanMemoryModel;
  t.vulkanMemoryModel = memoryModel && f.memoryModel.vulkanMemoryModelDeviceScope;
  for (const CoopMatPropertiesKHR& p : f.coopMatProps) {
    std::string ab, c;
    if (memoryModel && coopMatTypes(f, p, ab, c)) t.coopMatShapes.push_back({p.MSize, p.NSize, p.KSize, ab, c});
  }
  t.coopMatRowOps = !t.coopMatShapes.empty() && f.coopMatRowOps();
  for (const CoopMatFlexiblePropertiesNV& p : f.coopMatFlexible) {
    std::string ab, c;
    if (memoryModel && coopMatTypes(f, p, ab, c))
      t.workgroupCoopMat.push_back({p.MGranularity, p.NGranularity, p.KGranularity, ab, c, p.workgroupInvocations});
  }
  if (!t.workgroupCoopMat.empty()) {
    t.workgroupCoopMatMaxInvocations = f.coopMat2Props.cooperativeMatrixWorkgroupScopeMaxWorkgroupSize;
    t.workgroupCoopMatMaxDimension = f.coopMat2Props.cooperativeMatrixFlexibleDimensionsMaxDimension;
    t.workgroupCoopMatReservedShared =
        f.coopMat2Props.cooperativeMatrixWorkgroupScopeReservedSharedMemory;
  }
  return t;
}

}  // namespace tvk
