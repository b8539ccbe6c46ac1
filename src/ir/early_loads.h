// Early loads (a scheduling experiment, off by default: TVK_EARLY_LOADS=1 turns it on).
//
// A tt.load whose address and mask do not depend on the ops before it is moved up, with the
// address and mask computations it needs, to just after the previous load or the previous op
// that may write memory (or guard an access: asserts, prints, ops with regions other than a
// reduction's or scan's combiner), whichever is later. Its latency then overlaps the work in
// between, such as the reductions of a LayerNorm before its weight and bias loads:
//
//   %x = tt.load ... ; %s = tt.reduce %x ... ; %w = tt.load %wp, %m   (wp, m from arguments)
//   →  %x = tt.load ... ; %w = tt.load %wp, %m ; %s = tt.reduce %x ...
//
// Within one block only; loads keep their order among themselves; volatile loads and loads
// feeding a tt.dot (directly or through tt.trans / tt.fp_to_fp: the dot may perform them
// itself, analysis/dot_operands.h) stay where they are.
#pragma once

#include "ir/ir.h"

namespace tvk::ir {

/// Moves loads up as described above in every block of `m`'s functions; returns how many moved.
int hoistLoads(Module& m);

/// True when TVK_EARLY_LOADS=1 asks for hoistLoads (a measurement switch; it changes the
/// SPIR-V, so the Python backend puts it in Triton's cache key).
bool earlyLoadsEnabled();

}  // namespace tvk::ir
