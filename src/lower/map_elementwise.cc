// tt.map_elementwise (tl.map_elementwise): the region is a scalar function applied per element.
// Each invocation inlines the region once per group of `pack` register slots: the block takes
// `pack` elements of each operand (operand-major: a0, a1, b0, b1), and returns `pack` elements
// of each result (result-major). Multi-block bodies (an `if` with `return`s) were turned into
// scf.if by the structurizer (ir/structurize.h); their conditions differ per element, which is
// fine because a scalar body holds no barriers.
#include "lower/registry.h"

namespace tvk::lower {

namespace {

Status lowerMapElementwise(Context& c, const ir::Operation& op) {
  if (op.regions.size() != 1 || op.regions[0]->blocks.size() != 1)
    return c.unsupported(op, "body with several blocks");
  const ir::Block& blk = op.body(0);
  const ir::Operation* ret = blk.terminator();
  int64_t pack = op.intAttr("pack", 1);
  size_t nIn = op.operands.size(), nOut = op.results.size();
  if (pack < 1 || !ret || blk.args.size() != nIn * pack || ret->operands.size() != nOut * pack)
    return c.unsupported(op, "body arity does not match operands x pack");
  if (op.results.empty()) return Status();
  uint32_t n = c.layouts.slots(op.result());
  for (const ir::Value* v : op.operands)
    if (v->type.isTensor() && c.layouts.slots(v) != n) return c.unsupported(op, "operands of another layout");
  for (const auto& r : op.results)
    if (c.layouts.slots(r.get()) != n) return c.unsupported(op, "results of another layout");
  if (n % pack) return c.unsupported(op, "pack " + std::to_string(pack) + " does not divide the " +
                                             std::to_string(n) + " elements per invocation");
  std::vector<std::vector<Id>> out(nOut, std::vector<Id>(n));
  for (uint32_t g = 0; g < n; g += static_cast<uint32_t>(pack)) {
    c.pushScope();
    for (size_t i = 0; i < nIn; ++i) {
      const ir::Value* v = op.operands[i];
      for (int64_t k = 0; k < pack; ++k)
        c.bind(blk.arg(static_cast<int>(i * pack + k)), {c.at(v, v->type.isTensor() ? g + k : 0)});
    }
    Status st = c.lowerBlock(blk);
    if (st.ok())
      for (size_t j = 0; j < nOut; ++j)
        for (int64_t k = 0; k < pack; ++k) out[j][g + k] = c.at(ret->operand(static_cast<int>(j * pack + k)), 0);
    c.popScope();
    TVK_RETURN_IF_ERROR(st);
  }
  for (size_t j = 0; j < nOut; ++j) {
    c.bind(op.result(static_cast<int>(j)), std::move(out[j]));
    c.memoSlots(op.result(static_cast<int>(j)));
  }
  return Status();
}

}  // namespace

void registerMapElementwiseOps(Registry& r) {
  registerLowering(r, "tt.map_elementwise", lowerMapElementwise);
  registerLowering(r, "tt.map_elementwise.return", [](Context&, const ir::Operation&) { return Status(); });
}

}  // namespace tvk::lower
