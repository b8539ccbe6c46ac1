#include "lower/registry.h"

namespace tvk::lower {

void registerLowering(Registry& r, const std::string& name, LowerFn fn) {
  r.ops[name] = std::move(fn);
}

void registerElementwise(Registry& r, const std::string& name, ScalarFn fn) {
  r.scalar[name] = fn;
  r.ops[name] = [fn](Context& c, const ir::Operation& op) -> Status {
    const ir::Value* res = op.result();
    std::vector<Id> out;
    uint32_t n = c.layouts.slots(res);
    // Slots that hold equal values (analysis::VectorPlan::equalSlots) reuse the first's id.
    const uint32_t equal = c.vectors.equalSlotsOf(res);
    // An f16 result that is only stored is rounded by the store's conversion.
    c.deferF16Rounding = c.defersF16Rounding(op);
    for (uint32_t s = 0; s < n; ++s) {
      if (s % equal) {
        out.push_back(out[s - s % equal]);
        continue;
      }
      std::vector<Id> args;
      for (const ir::Value* o : op.operands) args.push_back(c.at(o, s));
      auto v = fn(c, op, args);
      if (!v.ok()) {
        c.deferF16Rounding = false;
        return v.status();
      }
      out.push_back(*v);
    }
    if (c.deferF16Rounding) c.noteDeferredF16(res);
    c.deferF16Rounding = false;
    c.bind(res, std::move(out));
    c.memoSlots(res);
    return Status();
  };
}

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    registerElementwiseOps(reg);
    registerIntOps(reg);
    registerMathOps(reg);
    registerLibdeviceOps(reg);
    registerMemoryOps(reg);
    registerTensorShapeOps(reg);
    registerReduceOps(reg);
    registerControlFlowOps(reg);
    registerAtomicOps(reg);
    registerProgramIdOps(reg);
    registerDotOps(reg);
    registerDebugOps(reg);
    registerScanOps(reg);
    registerExchangeOps(reg);
    registerHintOps(reg);
    registerMapElementwiseOps(reg);
    return reg;
  }();
  return r;
}

}  // namespace tvk::lower
