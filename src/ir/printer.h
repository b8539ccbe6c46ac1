// TTIR printer: ir::Module back to MLIR text in Triton's custom op forms (same op-syntax
// registry as the parser), with inline `loc(...)` locations (no aliases).
// Round-trip property: print(parse(print(parse(x)))) == print(parse(x)).
#pragma once

#include <string>

#include "ir/ir.h"

namespace tvk::ir {

/// Prints a whole module; `withLocations` appends ` loc(...)` to ops and block arguments.
std::string printModule(const Module& m, bool withLocations = true);

/// Prints one operation (and its regions) at the given indentation, for debugging and errors.
std::string printOp(const Operation& op, bool withLocations = false, int indent = 0);

}  // namespace tvk::ir
