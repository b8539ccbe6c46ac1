#include "ir/pipeline_loads.h"

#include <algorithm>
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

// An scf.for's pieces: operands [lb, ub, step, inits...], body args [iv, iter_args...].
struct Loop {
  Operation* op;
  Block* body;
  Operation* yield;
  Value* iv() const { return body->arg(0); }
  Value* init(int arg) const { return op->operand(2 + arg); }        // arg >= 1
  Value* yielded(int arg) const { return yield->operand(arg - 1); }  // arg >= 1
};

// The body ops that `roots` depend on (in body order) when all of them are pure and their
// leaves are outside values, the induction variable or iter_args (collected in `args`);
// false otherwise.
bool sliceOf(const Loop& l, const std::vector<Value*>& roots, std::set<Operation*>& ops, std::set<Value*>& args) {
  std::vector<Value*> work(roots.begin(), roots.end());
  while (!work.empty()) {
    Value* v = work.back();
    work.pop_back();
    if (v->ownerBlock == l.body) {
      if (v != l.iv()) args.insert(v);
      continue;
    }
    Operation* d = v->def;
    if (!d || d->parentBlock != l.body) continue;  // defined outside the loop
    if (!isRecomputable(*d)) return false;
    if (ops.insert(d).second)
      for (Value* o : d->operands) work.push_back(o);
  }
  return true;
}

// The ops of `set` in body order.
std::vector<Operation*> inOrder(const Loop& l, const std::set<Operation*>& set) {
  std::vector<Operation*> out;
  for (const auto& o : l.body->ops)
    if (set.count(o.get())) out.push_back(o.get());
  return out;
}

// Whether `load` reaches a tt.dot operand (through tt.trans / tt.fp_to_fp) whose accumulator
// is one of the loop's iter_args (a matmul loop, pipelined through shared memory).
bool feedsCarriedDot(const Loop& l, const Operation& load) {
  std::vector<const Value*> work{load.result()};
  while (!work.empty()) {
    const Value* v = work.back();
    work.pop_back();
    for (auto [user, idx] : usesOf(v, *l.op)) {
      if ((user->name == "tt.trans" || user->name == "tt.fp_to_fp") && !user->results.empty())
        work.push_back(user->result());
      if (user->name == "tt.dot" && idx < 2 && user->numOperands() > 2 && user->operand(2)->ownerBlock == l.body)
        return true;
    }
  }
  return false;
}

// `v` as `map` renames it (values outside the map stay themselves).
Value* mapped(const ValueMap& map, Value* v) {
  auto it = map.find(v);
  return it == map.end() ? v : it->second;
}

// The mask of `load` as `map` renames it, or null without one.
Value* maskIn(const ValueMap& map, const Operation& load) {
  return load.numOperands() > 1 ? mapped(map, load.operand(1)) : nullptr;
}

// Builds ops into a block at a moving position.
struct Emitter {
  Block* block;
  size_t pos;
  const Location& loc;
  int& counter;
  Value* op(const std::string& name, std::vector<Value*> operands, const Type& t, AttrDict attrs = {}) {
    return insertOpWithResult(block, pos, name, std::move(operands), t, std::move(attrs),
                              "pl" + std::to_string(counter++), loc);
  }
  Value* clone(const Operation& o, ValueMap& map) {
    std::unique_ptr<Operation> c = cloneOp(o, map);
    c->parentBlock = block;
    Operation* raw = c.get();
    block->ops.insert(block->ops.begin() + static_cast<long>(pos++), std::move(c));
    return raw->results.empty() ? nullptr : raw->result();
  }
  // `iv < ub` (signed; and `prev < iv` when `prev` is given: iv = prev + step did not wrap),
  // splat to the shape of `like` when it is a tensor, and'ed with `mask`.
  Value* inRangeMask(Value* iv, Value* ub, const Value* like, Value* mask, Value* prev = nullptr) {
    Value* c = op("arith.cmpi", {iv, ub}, Type::i(1), {{"predicate", Attribute::keyword("slt")}});
    if (prev)
      c = op("arith.andi", {c, op("arith.cmpi", {prev, iv}, Type::i(1), {{"predicate", Attribute::keyword("slt")}})},
             Type::i(1));
    if (like->type.isTensor()) c = op("tt.splat", {c}, Type::tensor(like->type.shape, Type::i(1)));
    return mask ? op("arith.andi", {mask, c}, c->type) : c;
  }
  // A copy of `load` on the values of `map`, with `cond` as its mask.
  Value* load(const Operation& load, ValueMap& map, Value* cond) {
    ValueMap m = map;
    Value* v = clone(load, m);
    Operation* c = v->def;
    if (c->numOperands() > 1) c->operands[1] = cond;
    else c->operands.push_back(cond);
    c->attrs.erase("operandSegmentSizes");
    return v;
  }
};

