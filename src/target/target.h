// A compilation target: the device facts the compiler needs, filled from a live Vulkan
// device (runtime/) or from a named profile, so kernels compile without a device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/status.h"

namespace tvk {

/// One cooperative-matrix shape the device supports (VkCooperativeMatrixPropertiesKHR).
struct CoopMatShape {
  /// Rows of A and C.
  uint32_t m = 0;
  /// Columns of B and C.
  uint32_t n = 0;
  /// Columns of A, rows of B.
  uint32_t k = 0;
  /// A/B element type spelling (`f16`, `bf16`, `i8`).
  std::string ab;
  /// C/result element type spelling (`f32`, `f16`, `i32`).
  std::string c;
};

/// Workgroup-scope cooperative matrices of flexible dimensions the device supports
/// (VK_NV_cooperative_matrix2, VkCooperativeMatrixFlexibleDimensionsPropertiesNV).
struct FlexibleCoopMat {
  /// M, N and K must be multiples of these.
  uint32_t mGranularity = 0, nGranularity = 0, kGranularity = 0;
  /// A/B and C/result element type spellings, as in CoopMatShape.
  std::string ab, c;
  /// The workgroup size these hold for.
  uint32_t invocations = 0;
};

/// Device facts the compiler uses. Never assume any of these: read them from here.
struct Target {
  /// Profile or device name (`lavapipe`, `nvidia-hopper`, `NVIDIA H100 80GB HBM3`).
  std::string name;
  /// Vulkan API version the SPIR-V targets (VK_MAKE_API_VERSION form, e.g. 1.3).
  uint32_t vulkanVersion = (1u << 22) | (1u << 12);
  /// Subgroup size the shaders run with (8 on lavapipe by default, 32 on NVIDIA/Apple).
  uint32_t subgroupSize = 32;
  /// True when subgroup size may vary and the runtime must require `subgroupSize`
  /// (VK_EXT_subgroup_size_control / Vulkan 1.3 requiredSubgroupSize).
  bool subgroupSizeControl = false;
  /// Smallest subgroup size a pipeline may require (subgroup size control; else subgroupSize).
  uint32_t minSubgroupSize = 32;
  /// Largest subgroup size a pipeline may require (subgroup size control; else subgroupSize).
  uint32_t maxSubgroupSize = 32;
  /// maxComputeWorkgroupSubgroups when a subgroup size is required (0 when unknown).
  uint32_t maxWorkgroupSubgroups = 0;
  /// computeFullSubgroups: pipelines may require every subgroup to be full.
  bool computeFullSubgroups = false;
  /// Subgroup operations available (VkSubgroupFeatureFlags bits).
  uint32_t subgroupOps = 0;
  /// shaderSubgroupExtendedTypes: subgroup ops on 8/16/64-bit types.
  bool subgroupExtendedTypes = false;
  /// maxComputeSharedMemorySize in bytes.
  uint32_t sharedMemoryBytes = 32768;
  /// maxComputeWorkGroupInvocations.
  uint32_t maxWorkgroupInvocations = 1024;
  /// maxComputeWorkGroupSize (per dimension).
  uint32_t maxWorkgroupSize[3] = {1024, 1024, 64};
  /// maxComputeWorkGroupCount (per dimension).
  uint32_t maxWorkgroupCount[3] = {65535, 65535, 65535};
  /// maxPushConstantsSize in bytes.
  uint32_t pushConstantBytes = 128;
  /// maxStorageBufferRange in bytes.
  uint64_t maxStorageBufferRange = 1ull << 27;
  /// minStorageBufferOffsetAlignment in bytes.
  uint32_t storageBufferOffsetAlignment = 16;
  /// shaderInt64.
  bool int64 = false;
  /// shaderFloat64.
  bool float64 = false;
  /// shaderInt16.
  bool int16 = false;
  /// shaderFloat16 (arithmetic).
  bool float16 = false;
  /// shaderInt8 (arithmetic).
  bool int8 = false;
  /// storageBuffer16BitAccess.
  bool storage16 = false;
  /// storageBuffer8BitAccess.
  bool storage8 = false;
  /// shaderBufferFloat32AtomicAdd (SPV_EXT_shader_atomic_float_add).
  bool atomicFloat32Add = false;
  /// shaderBufferInt64Atomics.
  bool atomicInt64 = false;
  /// bufferDeviceAddress.
  bool bufferDeviceAddress = false;
  /// Compare-and-swap loops run by some invocations of a workgroup (16-bit atomics, float
  /// rmw without a native instruction: lower/atomic_element.cc) keep every update. False on
  /// Mesa's llvmpipe (Mesa 22.3, LLVM 15): such a loop loses updates as soon as a workgroup
  /// has two subgroups whose invocations contend for one word, deterministically and within a
  /// single workgroup (64 f16 adds of 1.0 into 4 elements by 32 invocations of 4 subgroups
  /// give 5, 4, 5, 4 instead of 16; f64 the same; right with one subgroup; OpAtomicFAddEXT
  /// right), and across workgroups about 1 launch in 5 of 96 contending workgroups with
  /// LP_NUM_THREADS=2. The loss needs a loop that some invocations of a multi-subgroup
  /// workgroup leave while others go on: a subgroup-uniform exit (OpGroupNonUniformAll) and
  /// taking turns per subgroup both still lost updates, a workgroup-uniform exit does not. So
  /// where this is false, every CAS loop is workgroup-uniform (lower/atomic_element.cc: all
  /// invocations iterate, between barriers, until none has an exchange left).
  bool casLoopAtomics = true;
  /// vulkanMemoryModel and vulkanMemoryModelDeviceScope (Vulkan 1.2 / VK_KHR_vulkan_memory_model).
  bool vulkanMemoryModel = false;
  /// shaderSignedZeroInfNanPreserveFloat32/16 (Vulkan 1.2 VkPhysicalDeviceFloatControlsProperties):
  /// kernels declare the SignedZeroInfNanPreserve execution mode (SPV_KHR_float_controls), so
  /// the driver keeps NaN, ±Inf and -0.0 through every float operation. Without it Vulkan lets
  /// a driver assume they never occur (NVIDIA's folds `x != x` to false).
  bool nanPreserve32 = false;
  bool nanPreserve16 = false;
  /// shaderRoundingModeRTEFloat16 (VkPhysicalDeviceFloatControlsProperties): with the
  /// RoundingModeRTE execution mode, f32 -> f16 OpFConvert rounds to nearest even. Without
  /// it the rounding is the driver's (NVIDIA's default is not to nearest even), so f16 results
  /// are rounded in integer code (lower/fp8.cc roundToF16); with it (and float16) a result
  /// that is only stored is rounded by the store's conversion (Context::deferF16Rounding).
  bool roundingRTE16 = false;
  /// VK_KHR_cooperative_matrix shapes (empty when unsupported).
  std::vector<CoopMatShape> coopMatShapes;
  /// VK_NV_cooperative_matrix2 workgroup-scope shapes (empty when unsupported) and limits:
  /// most invocations of such a workgroup, largest dimension, shared bytes the driver keeps.
  std::vector<FlexibleCoopMat> workgroupCoopMat;
  uint32_t workgroupCoopMatMaxInvocations = 0;
  uint32_t workgroupCoopMatMaxDimension = 0;
  uint32_t workgroupCoopMatReservedShared = 0;
  /// VK_NV_cooperative_matrix2's row reductions, use conversions and per-element functions
  /// (cooperativeMatrixReductions, cooperativeMatrixConversions,
  /// cooperativeMatrixPerElementOperations) on the subgroup-scope matrices above: attention's
  /// softmax then runs on the score fragments (lower/fragment_rows.h).
  bool coopMatRowOps = false;
  /// Most words of f32 accumulator per invocation that attention's softmax on the score
  /// fragments may hold (the scores' tile and the output's, rows per subgroup x (BLOCK_N +
  /// head dim) / subgroup size); a loop that needs more keeps the blocked-layout softmax. A
  /// cost threshold, not a device limit (Vulkan reports no register file): on the H200, 96
  /// words (head dim 128, 8 warps, 16 rows a subgroup) ran 1.2x faster, 128 (head dim 64,
  /// 4 warps, 32 rows a subgroup) spilled in the loop and ran 0.9x (session 28).
  uint32_t fragmentRowsWords = 96;
  /// Loop iterations one invocation may make in total, summed over all of its loops (nested
  /// or not, each loop's exiting pass included), before the driver ends every loop early
  /// without an error; 0 = no limit. Mesa's llvmpipe (lavapipe) has this limit
  /// (`llvmpipeLoopIterations`); the lowering keeps kernels within it or checks them at run
  /// time (lower/loop_limit.h).
  uint32_t maxLoopIterations = 0;

