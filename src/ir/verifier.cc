// Structural verifier: per-op checks in a table, generic elementwise checks from the op
// registry, terminators and region signatures, and definition-before-use.
#include "ir/verifier.h"

#include <functional>
#include <map>
#include <set>
#include <unordered_set>

#include "ir/op_syntax.h"

namespace tvk::ir {
namespace {

/// Error helper: `verify: <op> at <file:line>: <msg>`.
Status err(const Operation& op, const std::string& msg) {
  return Status::error("verify: " + op.where() + ": " + msg);
}

/// Shape of a tensor type, empty for scalars.
std::vector<int64_t> shapeOf(const Type& t) { return t.isTensor() ? t.shape : std::vector<int64_t>{}; }

std::string shapeStr(const Type& t) { return t.str(); }

Status needOperands(const Operation& op, size_t lo, size_t hi) {
  if (op.operands.size() < lo || op.operands.size() > hi)
    return err(op, "has " + std::to_string(op.operands.size()) + " operands, expected " +
                       std::to_string(lo) + (hi != lo ? ".." + std::to_string(hi) : ""));
  return Status();
}

Status needResults(const Operation& op, size_t n) {
  if (op.results.size() != n)
    return err(op, "has " + std::to_string(op.results.size()) + " results, expected " + std::to_string(n));
  return Status();
}

/// Elementwise ops: all tensor operands/results share one shape, scalars only with scalars.
Status checkElementwise(const Operation& op) {
  const Type* ref = nullptr;
  auto visit = [&](const Type& t, const std::string& what) -> Status {
    if (!ref) {
      ref = &t;
      return Status();
    }
    if (t.isTensor() != ref->isTensor() || shapeOf(t) != shapeOf(*ref)) {
      // arith.select may take a scalar i1 condition with tensor values.
      if (op.name == "arith.select" && what == "operand 0" && !t.isTensor()) return Status();
      return err(op, what + " shape " + shapeStr(t) + " differs from " + shapeStr(*ref));
    }
    return Status();
  };
  for (size_t i = 0; i < op.results.size(); ++i)
    TVK_RETURN_IF_ERROR(visit(op.results[i]->type, "result " + std::to_string(i)));
  for (size_t i = op.name == "arith.select" ? 1 : 0; i < op.operands.size(); ++i)
    TVK_RETURN_IF_ERROR(visit(op.operands[i]->type, "operand " + std::to_string(i)));
  if (op.name == "arith.select" && !op.operands.empty())
    TVK_RETURN_IF_ERROR(visit(op.operands[0]->type, "operand 0"));
  const OpSyntax* syn = lookupOpSyntax(op.name);
  if (syn && syn->form == Form::SameType && !op.results.empty())
    for (Value* v : op.operands)
      if (v->type != op.results[0]->type)
        return err(op, "operand type " + v->type.str() + " differs from result type " +
                           op.results[0]->type.str());
  if (syn && syn->form == Form::Cmp && op.operands.size() == 2 &&
      op.operands[0]->type != op.operands[1]->type)
    return err(op, "compares " + op.operands[0]->type.str() + " with " + op.operands[1]->type.str());
  return Status();
}

/// Pointee of a (tensor of) pointer type, or None.
Type loadedType(const Type& p) {
  if (p.isTensor() && p.elem->isPtr()) return Type::tensor(p.shape, *p.elem->elem);
  if (p.isPtr()) return *p.elem;
  return Type();
}

Status checkLoadStore(const Operation& op) {
  bool load = op.name == "tt.load";
  TVK_RETURN_IF_ERROR(needOperands(op, load ? 1 : 2, 3));
  Type val = loadedType(op.operands[0]->type);
  if (val.kind == Type::Kind::None) return err(op, "operand 0 is not a pointer: " + op.operands[0]->type.str());
  if (load) {
    TVK_RETURN_IF_ERROR(needResults(op, 1));
    if (op.results[0]->type != val) return err(op, "result " + op.results[0]->type.str() + " does not match pointer " + op.operands[0]->type.str());
  } else if (op.operands[1]->type != val) {
    return err(op, "value " + op.operands[1]->type.str() + " does not match pointer " + op.operands[0]->type.str());
  }
  size_t maskIdx = load ? 1 : 2;
  if (op.operands.size() > maskIdx) {
    const Type& m = op.operands[maskIdx]->type;
    if (shapeOf(m) != shapeOf(val) || !m.scalar().isInt() || m.scalar().bits != 1)
      return err(op, "mask " + m.str() + " does not match " + val.str());
  }
  if (load && op.operands.size() == 3 && op.operands[2]->type != val)
    return err(op, "other " + op.operands[2]->type.str() + " does not match " + val.str());
  return Status();
}

Status checkAddPtr(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 2, 2));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& p = op.operands[0]->type;
  if (!p.scalar().isPtr()) return err(op, "operand 0 is not a pointer: " + p.str());
  if (!op.operands[1]->type.scalar().isInt()) return err(op, "offset is not an integer");
  if (shapeOf(p) != shapeOf(op.operands[1]->type)) return err(op, "pointer and offset shapes differ");
  if (op.results[0]->type != p) return err(op, "result type differs from pointer type");
  return Status();
}

