// Ops without run-time semantics of their own: `llvm.intr.assume` (tl.assume, an optimizer
// hint: dropped) and `ub.poison` (an undefined value, e.g. the result of a helper on a path that
// returns nothing: a deterministic zero of its type in every slot).
#include "lower/registry.h"

namespace tvk::lower {

namespace {

Status lowerAssume(Context&, const ir::Operation&) { return Status(); }

Status lowerPoison(Context& c, const ir::Operation& op) {
  const ir::Value* res = op.result();
  const ir::Type& st = res->type.scalar();
  if (!st.isInt() && !st.isFloat())
    return c.unsupported(op, "undefined value of type " + res->type.str() + " (only numbers)");
  auto t = c.regTypeOf(res);
  if (!t.ok()) return c.unsupported(op, t.status().message());
  Id zero = c.b.constNull(*t);
  c.bind(res, std::vector<Id>(res->type.isTensor() ? c.layouts.slots(res) : 1, zero));
  return Status();
}

}  // namespace

void registerHintOps(Registry& r) {
  registerLowering(r, "llvm.intr.assume", lowerAssume);
  registerLowering(r, "ub.poison", lowerPoison);
}

}  // namespace tvk::lower
