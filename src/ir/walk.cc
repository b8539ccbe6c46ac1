// Walk helpers over nested operations.
#include "ir/walk.h"

namespace tvk::ir {

void walk(Operation& op, const std::function<void(Operation&)>& fn) {
  fn(op);
  for (auto& r : op.regions)
    for (auto& b : r->blocks)
      for (size_t i = 0; i < b->ops.size(); ++i) walk(*b->ops[i], fn);
}

void walk(const Operation& op, const std::function<void(const Operation&)>& fn) {
  fn(op);
  for (const auto& r : op.regions)
    for (const auto& b : r->blocks)
      for (const auto& o : b->ops) walk(static_cast<const Operation&>(*o), fn);
}

void walk(Module& m, const std::function<void(Operation&)>& fn) {
  for (size_t i = 0; i < m.ops.size(); ++i) walk(*m.ops[i], fn);
}

void walk(const Module& m, const std::function<void(const Operation&)>& fn) {
  for (const auto& o : m.ops) walk(static_cast<const Operation&>(*o), fn);
}

std::vector<std::pair<Operation*, int>> usesOf(const Value* v, Operation& scope) {
  std::vector<std::pair<Operation*, int>> uses;
  walk(scope, [&](Operation& op) {
    for (int i = 0; i < op.numOperands(); ++i)
      if (op.operands[i] == v) uses.emplace_back(&op, i);
  });
  return uses;
}

void replaceAllUses(Value* from, Value* to, Operation& scope) {
  walk(scope, [&](Operation& op) {
    for (auto& o : op.operands)
      if (o == from) o = to;
  });
}

}  // namespace tvk::ir