Status checkSplat(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 1, 1));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  if (s.isTensor() || !r.isTensor() || *r.elem != s) return err(op, "cannot splat " + s.str() + " to " + r.str());
  return Status();
}

Status checkBroadcast(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 1, 1));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  bool ok = s.isTensor() && r.isTensor() && s.rank() == r.rank() && *s.elem == *r.elem;
  for (int d = 0; ok && d < s.rank(); ++d) ok = s.shape[d] == r.shape[d] || s.shape[d] == 1;
  if (!ok) return err(op, "cannot broadcast " + s.str() + " to " + r.str());
  return Status();
}

Status checkExpandDims(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 1, 1));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  int64_t axis = op.intAttr("axis", -1);
  std::vector<int64_t> want = shapeOf(s);
  if (axis < 0 || axis > static_cast<int64_t>(want.size())) return err(op, "bad axis");
  want.insert(want.begin() + axis, 1);
  if (!r.isTensor() || r.shape != want || *r.elem != s.scalar())
    return err(op, "result " + r.str() + " is not " + s.str() + " expanded at axis " + std::to_string(axis));
  return Status();
}

Status checkReshape(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 1, 1));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  if (s.numel() != r.numel() || s.scalar() != r.scalar())
    return err(op, "cannot reshape " + s.str() + " to " + r.str());
  return Status();
}

Status checkTrans(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 1, 1));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  const Attribute* order = op.attr("order");
  if (!order || static_cast<int>(order->elems.size()) != s.rank()) return err(op, "order does not match rank");
  for (int d = 0; d < s.rank(); ++d) {
    int64_t src = order->elems[d].i;
    if (src < 0 || src >= s.rank() || r.shape.size() != s.shape.size() || r.shape[d] != s.shape[src])
      return err(op, "result " + r.str() + " is not " + s.str() + " permuted");
  }
  return Status();
}

Status checkDot(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 3, 3));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& a = op.operands[0]->type;
  const Type& b = op.operands[1]->type;
  const Type& c = op.operands[2]->type;
  const Type& d = op.results[0]->type;
  bool ok = a.rank() >= 2 && a.rank() == b.rank() && c == d && d.rank() == a.rank();
  int r = a.rank();
  ok = ok && a.shape[r - 1] == b.shape[r - 2] && d.shape[r - 2] == a.shape[r - 2] &&
       d.shape[r - 1] == b.shape[r - 1];
  if (!ok) return err(op, "shapes " + a.str() + " * " + b.str() + " -> " + d.str() + " do not agree");
  return Status();
}

Status checkMakeRange(const Operation& op) {
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& r = op.results[0]->type;
  int64_t n = op.intAttr("end") - op.intAttr("start");
  if (r.rank() != 1 || r.shape[0] != n || r.scalar() != Type::i(32))
    return err(op, "result " + r.str() + " does not hold " + std::to_string(n) + " i32 values");
  return Status();
}

/// Types of a block's terminator operands.
std::vector<Type> termTypes(const Block& b) {
  std::vector<Type> ts;
  if (const Operation* t = b.terminator())
    for (Value* v : t->operands) ts.push_back(v->type);
  return ts;
}

std::vector<Type> resultTypes(const Operation& op) {
  std::vector<Type> ts;
  for (const auto& r : op.results) ts.push_back(r->type);
  return ts;
}

std::vector<Type> argTypes(const Block& b, size_t from = 0) {
  std::vector<Type> ts;
  for (size_t i = from; i < b.args.size(); ++i) ts.push_back(b.args[i]->type);
  return ts;
}

std::string typesStr(const std::vector<Type>& ts) {
  std::string s = "(";
  for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + ts[i].str();
  return s + ")";
}

