#include "analysis/dot_prefetch.h"

#include <algorithm>

#include "ir/walk.h"

namespace tvk::analysis {

namespace {

// True when scalar `v` can be recomputed in the current iteration from the loop's block
// arguments and values defined outside it (the yielded value of a scalar iter_arg: its value
// in the next iteration).
bool computableNow(const ir::Value* v, const ir::Operation& loop) {
  if (v->type.isTensor()) return false;
  if (!isInside(v, &loop)) return true;
  const ir::Operation* op = v->def;
  if (!op) return v->ownerBlock == &loop.body();
  if (op->parentBlock != &loop.body() || !isElementwiseOp(op->name)) return false;
  for (const ir::Value* o : op->operands)
    if (!computableNow(o, loop)) return false;
  return true;
}

}  // namespace

bool evaluableAtIteration(const ir::Value* v, const ir::Operation& loop, Remat& remat) {
  if (!isInside(v, &loop)) return !v->type.isTensor() || remat(v);
  const ir::Block& body = loop.body();
  const ir::Operation* op = v->def;
  if (!op) {
    if (v->ownerBlock != &body) return false;
    if (v->index == 0) return true;
    if (!v->type.isTensor())  // a scalar iter_arg: its initial or yielded value
      return computableNow(body.terminator()->operand(v->index - 1), loop);
    TensorInduction ind;
    return tensorInduction(v, ind) && ind.loop == &loop && remat(ind.init);
  }
  // Ops of nested regions cannot reach a load in the body; constants in the body are not
  // lowered yet when the first tile is loaded before the loop.
  if (op->parentBlock != &body || op->name == "arith.constant") return false;
  if (!isElementwiseOp(op->name) && !isReindexOp(op->name) && op->name != "tt.make_range") return false;
  for (const ir::Value* o : op->operands)
    if (!evaluableAtIteration(o, loop, remat)) return false;
  return true;
}

namespace {

// The scf.for whose body holds `op` directly, or null.
const ir::Operation* enclosingFor(const ir::Operation& op) {
  const ir::Block* blk = op.parentBlock;
  const ir::Operation* loop = blk && blk->parentRegion ? blk->parentRegion->parentOp : nullptr;
  return loop && loop->name == "scf.for" && loop->regions.size() == 1 && &loop->body() == blk ? loop : nullptr;
}

// True when `dot` is a matmul K loop of `loop`: its accumulator is a loop accumulator of that
// loop without a row scale.
bool isKLoop(const ir::Operation& dot, const ir::Operation& loop, const std::vector<LoopAccumulator>& accs) {
  return std::any_of(accs.begin(), accs.end(), [&](const LoopAccumulator& a) {
    return a.dot == &dot && a.loop == &loop && !a.scale;
  });
}

bool qualifies(const ir::Operation& dot, const ir::Operation& loop, const DirectOperands& direct,
               const std::map<const ir::Operation*, SmemAlloc>& scratch,
               const std::vector<LoopAccumulator>& accs, Remat& remat) {
  if (!isKLoop(dot, loop, accs)) return false;
  int operands = 0;
  for (const auto& [load, d] : direct) {
    if (d.dot != &dot) continue;
    ++operands;
    // Pointers that are tensor inductions only: their run addresses are hoisted, the next
    // iteration's are one add away. Block pointers (addresses recomputed from scalar offsets
    // per run) were slower pipelined on the H200: 0.554 -> 0.624 ms at 4096^3.
    TensorInduction ind;
    if (!tensorInduction(load->operand(0), ind) || ind.loop != &loop) return false;
    for (int i = 1; i < load->numOperands(); ++i)
      if (!evaluableAtIteration(load->operand(i), loop, remat)) return false;
  }
  if (operands != 2) return false;
  bool clean = true;
  ir::walk(loop, [&](const ir::Operation& op) {
    if (&op == &loop) return;
    if (writesMemory(op) || (&op != &dot && scratch.count(&op))) clean = false;
  });
  return clean;
}

}  // namespace

std::set<const ir::Operation*> planDotPrefetch(const DirectOperands& direct,
                                               const std::map<const ir::Operation*, SmemAlloc>& scratch,
                                               const std::vector<LoopAccumulator>& accs, uint32_t stages) {
  std::set<const ir::Operation*> out;
  if (stages < 2) return out;
  Remat remat;
  for (const auto& entry : direct) {
    const DirectOperand& d = entry.second;
    const ir::Operation* loop = enclosingFor(*d.dot);
    if (loop && !out.count(d.dot) && qualifies(*d.dot, *loop, direct, scratch, accs, remat)) out.insert(d.dot);
  }
  return out;
}

std::set<const ir::Operation*> planCarriedLoads(const DirectOperands& direct,
                                                const std::set<const ir::Operation*>& prefetchDots,
                                                const std::vector<LoopAccumulator>& accs,
                                                uint32_t stages, bool enabled) {
  std::set<const ir::Operation*> out;
  if (stages < 2 || !enabled) return out;
  Remat remat;
  std::map<const ir::Operation*, bool> writes;  // per loop
  for (const auto& [load, d] : direct) {
    const ir::Operation* loop = enclosingFor(*d.dot);
    if (!loop || prefetchDots.count(d.dot) || load->parentBlock != &loop->body() || isKLoop(*d.dot, *loop, accs))
      continue;
    auto w = writes.find(loop);
    if (w == writes.end()) {
      bool any = false;
      ir::walk(*loop, [&](const ir::Operation& op) { any = any || (&op != loop && writesMemory(op)); });
      w = writes.emplace(loop, any).first;
    }
    if (w->second) continue;
    bool ok = true;
    for (int i = 0; i < load->numOperands() && ok; ++i) ok = evaluableAtIteration(load->operand(i), *loop, remat);
    if (ok) out.insert(load);
  }
  return out;
}

}  // namespace tvk::analysis
