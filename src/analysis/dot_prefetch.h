// Software pipelining of a cooperative-matrix tt.dot's direct operands (analysis/dot_operands.h)
// across the iterations of the scf.for around it (Triton's num_stages >= 2).
//
// Unpipelined, iteration i of a matmul's K loop loads tile i, writes it to shared memory and
// only then multiplies: every iteration waits for global memory. Pipelined (lower/dot_coopmat.cc):
//   before the loop:  tile 0 -> shared memory                          (when the loop runs)
//   iteration i:      tile i+1 -> registers (loads issued, not waited for; when i+1 runs)
//                     multiply-adds over tile i in shared memory
//                     barrier; registers -> shared memory; barrier
// so the loads of tile i+1 are in flight while tile i is multiplied. The registers hold one
// tile pair; shared memory holds one (the 48 KiB of NVIDIA's Vulkan does not fit two of
// 128x128x64 f16).
//
// A dot qualifies when:
//   - it is directly in the body of an scf.for and both operands are direct loads whose
//     pointers are tensor inductions of that loop (block pointers, whose run addresses are
//     recomputed from scalar offsets, measured slower pipelined);
//   - their masks and `other` values can be evaluated at another iteration: every
//     value they depend on is defined outside the loop (rematerializable tensors, scalars), is
//     the loop's induction variable, a tensor induction of it (`a_ptrs += BLOCK_K`), a scalar
//     iter_arg whose yielded value is computed from the iteration's arguments by elementwise
//     ops (a block pointer's offset), or is computed in the loop body by elementwise and
//     re-indexing ops from such values (so iteration i+1's mask, say
//     `offs_k < K - (k + 1) * BLOCK_K`, is recomputed from k + 1);
//   - nothing in the loop (at any depth) writes memory (the next tile is read before this
//     iteration's stores), and no other op in it uses scratch (the dot's tile stays in shared
//     memory from one iteration to the next).
// Whether the dot takes the cooperative-matrix path with its whole K in one slice is decided
// at lowering.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "analysis/dot_operands.h"
#include "analysis/remat.h"
#include "analysis/smem_plan.h"
#include "ir/ir.h"

namespace tvk::analysis {

/// True when `v` can be computed at any iteration of scf.for `loop` (see above).
bool evaluableAtIteration(const ir::Value* v, const ir::Operation& loop, Remat& remat);

/// The tt.dots whose direct operands `direct` are prefetched (see above); none when
/// `stages` < 2. `scratch`: the ops' scratch allocations (SmemPlan::allocs).
std::set<const ir::Operation*> planDotPrefetch(const DirectOperands& direct,
                                               const std::map<const ir::Operation*, SmemAlloc>& scratch,
                                               uint32_t stages);

}  // namespace tvk::analysis
