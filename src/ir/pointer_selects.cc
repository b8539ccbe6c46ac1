#include "ir/pointer_selects.h"

#include <memory>
#include <set>

#include "ir/verifier.h"
#include "ir/walk.h"

namespace tvk::ir {

namespace {

bool isPtr(const Value* v) { return v->type.scalar().isPtr(); }

// Ops that pass a pointer (operand 0) on to their result.
bool forwards(const Operation& o) {
  static const std::set<std::string> kNames = {"tt.addptr", "tt.splat", "tt.broadcast",
                                               "tt.expand_dims", "tt.reshape", "tt.trans",
                                               "tt.bitcast"};
  return kNames.count(o.name) && !o.operands.empty() && o.results.size() == 1 &&
         isPtr(o.operand(0)) && isPtr(o.result());
}

bool isAccess(const Operation& o) {
  return o.name == "tt.load" || o.name == "tt.store" || o.name == "tt.atomic_rmw";
}

// The kernel argument `v` comes from through forwarding ops, or null.
const Value* rootArg(const Value* v, const Block& entry) {
  while (v->def && forwards(*v->def)) v = v->def->operand(0);
  return !v->def && v->ownerBlock == &entry ? v : nullptr;
}

Type boolLike(const Type& t) { return t.isTensor() ? Type::tensor(t.shape, Type::i(1)) : Type::i(1); }

class Sinker {
 public:
  explicit Sinker(Operation& func) : func_(func) {}

  bool changed = false;

  void run() {
    std::vector<Operation*> selects;
    const Block& entry = func_.body();
    walk(func_, [&](Operation& o) {
      if (o.name != "arith.select" || o.operands.size() != 3 || !isPtr(o.result())) return;
      const Value* a = rootArg(o.operand(1), entry);
      const Value* b = rootArg(o.operand(2), entry);
      if (a && b && a != b) selects.push_back(&o);
    });
    for (Operation* s : selects) sink(*s);
  }

 private:
  Operation& func_;
  std::vector<std::unique_ptr<Operation>> dead_;

  // The accesses reached from `v` through forwarding ops; false if some use is anything else.
  bool accesses(Value* v, std::vector<Operation*>& out) {
    for (auto [user, idx] : usesOf(v, func_)) {
      if (forwards(*user) && idx == 0) {
        if (!accesses(user->result(), out)) return false;
      } else if (isAccess(*user) && idx == 0) {
        out.push_back(user);
      } else {
        return false;
      }
    }
    return true;
  }

  struct Inserter {
    Block* block;
    size_t pos;
    Location loc;

    Value* op(const std::string& name, std::vector<Value*> operands, const Type& type,
              AttrDict attrs, const std::string& valueName) {
      return insertOpWithResult(block, pos, name, std::move(operands), type, std::move(attrs), valueName, loc);
    }
    // A copy of `o` with other operands, inserted here (no result: returns null).
    Value* clone(const Operation& o, std::vector<Value*> operands) {
      auto c = std::make_unique<Operation>();
      c->name = o.name;
      c->operands = std::move(operands);
      c->attrs = o.attrs;
      c->propertyNames = o.propertyNames;
      c->loc = o.loc;
      c->parentBlock = block;
      Value* v = nullptr;
      for (const auto& r0 : o.results) {
        auto r = std::make_unique<Value>();
        r->name = r0->name;
        r->type = r0->type;
        r->def = c.get();
        r->index = r0->index;
        r->loc = r0->loc;
        if (!v) v = r.get();
        c->results.push_back(std::move(r));
      }
      block->ops.insert(block->ops.begin() + static_cast<long>(pos++), std::move(c));
      return v;
    }
    Value* trueOf(const Type& t) {
      Attribute one;
      one.kind = Attribute::Kind::Bool;
      one.i = 1;
      one.type = Type::i(1);
      if (!t.isTensor()) return op("arith.constant", {}, t, {{"value", one}}, "true");
      Attribute d;
      d.kind = Attribute::Kind::Dense;
      d.type = t;
      d.elems = {one};
      return op("arith.constant", {}, t, {{"value", d}}, "true");
    }
  };

