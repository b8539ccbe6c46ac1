// Pointer selects between kernel arguments → one masked access per argument.
//
// A buffer is bound per kernel argument and a pointer is lowered as an offset into its
// argument's buffer, so `p = arith.select %c, %a, %b` with %a and %b from different pointer
// arguments has no single buffer. When every use of p (through tt.addptr, tt.splat,
// tt.broadcast, tt.expand_dims, tt.reshape, tt.trans, tt.bitcast) ends in a tt.load, tt.store
// or tt.atomic_rmw, this pass gives each such access one copy per side, masked by the
// condition (carried to the access's shape by the same shape ops):
//
//   %p = arith.select %c, %a, %b ; %q = tt.addptr %p, %off ; %v = tt.load %q, %m, %o
//   →  %qa = tt.addptr %a, %off ; %va = tt.load %qa, (%m and %c), %o
//      %qb = tt.addptr %b, %off ; %vb = tt.load %qb, (%m and not %c), %o
//      %v = arith.select %c, %va, %vb
//
// Masked-off elements never touch memory, so each side only accesses the buffer it selects.
// Selects with any other use (loops, tt.ptr_to_int, atomic_cas) are left alone (pointer
// provenance then reports them).
#pragma once

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::ir {

/// Rewrites the pointer selects between different kernel arguments in `m`'s functions (see
/// above); verifies the module afterwards when something changed.
Status sinkPointerSelects(Module& m);

}  // namespace tvk::ir
