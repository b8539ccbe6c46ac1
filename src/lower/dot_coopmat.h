// tt.dot through cooperative matrices (SPV_KHR_cooperative_matrix, tensor cores on NVIDIA):
// used where the target lists a matching Subgroup-scope shape (f16 x f16 -> f32,
// i8 x i8 -> i32); everything else keeps the portable FMA path (lower/dot.cc).
#pragma once

#include <vector>

#include "lower/registry.h"

namespace tvk::lower {

/// Lowers `op` (tt.dot) through cooperative matrices when the target, the operand types and
/// the tile shape allow it; returns false, having emitted nothing, when they do not.
Result<bool> lowerDotCoopMat(Context& c, const ir::Operation& op);

/// True when tt.load `op` is read by its cooperative-matrix tt.dot straight from global memory
/// (analysis/dot_operands.h, SmemPlan::directLoads) and that dot takes the cooperative-matrix
/// path: the load's lowering then emits nothing.
Result<bool> coopReadsLoad(Context& c, const ir::Operation& op);

/// True when tt.fp_to_fp `op` widens the fp8 codes of a load that its cooperative-matrix
/// tt.dot performs (DirectOperand::widen, coopReadsLoad): the dot widens them as it stages
/// them, and the conversion's lowering emits nothing.
Result<bool> coopWidens(Context& c, const ir::Operation& op);

/// True when scf.for iter_arg `arg` is the carried pointer of a load its tt.dot performs
/// (DirectOperand::carried, coopReadsLoad): the loop carries nothing for it.
Result<bool> coopUncarried(Context& c, const ir::Value* arg);

/// Before scf.for `loop` (in its preheader): the initial addresses of the runs of the direct
/// operands in its body whose pointer is a tensor induction of `loop` (Context::hoistedRuns),
/// so that the loop only adds the induction step (recomputing, say, `offs_am % M` per run
/// and iteration cost 4x on the H200).
Status coopHoistRuns(Context& c, const ir::Operation& loop);

/// A direct load carried across the iterations of its loop (analysis/dot_prefetch.h
/// planCarriedLoads): the type and initial ids of the words of its runs, which the loop
/// carries as phis (lower/control_flow.cc lowerFor).
struct CarriedLoad {
  const ir::Operation* load = nullptr;
  Id type = 0;
  std::vector<Id> init;
};

/// Before scf.for `loop`, after coopHoistRuns: the carried direct loads of its body whose dot
/// takes the cooperative-matrix path with its whole K in one slice and the operand not held,
/// their first iteration loaded (where the loop runs at all). Each is registered in
/// Context::carriedWords, which the dot's staging reads and fills with the next iteration's.
Result<std::vector<CarriedLoad>> coopCarriedLoads(Context& c, const ir::Operation& loop);

/// Fills `f` with the fragment representation of tt.dot `op`'s accumulator (type, count per
/// subgroup) when `op` takes the cooperative-matrix path; false otherwise.
Result<bool> coopFragments(Context& c, const ir::Operation& op, Context::Fragments& f);

/// True when the rows of tt.dot `op`'s accumulator fragments can be scaled in place
/// (coopScaleRows): float accumulators of a 2-D dot that is not pipelined, and the row-scale
/// table (M words; M x n with TVK_TABLE_BROADCAST=0) fits its scratch.
Result<bool> coopCanScaleRows(Context& c, const ir::Operation& op);

/// Lowers `op` = arith.mulf(acc, rowScale[:, None]) with acc held in fragments: rowScale's
/// values go to a table of one word per row at the top of the dot's scratch, each subgroup
/// loads its fragment rows of it as accumulator matrices (column-major, stride 0: every column
/// the same rows) and multiplies its fragments by them component-wise (both of one
/// cooperative-matrix type, so their components map to the same elements). A subgroup barrier
/// orders the table where each subgroup wrote the rows it reads. The result stays in fragments.
Status coopScaleRows(Context& c, const ir::Operation& op, const ir::Value* rowScale);

/// True when tt.dots `a` and `b` tile their accumulators alike (fragment type, subgroup grid,
/// fragments per subgroup, shape), so that fragments of one serve as fragments of the other.
Result<bool> coopSameTiling(Context& c, const ir::Operation& a, const ir::Operation& b);

/// Fragments `f` with every element equal to scalar constant id `value` (accumulator type).
Result<std::vector<Id>> coopSplatFragments(Context& c, const Context::Fragments& f, Id value);

/// Converts fragments `frags` (representation `f`) to one id per slot of the result layout of
/// `f.dot` through that dot's scratch (barriers before and between chunks).
Result<std::vector<Id>> coopFragmentsToSlots(Context& c, const Context::Fragments& f,
                                             const std::vector<Id>& frags);

}  // namespace tvk::lower
