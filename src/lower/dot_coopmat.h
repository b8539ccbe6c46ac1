// tt.dot through cooperative matrices (SPV_KHR_cooperative_matrix, tensor cores on NVIDIA):
// used where the target lists a matching Subgroup-scope shape (f16 x f16 -> f32,
// i8 x i8 -> i32); everything else keeps the portable FMA path (lower/dot.cc).
#pragma once

#include "lower/registry.h"

namespace tvk::lower {

/// Lowers `op` (tt.dot) through cooperative matrices when the target, the operand types and
/// the tile shape allow it; returns false, having emitted nothing, when they do not.
Result<bool> lowerDotCoopMat(Context& c, const ir::Operation& op);

}  // namespace tvk::lower
