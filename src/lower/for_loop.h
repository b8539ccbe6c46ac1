// scf.for facts that code outside the loop's own lowering (lower/control_flow.cc) needs.
#pragma once

#include "lower/context.h"

namespace tvk::lower {

/// The condition under which scf.for `loop` runs an iteration with induction variable `iv`
/// (`iv < ub`, signed or unsigned as the loop compares, 64-bit where the loop is): the same
/// comparison the loop header makes.
Id forInRange(Context& c, const ir::Operation& loop, Id iv);

}  // namespace tvk::lower
