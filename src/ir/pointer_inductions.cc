#include "ir/pointer_inductions.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ir/clone.h"
#include "ir/op_traits.h"
#include "ir/walk.h"

namespace tvk::ir {

namespace {

// True when `v` is defined in (or is an argument of a block of) an op nested in `loop`.
bool inside(const Value* v, const Operation& loop) {
  const Block* b = v->def ? v->def->parentBlock : v->ownerBlock;
  while (b && b->parentRegion && b->parentRegion->parentOp) {
    const Operation* p = b->parentRegion->parentOp;
    if (p == &loop) return true;
    b = p->parentBlock;
  }
  return false;
}

bool isI64(const Value* v) {
  const Type& s = v->type.scalar();
  return s.kind == Type::Kind::Int && s.bits == 64;
}

// Index of `op` in its block.
size_t positionOf(const Operation& op) {
  const auto& ops = op.parentBlock->ops;
  return static_cast<size_t>(std::find_if(ops.begin(), ops.end(), [&](const auto& o) { return o.get() == &op; }) -
                             ops.begin());
}

// One loop's rewrite: the ops it emits before the loop, and the per-iteration difference of
// offset values.
class LoopRewrite {
 public:
  LoopRewrite(Operation& loop, int& counter)
      : loop_(loop), body_(&loop.body()), yield_(body_->terminator()), counter_(counter) {}

  bool valid() const {
    return yield_ && yield_->name == "scf.yield" && loop_.numOperands() >= 3 &&
           yield_->numOperands() + 1 == static_cast<int>(body_->args.size());
  }

  // Rewrites `load` when its pointer qualifies; true when it did.
  bool rewrite(Operation& load) {
    Value* p = load.operand(0);
    Operation* add = p->def;
    if (!add || add->name != "tt.addptr" || add->parentBlock != body_ || !p->type.isTensor()) return false;
    if (inside(add->operand(0), loop_) || !isI64(add->operand(1))) return false;
    std::set<Operation*> slice;
    if (!sliceOf(p, slice)) return false;
    Value* d = delta(add->operand(1));
    if (!d) return false;  // loop-invariant pointers need nothing
    // Before the loop: the first iteration's pointers and the splat difference.
    ValueMap first;
    for (size_t a = 1; a < body_->args.size(); ++a) first[body_->arg(static_cast<int>(a))] = loop_.operand(static_cast<int>(a) + 2);
    for (const auto& o : body_->ops)
      if (slice.count(o.get())) clone(*o, first);
    Value* p0 = first.at(p);
    Value* ds = emit("tt.splat", {d}, add->operand(1)->type, load.loc);
    // The carried pointers, advanced at the yield.
    auto arg = std::make_unique<Value>();
    arg->name = "pi" + std::to_string(counter_++);
    arg->type = p->type;
    arg->ownerBlock = body_;
    arg->index = static_cast<int>(body_->args.size());
    arg->loc = load.loc;
    Value* carried = arg.get();
    body_->args.push_back(std::move(arg));
    auto res = std::make_unique<Value>();
    res->name = "pi" + std::to_string(counter_++);
    res->type = p->type;
    res->def = &loop_;
    res->index = static_cast<int>(loop_.results.size());
    res->loc = load.loc;
    loop_.results.push_back(std::move(res));
    loop_.operands.push_back(p0);
    size_t at = positionOf(*yield_);
    Value* next = insertOpWithResult(body_, at, "tt.addptr", {carried, ds}, p->type, {},
                                     "pi" + std::to_string(counter_++), load.loc);
    yield_->operands.push_back(next);
    load.operands[0] = carried;
    return true;
  }

 private:
  Operation& loop_;
  Block* body_;
  Operation* yield_;
  int& counter_;
  std::map<const Value*, Value*> deltas_;  // emitted differences (null: no change)

  // The body ops that `v` depends on, when all are pure and none reads the induction variable
  // (their leaves are outside values and iter_args).
  bool sliceOf(Value* v, std::set<Operation*>& ops) {
    std::vector<Value*> work{v};
    while (!work.empty()) {
      Value* x = work.back();
      work.pop_back();
      if (x->ownerBlock == body_) {
        if (x == body_->arg(0)) return false;
        continue;
      }
      Operation* d = x->def;
      if (!d || !inside(x, loop_)) continue;
      if (d->parentBlock != body_ || !isRecomputable(*d)) return false;
      if (ops.insert(d).second)
        for (Value* o : d->operands) work.push_back(o);
    }
    return true;
  }

  // Emits an op before the loop.
  Value* emit(const std::string& name, std::vector<Value*> operands, const Type& t, const Location& loc,
              AttrDict attrs = {}) {
    size_t at = positionOf(loop_);
    return insertOpWithResult(loop_.parentBlock, at, name, std::move(operands), t, std::move(attrs),
                              "pi" + std::to_string(counter_++), loc);
  }

  // Clones `o` before the loop on the values of `map`.
  void clone(const Operation& o, ValueMap& map) {
    std::unique_ptr<Operation> c = cloneOp(o, map);
    c->parentBlock = loop_.parentBlock;
    loop_.parentBlock->ops.insert(loop_.parentBlock->ops.begin() + static_cast<long>(positionOf(loop_)),
                                  std::move(c));
  }

  // The loop-invariant scalar that uniform `v` (a scalar, a splat, or a splat constant, and
  // re-shapings of those) holds, emitted before the loop when needed; null otherwise.
  Value* uniformScalar(Value* v) {
    if (inside(v, loop_)) return nullptr;
    if (!v->type.isTensor()) return v;
    Operation* d = v->def;
    if (!d) return nullptr;
    if (d->name == "tt.splat") return d->operand(0);
    if (d->name == "tt.expand_dims" || d->name == "tt.broadcast") return uniformScalar(d->operand(0));
    if (d->name == "arith.constant") {
      const Attribute* a = d->attr("value");
      if (!a || a->kind != Attribute::Kind::Dense || !a->isSplat() || a->elems[0].kind != Attribute::Kind::Int)
        return nullptr;
      return emit("arith.constant", {}, v->type.scalar(), d->loc,
                  {{"value", Attribute::integer(a->elems[0].i, v->type.scalar())}});
    }
    return nullptr;
  }

