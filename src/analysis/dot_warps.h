// Workgroup width for cooperative-matrix dots. A 128x128 f32 accumulator on Triton's usual 4
// warps gives each subgroup 16 fragments of 16x16 (128 registers per invocation): with the
// operand tiles in flight, NVIDIA's compiler hits its 255-register limit (measured on the H200:
// 255 with the prefetch, 252 without). NVIDIA's own Vulkan sample runs such tiles on 8
// subgroups of 4x2 fragments. Triton's num_warps changes no result, only speed, so on targets
// with cooperative matrices the compiler doubles it while a tt.dot would leave more than
// `maxFragments` fragments per subgroup and the workgroup stays within the target's limit.
#pragma once

#include <cstdint>

#include "ir/ir.h"

namespace tvk::analysis {

/// Subgroups per workgroup for `func` (see above): `numWarps`, doubled while some tt.dot of
/// f16/bf16/i8 operands (or f32 at tf32/bf16x3 precision) has more than `maxFragments` 16x16
/// result fragments per subgroup and numWarps x subgroupSize stays within `maxInvocations`.
int dotWarps(const ir::Operation& func, int numWarps, uint32_t subgroupSize, uint32_t maxInvocations,
             uint32_t maxFragments = 8);

}  // namespace tvk::analysis