/// Checks region `i` exists with one block ending in `term`.
Status needRegion(const Operation& op, size_t i, const std::string& term) {
  if (op.regions.size() <= i || op.regions[i]->blocks.empty()) return err(op, "missing region " + std::to_string(i));
  const Operation* t = op.regions[i]->blocks.back()->terminator();
  if (!t || t->name != term) return err(op, "region " + std::to_string(i) + " does not end with " + term);
  return Status();
}

Status checkFor(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 3, 1u << 20));
  TVK_RETURN_IF_ERROR(needRegion(op, 0, "scf.yield"));
  const Block& b = op.body(0);
  std::vector<Type> inits;
  for (size_t i = 3; i < op.operands.size(); ++i) inits.push_back(op.operands[i]->type);
  if (b.args.empty() || argTypes(b, 1) != inits || resultTypes(op) != inits)
    return err(op, "iter_args " + typesStr(argTypes(b, b.args.empty() ? 0 : 1)) + ", inits " + typesStr(inits) +
                       " and results " + typesStr(resultTypes(op)) + " differ");
  if (termTypes(b) != inits) return err(op, "scf.yield types " + typesStr(termTypes(b)) + " do not match results " + typesStr(inits));
  return Status();
}

Status checkIf(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 1, 1));
  TVK_RETURN_IF_ERROR(needRegion(op, 0, "scf.yield"));
  std::vector<Type> rs = resultTypes(op);
  if (termTypes(op.body(0)) != rs) return err(op, "then-yield types do not match results " + typesStr(rs));
  bool hasElse = op.regions.size() > 1 && !op.regions[1]->blocks.empty();
  if (!hasElse && !rs.empty()) return err(op, "has results but no else region");
  if (hasElse) {
    TVK_RETURN_IF_ERROR(needRegion(op, 1, "scf.yield"));
    if (termTypes(op.body(1)) != rs) return err(op, "else-yield types do not match results " + typesStr(rs));
  }
  return Status();
}

Status checkWhile(const Operation& op) {
  TVK_RETURN_IF_ERROR(needRegion(op, 0, "scf.condition"));
  TVK_RETURN_IF_ERROR(needRegion(op, 1, "scf.yield"));
  std::vector<Type> inits;
  for (Value* v : op.operands) inits.push_back(v->type);
  if (argTypes(op.body(0)) != inits) return err(op, "before-region arguments do not match inits");
  std::vector<Type> cond = termTypes(op.body(0));
  if (cond.empty()) return err(op, "scf.condition has no condition");
  cond.erase(cond.begin());
  if (cond != resultTypes(op)) return err(op, "scf.condition forwards " + typesStr(cond) + " but results are " + typesStr(resultTypes(op)));
  if (argTypes(op.body(1)) != resultTypes(op)) return err(op, "after-region arguments do not match results");
  if (termTypes(op.body(1)) != inits) return err(op, "scf.yield types do not match inits");
  return Status();
}

/// tt.reduce / tt.scan: combiner with 2N scalar arguments and N returned values.
Status checkCombine(const Operation& op) {
  bool reduce = op.name == "tt.reduce";
  size_t n = op.operands.size();
  TVK_RETURN_IF_ERROR(needRegion(op, 0, reduce ? "tt.reduce.return" : "tt.scan.return"));
  TVK_RETURN_IF_ERROR(needResults(op, n));
  const Block& b = op.body(0);
  if (b.args.size() != 2 * n) return err(op, "combiner has " + std::to_string(b.args.size()) + " arguments, expected " + std::to_string(2 * n));
  if (termTypes(b).size() != n) return err(op, "combiner returns " + std::to_string(termTypes(b).size()) + " values, expected " + std::to_string(n));
  int64_t axis = op.intAttr("axis", -1);
  for (size_t i = 0; i < n; ++i) {
    const Type& in = op.operands[i]->type;
    if (!in.isTensor() || axis < 0 || axis >= in.rank()) return err(op, "bad axis " + std::to_string(axis));
    if (b.args[i]->type != in.scalar() || b.args[i + n]->type != in.scalar())
      return err(op, "combiner argument types do not match " + in.scalar().str());
    Type want = in;
    if (reduce) {
      std::vector<int64_t> s = in.shape;
      s.erase(s.begin() + axis);
      want = s.empty() ? in.scalar() : Type::tensor(s, in.scalar());
    }
    if (op.results[i]->type != want) return err(op, "result " + op.results[i]->type.str() + " should be " + want.str());
  }
  return Status();
}

