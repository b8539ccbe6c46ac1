// Structural verifier: terminators, operand counts and types of the ops in use, shapes of
// elementwise/shape ops, region arities, and values defined before use (dominance within
// structured regions). Errors name the op and its Python source line.
#pragma once

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::ir {

/// Verifies the module; returns the first problem, e.g.
/// `verify: arith.addf at kernels.py:12: operand types differ (tensor<8xf32> vs tensor<4xf32>)`.
Status verifyModule(const Module& m);

}  // namespace tvk::ir
