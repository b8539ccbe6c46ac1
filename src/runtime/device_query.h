// Everything the runtime reads from a VkPhysicalDevice: properties, features, extensions,
// queue family; and the Target derived from them (Target::fromDevice lives here because
// the target layer has no Vulkan dependency).
#pragma once

#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "runtime/instance.h"
#include "support/status.h"
#include "target/target.h"

namespace tvk {

/// VK_KHR_cooperative_matrix structures (the installed headers predate the extension).
constexpr const char* kCoopMatExtension = "VK_KHR_cooperative_matrix";
/// VkPhysicalDeviceCooperativeMatrixFeaturesKHR.
struct CoopMatFeaturesKHR {
  /// VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR.
  VkStructureType sType = static_cast<VkStructureType>(1000506000);
  /// Chain.
  void* pNext = nullptr;
  /// cooperativeMatrix.
  VkBool32 cooperativeMatrix = VK_FALSE;
  /// cooperativeMatrixRobustBufferAccess.
  VkBool32 cooperativeMatrixRobustBufferAccess = VK_FALSE;
};
/// VkCooperativeMatrixPropertiesKHR.
struct CoopMatPropertiesKHR {
  /// VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR.
  VkStructureType sType = static_cast<VkStructureType>(1000506001);
  /// Chain.
  void* pNext = nullptr;
  /// Rows of A, C, Result.
  uint32_t MSize = 0;
  /// Columns of B, C, Result.
  uint32_t NSize = 0;
  /// Columns of A, rows of B.
  uint32_t KSize = 0;
  /// Component types (VkComponentTypeKHR values).
  uint32_t AType = 0, BType = 0, CType = 0, ResultType = 0;
  /// saturatingAccumulation.
  VkBool32 saturatingAccumulation = VK_FALSE;
  /// VkScopeKHR (3 = subgroup).
  uint32_t scope = 0;
};

/// VK_KHR_shader_bfloat16 (the installed headers predate it).
constexpr const char* kBFloat16Extension = "VK_KHR_shader_bfloat16";
/// VkPhysicalDeviceShaderBfloat16FeaturesKHR.
struct BFloat16FeaturesKHR {
  /// VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_BFLOAT16_FEATURES_KHR.
  VkStructureType sType = static_cast<VkStructureType>(1000141000);
  /// Chain.
  void* pNext = nullptr;
  /// shaderBFloat16Type.
  VkBool32 shaderBFloat16Type = VK_FALSE;
  /// shaderBFloat16DotProduct.
  VkBool32 shaderBFloat16DotProduct = VK_FALSE;
  /// shaderBFloat16CooperativeMatrix.
  VkBool32 shaderBFloat16CooperativeMatrix = VK_FALSE;
};

/// VK_NV_cooperative_matrix2 structures (the installed headers predate the extension).
constexpr const char* kCoopMat2Extension = "VK_NV_cooperative_matrix2";
/// VkPhysicalDeviceCooperativeMatrix2FeaturesNV.
struct CoopMat2FeaturesNV {
  /// VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_2_FEATURES_NV.
  VkStructureType sType = static_cast<VkStructureType>(1000593000);
  /// Chain.
  void* pNext = nullptr;
  /// Workgroup-scope matrices; dimensions beyond the listed shapes; row/column reductions;
  /// use conversions; per-element functions; tensor layouts; block loads.
  VkBool32 cooperativeMatrixWorkgroupScope = VK_FALSE;
  VkBool32 cooperativeMatrixFlexibleDimensions = VK_FALSE;
  VkBool32 cooperativeMatrixReductions = VK_FALSE;
  VkBool32 cooperativeMatrixConversions = VK_FALSE;
  VkBool32 cooperativeMatrixPerElementOperations = VK_FALSE;
  VkBool32 cooperativeMatrixTensorAddressing = VK_FALSE;
  VkBool32 cooperativeMatrixBlockLoads = VK_FALSE;
};
/// VkPhysicalDeviceCooperativeMatrix2PropertiesNV.
struct CoopMat2PropertiesNV {
  /// VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_2_PROPERTIES_NV.
  VkStructureType sType = static_cast<VkStructureType>(1000593002);
  /// Chain.
  void* pNext = nullptr;
  /// Most invocations of a workgroup that uses workgroup-scope matrices.
  uint32_t cooperativeMatrixWorkgroupScopeMaxWorkgroupSize = 0;
  /// Largest dimension of a flexible-dimension matrix.
  uint32_t cooperativeMatrixFlexibleDimensionsMaxDimension = 0;
  /// Shared-memory bytes the driver reserves in modules with workgroup-scope matrices.
  uint32_t cooperativeMatrixWorkgroupScopeReservedSharedMemory = 0;
};
/// VkCooperativeMatrixFlexibleDimensionsPropertiesNV.
struct CoopMatFlexiblePropertiesNV {
  /// VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_FLEXIBLE_DIMENSIONS_PROPERTIES_NV.
  VkStructureType sType = static_cast<VkStructureType>(1000593001);
  /// Chain.
  void* pNext = nullptr;
  /// M, N and K must be multiples of these.
  uint32_t MGranularity = 0, NGranularity = 0, KGranularity = 0;
  /// Component types (VkComponentTypeKHR values).
  uint32_t AType = 0, BType = 0, CType = 0, ResultType = 0;
  /// saturatingAccumulation.
  VkBool32 saturatingAccumulation = VK_FALSE;
  /// VkScopeKHR (2 = workgroup, 3 = subgroup).
  uint32_t scope = 0;
  /// Workgroup size these granularities hold for (workgroup scope).
  uint32_t workgroupInvocations = 0;
};

/// The facts of one physical device.
struct DeviceFacts {
  /// The handle.
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  /// Core properties (limits, name, type).
  VkPhysicalDeviceProperties props{};
  /// min(device apiVersion, instance apiVersion).
  uint32_t apiVersion = 0;
  /// Shader cores ("multiprocessors") from VK_NV_shader_sm_builtins (shaderSMCount),
  /// VK_AMD_shader_core_properties (engines x arrays per engine x CUs per array) or
  /// VK_ARM_shader_core_builtins (shaderCoreCount); 0 where the device reports none.
  uint32_t computeUnits = 0;
  /// Supported device extensions.
  std::vector<std::string> extensions;
  /// driverName + driverInfo ("" when unknown).
  std::string driver;
  /// VkPhysicalDeviceDriverProperties::driverID (0 when unknown).
  uint32_t driverId = 0;
  /// Core 1.0 features.
  VkPhysicalDeviceFeatures core{};
  /// 16-bit storage (core 1.1).
  VkPhysicalDevice16BitStorageFeatures storage16{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  /// 8-bit storage.
  VkPhysicalDevice8BitStorageFeatures storage8{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
  /// shaderFloat16 / shaderInt8.
  VkPhysicalDeviceShaderFloat16Int8Features float16Int8{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  /// 64-bit integer atomics.
  VkPhysicalDeviceShaderAtomicInt64Features atomicInt64{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_INT64_FEATURES};
  /// Float atomics (VK_EXT_shader_atomic_float).
  VkPhysicalDeviceShaderAtomicFloatFeaturesEXT atomicFloat{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT};
  /// Buffer device address.
  VkPhysicalDeviceBufferDeviceAddressFeatures bda{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES};
  /// Subgroup size control.
  VkPhysicalDeviceSubgroupSizeControlFeatures sizeControl{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES};
  /// Subgroup extended types.
  VkPhysicalDeviceShaderSubgroupExtendedTypesFeatures extendedTypes{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SUBGROUP_EXTENDED_TYPES_FEATURES};
  /// Cooperative matrix (KHR).
  CoopMatFeaturesKHR coopMat;
  /// bfloat16 (KHR): cooperative matrices of bf16.
  BFloat16FeaturesKHR bf16;
  /// Cooperative matrix 2 (NV): workgroup-scope matrices and their limits.
  CoopMat2FeaturesNV coopMat2;
  CoopMat2PropertiesNV coopMat2Props;
  /// Pipeline executable properties (VK_KHR_pipeline_executable_properties): the driver's
  /// per-pipeline statistics (register counts, spills), where it reports them.
  VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR execProps{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR};
  /// Host query reset (Vulkan 1.2, VK_EXT_host_query_reset): timestamp queries reset from the
  /// host, so that no reset command lies between two timestamps (runtime/timing.cc).
  VkPhysicalDeviceHostQueryResetFeatures hostQueryReset{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_QUERY_RESET_FEATURES};
  /// Vulkan memory model (cooperative-matrix shaders need it).
  VkPhysicalDeviceVulkanMemoryModelFeatures memoryModel{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES};
  /// Subgroup properties.
  VkPhysicalDeviceSubgroupProperties subgroup{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  /// Subgroup size control properties.
  VkPhysicalDeviceSubgroupSizeControlProperties sizeControlProps{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
  /// Float controls (Vulkan 1.2; all false before): NaN/Inf/signed-zero preservation.
  VkPhysicalDeviceFloatControlsProperties floatControls{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FLOAT_CONTROLS_PROPERTIES};
  /// maxMemoryAllocationSize (core 1.1 maintenance3; 0 when not reported).
  VkDeviceSize maxMemoryAllocationSize = 0;
  /// maxBufferSize (core 1.3 maintenance4; 0 when not reported).
  VkDeviceSize maxBufferSize = 0;
  /// Subgroup-scope cooperative matrix shapes.
  std::vector<CoopMatPropertiesKHR> coopMatProps;
  /// Flexible (VK_NV_cooperative_matrix2) shapes, workgroup scope.
  std::vector<CoopMatFlexiblePropertiesNV> coopMatFlexible;
  /// Which optional feature structs exist (extension or core version).
  bool has8Bit = false, hasFloat16Int8 = false, hasAtomicInt64 = false, hasAtomicFloat = false,
       hasBda = false, hasSizeControl = false, hasExtendedTypes = false, hasCoopMat = false,
       hasMemoryModel = false, hasBFloat16 = false, hasExecProps = false, hasCoopMat2 = false,
       hasHostQueryReset = false;
  /// VK_KHR_push_descriptor is supported.
  bool pushDescriptor = false;
  /// A queue family with compute (prefers compute-only), or -1.
  int computeQueueFamily = -1;
  /// timestampValidBits of that family.
  uint32_t timestampValidBits = 0;

  /// True when the device supports extension `name`.
  bool hasExtension(const char* name) const;
  /// Workgroup-scope cooperative matrices usable (VK_NV_cooperative_matrix2).
  bool workgroupCoopMat() const {
    return hasCoopMat2 && coopMat2.cooperativeMatrixWorkgroupScope &&
           coopMat2.cooperativeMatrixFlexibleDimensions;
  }
  /// VK_NV_cooperative_matrix2's reductions, use conversions and per-element functions.
  bool coopMatRowOps() const {
    return hasCoopMat2 && coopMat2.cooperativeMatrixReductions && coopMat2.cooperativeMatrixConversions &&
           coopMat2.cooperativeMatrixPerElementOperations;
  }
  /// bf16 cooperative matrices usable: VK_KHR_shader_bfloat16 with the type and its matrices.
  bool bf16CooperativeMatrix() const {
    return hasBFloat16 && bf16.shaderBFloat16Type && bf16.shaderBFloat16CooperativeMatrix;
  }
};

/// Reads every fact of `physical`; `instanceApi` caps the API version used.
Result<DeviceFacts> queryDeviceFacts(const Instance& instance, VkPhysicalDevice physical);

/// Fills every Target field from the device's facts.
Target targetFromDevice(const DeviceFacts& facts);

/// The spelling used in Target/CoopMatShape for a VkComponentTypeKHR ("" when unsupported).
std::string componentTypeName(uint32_t componentType);

}  // namespace tvk
