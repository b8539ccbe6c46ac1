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

bool Remat::operator()(const ir::Value* v) {
  if (!v->type.isTensor()) return true;
  auto it = cache_.find(v);
  if (it != cache_.end()) return it->second;
  bool r = false;
  const ir::Operation* op = v->def;
  if (op) {
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
