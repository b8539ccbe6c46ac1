#include "analysis/vector_width.h"

#include <algorithm>
#include <set>

#include "analysis/remat.h"
#include "analysis/values.h"
#include "ir/walk.h"

namespace tvk::analysis {

namespace {

constexpr uint32_t kMaxVectorBytes = 16;

int64_t floorPow2(int64_t x) {
  int64_t p = 1;
  while (p * 2 <= x) p *= 2;
  return p;
}

// Ops whose lowering works slot by slot for any v (the coordinates they need come from the
// layout): everything else pins the classes it touches to v = 1.
bool perSlotOp(const ir::Operation& op) {
  const std::string& n = op.name;
  if (n == "arith.constant") {
    const ir::Attribute* v = op.attr("value");
    return !v || v->kind != ir::Attribute::Kind::Dense || v->isSplat();
  }
  return n == "tt.load" || n == "tt.store" || n == "tt.splat" || n == "tt.make_range" ||
         n == "tt.expand_dims" || n == "tt.reshape" || isElementwiseOp(n);
}

}  // namespace

uint32_t provenAccessWidth(const ir::Value* ptr, const ir::Value* mask, const AxisInfoMap& ai,
                           bool float16) {
  if (!ptr->type.isTensor() || ptr->type.rank() == 0) return 1;
  const ir::Type& pointee = *ptr->type.scalar().elem;
  // 32-bit elements; f16 only with shaderFloat16 (16-bit storage alone allows no component
  // access: f16 runs are moved as 32-bit words and split by bitcasts to f16vec2).
  const bool f16 = float16 && pointee.isFloat() && pointee.name == "f16";
  if (pointee.isPtr() || (pointee.bits != 32 && !f16)) return 1;
  const int64_t bytes = pointee.bits / 8;
  auto it = ai.find(ptr);
  if (it == ai.end()) return 1;
  const size_t d = ptr->type.shape.size() - 1;
  int64_t k = kMaxVectorBytes / bytes;
  k = std::min(k, ptr->type.shape[d]);
  k = std::min(k, floorPow2(it->second.contiguity[d]));
  k = std::min(k, floorPow2(it->second.divisibility[d] / bytes));
  if (mask && mask->type.isTensor()) {
    auto mi = ai.find(mask);
    k = std::min<int64_t>(k, mi == ai.end() ? 1 : floorPow2(mi->second.constancy[d]));
  }
  if (f16 && k < 2) return 1;  // f16 runs are whole 32-bit words
  return static_cast<uint32_t>(std::max<int64_t>(1, k));
}

VectorWidths chooseVectorWidths(const ir::Operation& func, const AxisInfoMap& ai,
                                uint32_t invocations, bool float16) {
  std::map<int64_t, uint32_t> want;
  std::set<int64_t> pinned;
  auto numelOf = [](const ir::Value* v) { return v->type.numel(); };
  forEachValue(func, [&](const ir::Value* v) {
    if (v->type.isTensor() && !v->def) pinned.insert(numelOf(v));  // block arguments
  });
  ir::walk(func, [&](const ir::Operation& op) {
    if (&op == &func) return;
    if (!perSlotOp(op)) {
      for (const ir::Value* v : op.operands)
        if (v->type.isTensor()) pinned.insert(numelOf(v));
      for (const auto& v : op.results)
        if (v->type.isTensor()) pinned.insert(numelOf(v.get()));
      return;
    }
    if (op.name != "tt.load" && op.name != "tt.store") return;
    const ir::Value* ptr = op.operand(0);
    if (!ptr->type.isTensor()) return;
    // Masks do not limit v: runs whose masks are not all equal fall back per element.
    uint32_t k = provenAccessWidth(ptr, nullptr, ai, float16);
    uint32_t& w = want[numelOf(ptr)];
    w = std::max(w, k);
  });
  VectorWidths out;
  for (const auto& [numel, k] : want) {
    if (k <= 1 || pinned.count(numel) || invocations == 0) continue;
    int64_t v = std::min<int64_t>(k, numel / invocations);
    if (v > 1) out[numel] = static_cast<uint32_t>(floorPow2(v));
  }
  return out;
}

}  // namespace tvk::analysis
