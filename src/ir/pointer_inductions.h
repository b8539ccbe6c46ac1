// Pointer inductions: a loop's load whose element pointers move by the same 64-bit amount
// every iteration gets them as a carried pointer tensor (a tensor induction,
// analysis/remat.h), as a hand-written `a_ptrs += BLOCK_K * stride` loop would.
//
// Block pointers (ir/block_pointers.h) leave a load in an scf.for as
//
//   %o = ... ops of %s ...                 (%s: an i64 iter_arg, yielded as %s + %c)
//   %p = tt.addptr %base, %o               (%base defined outside the loop)
//   %v = tt.load %p, %mask
//
// where the ops from %s to %o are splat, expand_dims, broadcast, addi, subi, and muli by a
// loop-invariant uniform factor (a scalar, a splat or a splat constant), all on i64. Then
// %o(s + c) - %o(s) is the same scalar d for every element (d = c times the factors), so
//
//   before the loop:  %p0 = the ops of %p with the iter_args at their initial values
//                     %ds = tt.splat d
//   in the loop:      %P (a new iter_arg, %p0 in), the load takes %P,
//                     scf.yield ..., tt.addptr %P, %ds
//
// 64-bit arithmetic wraps the same whichever way it is added up, so the pointers are exactly
// the recomputed ones. The load's run addresses are then hoisted out of the loop and, for a
// tt.dot's operands, software pipelining applies (analysis/dot_prefetch.h); masks keep being
// computed from %s. Offsets of other widths (an i32 offset sign-extended per element) are
// left alone: their wrap-around is not linear. TVK_POINTER_INDUCTIONS=0 turns the pass off
// (a measurement switch, in the Python cache key).
#pragma once

#include "ir/ir.h"

namespace tvk::ir {

/// Rewrites the loads described above in every scf.for of `m`; returns how many.
int carryPointerInductions(Module& m);

/// False when TVK_POINTER_INDUCTIONS=0 turns the pass off.
bool pointerInductionsEnabled();

}  // namespace tvk::ir