// Pipelines the loads of one loop; returns how many.
int pipelineLoop(Operation& forOp, int& counter) {
  if (forOp.attr("unsignedCmp") || forOp.regions.size() != 1) return 0;
  Loop l{&forOp, &forOp.body(), nullptr};
  l.yield = l.body->terminator();
  if (!l.yield || l.yield->name != "scf.yield" || forOp.numOperands() < 3) return 0;
  bool blocked = false;
  walk(forOp, [&](const Operation& o) { blocked |= ordersMemory(o) || (&o != &forOp && o.name == "scf.for"); });
  if (blocked) return 0;
  std::vector<Operation*> loads;
  for (const auto& o : l.body->ops)
    if (o->name == "tt.load" && !o->results.empty() && !o->intAttr("isVolatile", 0) && !feedsCarriedDot(l, *o))
      loads.push_back(o.get());
  int done = 0;
  Value* next = nullptr;  // iv + step, emitted once at the top
  for (Operation* load : loads) {
    // Its address, mask and other; then the yielded values of the iter_args they use.
    std::set<Operation*> slice, yslice;
    std::set<Value*> args, yargs;
    if (!sliceOf(l, load->operands, slice, args)) continue;
    std::vector<Value*> pending(args.begin(), args.end());
    std::set<Value*> closed;
    bool ok = true;
    while (ok && !pending.empty()) {
      Value* a = pending.back();
      pending.pop_back();
      if (!closed.insert(a).second) continue;
      std::set<Value*> more;
      ok = sliceOf(l, {l.yielded(a->index)}, yslice, more);
      for (Value* m : more) pending.push_back(m);
    }
    if (!ok) continue;
    const Location& loc = load->loc;
    // Before the loop: the first iteration's load.
    Emitter pre{forOp.parentBlock, indexInBlock(forOp), loc, counter};
    ValueMap first{{l.iv(), forOp.operand(0)}};
    for (Value* a : closed) first[a] = l.init(a->index);
    for (Operation* o : inOrder(l, slice)) pre.clone(*o, first);
    Value* mask0 = maskIn(first, *load);
    Value* x0 = pre.load(*load, first, pre.inRangeMask(forOp.operand(0), forOp.operand(1), load->result(), mask0));
    // At the top of the body: the next iteration's values, then its load.
    Emitter top{l.body, 0, loc, counter};
    if (!next) next = top.op("arith.addi", {l.iv(), forOp.operand(2)}, l.iv()->type);
    else top.pos = indexInBlock(*next->def) + 1;
    ValueMap cur;
    for (Operation* o : inOrder(l, yslice)) top.clone(*o, cur);
    ValueMap nxt{{l.iv(), next}};
    for (Value* a : closed) nxt[a] = mapped(cur, l.yielded(a->index));
    for (Operation* o : inOrder(l, slice)) top.clone(*o, nxt);
    Value* maskN = maskIn(nxt, *load);
    Value* xn = top.load(*load, nxt, top.inRangeMask(next, forOp.operand(1), load->result(), maskN, l.iv()));
    // The new iter_arg: x0 in, xn out; the load's uses take it.
    Value* carried = appendIterArg(forOp, load->result()->type, x0, "pl" + std::to_string(counter++), loc);
    l.yield->operands.push_back(xn);
    replaceAllUses(load->result(), carried, forOp);
    l.body->ops.erase(l.body->ops.begin() + static_cast<long>(indexInBlock(*load)));
    ++done;
  }
  return done;
}

}  // namespace

int pipelineLoads(Module& m) {
  int done = 0, counter = 0;
  std::vector<Operation*> loops;
  walk(m, [&](Operation& op) {
    if (op.name == "scf.for") loops.push_back(&op);
  });
  for (Operation* f : loops) done += pipelineLoop(*f, counter);
  return done;
}

bool pipelineLoadsEnabled() {
  return switchSet("TVK_PIPELINE_LOADS");
}

}  // namespace tvk::ir
