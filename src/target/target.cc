// Target description and the named compile-only profiles.
#include "target/target.h"

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

namespace tvk {
namespace {

// VkSubgroupFeatureFlagBits values (kept here so this layer needs no Vulkan headers).
constexpr uint32_t kSubgroupBasic = 0x1, kSubgroupVote = 0x2, kSubgroupArithmetic = 0x4,
                   kSubgroupBallot = 0x8, kSubgroupShuffle = 0x10,
                   kSubgroupShuffleRelative = 0x20, kSubgroupClustered = 0x40,
                   kSubgroupQuad = 0x80;
constexpr uint32_t kSubgroupCommon = kSubgroupBasic | kSubgroupVote | kSubgroupArithmetic |
                                     kSubgroupBallot | kSubgroupShuffle |
                                     kSubgroupShuffleRelative | kSubgroupQuad;

uint32_t apiVersion(uint32_t major, uint32_t minor) { return (major << 22) | (minor << 12); }

const char* yesNo(bool b) { return b ? "yes" : "no"; }

std::string subgroupOpsText(uint32_t ops) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kSubgroupBasic, "basic"},       {kSubgroupVote, "vote"},
      {kSubgroupArithmetic, "arith"},  {kSubgroupBallot, "ballot"},
      {kSubgroupShuffle, "shuffle"},   {kSubgroupShuffleRelative, "shuffle_rel"},
      {kSubgroupClustered, "clustered"}, {kSubgroupQuad, "quad"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(ops & bit)) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out.empty() ? "none" : out;
}

// lavapipe (Mesa llvmpipe, 256-bit native vectors), as `vulkaninfo` reports it.
Target lavapipeProfile() {
  Target t;
  t.name = "lavapipe";
  t.vulkanVersion = apiVersion(1, 3);
  t.subgroupSize = 8;
  t.minSubgroupSize = 8;
  t.maxSubgroupSize = 8;
  t.maxWorkgroupSubgroups = 32;
  t.subgroupSizeControl = true;
  t.computeFullSubgroups = true;
  t.subgroupOps = kSubgroupCommon;
  t.subgroupExtendedTypes = true;
  t.sharedMemoryBytes = 32768;
  t.maxWorkgroupInvocations = 1024;
  t.maxWorkgroupSize[0] = 1024; t.maxWorkgroupSize[1] = 1024; t.maxWorkgroupSize[2] = 1024;
  t.maxWorkgroupCount[0] = 65535; t.maxWorkgroupCount[1] = 65535; t.maxWorkgroupCount[2] = 65535;
  t.pushConstantBytes = 128;
  t.maxStorageBufferRange = 134217728;
  t.storageBufferOffsetAlignment = 16;
  t.int64 = t.float64 = t.int16 = t.float16 = t.int8 = true;
  t.storage16 = t.storage8 = true;
  t.atomicFloat32Add = true;
  t.atomicInt64 = true;
  t.bufferDeviceAddress = true;
  t.vulkanMemoryModel = true;
  t.nanPreserve32 = t.nanPreserve16 = true;
  t.roundingRTE16 = true;
  t.casLoopAtomics = false;
  t.maxLoopIterations = llvmpipeLoopIterations;
  return t;
}

