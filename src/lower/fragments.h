// Representation choice for loop-carried values: a loop accumulator
// (analysis/loop_accumulators.h) whose tt.dot takes the cooperative-matrix path is carried
// through its scf.for as cooperative-matrix fragments (Context::Fragments): the loop's body
// argument and the dot's result are fragment values, the init operand is converted to
// fragments before the loop and the loop result to per-slot ids after it.
#pragma once

#include <vector>

#include "lower/context.h"

namespace tvk::lower {

/// Marks the fragment values of scf.for `loop` (before its lowering).
Status chooseLoopRepresentations(Context& c, const ir::Operation& loop);

/// Ids of `v` in representation `f` (null: per slot): passes ids through when `v` is held
/// that way already, otherwise converts (splat constants to fragments, fragments to slots).
Result<std::vector<Id>> idsAs(Context& c, const ir::Value* v, const Context::Fragments* f);

}  // namespace tvk::lower