Status checkFunc(const Operation& op) {
  if (op.regions.empty()) return Status();  // declaration
  for (const auto& b : op.regions[0]->blocks) {
    const Operation* t = b->terminator();
    if (!t || !lookupOpSyntax(t->name) || !lookupOpSyntax(t->name)->terminator)
      return err(op, "block does not end with a terminator");
    if (t->name == "tt.return" && termTypes(*b) != op.resultTypes)
      return err(*t, "returns " + typesStr(termTypes(*b)) + " but the function declares " + typesStr(op.resultTypes));
  }
  return Status();
}

/// Integer/float extensions widen, truncations narrow, int/float kinds as the op says.
Status checkCast(const Operation& op) {
  TVK_RETURN_IF_ERROR(needOperands(op, 1, 1));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  const Type& from = op.operands[0]->type.scalar();
  const Type& to = op.results[0]->type.scalar();
  const std::string& n = op.name;
  bool ok = true;
  if (n == "arith.extsi" || n == "arith.extui") ok = from.isInt() && to.isInt() && to.bits > from.bits;
  else if (n == "arith.trunci") ok = from.isInt() && to.isInt() && to.bits < from.bits;
  else if (n == "arith.extf") ok = from.isFloat() && to.isFloat() && to.bits > from.bits;
  else if (n == "arith.truncf") ok = from.isFloat() && to.isFloat() && to.bits < from.bits;
  else if (n == "arith.sitofp" || n == "arith.uitofp") ok = from.isInt() && to.isFloat();
  else if (n == "arith.fptosi" || n == "arith.fptoui") ok = from.isFloat() && to.isInt();
  else if (n == "arith.bitcast" || n == "tt.bitcast") ok = from.bits == to.bits || from.isPtr() || to.isPtr();
  if (!ok) return err(op, "cannot convert " + op.operands[0]->type.str() + " to " + op.results[0]->type.str());
  return Status();
}

/// Atomics: pointer pointee matches the value type; masks match the shape.
Status checkAtomic(const Operation& op) {
  bool cas = op.name == "tt.atomic_cas";
  TVK_RETURN_IF_ERROR(needOperands(op, cas ? 3 : 2, 3));
  TVK_RETURN_IF_ERROR(needResults(op, 1));
  Type val = loadedType(op.operands[0]->type);
  if (val.kind == Type::Kind::None) return err(op, "operand 0 is not a pointer: " + op.operands[0]->type.str());
  if (op.results[0]->type != val) return err(op, "result " + op.results[0]->type.str() + " does not match pointer " + op.operands[0]->type.str());
  for (size_t i = 1; i < op.operands.size(); ++i) {
    const Type& t = op.operands[i]->type;
    bool mask = !cas && i == 2;
    if (mask ? (shapeOf(t) != shapeOf(val) || t.scalar() != Type::i(1)) : t != val)
      return err(op, "operand " + std::to_string(i) + " " + t.str() + " does not match " + val.str());
  }
  return Status();
}

/// tt.join adds a trailing dimension of 2; tt.split removes it.
Status checkJoinSplit(const Operation& op) {
  bool join = op.name == "tt.join";
  TVK_RETURN_IF_ERROR(needOperands(op, join ? 2 : 1, join ? 2 : 1));
  TVK_RETURN_IF_ERROR(needResults(op, join ? 1 : 2));
  const Type& small = join ? op.operands[0]->type : op.results[0]->type;
  const Type& big = join ? op.results[0]->type : op.operands[0]->type;
  std::vector<int64_t> want = shapeOf(small);
  want.push_back(2);
  bool ok = big.isTensor() && big.shape == want && big.scalar() == small.scalar();
  ok = ok && (join ? op.operands[1]->type == small : op.results[1]->type == small);
  if (!ok) return err(op, "shapes " + small.str() + " and " + big.str() + " do not agree");
  return Status();
}

/// Branches: each successor is in the same region and receives matching arguments.
Status checkBranch(const Operation& op) {
  bool cond = op.name == "cf.cond_br";
  if (op.successors.size() != (cond ? 2u : 1u)) return err(op, "wrong number of successors");
  std::vector<std::pair<size_t, size_t>> ranges;
  if (cond) {
    const Attribute* seg = op.attr("operandSegmentSizes");
    if (!seg || seg->elems.size() != 3 || op.operands.empty()) return err(op, "missing operandSegmentSizes");
    size_t nT = static_cast<size_t>(seg->elems[1].i), nF = static_cast<size_t>(seg->elems[2].i);
    if (1 + nT + nF != op.operands.size()) return err(op, "operandSegmentSizes does not match operands");
    if (op.operands[0]->type != Type::i(1)) return err(op, "condition is not i1");
    ranges = {{1, 1 + nT}, {1 + nT, 1 + nT + nF}};
  } else {
    ranges = {{0, op.operands.size()}};
  }
  for (size_t s = 0; s < ranges.size(); ++s) {
    const Block* b = op.successors[s];
    if (!op.parentBlock || b->parentRegion != op.parentBlock->parentRegion)
      return err(op, "branches outside its region");
    std::vector<Type> passed;
    for (size_t i = ranges[s].first; i < ranges[s].second; ++i) passed.push_back(op.operands[i]->type);
    if (passed != argTypes(*b)) return err(op, "passes " + typesStr(passed) + " to a block taking " + typesStr(argTypes(*b)));
  }
  return Status();
}

