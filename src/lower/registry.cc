#include "lower/registry.h"

#include <map>
#include <vector>

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
    // bf16 results: one NaN test for the op's slots (Context::fixBf16Nans).
    std::vector<Context::Bf16Rounding> bf16;
    size_t batched = 0;
    const ir::Type& rs = res->type.scalar();
    if (Context::bf16NanBatches() && rs.isFloat() && rs.name == "bf16" && n / equal >= 4) c.bf16Batch = &bf16;
    auto leave = [&c] {  // the op's rounding modes end with it
      c.deferF16Rounding = false;
      c.bf16Batch = nullptr;
    };
    for (uint32_t s = 0; s < n; ++s) {
      if (s % equal) {
        out.push_back(out[s - s % equal]);
        continue;
      }
      std::vector<Id> args;
      for (const ir::Value* o : op.operands) args.push_back(c.at(o, s));
      auto v = fn(c, op, args);
      if (!v.ok()) {
        leave();
        return v.status();
      }
      // A batch holds slots' final roundings, nothing else (an intermediate one would have
      // been used unfixed); ops that do not round (a bitcast) add nothing.
      const size_t added = bf16.size() - batched;
      batched = bf16.size();
      if (added > 1 || (added == 1 && bf16.back().result != *v)) {
        leave();
        return c.unsupported(op, "TVK_BF16_NAN_BATCH: a bf16 rounding that is not the op's result");
      }
      out.push_back(*v);
    }
    c.bf16Batch = nullptr;
    if (!bf16.empty()) {
      auto fixed = c.fixBf16Nans(bf16);
      if (!fixed.ok()) {
        leave();
        return fixed.status();
      }
      std::map<Id, Id> by;
      for (size_t i = 0; i < bf16.size(); ++i) by[bf16[i].result] = (*fixed)[i];
      for (Id& id : out) {
        auto it = by.find(id);
        if (it != by.end()) id = it->second;
      }
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
