#include "analysis/dot_operands.h"

#include <algorithm>
#include <vector>

#include "ir/walk.h"

namespace tvk::analysis {

bool writesMemory(const ir::Operation& op) {
  const std::string& n = op.name;
  return n == "tt.store" || n == "tt.atomic_rmw" || n == "tt.atomic_cas" || n == "tt.call" ||
         n == "tt.descriptor_store" || n == "gpu.barrier" || n == "tt.extern_elementwise" ||
         n == "tt.elementwise_inline_asm";
}

namespace {

bool isPlainTrans(const ir::Operation* op) {
  if (!op || op->name != "tt.trans" || op->numOperands() != 1 || op->result()->type.rank() != 2) return false;
  const ir::Attribute* order = op->attr("order");
  return order && order->elems.size() == 2 && order->elems[0].i == 1 && order->elems[1].i == 0;
}

// tt.fp_to_fp from f8E5M2 to f16: exact, and a byte shift on the codes.
bool isWidening(const ir::Operation* op) {
  return op && op->name == "tt.fp_to_fp" && op->numOperands() == 1 &&
         op->operand(0)->type.scalar().name == "f8E5M2" && op->result()->type.scalar().name == "f16";
}

}  // namespace

const ir::Operation* operandLoad(const ir::Operation& dot, int i) {
  const ir::Operation* def = dot.operand(i)->def;
  if (isWidening(def)) def = def->operand(0)->def;
  if (i == 1 && isPlainTrans(def)) def = def->operand(0)->def;
  return def && def->name == "tt.load" ? def : nullptr;
}

namespace {

const AxisInfo* infoOf(const AxisInfoMap& info, const ir::Value* v) {
  auto it = info.find(v);
  return it == info.end() ? nullptr : &it->second;
}

// Elements per run for operand `v` (a tt.load result) of `dot`, 0 when it cannot be direct.
uint32_t runElems(const ir::Operation& dot, const ir::Value* v, const AxisInfoMap& info,
                  Remat& remat, const std::map<const ir::Value*, int>& uses, bool widened) {
  const ir::Operation* load = v->def;
  if (!load || load->name != "tt.load" || load->parentBlock != dot.parentBlock) return 0;
  auto u = uses.find(v);
  if (u == uses.end() || u->second != 1) return 0;
  const ir::Type& t = v->type;
  if (!t.isTensor() || t.rank() < 2 || t.rank() > 3) return 0;
  const size_t last = static_cast<size_t>(t.rank() - 1);
  const ir::Type& e = t.scalar();
  uint32_t bytes;
  if (e.isFloat() && e.bits == 16 && (e.name == "f16" || e.name == "bf16")) bytes = 2;
  else if ((e.isInt() && e.bits == 8) || (widened && e.name == "f8E5M2")) bytes = 1;
  else if (e.isFloat() && e.name == "f32") bytes = 4;  // split into bf16 planes (tf32 / bf16x3)
  else return 0;
  // Nothing between the load and the dot writes memory.
  const ir::Block& blk = *dot.parentBlock;
  bool between = false;
  for (const auto& op : blk.ops) {
    if (op.get() == &dot) break;
    if (between && (!op->regions.empty() || writesMemory(*op))) return 0;
    if (op.get() == load) between = true;
  }
  if (!between) return 0;
  const ir::Value* ptr = load->operand(0);
  const ir::Value* mask = load->numOperands() > 1 ? load->operand(1) : nullptr;
  const ir::Value* other = load->numOperands() > 2 ? load->operand(2) : nullptr;
  if (!ptr->type.isTensor() || !remat(ptr)) return 0;
  if (mask && !remat(mask)) return 0;
  if (other && (!isUniformSplat(other) || !remat(other))) return 0;
  const AxisInfo* p = infoOf(info, ptr);
  if (!p || p->contiguity.size() != last + 1) return 0;
  // The longest run of <= 16 bytes that the contiguity, the alignment and the mask allow.
  uint64_t run = std::min<uint64_t>(16 / bytes, static_cast<uint64_t>(t.shape[last]));
  while (run > 1 && (p->contiguity[last] % static_cast<int64_t>(run) != 0 ||
                     p->divisibility[last] % static_cast<int64_t>(run * bytes) != 0))
    run /= 2;
  if (mask) {
    const AxisInfo* m = infoOf(info, mask);
    if (!m || m->constancy.size() != last + 1) return 0;
    while (run > 1 && m->constancy[last] % static_cast<int64_t>(run) != 0) run /= 2;
  }
  // A run must fill whole words of the packed staging (of each plane for f32).
  return run * bytes >= 4 && run >= (bytes == 1 ? 4u : 2u) ? static_cast<uint32_t>(run) : 0;
}

}  // namespace

DirectOperands planDirectOperands(const ir::Operation& func, const AxisInfoMap& info, Remat& remat) {
  std::map<const ir::Value*, int> uses;
  ir::walk(func, [&](const ir::Operation& op) {
    for (const ir::Value* v : op.operands) ++uses[v];
  });
  DirectOperands out;
  ir::walk(func, [&](const ir::Operation& op) {
    if (op.name != "tt.dot" || op.numOperands() < 3) return;
    for (int i = 0; i < 2; ++i) {
      const ir::Value* v = op.operand(i);
      if (op.operand(0) == op.operand(1)) break;  // one load feeding both operands
      // fp8 widened by a tt.fp_to_fp used by nothing else.
      const ir::Operation* widen = isWidening(v->def) && uses[v] == 1 ? v->def : nullptr;
      if (widen) v = widen->operand(0);
      // B through a trans used by nothing else: the trans's operand is the load.
      const bool transposed = i == 1 && isPlainTrans(v->def) && uses[v] == 1;
      if (transposed) {
        v = v->def->operand(0);
        // f32 operands split into two planes (lower/dot_coopmat.cc) are not read transposed.
        if (v->type.scalar().name == "f32") continue;
      }
      uint32_t run = runElems(op, v, info, remat, uses, widen != nullptr);
      if (!run) continue;
      DirectOperand d{&op, i, run, nullptr, transposed, widen};
      const ir::Value* ptr = v->def->operand(0);
      TensorInduction ind;
      auto count = [&](const ir::Value* x) { auto it = uses.find(x); return it == uses.end() ? 0 : it->second; };
      if (tensorInduction(ptr, ind) && count(ptr) == 2 && count(ind.advance->result()) == 1 &&
          count(ind.loop->result(ptr->index - 1)) == 0)
        d.carried = ptr;
      out[v->def] = d;
    }
  });
  return out;
}

std::string printDirectOperands(const DirectOperands& d, const std::set<const ir::Operation*>& prefetch,
                                const std::set<const ir::Operation*>& carried) {
  std::vector<std::string> lines;
  for (const auto& [load, o] : d)
    lines.push_back(load->where() + " -> " + o.dot->where() + " operand " + (o.operand ? "B" : "A") +
                    (o.transposed ? " (transposed)" : "") + (o.widen ? " (widened from f8E5M2)" : "") +
                    ", runs of " + std::to_string(o.elems) +
                    (o.carried ? ", pointer not carried" : "") + (prefetch.count(o.dot) ? ", prefetched" : "") +
                    (carried.count(load) ? ", loads carried" : "") + "\n");
  std::sort(lines.begin(), lines.end());
  std::string s;
  for (const std::string& l : lines) s += l;
  return s;
}

}  // namespace tvk::analysis