  void sink(Operation& sel) {
    std::vector<Operation*> uses;
    if (!accesses(sel.result(), uses)) return;
    for (Operation* m : uses) rewrite(sel, *m);
    changed = true;
  }

  // Gives access `m` (whose pointer comes from `sel`) one masked copy per side of `sel`.
  void rewrite(Operation& sel, Operation& m) {
    // The forwarding ops from sel's result to m's pointer, outermost last.
    std::vector<Operation*> chain;
    for (Value* v = m.operand(0); v != sel.result(); v = v->def->operand(0)) chain.insert(chain.begin(), v->def);
    Block* block = m.parentBlock;
    size_t pos = 0;
    while (block->ops[pos].get() != &m) ++pos;
    Inserter in{block, pos, m.loc};
    // The condition, carried along the chain's shape changes.
    Value* cond = sel.operand(0);
    auto sides = [&](Value* side) {
      Value* p = side;
      for (Operation* o : chain) {
        std::vector<Value*> ops = o->operands;
        ops[0] = p;
        p = in.clone(*o, ops);
      }
      return p;
    };
    // A scalar condition stays scalar (splat once at the end); a tensor one takes the same
    // broadcast / expand_dims / reshape / trans as the pointer.
    for (Operation* o : chain) {
      if (o->name == "tt.addptr" || o->name == "tt.bitcast" || !cond->type.isTensor()) continue;
      cond = in.op(o->name, {cond}, boolLike(o->result()->type), o->attrs, "cond");
    }
    const Type& ptrType = m.operand(0)->type;
    if (ptrType.isTensor() && !cond->type.isTensor())
      cond = in.op("tt.splat", {cond}, boolLike(ptrType), {}, "cond");
    Value* notCond = in.op("arith.xori", {cond, in.trueOf(cond->type)}, cond->type, {}, "cond");
    Value* pa = sides(sel.operand(1));
    Value* pb = sides(sel.operand(2));
    // Mask operand position: tt.load [ptr, mask, other], tt.store / tt.atomic_rmw [ptr, val, mask].
    size_t maskIdx = m.name == "tt.load" ? 1 : 2;
    auto masked = [&](Value* p, Value* c) {
      std::vector<Value*> ops = m.operands;
      ops[0] = p;
      if (ops.size() > maskIdx) {
        ops[maskIdx] = in.op("arith.andi", {ops[maskIdx], c}, c->type, {}, "mask");
      } else {
        ops.push_back(c);
      }
      return in.clone(m, ops);
    };
    Value* ra = masked(pa, cond);
    Value* rb = masked(pb, notCond);
    if (m.name != "tt.store") {
      Value* r = in.op("arith.select", {cond, ra, rb}, m.result()->type, {}, m.result()->name);
      replaceAllUses(m.result(), r, func_);
    }
    // Remove m (kept alive until the pass ends).
    for (size_t i = 0; i < block->ops.size(); ++i) {
      if (block->ops[i].get() == &m) {
        dead_.push_back(std::move(block->ops[i]));
        block->ops.erase(block->ops.begin() + static_cast<long>(i));
        break;
      }
    }
  }
};

}  // namespace

Status sinkPointerSelects(Module& m) {
  bool changed = false;
  std::vector<std::unique_ptr<Sinker>> keep;  // dead ops stay alive until the end
  for (auto& op : m.ops) {
    if (op->name != "tt.func" || op->regions.empty() || op->regions[0]->blocks.empty()) continue;
    keep.push_back(std::make_unique<Sinker>(*op));
    keep.back()->run();
    changed = changed || keep.back()->changed;
  }
  return changed ? verifyModule(m) : Status();
}

}  // namespace tvk::ir
