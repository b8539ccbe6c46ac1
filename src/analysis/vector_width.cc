#include "analysis/vector_width.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>

#include "analysis/remat.h"
#include "analysis/values.h"
#include "ir/walk.h"
#include "support/bits.h"
#include "support/switches.h"

namespace tvk::analysis {

namespace {

int64_t floorPow2(int64_t x) {
  int64_t p = 1;
  while (p * 2 <= x) p *= 2;
  return p;
}

// The axis extent of tt.scan `op` when every dimension after its axis is 1 (its rows are
// consecutive elements: lower/scan.cc scans runs of any v dividing it), else 0.
int64_t scanAlongRows(const ir::Operation& op) {
  if (op.name != "tt.scan" || op.operands.empty()) return 0;
  const ir::Type& t = op.operand(0)->type;
  const int64_t axis = op.intAttr("axis");
  if (!t.isTensor() || axis < 0 || axis >= t.rank()) return 0;
  for (int d = static_cast<int>(axis) + 1; d < t.rank(); ++d)
    if (t.shape[d] != 1) return 0;
  return t.shape[axis];
}

// Ops lowered slot by slot for any v (coordinates, where they need them, come from the
// layout; tt.broadcast and tt.trans exchange through scratch by coordinates), and reductions
// of 1-D tensors to scalars (every invocation combines its own slots whatever elements they
// are, then the subgroups': lower/reduce.cc): a class touched by any other op keeps v = 1.
bool perSlotOp(const ir::Operation& op) {
  const std::string& n = op.name;
  if (n == "tt.reduce") {
    for (const ir::Value* v : op.operands)
      if (v->type.rank() != 1) return false;
    for (const auto& r : op.results)
      if (r->type.isTensor()) return false;
    return true;
  }
  if (n == "tt.scan") return scanAlongRows(op) > 0;
  if (n == "arith.constant") {
    const ir::Attribute* v = op.attr("value");
    return !v || v->kind != ir::Attribute::Kind::Dense || v->isSplat();
  }
  return n == "tt.load" || n == "tt.store" || n == "tt.splat" || n == "tt.make_range" ||
         n == "tt.expand_dims" || n == "tt.reshape" || n == "tt.broadcast" || n == "tt.trans" ||
         isElementwiseOp(n);
}

// Element bytes of a pointer tensor's pointee that vector accesses move (0: none: pointers,
// i1, types without a fixed width).
int64_t movableBytes(const ir::Value* ptr) {
  const ir::Type& pointee = *ptr->type.scalar().elem;
  if (pointee.isPtr() || (pointee.isInt() && pointee.bits == 1)) return 0;
  if (!pointee.isInt() && !pointee.isFloat()) return 0;
  const int bits = pointee.bits;
  return bits == 8 || bits == 16 || bits == 32 || bits == 64 ? bits / 8 : 0;
}

// The row length N of tt.reduce `op` when it reduces 2-D operands along their last
// dimension to 1-D results (0 otherwise).
int64_t rowReduceLength(const ir::Operation& op) {
  if (op.name != "tt.reduce" || op.intAttr("axis") != 1) return 0;
  int64_t n = 0;
  for (const ir::Value* v : op.operands) {
    if (!v->type.isTensor() || v->type.rank() != 2 || (n && v->type.shape[1] != n)) return 0;
    n = v->type.shape[1];
  }
  for (const auto& r : op.results)
    if (!r->type.isTensor() || r->type.rank() != 1) return 0;
  return n;
}

// Row layouts: a class reduced along the last dimension of its 2-D tensors (softmax and
// attention tiles, rows of N) gets v = N when every invocation can hold whole rows
// (numel >= W N): each invocation holds its rows in its slots, the reductions combine
// registers (lower/reduce.cc) and broadcasts back along the rows are register moves
// (LayoutIndexer::registerMove), with no barrier. Where the rows are fewer than the
// invocations (numel = W N / g for g = 2, 4, ... up to the subgroup size S), each row is split
// over g adjacent invocations of one subgroup: v = N / g, a reduction combines registers and
// then log2 g shuffles, and the rows' 1-D class (numel / N = W / g rows) repeats each row over
// the same g invocations (Layout::repShift), so row statistics stay where their rows are (for
// now only in classes that meet a tt.dot: attention tiles). Only where every op on the class
// that is not per slot is such a reduction (of one N), a tt.dot (operands staged and results
// exchanged per slot), a tt.trans (exchanged per slot), or a loop's carrying of the tensor
// (scf.for, scf.yield). Loads and stores of the class then access at most their proven width
// per run. `columnStores`: classes with a store whose addresses run along dimension 0 (their
// runs must lie along that dimension: no row layout).
void planRowLayouts(const std::map<int64_t, std::set<const ir::Operation*>>& others, uint32_t W,
                    uint32_t S, const std::set<int64_t>& columnStores,
                    const std::map<int64_t, std::set<int64_t>>& scanRows, VectorPlan& plan) {
  // A row scan in the class (per slot for any v dividing its rows: lower/scan.cc) keeps a run
  // within its row only where v divides its row length.
  auto scansAllow = [&](int64_t numel, int64_t v) {
    auto it = scanRows.find(numel);
    if (it == scanRows.end()) return true;
    return std::all_of(it->second.begin(), it->second.end(), [v](int64_t n) { return n % v == 0; });
  };
  for (const auto& [numel, ops] : others) {
    if (columnStores.count(numel)) continue;
    int64_t n = 0;
    bool ok = true;
    for (const ir::Operation* op : ops) {
      const std::string& name = op->name;
      if (name == "tt.reduce") {
        const int64_t len = rowReduceLength(*op);
        const bool inClass = op->operand(0)->type.numel() == numel;
        if (inClass && len > 1 && (!n || n == len)) {
          n = len;
          continue;
        }
        if (!inClass) continue;  // a 1-D result of this numel: per slot
        ok = false;
      } else if (!((name == "tt.dot" && op->result()->type.rank() == 2) || name == "tt.trans" ||
                   name == "scf.for" || name == "scf.yield")) {
        ok = false;
      }
    }
    if (!ok || n < 2) continue;
    if (numel >= static_cast<int64_t>(W) * n) {
      if (!scansAllow(numel, n)) continue;
      plan.widths[numel] = static_cast<uint32_t>(n);
      continue;
    }
    // Split rows only where the class meets a tt.dot (attention-like tiles; memory-bound row
    // kernels keep the layouts they were measured with).
    auto isDot = [](const ir::Operation* op) { return op->name == "tt.dot"; };
    if (std::none_of(ops.begin(), ops.end(), isDot)) continue;
    int64_t g = 2;
    while (g < n && g <= S && numel < static_cast<int64_t>(W) * (n / g)) g *= 2;
    if (g >= n || g > S || numel != static_cast<int64_t>(W) * (n / g) || !scansAllow(numel, n / g))
      continue;
    plan.widths[numel] = static_cast<uint32_t>(n / g);
    plan.repShifts[numel / n] = log2Ceil(static_cast<uint64_t>(g));
  }
}

}  // namespace

uint32_t VectorPlan::widthOf(int64_t numel) const {
  auto it = widths.find(numel);
  return it == widths.end() ? 1 : it->second;
}

uint32_t VectorPlan::repShiftOf(int64_t numel) const {
  auto it = repShifts.find(numel);
  return it == repShifts.end() ? 0 : it->second;
}

uint32_t VectorPlan::runDivisionsOf(const ir::Value* v) const {
  auto it = runDivisions.find(v);
  return it == runDivisions.end() ? 1 : it->second;
}

uint32_t VectorPlan::equalSlotsOf(const ir::Value* v) const {
  auto it = equalSlots.find(v);
  return it == equalSlots.end() ? 1 : it->second;
}

AccessVector VectorPlan::accessOf(const ir::Operation* op) const {
  auto it = accesses.find(op);
  return it == accesses.end() ? AccessVector{} : it->second;
}

uint32_t provenAccessWidth(const ir::Value* ptr, const ir::Value* mask, const AxisInfoMap& ai,
                           uint32_t maxBytes, int dim) {
  if (!ptr->type.isTensor() || ptr->type.rank() == 0) return 1;
  const int64_t bytes = movableBytes(ptr);
  if (bytes == 0) return 1;
  auto it = ai.find(ptr);
  if (it == ai.end()) return 1;
  const size_t d = dim < 0 ? ptr->type.shape.size() - 1 : static_cast<size_t>(dim);
  if (d >= it->second.contiguity.size()) return 1;
  int64_t k = std::max<int64_t>(1, maxBytes / bytes);
  k = std::min(k, ptr->type.shape[d]);
  k = std::min(k, floorPow2(it->second.contiguity[d]));
  k = std::min(k, floorPow2(std::max<int64_t>(1, it->second.divisibility[d] / bytes)));
  if (mask && mask->type.isTensor()) {
    auto mi = ai.find(mask);
    k = std::min<int64_t>(k, mi == ai.end() || d >= mi->second.constancy.size()
                                 ? 1 : floorPow2(mi->second.constancy[d]));
  }
  k = floorPow2(std::max<int64_t>(1, k));
  if (bytes < 4 && k * bytes < 4) return 1;  // narrow runs move as whole 32-bit words
  return static_cast<uint32_t>(k);
}

namespace {

// Run length along dimension 0 of a 2-D load or store whose addresses are consecutive along
// dimension 0 and not along the last one (a transposed store or load; 1: none).
uint32_t alongRowsWidth(const ir::Operation& op, const AxisInfoMap& ai, uint32_t maxBytes) {
  const ir::Value* ptr = op.operand(0);
  if (ptr->type.rank() != 2) return 1;
  auto it = ai.find(ptr);
  if (it == ai.end() || it->second.contiguity.size() != 2 || it->second.contiguity[1] != 1)
    return 1;
  return provenAccessWidth(ptr, nullptr, ai, maxBytes, 0);
}

// v of tensor type `t`'s class where its slots come in runs of v elements along the last
// dimension and the class is not replicated (Layout::linearIndex), else 1.
uint32_t runWidth(const ir::Type& t, const VectorPlan& plan, uint32_t W) {
  if (!t.isTensor() || t.rank() == 0) return 1;
  const int64_t numel = t.numel();
  const uint32_t vec = plan.widthOf(numel);
  return vec <= 1 || t.shape.back() % vec || numel < static_cast<int64_t>(W) * vec ? 1 : vec;
}

// VectorPlan::equalSlots. TVK_RUN_CONSTANTS=0 (a measurement switch) plans none.
void planEqualSlots(const ir::Operation& func, const AxisInfoMap& ai, uint32_t W, VectorPlan& plan) {
  if (!switchOn("TVK_RUN_CONSTANTS")) return;
  ir::walk(func, [&](const ir::Operation& op) {
    if (op.results.size() != 1 || !isElementwiseOp(op.name)) return;
    const ir::Value* v = op.result();
    const uint32_t vec = runWidth(v->type, plan, W);
    if (vec <= 1) return;
    auto it = ai.find(v);
    if (it == ai.end() || it->second.constancy.size() != v->type.shape.size()) return;
    uint32_t k = 1;
    while (k < vec && it->second.constancy.back() % (2 * k) == 0) k *= 2;
    if (k > 1) plan.equalSlots[v] = k;
  });
}

// VectorPlan::runDivisions. TVK_RUN_DIVISIONS=0 (a measurement switch) plans none.
void planRunDivisions(const ir::Operation& func, const AxisInfoMap& ai, uint32_t W, VectorPlan& plan) {
  if (!switchOn("TVK_RUN_DIVISIONS")) return;
  ir::walk(func, [&](const ir::Operation& op) {
    if (op.name != "arith.divsi" && op.name != "arith.divui" && op.name != "arith.remsi" &&
        op.name != "arith.remui")
      return;
    const ir::Value* v = op.result();
    const ir::Type& t = v->type;
    if (!t.isTensor() || (t.scalar().bits != 32 && t.scalar().bits != 64)) return;
    if (plan.equalSlotsOf(v) > 1) return;  // the elementwise path computes each group once
    const uint32_t vec = runWidth(t, plan, W);
    if (vec <= 1) return;
    auto x = ai.find(op.operand(0)), y = ai.find(op.operand(1));
    const size_t rank = t.shape.size();
    if (x == ai.end() || y == ai.end() || x->second.contiguity.size() != rank ||
        x->second.divisibility.size() != rank || y->second.constancy.size() != rank ||
        y->second.divisibility.size() != rank)
      return;
    auto multipleOf = [](int64_t a, uint32_t k) { return a > 0 && a % k == 0; };
    uint32_t k = 1;
    while (k < vec && multipleOf(x->second.contiguity.back(), 2 * k) &&
           multipleOf(x->second.divisibility.back(), 2 * k) && multipleOf(y->second.constancy.back(), 2 * k) &&
           multipleOf(y->second.divisibility.back(), 2 * k))
      k *= 2;
    if (k > 1) plan.runDivisions[v] = k;
  });
}

}  // namespace

VectorPlan planVectors(const ir::Operation& func, const AxisInfoMap& ai, uint32_t invocations,
                       uint32_t maxBytes, uint32_t subgroupSize) {
  VectorPlan plan;
  maxBytes = std::min<uint32_t>(maxBytes, 16);  // Vulkan vectors: at most 4 components
  if (maxBytes == 0 || invocations == 0) return plan;
  std::map<int64_t, uint32_t> want;
  std::set<int64_t> pinned;  // block arguments' classes (but scf.for's: see dotClass)
  // Ops that are not per slot, by the numel of each tensor they touch: their classes keep
  // v = 1 for accesses (row layouts below may still apply), except dot classes (dotClass).
  std::map<int64_t, std::set<const ir::Operation*>> others;
  forEachValue(func, [&](const ir::Value* v) {
    if (!v->type.isTensor() || v->def) return;
    const ir::Operation* owner = v->ownerBlock && v->ownerBlock->parentRegion ? v->ownerBlock->parentRegion->parentOp
                                                                               : nullptr;
    if (!owner || owner->name != "scf.for") pinned.insert(v->type.numel());
  });
  // Per load/store: its run length along the last dimension and along dimension 0.
  struct Access {
    const ir::Operation* op;
    uint32_t last, rows;
  };
  std::vector<Access> accesses;
  ir::walk(func, [&](const ir::Operation& op) {
    if (&op == &func) return;
    if (!perSlotOp(op)) {
      for (const ir::Value* v : op.operands)
        if (v->type.isTensor()) others[v->type.numel()].insert(&op);
      for (const auto& v : op.results)
        if (v->type.isTensor()) others[v->type.numel()].insert(&op);
      return;
    }
    if (op.name != "tt.load" && op.name != "tt.store") return;
    const ir::Value* ptr = op.operand(0);
    if (!ptr->type.isTensor()) return;
    // Masks do not limit v: runs whose masks differ fall back to per-element accesses.
    const Access a{&op, provenAccessWidth(ptr, nullptr, ai, maxBytes),
                   alongRowsWidth(op, ai, maxBytes)};
    // A load's runs along dimension 0 (a transposed load, when it takes scratch) follow v
    // rather than set it.
    uint32_t& w = want[ptr->type.numel()];
    w = std::max({w, a.last, op.name == "tt.store" ? a.rows : 1u});
    accesses.push_back(a);
  });
  // A dot class: its ops that are not per slot are 2-D tt.dots (at least one; operands staged and
  // results exchanged per slot, for any v) and loops carrying its tensors (scf.for, scf.yield:
  // slot by slot), as for row layouts. Its accesses may then set v like any other class's: a
  // matmul's result tile is stored in 16-byte runs, not element by element.
  auto dotClass = [&](int64_t numel) {
    auto it = others.find(numel);
    bool dot = false;
    for (const ir::Operation* op : it->second) {
      if (op->name == "tt.dot" && op->result()->type.rank() == 2) dot = true;
      else if (op->name != "scf.for" && op->name != "scf.yield") return false;
    }
    return dot;
  };
  for (const auto& [numel, k] : want) {
    if (k <= 1 || pinned.count(numel) || (others.count(numel) && !dotClass(numel))) continue;
    const int64_t v = std::min<int64_t>(k, numel / invocations);
    if (v > 1) plan.widths[numel] = static_cast<uint32_t>(floorPow2(v));
  }
  // A scan's runs lie within its rows (v divides the axis extent; extents are powers of 2).
  std::map<int64_t, std::set<int64_t>> scanRows;
  ir::walk(func, [&](const ir::Operation& op) {
    const int64_t n = scanAlongRows(op);
    if (n == 0) return;
    scanRows[op.operand(0)->type.numel()].insert(n);
    auto it = plan.widths.find(op.operand(0)->type.numel());
    if (it == plan.widths.end()) return;
    while (it->second > 1 && (n % it->second)) it->second /= 2;
    if (it->second <= 1) plan.widths.erase(it);
  });
  std::set<int64_t> columnStores;
  for (const Access& acc : accesses)
    if (acc.rows > 1 && acc.op->name == "tt.store") columnStores.insert(acc.op->operand(0)->type.numel());
  planRowLayouts(others, invocations, subgroupSize, columnStores, scanRows, plan);
  for (const Access& acc : accesses) {
    const ir::Operation* op = acc.op;
    const ir::Value* ptr = op->operand(0);
    const uint32_t v = plan.widthOf(ptr->type.numel());
    if (v <= 1) continue;
    const ir::Value* mask = op->numOperands() > (op->name == "tt.load" ? 1 : 2)
                                ? op->operand(op->name == "tt.load" ? 1 : 2)
                                : nullptr;
    AccessVector a;
    a.alongRows = acc.rows > 1;
    const int dim = a.alongRows ? 0 : -1;
    a.width = std::min(v, a.alongRows ? acc.rows : acc.last);
    if (a.width <= 1 || a.width * movableBytes(ptr) < 4) continue;  // narrow: whole words
    a.maskUniform = !mask || provenAccessWidth(ptr, mask, ai, maxBytes, dim) >= a.width;
    plan.accesses[op] = a;
  }
  planEqualSlots(func, ai, invocations, plan);
  planRunDivisions(func, ai, invocations, plan);
  return plan;
}

}  // namespace tvk::analysis