using Check = Status (*)(const Operation&);
const std::map<std::string, Check>& checks() {
  static const std::map<std::string, Check> table = {
      {"tt.load", checkLoadStore},      {"tt.store", checkLoadStore},
      {"tt.addptr", checkAddPtr},       {"tt.splat", checkSplat},
      {"tt.broadcast", checkBroadcast}, {"tt.expand_dims", checkExpandDims},
      {"tt.reshape", checkReshape},     {"tt.trans", checkTrans},
      {"tt.dot", checkDot},             {"tt.make_range", checkMakeRange},
      {"scf.for", checkFor},            {"scf.if", checkIf},
      {"scf.while", checkWhile},        {"tt.reduce", checkCombine},
      {"tt.scan", checkCombine},        {"tt.func", checkFunc},
      {"cf.br", checkBranch},           {"cf.cond_br", checkBranch},
      {"tt.atomic_rmw", checkAtomic},   {"tt.atomic_cas", checkAtomic},
      {"tt.join", checkJoinSplit},      {"tt.split", checkJoinSplit},
      {"arith.extsi", checkCast},       {"arith.extui", checkCast},
      {"arith.trunci", checkCast},      {"arith.extf", checkCast},
      {"arith.truncf", checkCast},      {"arith.sitofp", checkCast},
      {"arith.uitofp", checkCast},      {"arith.fptosi", checkCast},
      {"arith.fptoui", checkCast},      {"arith.bitcast", checkCast},
      {"tt.bitcast", checkCast},
  };
  return table;
}

/// Walks ops in order, checking definition before use and each op's rules.
struct Verifier {
  std::vector<std::unordered_set<const Value*>> visible;

  bool isVisible(const Value* v) const {
    for (const auto& s : visible)
      if (s.count(v)) return true;
    return false;
  }

  Status op(const Operation& o) {
    for (size_t i = 0; i < o.operands.size(); ++i) {
      const Value* v = o.operands[i];
      if (!v) return err(o, "operand " + std::to_string(i) + " is null");
      if (!isVisible(v)) return err(o, "operand %" + v->name + " is used before its definition (or out of scope)");
    }
    const OpSyntax* syn = lookupOpSyntax(o.name);
    if (syn && syn->elementwise) TVK_RETURN_IF_ERROR(checkElementwise(o));
    auto it = checks().find(o.name);
    if (it != checks().end()) TVK_RETURN_IF_ERROR(it->second(o));
    bool isolated = o.name == "tt.func";
    for (const auto& r : o.regions) {
      std::vector<std::unordered_set<const Value*>> saved;
      if (isolated) saved.swap(visible);
      visible.emplace_back();  // values of the entry block stay visible in later blocks
      for (size_t bi = 0; bi < r->blocks.size(); ++bi) {
        const Block& b = *r->blocks[bi];
        if (bi > 0) visible.emplace_back();
        for (const auto& a : b.args) visible.back().insert(a.get());
        for (size_t k = 0; k < b.ops.size(); ++k) {
          const Operation& inner = *b.ops[k];
          const OpSyntax* isyn = lookupOpSyntax(inner.name);
          if (isyn && isyn->terminator && k + 1 != b.ops.size())
            return err(inner, "terminator is not the last op of its block");
          TVK_RETURN_IF_ERROR(op(inner));
        }
        if (bi > 0) visible.pop_back();
      }
      visible.pop_back();
      if (isolated) saved.swap(visible);
    }
    for (const auto& r : o.results) visible.back().insert(r.get());
    return Status();
  }
};

}  // namespace

Status verifyModule(const Module& m) {
  Verifier v;
  v.visible.emplace_back();
  for (const auto& o : m.ops) TVK_RETURN_IF_ERROR(v.op(*o));
  return Status();
}

}  // namespace tvk::ir
