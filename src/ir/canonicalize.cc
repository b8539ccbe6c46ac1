// Canonicalization: scalar constant folding, unreachable-block removal and dead-code
// elimination, repeated to a fixed point.
#include "ir/canonicalize.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <functional>
#include <map>
#include <unordered_map>

#include "ir/int_eval.h"
#include "ir/op_syntax.h"
#include "ir/walk.h"

namespace tvk::ir {

bool isPure(const Operation& op) {
  if (op.name == "scf.while" || op.name == "tt.func") return false;  // may not terminate
  if (op.name == "tt.load" && op.intAttr("isVolatile", 0)) return false;
  // extern_elementwise / elementwise_inline_asm say themselves whether they are pure.
  if (op.name == "tt.extern_elementwise" || op.name == "tt.elementwise_inline_asm")
    return op.intAttr("pure", 0) != 0;
  bool pure = true;
  if (op.name == "scf.for" || op.name == "scf.if") {
    for (const auto& r : op.regions)
      for (const auto& b : r->blocks)
        for (const auto& o : b->ops) {
          const OpSyntax* s = lookupOpSyntax(o->name);
          if (!(s && s->terminator) && !isPure(*o)) pure = false;
        }
    return pure;
  }
  const OpSyntax* syn = lookupOpSyntax(op.name);
  if (!syn || !syn->pure || syn->terminator) return false;
  walk(op, [&](const Operation& o) {
    const OpSyntax* s = lookupOpSyntax(o.name);
    if (&o != &op && !(s && (s->pure || s->terminator))) pure = false;
  });
  return pure;
}

namespace {

/// Scalar constant value of `v`, or null.
const Attribute* constOf(const Value* v) {
  if (!v->def || v->def->name != "arith.constant" || v->type.isTensor()) return nullptr;
  const Attribute* a = v->def->attr("value");
  if (!a || (a->kind != Attribute::Kind::Int && a->kind != Attribute::Kind::Bool &&
             a->kind != Attribute::Kind::Float))
    return nullptr;
  return a;
}

using FloatFold = std::function<double(double, double)>;

const std::map<std::string, FloatFold>& floatFolds() {
  static const std::map<std::string, FloatFold> t = {
      {"arith.addf", [](double a, double b) { return a + b; }},
      {"arith.subf", [](double a, double b) { return a - b; }},
      {"arith.mulf", [](double a, double b) { return a * b; }},
      {"arith.divf", [](double a, double b) { return a / b; }},
  };
  return t;
}


/// Turns `op` into `arith.constant value` (its result value, and so its uses, stay).
void becomeConstant(Operation& op, Attribute value) {
  op.name = "arith.constant";
  op.operands.clear();
  op.attrs.clear();
  op.propertyNames.clear();
  value.type = op.results[0]->type;
  op.attrs["value"] = value;
}

/// Tries to fold one scalar op whose operands are constants.
bool foldOp(Operation& op) {
  if (op.results.size() != 1 || op.operands.empty() || op.results[0]->type.isTensor()) return false;
  std::vector<const Attribute*> cs;
  for (Value* v : op.operands) {
    const Attribute* a = constOf(v);
    if (!a) return false;
    cs.push_back(a);
  }
  const Type& rt = op.results[0]->type;
  const Type& it = op.operands[0]->type;
  int n = it.bits;
  if (isIntBinary(op.name) && cs.size() == 2 && it.kind == Type::Kind::Int) {
    int64_t r;
    if (!evalIntBinary(op.name, wrapInt(cs[0]->i, n), wrapInt(cs[1]->i, n), n, r)) return false;
    becomeConstant(op, Attribute::integer(wrapInt(r, n), rt));
    if (n == 1) op.attrs["value"].kind = Attribute::Kind::Bool;
    return true;
  }
  if (auto f = floatFolds().find(op.name); f != floatFolds().end() && cs.size() == 2 &&
      (rt.name == "f32" || rt.name == "f64")) {
    double r = f->second(cs[0]->f, cs[1]->f);
    if (rt.name == "f32") r = static_cast<float>(r);
    Attribute a;
    a.kind = Attribute::Kind::Float;
    a.f = r;
    if (!std::isfinite(r)) return false;
    becomeConstant(op, a);
    return true;
  }
  if (op.name == "arith.cmpi" && cs.size() == 2) {
    bool r;
    if (!evalCmpI(op.strAttr("predicate"), wrapInt(cs[0]->i, n), wrapInt(cs[1]->i, n), n, r)) return false;
    Attribute a;
    a.kind = Attribute::Kind::Bool;
    a.i = r;
    becomeConstant(op, a);
    return true;
  }
  if ((op.name == "arith.extsi" || op.name == "arith.extui" || op.name == "arith.trunci") &&
      rt.kind == Type::Kind::Int) {
    int64_t v = op.name == "arith.extui" ? static_cast<int64_t>(unsignedAt(cs[0]->i, n)) : wrapInt(cs[0]->i, n);
    becomeConstant(op, Attribute::integer(wrapInt(v, rt.bits), rt));
    if (rt.bits == 1) op.attrs["value"].kind = Attribute::Kind::Bool;
    return true;
  }
  if (op.name == "arith.select" && cs.size() == 3) {
    Attribute pick = cs[0]->i ? *cs[1] : *cs[2];
    becomeConstant(op, pick);
    return true;
  }
  return false;
}

/// Removes blocks not reachable from their region's entry block through branch successors
/// (e.g. `^bb1:  // no predecessors` after a tt.return).
bool dropUnreachable(Operation& root) {
  bool changed = false;
  walk(root, [&](Operation& o) {
    for (auto& r : o.regions) {
      if (r->blocks.size() < 2) continue;
      std::set<const Block*> reached{r->blocks[0].get()};
      std::vector<const Block*> work{r->blocks[0].get()};
      while (!work.empty()) {
        const Block* b = work.back();
        work.pop_back();
        if (const Operation* t = b->terminator())
          for (const Block* s : t->successors)
            if (reached.insert(s).second) work.push_back(s);
      }
      size_t before = r->blocks.size();
      r->blocks.erase(std::remove_if(r->blocks.begin(), r->blocks.end(),
                                     [&](const std::unique_ptr<Block>& b) { return !reached.count(b.get()); }),
                      r->blocks.end());
      changed |= r->blocks.size() != before;
    }
  });
  return changed;
}

/// Use counts of every value in `m`.
std::unordered_map<const Value*, int> countUses(Module& m) {
  std::unordered_map<const Value*, int> uses;
  walk(m, [&](Operation& o) {
    for (Value* v : o.operands) ++uses[v];
  });
  return uses;
}

/// Erases pure ops whose results are unused, innermost and last first.
bool dce(Block& b, std::unordered_map<const Value*, int>& uses) {
  bool changed = false;
  for (size_t k = b.ops.size(); k-- > 0;) {
    Operation& o = *b.ops[k];
    for (auto& r : o.regions)
      for (auto& inner : r->blocks) changed |= dce(*inner, uses);
    bool used = false;
    for (const auto& r : o.results) used |= uses[r.get()] > 0;
    if (used || !isPure(o)) continue;
    walk(o, [&](Operation& x) {
      for (Value* v : x.operands) --uses[v];
    });
    b.ops.erase(b.ops.begin() + k);
    changed = true;
  }
  return changed;
}

}  // namespace

void canonicalize(Module& m) {
  for (int round = 0; round < 100; ++round) {
    bool changed = false;
    for (auto& top : m.ops) changed |= dropUnreachable(*top);
    walk(m, [&](Operation& o) { changed |= foldOp(o); });
    auto uses = countUses(m);
    for (auto& top : m.ops)
      for (auto& r : top->regions)
        for (auto& b : r->blocks) changed |= dce(*b, uses);
    if (!changed) break;
  }
}

}  // namespace tvk::ir
