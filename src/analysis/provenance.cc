#include "analysis/provenance.h"

#include "analysis/values.h"
#include "ir/walk.h"

namespace tvk::analysis {

namespace {

bool isPtrValue(const ir::Value* v) { return v->type.scalar().isPtr(); }

struct Solver {
  Provenance p;
  bool addresses = false;
  bool changed = false;
  Status err;

  // Merges `src`'s info into `dst`; conflicting arguments are an error at `op`.
  void flow(const ir::Value* src, const ir::Value* dst, const ir::Operation& op) {
    if (!isPtrValue(dst) || !err.ok()) return;
    auto s = p.ptrs.find(src);
    if (s == p.ptrs.end()) return;
    auto d = p.ptrs.find(dst);
    if (d == p.ptrs.end()) {
      p.ptrs[dst] = s->second;
      changed = true;
      return;
    }
    if (d->second.arg != s->second.arg) {
      if (addresses) {  // any address: mixed pointers are raw addresses
        if (d->second.arg == kRawAddress) return;
        d->second = PointerInfo{kRawAddress, true};
        p.opaque = true;
        changed = true;
        return;
      }
      bool raw = d->second.arg == kRawAddress || s->second.arg == kRawAddress;
      err = Status::error("unsupported: " + op.where() +
                          (raw ? ": pointer may be a tt.int_to_ptr address or a kernel argument"
                               : ": pointer may come from different kernel arguments"));
      return;
    }
    if (s->second.wide && !d->second.wide) {
      d->second.wide = true;
      changed = true;
    }
  }

