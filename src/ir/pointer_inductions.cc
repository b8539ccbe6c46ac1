#include "ir/pointer_inductions.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ir/clone.h"
#include "ir/op_traits.h"
#include "ir/walk.h"
#include "support/switches.h"

namespace tvk::ir {

namespace {

// Whether `v` is defined in `loop` (its body or a region nested in it).
bool definedIn(const Value* v, const Operation& loop) {
  const Block* b = v->def ? v->def->parentBlock : v->ownerBlock;
  while (b && b->parentRegion) {
    const Operation* o = b->parentRegion->parentOp;
    if (!o) return false;
    if (o == &loop) return true;
    b = o->parentBlock;
  }
  return false;
}

bool isI64(const Type& t) { return t.scalar().kind == Type::Kind::Int && t.scalar().bits == 64; }


// The per-iteration change of values of one loop's body, as i64 scalars computed before the
// loop (see the header).
class Increments {
 public:
  // ok: affine as the header says; step: the change of every element per iteration (null:
  // none).
  struct Inc {
    bool ok = false;
    Value* step = nullptr;
  };

  Increments(Operation& loop, int& counter) : loop_(loop), body_(&loop.body()), counter_(counter) {}

  Inc of(Value* v) {
    auto it = memo_.find(v);
    if (it != memo_.end()) return it->second;
    Inc r = compute(v);
    // Only i64 integers and pointers (with i64 offsets) may change: they wrap alike.
    const Type& t = v->type.scalar();
    if (r.step && !t.isPtr() && !isI64(t)) r = fail();
    memo_[v] = r;
    return r;
  }

  // Emits `name` before the loop.
  Value* emit(const std::string& name, std::vector<Value*> operands, const Type& t, AttrDict attrs = {}) {
    size_t pos = indexInBlock(loop_);
    return insertOpWithResult(loop_.parentBlock, pos, name, std::move(operands), t, std::move(attrs),
                              "pi" + std::to_string(counter_++), loop_.loc);
  }

 private:
  Operation& loop_;
  Block* body_;
  int& counter_;
  std::map<const Value*, Inc> memo_;

  static Inc fail() { return Inc{}; }
  static Inc same() { return Inc{true, nullptr}; }
  static Inc by(Value* s) { return Inc{true, s}; }

  Value* constant(int64_t c) {
    return emit("arith.constant", {}, Type::i(64), {{"value", Attribute::integer(c, Type::i(64))}});
  }

  Inc add(const Inc& a, const Inc& b, bool subtract) {
    if (!a.ok || !b.ok) return fail();
    if (!b.step) return a;
    if (!a.step) return by(subtract ? emit("arith.subi", {constant(0), b.step}, Type::i(64)) : b.step);
    return by(emit(subtract ? "arith.subi" : "arith.addi", {a.step, b.step}, Type::i(64)));
  }

  // A loop-invariant uniform i64 factor as a scalar usable before the loop, or null.
  Value* scalarOf(Value* v) {
    if (!isI64(v->type)) return nullptr;
    if (!definedIn(v, loop_) && !v->type.isTensor()) return v;
    const Operation* d = v->def;
    if (!d) return nullptr;
    if (d->name == "arith.constant") {
      const Attribute* a = constantValue(*d);
      return a && a->kind == Attribute::Kind::Int ? constant(a->i) : nullptr;
    }
    if (d->name == "tt.splat" || d->name == "tt.expand_dims" || d->name == "tt.broadcast")
      return scalarOf(d->operand(0));
    return nullptr;
  }