// NVIDIA Hopper (H100): the values `tvk devices` printed on an H100 (driver 580.159.04).
Target nvidiaHopperProfile() {
  Target t;
  t.name = "nvidia-hopper";
  t.vulkanVersion = apiVersion(1, 3);
  t.subgroupSize = 32;
  t.minSubgroupSize = 32;
  t.maxSubgroupSize = 32;
  t.maxWorkgroupSubgroups = 32;
  t.subgroupSizeControl = true;
  t.computeFullSubgroups = true;
  t.subgroupOps = kSubgroupCommon | kSubgroupClustered;
  t.subgroupExtendedTypes = true;
  t.sharedMemoryBytes = 49152;
  t.maxWorkgroupInvocations = 1024;
  t.maxWorkgroupSize[0] = 1024; t.maxWorkgroupSize[1] = 1024; t.maxWorkgroupSize[2] = 64;
  t.maxWorkgroupCount[0] = 2147483647; t.maxWorkgroupCount[1] = 65535;
  t.maxWorkgroupCount[2] = 65535;
  t.pushConstantBytes = 256;
  t.maxStorageBufferRange = 0xFFFFFFFFull;
  t.storageBufferOffsetAlignment = 16;
  t.int64 = t.float64 = t.int16 = t.float16 = t.int8 = true;
  t.storage16 = t.storage8 = true;
  t.atomicFloat32Add = true;
  t.atomicInt64 = true;
  t.bufferDeviceAddress = true;
  t.vulkanMemoryModel = true;
  t.nanPreserve32 = t.nanPreserve16 = true;
  t.roundingRTE16 = true;
  // As the H100 with driver 580.159 reports them (subgroup scope).
  t.coopMatShapes = {{16, 16, 16, "f16", "f16"}, {16, 8, 16, "f16", "f16"},
                     {16, 8, 8, "f16", "f16"},   {16, 16, 16, "f16", "f32"},
                     {16, 8, 16, "f16", "f32"},  {16, 8, 8, "f16", "f32"},
                     {16, 16, 32, "u8", "u32"},  {16, 16, 32, "i8", "i32"},
                     {16, 8, 32, "u8", "u32"},   {16, 8, 32, "i8", "i32"},
                     {16, 16, 16, "bf16", "f32"}};
  t.coopMatRowOps = true;
  return t;
}

// Apple M1 through MoltenVK (Vulkan 1.2, Metal 3).
Target appleM1Profile() {
  Target t;
  t.name = "apple-m1-moltenvk";
  t.vulkanVersion = apiVersion(1, 2);
  t.subgroupSize = 32;
  t.minSubgroupSize = 32;
  t.maxSubgroupSize = 32;
  t.maxWorkgroupSubgroups = 0;
  t.subgroupSizeControl = false;
  t.computeFullSubgroups = false;
  t.subgroupOps = kSubgroupCommon;
  t.subgroupExtendedTypes = true;
  t.sharedMemoryBytes = 32768;
  t.maxWorkgroupInvocations = 1024;
  t.maxWorkgroupSize[0] = 1024; t.maxWorkgroupSize[1] = 1024; t.maxWorkgroupSize[2] = 1024;
  t.maxWorkgroupCount[0] = 65535; t.maxWorkgroupCount[1] = 65535; t.maxWorkgroupCount[2] = 65535;
  t.pushConstantBytes = 4096;
  t.maxStorageBufferRange = 1ull << 30;
  t.storageBufferOffsetAlignment = 16;
  t.int64 = true;
  t.float64 = false;
  t.int16 = t.float16 = t.int8 = true;
  t.storage16 = t.storage8 = true;
  t.atomicFloat32Add = false;
  t.atomicInt64 = false;
  t.bufferDeviceAddress = false;
  return t;
}

const std::map<std::string, std::function<Target()>>& profiles() {
  static const std::map<std::string, std::function<Target()>> kProfiles = {
      {"lavapipe", lavapipeProfile},
      {"nvidia-hopper", nvidiaHopperProfile},
      {"apple-m1-moltenvk", appleM1Profile}};
  return kProfiles;
}

}  // namespace

