// Softmax on the score fragments (VK_NV_cooperative_matrix2: Target::coopMatRowOps).
//
// In an scf.for whose loop accumulator is row-scaled before its cooperative-matrix tt.dot
// (flash attention: `acc = acc * alpha[:, None]; acc = tl.dot(p.to(f16), v, acc)`), where `p`
// is computed from the other cooperative-matrix tt.dot of the body (`qk = tl.dot(q, k)`), the
// values between the two dots stay in cooperative-matrix fragments instead of going through
// the blocked layout:
//   - *tiles*: the scores and everything computed from them element by element (f32), in the
//     first dot's fragment tiling; splat operands are scalars;
//   - *rows*: tl.max / tl.sum along axis 1 of a tile (OpCooperativeMatrixReduceNV, Row: every
//     column of a row's fragment holds the row's value) and 1-D values computed from them
//     element by element, loop-carried ones included (m_i, l_i: one fragment per fragment row
//     of the subgroup); their broadcast back to a tile (`m[:, None]`) is the same fragment;
//   - element-wise ops run as OpCooperativeMatrixPerElementOpNV over a helper function that
//     applies the op's scalar lowering to one element;
//   - `p.to(f16)` (or bf16) becomes the second dot's A fragments: rounded element by element,
//     then one OpFConvert each (use conversion); alpha scales the accumulator's fragments by
//     OpFMul.
// Both dots must split rows only among the subgroups, with equal rows per subgroup and the
// same accumulator fragment type, so that a row lives in one subgroup and its fragments line
// up. Anything else in the region (a masked diagonal block, a column reduction, another use
// of the scores) keeps the loop on the blocked-layout path.
//
// On by default where the target has the row operations and the two dots' accumulators fit
// Target::fragmentRowsWords; TVK_FRAGMENT_ROWS=0 turns it off, =1 on regardless of that
// estimate (both in the Python backend's cache key). Measured on the H200 (session 28): the
// attention tests and tutorial 06's forward tests pass with it; head dim 128 (8 warps) runs
// 1.2x faster, head dim 64 at 4 warps and BLOCK_M 128 (32 rows a subgroup) spills and runs
// 0.9x, so the estimate leaves that one on the blocked-layout path.
#pragma once

#include <vector>

#include "lower/context.h"

namespace tvk::lower {

/// TVK_FRAGMENT_ROWS: 0 = off, 1 = wherever the region qualifies, unset (or anything else) =
/// where it qualifies and its accumulators fit Target::fragmentRowsWords.
enum class FragmentRowsMode { Off, Auto, Always };
FragmentRowsMode fragmentRowsMode();

/// True when the path is not switched off and the target has the row operations: the gate of
/// everything this path changes (chained loop accumulators, their hand-over, held-Q reuse).
bool fragmentRowsOn(const Context& c);

/// True when tt.dot `op` is one of the two dots of a loop whose region qualifies (without
/// their plans, which ask this: their subgroup grids then split rows only where they can).
bool fragmentRowsLoop(Context& c, const ir::Operation& op);

/// Before scf.for `loop` is lowered, after chooseLoopRepresentations: marks the values of its
/// body that stay in fragments (Context::setFragments, tiles and rows) and the ops that
/// compute them (Context::fragmentOps), when the whole region qualifies.
Status chooseFragmentRows(Context& c, const ir::Operation& loop);

/// Lowers an op of Context::fragmentOps on fragments.
Status lowerFragmentOp(Context& c, const ir::Operation& op);

/// 1-D value `v`, held per slot, as row fragments `f` (a loop-carried row value whose init is
/// another loop's result in slots): one word per row through the dot's scratch, loaded
/// column-major with stride 0 (every column the same rows).
Result<std::vector<Id>> rowSlotsToFragments(Context& c, const Context::Fragments& f, const ir::Value* v);

/// Row fragments `frags` (Fragments::rows) of 1-D value `v` to one id per slot of its layout,
/// through the dot's scratch.
Result<std::vector<Id>> rowFragmentsToSlots(Context& c, const Context::Fragments& f, const ir::Value* v,
                                            const std::vector<Id>& frags);

}  // namespace tvk::lower
