// Software pipelining of a cooperative-matrix tt.dot's direct operands (analysis/dot_operands.h)
// across the iterations of the scf.for around it (Triton's num_stages >= 2).
//
// Unpipelined, iteration i of a matmul's K loop loads tile i, writes it to shared memory and
// only then multiplies: every iteration waits for global memory. Pipelined (lower/dot_coopmat.cc),
// with the K tile in two half slices double-buffered where two fit (else in one buffer):
//   before the loop:  slice 0 of tile 0 -> shared memory (buffer 0)    (when the loop runs)
//   iteration i, for each slice s:
//                     the next slice (s + 1 of tile i, or 0 of tile i+1) -> registers (loads
//                     issued, not waited for)
//                     multiply-adds over slice s in buffer s % 2
//                     registers -> the other buffer; barrier
// so the loads of the next slice are in flight while this one is multiplied.
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
//   - its accumulator is a loop accumulator of that loop without a row scale
//     (analysis/loop_accumulators.h), so its result stays in fragments: a result converted to
//     the blocked layout each iteration would go through the same scratch as the next tile;
//   - nothing in the loop (at any depth) writes memory (the next tile is read before this
//     iteration's stores), and no other op in it uses scratch (the dot's tile stays in shared
//     memory from one iteration to the next).
// Whether the dot takes the cooperative-matrix path is decided at lowering.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "analysis/dot_operands.h"
#include "analysis/loop_accumulators.h"
#include "analysis/remat.h"
#include "analysis/smem_plan.h"
#include "ir/ir.h"

namespace tvk::analysis {

/// True when `v` can be computed at any iteration of scf.for `loop` (see above).
bool evaluableAtIteration(const ir::Value* v, const ir::Operation& loop, Remat& remat);

/// The tt.dots whose direct operands `direct` are prefetched (see above); none when
/// `stages` < 2. `scratch`: the ops' scratch allocations (SmemPlan::allocs); `accs`: the
/// kernel's loop accumulators.
std::set<const ir::Operation*> planDotPrefetch(const DirectOperands& direct,
                                               const std::map<const ir::Operation*, SmemAlloc>& scratch,
                                               const std::vector<LoopAccumulator>& accs, uint32_t stages);

/// Direct loads carried across the iterations of their loop in registers (lower/dot_coopmat.cc):
/// the operands of a cooperative-matrix dot that is not pipelined through shared memory
/// (attention's K and V: two dots, a rescaled accumulator, other scratch in the loop).
/// Iteration i stages the runs loaded during iteration i - 1 (the first before the loop), then
/// issues the loads of iteration i + 1, which stay in flight through the rest of the iteration
/// instead of being waited for right where they are staged. A load qualifies when its dot is
/// directly in the body of an scf.for, its pointer, mask and `other` can be evaluated at
/// another iteration (evaluableAtIteration), nothing in the loop writes memory, and the dot is
/// not a matmul K loop: not in `prefetchDots` and not a loop accumulator without a row scale
/// (`accs`). Such a loop with block pointers (offsets advanced as scalars) was slower with its
/// tiles carried on the H200: 0.559 -> 0.715 ms at 4096^3, f16. None when `stages` < 2 or
/// TVK_CARRY_LOADS=0 (`enabled` false).
std::set<const ir::Operation*> planCarriedLoads(const DirectOperands& direct,
                                                const std::set<const ir::Operation*>& prefetchDots,
                                                const std::vector<LoopAccumulator>& accs,
                                                uint32_t stages, bool enabled);

}  // namespace tvk::analysis
