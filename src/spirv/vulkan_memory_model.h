// Rewrites a finished SPIR-V module from the GLSL450 memory model to the Vulkan memory model,
// which SPV_KHR_cooperative_matrix requires in shaders. Under the Vulkan model, plain
// loads/stores are private unless marked: Workgroup accesses get NonPrivatePointer, barriers
// and atomics with acquire/release semantics get MakeVisible/MakeAvailable (so the same
// barrier-bracketed shared-memory protocol keeps its meaning), SequentiallyConsistent becomes
// AcquireRelease, and Device scope adds VulkanMemoryModelDeviceScope.
#pragma once

#include <cstdint>
#include <vector>

namespace tvk::spirv {

/// True when this build's SPIR-V headers know the Vulkan memory model rewrite's opcodes
/// (the SPIRV-Headers wheel; Debian's headers lack the utility tables).
bool vulkanMemoryModelAvailable();

/// The module `words` (GLSL450 memory model) rewritten for the Vulkan memory model; unchanged
/// when vulkanMemoryModelAvailable() is false.
std::vector<uint32_t> toVulkanMemoryModel(const std::vector<uint32_t>& words);

}  // namespace tvk::spirv