  // Zero of `v`'s scalar type, before the loop.
  Value* zero(const Value* v) {
    return emit("arith.constant", {}, v->type.scalar(), v->loc, {{"value", Attribute::integer(0, v->type.scalar())}});
  }

  // The scalar i64 d with v(next iteration) = v + d in every element, emitted before the loop;
  // null when v does not change or is not of that form (checked first, without emitting).
  Value* delta(Value* v) {
    failed_ = false;
    emitting_ = false;
    if (!deltaOf(v) || failed_) return nullptr;
    emitting_ = true;
    deltas_.clear();
    return deltaOf(v);
  }

  bool failed_ = false;    // the value last asked about is not of the form
  bool emitting_ = false;  // false: only check (a non-null result means "changes")

  Value* deltaOf(Value* v) {
    if (failed_ || !inside(v, loop_)) return nullptr;
    if (emitting_) {
      auto memo = deltas_.find(v);
      if (memo != deltas_.end()) return memo->second;
    }
    Value* out = nullptr;
    Operation* d = v->def;
    if (!isI64(v)) {
      failed_ = true;
    } else if (v->ownerBlock == body_) {
      // An iter_arg yielded as itself + c (c outside the loop).
      Operation* y = v->index >= 1 ? yield_->operand(v->index - 1)->def : nullptr;
      if (y && y->name == "arith.addi" && y->parentBlock == body_ && !v->type.isTensor() &&
          (y->operand(0) == v || y->operand(1) == v) && !inside(y->operand(y->operand(0) == v ? 1 : 0), loop_))
        out = y->operand(y->operand(0) == v ? 1 : 0);
      else
        failed_ = true;
    } else if (!d || d->parentBlock != body_) {
      failed_ = true;
    } else if (d->name == "tt.splat" || d->name == "tt.expand_dims" || d->name == "tt.broadcast") {
      out = deltaOf(d->operand(0));
    } else if (d->name == "arith.addi" || d->name == "arith.subi") {
      Value* a = deltaOf(d->operand(0));
      Value* b = deltaOf(d->operand(1));
      if (!emitting_) {
        out = a ? a : b;
      } else if (d->name == "arith.subi" && b) {
        out = emit("arith.subi", {a ? a : zero(b), b}, b->type, d->loc);
      } else {
        out = a && b ? emit("arith.addi", {a, b}, a->type, d->loc) : a ? a : b;
      }
    } else if (d->name == "arith.muli") {
      Value* a = deltaOf(d->operand(0));
      Value* b = deltaOf(d->operand(1));
      if (a && b) {
        failed_ = true;
      } else if (a || b) {
        Value* factor = d->operand(a ? 1 : 0);
        if (!uniformCheck(factor)) failed_ = true;
        else out = emitting_ ? emit("arith.muli", {a ? a : b, uniformScalar(factor)}, v->type.scalar(), d->loc) : v;
      }
    } else if (d->name != "arith.constant") {  // a constant in the body does not change
      failed_ = true;
    }
    if (failed_) return nullptr;
    if (emitting_) deltas_[v] = out;
    return out;
  }

  // Whether uniformScalar finds `v`'s scalar (without emitting anything).
  bool uniformCheck(Value* v) {
    if (inside(v, loop_)) return false;
    if (!v->type.isTensor()) return true;
    Operation* d = v->def;
    if (!d) return false;
    if (d->name == "tt.splat") return true;
    if (d->name == "tt.expand_dims" || d->name == "tt.broadcast") return uniformCheck(d->operand(0));
    const Attribute* a = d->name == "arith.constant" ? d->attr("value") : nullptr;
    return a && a->kind == Attribute::Kind::Dense && a->isSplat() && a->elems[0].kind == Attribute::Kind::Int;
  }
};

// Erases the pure ops of `loop`'s body whose results are no longer used (the pointers the
// loads took before).
void eraseUnused(Operation& loop) {
  Block& body = loop.body();
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = body.ops.size(); i-- > 0;) {
      Operation& o = *body.ops[i];
      if (o.results.empty() || !isRecomputable(o)) continue;
      bool used = false;
      for (const auto& r : o.results) used |= !usesOf(r.get(), loop).empty();
      if (used) continue;
      body.ops.erase(body.ops.begin() + static_cast<long>(i));
      changed = true;
    }
  }
}

}  // namespace

int carryPointerInductions(Module& m) {
  int done = 0, counter = 0;
  std::vector<Operation*> loops;
  walk(m, [&](Operation& op) {
    if (op.name == "scf.for" && op.regions.size() == 1 && op.regions[0]->blocks.size() == 1) loops.push_back(&op);
  });
  for (Operation* f : loops) {
    LoopRewrite rw(*f, counter);
    if (!rw.valid()) continue;
    std::vector<Operation*> loads;
    for (const auto& o : f->body().ops)
      if (o->name == "tt.load" && !o->results.empty() && o->numOperands() >= 1) loads.push_back(o.get());
    int here = 0;
    for (Operation* l : loads) here += rw.rewrite(*l);
    if (here) eraseUnused(*f);
    done += here;
  }
  return done;
}

bool pointerInductionsEnabled() {
  const char* env = std::getenv("TVK_POINTER_INDUCTIONS");
  return !env || std::string(env) != "0";
}

}  // namespace tvk::ir
