// Structurizer: turns regions made of several blocks joined by `cf.br` / `cf.cond_br`
// (Triton emits them for a `return` inside an `if`, in kernels, helpers and map_elementwise
// bodies) into one block of nested `scf.if`s.
#pragma once

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::ir {

/// Rewrites every multi-block region of `m` into a single block. Each region's blocks must form
/// an acyclic graph whose exits are terminators of one kind (e.g. `tt.return`) with the same
/// operand types. Paths are followed from the entry block; a block reached by several paths
/// (a join) is copied into each, and each `cf.cond_br` becomes an `scf.if` whose arms yield the
/// values the exit would return. Errors `unsupported: cf.cond_br at <file>:<line>: <why>` for
/// loops made of branches, mixed exits, or more duplication than a bound.
Status structurize(Module& m);

}  // namespace tvk::ir
