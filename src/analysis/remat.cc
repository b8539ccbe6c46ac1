#include "analysis/remat.h"

namespace tvk::analysis {

bool isElementwiseOp(const std::string& name) {
  if (name == "arith.constant") return false;
  if (name.rfind("arith.", 0) == 0 || name.rfind("math.", 0) == 0) return true;
  return name == "tt.addptr" || name == "tt.bitcast" || name == "tt.mulhiui" ||
         name == "tt.fp_to_fp" || name == "tt.clampf" || name == "tt.precise_sqrt" ||
         name == "tt.precise_divf";
}

bool isReindexOp(const std::string& name) {
  return name == "tt.expand_dims" || name == "tt.reshape" || name == "tt.broadcast" ||
         name == "tt.trans" || name == "tt.splat";
}

bool isInside(const ir::Operation* op, const ir::Operation* loop) {
  return op && isInside(op->parentBlock, loop);
}

bool isInside(const ir::Block* blk, const ir::Operation* loop) {
  while (blk) {
    const ir::Operation* parent = blk->parentRegion ? blk->parentRegion->parentOp : nullptr;
    if (parent == loop) return true;
    blk = parent ? parent->parentBlock : nullptr;
  }
  return false;
}

bool isInside(const ir::Value* v, const ir::Operation* loop) {
  return v->def ? isInside(v->def, loop) : isInside(v->ownerBlock, loop);
}

bool isUniformSplat(const ir::Value* v) {
  if (!v->type.isTensor()) return true;
  const ir::Operation* d = v->def;
  if (!d) return false;
  if (d->name == "tt.splat") return true;
  const ir::Attribute* a = d->name == "arith.constant" ? d->attr("value") : nullptr;
  return a && a->kind == ir::Attribute::Kind::Dense && a->isSplat();
}

bool tensorInduction(const ir::Value* v, TensorInduction& out) {
  if (v->def || !v->ownerBlock || !v->type.isTensor() || v->index < 1) return false;
  const ir::Block* body = v->ownerBlock;
  const ir::Operation* loop = body->parentRegion ? body->parentRegion->parentOp : nullptr;
  if (!loop || loop->name != "scf.for" || loop->regions.size() != 1 ||
      loop->regions[0]->blocks.size() != 1 || loop->regions[0]->blocks[0].get() != body)
    return false;
  const ir::Operation* yield = body->terminator();
  const size_t j = static_cast<size_t>(v->index - 1);
  if (!yield || yield->name != "scf.yield" || j >= yield->operands.size() ||
      3 + j >= loop->operands.size())
    return false;
  const ir::Operation* adv = yield->operand(static_cast<int>(j))->def;
  if (!adv || (adv->name != "tt.addptr" && adv->name != "arith.addi") || adv->numOperands() != 2 ||
      adv->operand(0) != v || adv->parentBlock != body)
    return false;
  const ir::Value* s = adv->operand(1);
  if (!s->type.isTensor() || !isUniformSplat(s) || isInside(s->def, loop)) return false;
  out = TensorInduction{loop, loop->operand(static_cast<int>(3 + j)), adv, s};
  return true;
}

bool Remat::operator()(const ir::Value* v) {
  if (!v->type.isTensor()) return true;
  auto it = cache_.find(v);
  if (it != cache_.end()) return it->second;
  bool r = false;
  const ir::Operation* op = v->def;
  TensorInduction ind;
  if (!op && tensorInduction(v, ind)) {
    cache_[v] = false;  // (a cycle through the loop is not rematerializable)
    r = (*this)(ind.init);
  } else if (op) {
    if (op->name == "arith.constant") {
      // Non-splat dense constants live in a Private array: not recomputable per coordinate.
      const ir::Attribute* a = op->attr("value");
      r = !(a && a->kind == ir::Attribute::Kind::Dense && !a->isSplat());
    } else if (op->name == "tt.make_range" || op->name == "tt.splat") {
      r = true;
    } else if (isElementwiseOp(op->name) || isReindexOp(op->name)) {
      r = true;
      for (const ir::Value* o : op->operands) r = r && (*this)(o);
    }
  }
  cache_[v] = r;
  return r;
}

}  // namespace tvk::analysis
