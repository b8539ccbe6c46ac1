// Walk helpers over nested operations.
//
// Example: walk(*m.kernel(), [&](Operation& op) { if (op.name == "tt.dot") ++n; });
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "ir/ir.h"

namespace tvk::ir {

/// Pre-order walk: visits `op`, then every op nested in its regions, in order.
void walk(Operation& op, const std::function<void(Operation&)>& fn);
/// Pre-order walk over const ops.
void walk(const Operation& op, const std::function<void(const Operation&)>& fn);
/// Pre-order walk over every top-level op of a module and everything nested in it.
void walk(Module& m, const std::function<void(Operation&)>& fn);
/// Pre-order walk over a const module.
void walk(const Module& m, const std::function<void(const Operation&)>& fn);

/// Every use of `v` as an operand inside `scope` (pre-order), as (op, operand index).
std::vector<std::pair<Operation*, int>> usesOf(const Value* v, Operation& scope);

/// Replaces every operand use of `from` by `to` inside `scope` (recursively).
void replaceAllUses(Value* from, Value* to, Operation& scope);

}  // namespace tvk::ir