  /// One-line-per-field human description (for `tvk devices`).
  std::string describe() const;
};

/// Pointer model of kernels compiled for `t`: true when pointers are 64-bit
/// physical-storage-buffer addresses (bufferDeviceAddress and int64), false when each pointer
/// parameter is a storage-buffer binding plus an element offset (docs/lowering.md, "Pointers").
inline bool usesDeviceAddresses(const Target& t) { return t.bufferDeviceAddress && t.int64; }

/// Triton's warp width: the number of threads its kernels and `num_warps` are written for.
constexpr uint32_t kTritonWarpThreads = 32;

/// Invocations of the workgroup that runs a kernel of `numWarps` Triton warps on `t`:
/// numWarps × subgroupSize, doubled while the subgroup is narrower than Triton's 32-thread
/// warp and the doubled workgroup stays within the device's limits (invocations, x size,
/// subgroups per workgroup). On lavapipe (subgroup 8) a warp is thus 4 subgroups, and each
/// invocation holds the elements a CUDA thread holds, not four times as many.
uint32_t workgroupInvocations(const Target& t, int numWarps);

/// The loop limit of Mesa's llvmpipe (gallivm's loop limiter, LP_MAX_TGSI_LOOP_ITERATIONS):
/// one counter per invocation, shared by all loops, measured on Mesa 22.3 (docs/lowering.md).
constexpr uint32_t llvmpipeLoopIterations = 65535;

/// A named profile: `lavapipe`, `nvidia-hopper`, `apple-m1-moltenvk`. Error if unknown.
Result<Target> targetProfile(const std::string& name);
/// Names of all profiles.
std::vector<std::string> targetProfileNames();

}  // namespace tvk
