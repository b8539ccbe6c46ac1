// Deep copy of operations with value remapping (used by the inliner).
#pragma once

#include <memory>
#include <unordered_map>

#include "ir/ir.h"

namespace tvk::ir {

/// Old value → new value. Operands not in the map are kept as they are (outer values).
using ValueMap = std::unordered_map<const Value*, Value*>;

/// Copies `op` with its regions; new results and block arguments are added to `map`.
/// The copy's parentBlock is null; the caller sets it when inserting.
std::unique_ptr<Operation> cloneOp(const Operation& op, ValueMap& map);

/// Appends `caller` to the end of `l`'s call-site chain (`callsite(l at caller)`).
Location withCaller(const Location& l, const Location& caller);

}  // namespace tvk::ir
