// Canonicalization: constant folding of scalar arith ops on constants and dead-code
// elimination of side-effect-free ops (stores, atomics, calls, prints, asserts, barriers and
// terminators are always kept; an unused tt.load is removed).
#pragma once

#include "ir/ir.h"

namespace tvk::ir {

/// Folds constants and removes dead ops, to a fixed point, in every function of `m`.
void canonicalize(Module& m);

/// True when `op` has no side effects (may be removed when its results are unused).
bool isPure(const Operation& op);

}  // namespace tvk::ir
