// Pipelined loads (a scheduling experiment, off by default: TVK_PIPELINE_LOADS=1 turns it on).
//
// In an innermost scf.for that writes no memory, a tt.load whose address, mask and `other` can
// be computed at the top of the next iteration is issued one iteration ahead, into a new
// loop-carried value, so that its latency overlaps a whole iteration of work (attention's K
// and V tiles behind the dots and the softmax):
//
//   scf.for %i = %lb to %ub step %s iter_args(%p = %p0) {
//     %x = tt.load f(%i, %p), m(%i, %p)        ... uses of %x ...
//     scf.yield g(%i, %p)
//   }
//   →
//   %x0 = tt.load f(%lb, %p0), m(%lb, %p0) & (%lb < %ub)      (before the loop)
//   scf.for %i = ... iter_args(%p = %p0, %x = %x0) {
//     %n = %i + %s ;  %pn = g(%i, %p)                             (the next iteration's values)
//     %xn = tt.load f(%n, %pn), m(%n, %pn) & (%n < %ub) & (%i < %n)   (issued first; the last
//                                                  comparison: %n did not wrap around)
//     ... uses of %x ...
//     scf.yield g(%i, %p), %xn
//   }
//
// f, m, g: elementwise and re-indexing ops of the induction variable, iter_args and values
// from outside the loop (no loads, no dots, no reductions). The added mask keeps the load
// beyond the last iteration (and before a loop that does not run) from touching memory. Left
// alone: volatile loads, loops whose comparison is unsigned, and loads that reach a tt.dot
// operand (through tt.trans / tt.fp_to_fp) whose accumulator is carried by the loop: those
// matmul loops are pipelined through shared memory already (analysis/dot_prefetch.h). The
// loaded tile is held twice in registers.
#pragma once

#include "ir/ir.h"

namespace tvk::ir {

/// Pipelines loads as described above in every innermost scf.for of `m`'s functions; returns
/// how many loads it pipelined.
int pipelineLoads(Module& m);

/// True when TVK_PIPELINE_LOADS=1 asks for pipelineLoads (a measurement switch; it changes the
/// SPIR-V, so the Python backend puts it in Triton's cache key).
bool pipelineLoadsEnabled();

}  // namespace tvk::ir