  Inc compute(Value* v) {
    if (!definedIn(v, loop_)) return same();
    Operation* d = v->def;
    if (!d) {  // a block argument: an iter_arg advanced by a loop-invariant addend
      if (v->ownerBlock != body_ || v->index < 1 || v->type.isTensor()) return fail();
      const Operation* y = body_->terminator();
      const Value* next = y && y->name == "scf.yield" && v->index - 1 < y->numOperands() ? y->operand(v->index - 1) : nullptr;
      const Operation* a = next ? next->def : nullptr;
      if (!a || a->name != "arith.addi" || a->parentBlock != body_) return fail();
      Value* other = a->operand(0) == v ? a->operand(1) : a->operand(1) == v ? a->operand(0) : nullptr;
      if (!other || definedIn(other, loop_)) return fail();
      return by(other);
    }
    if (d->parentBlock != body_) return fail();
    const std::string& n = d->name;
    if (n == "tt.splat" || n == "tt.expand_dims" || n == "tt.broadcast") return of(d->operand(0));
    // tt.addptr's offset, when it changes, is i64 (checked by of(), as every changing value).
    if (n == "arith.addi" || n == "arith.subi" || n == "tt.addptr")
      return add(of(d->operand(0)), of(d->operand(1)), n == "arith.subi");
    if (n == "arith.muli") {
      const Inc a = of(d->operand(0)), b = of(d->operand(1));
      if (!a.ok || !b.ok || (a.step && b.step)) return fail();
      if (!a.step && !b.step) return same();
      Value* k = scalarOf(a.step ? d->operand(1) : d->operand(0));
      if (!k) return fail();
      return by(emit("arith.muli", {a.step ? a.step : b.step, k}, Type::i(64)));
    }
    // Anything else is fine when it does not change (pure, of unchanging operands).
    if (!isRecomputable(*d) || !d->regions.empty()) return fail();
    for (Value* o : d->operands) {
      const Inc i = of(o);
      if (!i.ok || i.step) return fail();
    }
    return same();
  }
};

// The body ops that `v` depends on, in body order (all recomputable: checked by Increments).
std::vector<Operation*> sliceOf(Block* body, Value* v) {
  std::set<Operation*> ops;
  std::vector<Value*> work{v};
  while (!work.empty()) {
    Value* x = work.back();
    work.pop_back();
    Operation* d = x->def;
    if (!d || d->parentBlock != body || !ops.insert(d).second) continue;
    for (Value* o : d->operands) work.push_back(o);
  }
  std::vector<Operation*> out;
  for (const auto& o : body->ops)
    if (ops.count(o.get())) out.push_back(o.get());
  return out;
}


int rewriteLoop(Operation& loop, int& counter) {
  if (loop.regions.size() != 1 || loop.numOperands() < 3) return 0;
  Block* body = &loop.body();
  Operation* yield = body->terminator();
  if (!yield || yield->name != "scf.yield") return 0;
  std::vector<Value*> pointers;
  for (const auto& o : body->ops) {
    if (o->name != "tt.load" || o->operands.empty()) continue;
    Value* p = o->operand(0);
    if (p->type.isTensor() && p->type.scalar().isPtr() && p->def && p->def->parentBlock == body &&
        std::find(pointers.begin(), pointers.end(), p) == pointers.end())
      pointers.push_back(p);
  }
  Increments incs(loop, counter);
  int done = 0;
  for (Value* p : pointers) {
    const Increments::Inc inc = incs.of(p);
    if (!inc.ok || !inc.step) continue;
    // The pointer at the loop's first iteration: its ops on the initial values.
    ValueMap first{{body->arg(0), loop.operand(0)}};
    for (size_t a = 1; a < body->args.size(); ++a) first[body->arg(static_cast<int>(a))] = loop.operand(static_cast<int>(2 + a));
    size_t pos = indexInBlock(loop);
    for (Operation* o : sliceOf(body, p)) {
      std::unique_ptr<Operation> c = cloneOp(*o, first);
      c->parentBlock = loop.parentBlock;
      loop.parentBlock->ops.insert(loop.parentBlock->ops.begin() + static_cast<long>(pos++), std::move(c));
    }
    Value* p0 = first.at(p);
    Value* step = incs.emit("tt.splat", {inc.step}, Type::tensor(p->type.shape, Type::i(64)));
    // Carried, advanced before the yield; the loads (and any other use) take it.
    Value* carried = appendIterArg(loop, p->type, p0, "pi" + std::to_string(counter++), p->loc);
    replaceAllUses(p, carried, loop);
    size_t at = indexInBlock(*yield);
    yield->operands.push_back(insertOpWithResult(body, at, "tt.addptr", {carried, step}, p->type, {},
                                                 "pi" + std::to_string(counter++), p->loc));
    ++done;
  }
  return done;
}

}  // namespace

int rewritePointerInductions(Module& m) {
  std::vector<Operation*> loops;
  walk(m, [&](Operation& op) {
    if (op.name == "scf.for") loops.push_back(&op);
  });
  int done = 0, counter = 0;
  for (Operation* l : loops) done += rewriteLoop(*l, counter);
  return done;
}

bool pointerInductionsEnabled() {
  return switchSet("TVK_POINTER_INDUCTIONS");
}

}  // namespace tvk::ir