std::string Target::describe() const {
  std::ostringstream os;
  os << "name: " << name << "\n";
  os << "vulkan: " << (vulkanVersion >> 22) << "." << ((vulkanVersion >> 12) & 0x3ff) << "\n";
  os << "subgroup size: " << subgroupSize << " (control " << yesNo(subgroupSizeControl)
     << ", range " << minSubgroupSize << ".." << maxSubgroupSize << ", full subgroups "
     << yesNo(computeFullSubgroups) << ", max subgroups/workgroup " << maxWorkgroupSubgroups
     << ")\n";
  os << "subgroup ops: " << subgroupOpsText(subgroupOps) << " (extended types "
     << yesNo(subgroupExtendedTypes) << ")\n";
  os << "shared memory: " << sharedMemoryBytes << " bytes\n";
  os << "workgroup: max invocations " << maxWorkgroupInvocations << ", max size "
     << maxWorkgroupSize[0] << "x" << maxWorkgroupSize[1] << "x" << maxWorkgroupSize[2]
     << ", max count " << maxWorkgroupCount[0] << "x" << maxWorkgroupCount[1] << "x"
     << maxWorkgroupCount[2] << "\n";
  os << "push constants: " << pushConstantBytes << " bytes\n";
  os << "storage buffers: max range " << maxStorageBufferRange << " bytes, offset alignment "
     << storageBufferOffsetAlignment << "\n";
  os << "types: int64 " << yesNo(int64) << ", float64 " << yesNo(float64) << ", int16 "
     << yesNo(int16) << ", float16 " << yesNo(float16) << ", int8 " << yesNo(int8) << "\n";
  os << "storage: 16-bit " << yesNo(storage16) << ", 8-bit " << yesNo(storage8) << "\n";
  os << "atomics: float32 add " << yesNo(atomicFloat32Add) << ", int64 " << yesNo(atomicInt64)
     << "\n";
  os << "buffer device address: " << yesNo(bufferDeviceAddress) << "\n";
  os << "NaN/Inf/-0 preserved: float32 " << yesNo(nanPreserve32) << ", float16 "
     << yesNo(nanPreserve16) << "; f16 round-to-nearest-even mode " << yesNo(roundingRTE16) << "\n";
  os << "Vulkan memory model (device scope): " << yesNo(vulkanMemoryModel)
     << ", compare-and-swap loops " << (casLoopAtomics ? "divergent" : "workgroup-uniform") << "\n";
  os << "cooperative matrix:";
  if (coopMatShapes.empty()) os << " none";
  for (const CoopMatShape& s : coopMatShapes)
    os << " " << s.m << "x" << s.n << "x" << s.k << " " << s.ab << "->" << s.c;
  os << "\n";
  if (!coopMatShapes.empty())
    os << "cooperative-matrix row reductions, conversions and per-element functions: " << yesNo(coopMatRowOps)
       << (coopMatRowOps ? " (softmax on fragments up to " + std::to_string(fragmentRowsWords) + " words)" : "") << "\n";
  if (!workgroupCoopMat.empty()) {
    os << "workgroup-scope cooperative matrix (max " << workgroupCoopMatMaxInvocations
       << " invocations, dimension <= " << workgroupCoopMatMaxDimension << ", "
       << workgroupCoopMatReservedShared << " shared bytes reserved):";
    for (const FlexibleCoopMat& s : workgroupCoopMat)
      os << " " << s.ab << "->" << s.c << " granularity " << s.mGranularity << "x"
         << s.nGranularity << "x" << s.kGranularity << " at " << s.invocations;
    os << "\n";
  }
  os << "loop limit: ";
  if (maxLoopIterations == 0) os << "none\n";
  else os << maxLoopIterations << " iterations per invocation, all loops together\n";
  return os.str();
}

Result<Target> targetProfile(const std::string& name) {
  auto it = profiles().find(name);
  if (it == profiles().end()) {
    std::string known;
    for (const std::string& n : targetProfileNames()) known += (known.empty() ? "" : ", ") + n;
    return Status::error("unknown target profile '" + name + "' (known: " + known + ")");
  }
  return it->second();
}

std::vector<std::string> targetProfileNames() {
  std::vector<std::string> names;
  for (const auto& entry : profiles()) names.push_back(entry.first);
  return names;
}

uint32_t workgroupInvocations(const Target& t, int numWarps) {
  if (numWarps <= 0 || t.subgroupSize == 0) return 0;
  const uint64_t base = static_cast<uint64_t>(numWarps) * t.subgroupSize;
  uint64_t limit = std::min<uint64_t>(t.maxWorkgroupInvocations, t.maxWorkgroupSize[0]);
  if (t.maxWorkgroupSubgroups > 0)
    limit = std::min<uint64_t>(limit, static_cast<uint64_t>(t.maxWorkgroupSubgroups) * t.subgroupSize);
  uint64_t w = base;
  for (uint32_t width = t.subgroupSize; width < kTritonWarpThreads && 2 * w <= limit; width *= 2) w *= 2;
  return static_cast<uint32_t>(std::min<uint64_t>(w, UINT32_MAX));
}

}  // namespace tvk