  void step(const ir::Operation& op) {
    const std::string& n = op.name;
    if (n == "tt.addptr") {
      flow(op.operand(0), op.result(), op);
      if (op.operand(1)->type.scalar().bits == 64) {
        auto it = p.ptrs.find(op.result());
        if (it != p.ptrs.end() && !it->second.wide) {
          it->second.wide = true;
          changed = true;
        }
      }
    } else if (n == "tt.splat" || n == "tt.broadcast" || n == "tt.expand_dims" ||
               n == "tt.reshape" || n == "tt.trans" || n == "tt.bitcast") {
      flow(op.operand(0), op.result(), op);
    } else if (n == "tt.int_to_ptr") {
      if (!p.ptrs.count(op.result())) {
        p.ptrs[op.result()] = PointerInfo{kRawAddress, true};
        p.opaque = true;
        changed = true;
      }
    } else if (n == "arith.select") {
      flow(op.operand(1), op.result(), op);
      flow(op.operand(2), op.result(), op);
    } else if (n == "scf.for") {
      const ir::Block& body = op.body();
      int nIter = op.numOperands() - 3;
      const ir::Operation* y = body.terminator();
      for (int i = 0; i < nIter; ++i) {
        flow(op.operand(3 + i), body.arg(1 + i), op);
        if (y && i < y->numOperands()) flow(y->operand(i), body.arg(1 + i), op);
        flow(body.arg(1 + i), op.result(i), op);
        if (y && i < y->numOperands()) flow(y->operand(i), op.result(i), op);
      }
    } else if (n == "scf.while") {
      const ir::Block& before = op.body(0);
      const ir::Block& after = op.body(1);
      const ir::Operation* cond = before.terminator();
      const ir::Operation* y = after.terminator();
      for (int i = 0; i < op.numOperands() && i < static_cast<int>(before.args.size()); ++i) {
        flow(op.operand(i), before.arg(i), op);
        if (y && i < y->numOperands()) flow(y->operand(i), before.arg(i), op);
      }
      if (cond) {
        for (int i = 1; i < cond->numOperands(); ++i) {
          if (i - 1 < static_cast<int>(after.args.size()))
            flow(cond->operand(i), after.arg(i - 1), op);
          if (i - 1 < static_cast<int>(op.results.size()))
            flow(cond->operand(i), op.result(i - 1), op);
        }
      }
    } else if (n == "scf.if") {
      for (const auto& reg : op.regions) {
        if (reg->blocks.empty()) continue;
        const ir::Operation* y = reg->blocks[0]->terminator();
        if (!y) continue;
        for (int i = 0; i < y->numOperands() && i < static_cast<int>(op.results.size()); ++i)
          flow(y->operand(i), op.result(i), op);
      }
    }
  }
};

void markAccess(const ir::Operation& op, Provenance& p) {
  auto mark = [&](const ir::Value* ptr, bool r, bool w) {
    auto it = p.ptrs.find(ptr);
    if (p.opaque && (it == p.ptrs.end() || it->second.arg < 0)) {
      for (size_t i = 0; i < p.argRead.size(); ++i) {
        p.argRead[i] = p.argRead[i] || r;
        p.argWritten[i] = p.argWritten[i] || w;
      }
      return;
    }
    if (it == p.ptrs.end() || it->second.arg < 0) return;
    if (r) p.argRead[it->second.arg] = true;
    if (w) p.argWritten[it->second.arg] = true;
  };
  if (op.name == "tt.load") mark(op.operand(0), true, false);
  if (op.name == "tt.store") mark(op.operand(0), false, true);
  if (op.name == "tt.atomic_rmw" || op.name == "tt.atomic_cas") mark(op.operand(0), true, true);
}

}  // namespace

Result<Provenance> analyzeProvenance(const ir::Operation& func, bool addresses) {
  Solver s;
  s.addresses = addresses;
  const ir::Block& entry = func.body();
  s.p.argRead.assign(entry.args.size(), false);
  s.p.argWritten.assign(entry.args.size(), false);
  for (size_t i = 0; i < entry.args.size(); ++i)
    if (isPtrValue(entry.arg(i))) s.p.ptrs[entry.arg(i)] = PointerInfo{static_cast<int>(i)};
  auto solve = [&]() {
    for (int iter = 0; iter < 64; ++iter) {
      s.changed = false;
      ir::walk(func, [&](const ir::Operation& op) { s.step(op); });
      if (!s.err.ok() || !s.changed) break;
    }
  };
  solve();
  if (!s.err.ok()) return s.err;
  // Every pointer value must be resolved (in address mode: the rest are raw addresses, and
  // solving again spreads them into the pointers they mix with).
  Status err;
  bool added = false;
  forEachValue(func, [&](const ir::Value* v) {
    if (!err.ok() || !isPtrValue(v) || s.p.ptrs.count(v)) return;
    if (addresses) {  // loaded from memory, or derived from such a pointer
      s.p.ptrs[v] = PointerInfo{kRawAddress, true};
      s.p.opaque = added = true;
      return;
    }
    std::string where = v->def ? v->def->where() : valueName(v);
    if (!v->def && v->ownerBlock && v->ownerBlock->parentRegion &&
        v->ownerBlock->parentRegion->parentOp)
      where = v->ownerBlock->parentRegion->parentOp->where();
    err = Status::error("unsupported: " + where + ": pointer " + valueName(v) +
                        " does not derive from a kernel argument");
  });
  if (added) solve();
  if (!err.ok()) return err;
  ir::walk(func, [&](const ir::Operation& op) { markAccess(op, s.p); });
  return s.p;
}

std::string printProvenance(const ir::Operation& func, const Provenance& p) {
  std::string out;
  const ir::Block& entry = func.body();
  forEachValue(func, [&](const ir::Value* v) {
    auto it = p.ptrs.find(v);
    if (it == p.ptrs.end()) return;
    if (it->second.arg == kRawAddress) {
      out += valueName(v) + " -> raw address i64\n";
      return;
    }
    out += valueName(v) + " -> arg " + std::to_string(it->second.arg) + " (" +
           valueName(entry.arg(it->second.arg)) + ") " + (it->second.wide ? "i64" : "i32") +
           "\n";
  });
  for (size_t i = 0; i < entry.args.size(); ++i) {
    if (!isPtrValue(entry.arg(i))) continue;
    out += "arg " + std::to_string(i) + " " + valueName(entry.arg(i)) + ":";
    if (p.argRead[i]) out += " read";
    if (p.argWritten[i]) out += " written";
    if (!p.argRead[i] && !p.argWritten[i]) out += " unused";
    out += "\n";
  }
  return out;
}

}  // namespace tvk::analysis
