// Structural verifier: walks the module checking definition before use, terminators, the
// registry's operand/result/region counts for every op, the types of every value, and the
// per-op checks of the family files (verify_*.cc).
#include "ir/verifier.h"

#include <unordered_set>

#include "ir/op_syntax.h"
#include "ir/verify_impl.h"

namespace tvk::ir {

namespace verify {

Status err(const Operation& op, const std::string& msg) {
  return Status::error("verify: " + op.where() + ": " + msg);
}

std::vector<int64_t> shapeOf(const Type& t) { return t.isTensor() ? t.shape : std::vector<int64_t>{}; }

std::string typesStr(const std::vector<Type>& ts) {
  std::string s = "(";
  for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + ts[i].str();
  return s + ")";
}

Status needOperands(const Operation& op, size_t lo, size_t hi) {
  if (op.operands.size() < lo || op.operands.size() > hi)
    return err(op, "has " + std::to_string(op.operands.size()) + " operands, expected " + std::to_string(lo) +
                       (hi != lo ? ".." + std::to_string(hi) : ""));
  return Status();
}

Status needResults(const Operation& op, size_t n) {
  if (op.results.size() != n)
    return err(op, "has " + std::to_string(op.results.size()) + " results, expected " + std::to_string(n));
  return Status();
}

Status needRegion(const Operation& op, size_t i, const std::string& term) {
  if (op.regions.size() <= i || op.regions[i]->blocks.empty()) return err(op, "missing region " + std::to_string(i));
  if (op.regions[i]->blocks.size() != 1) return err(op, "region " + std::to_string(i) + " has more than one block");
  const Operation* t = op.regions[i]->blocks.back()->terminator();
  if (!t || t->name != term) return err(op, "region " + std::to_string(i) + " does not end with " + term);
  return Status();
}

Status needIntAttr(const Operation& op, const std::string& name, int64_t lo, int64_t hi, int64_t& out) {
  const Attribute* a = op.attr(name);
  if (!a || a->kind != Attribute::Kind::Int) return err(op, "needs an integer attribute '" + name + "'");
  if (a->i < lo || a->i > hi)
    return err(op, name + " = " + std::to_string(a->i) + " is out of range [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
  out = a->i;
  return Status();
}

Status needKeyword(const Operation& op, const std::string& name, const std::vector<std::string>& allowed,
                   bool required) {
  const Attribute* a = op.attr(name);
  if (!a) return required ? err(op, "needs attribute '" + name + "'") : Status();
  bool text = a->kind == Attribute::Kind::Keyword || a->kind == Attribute::Kind::String;
  for (const std::string& k : allowed)
    if (text && a->s == k) return Status();
  std::string list;
  for (const std::string& k : allowed) list += (list.empty() ? "" : ", ") + k;
  return err(op, name + " = " + a->str() + " is not one of " + list);
}

std::vector<Type> resultTypes(const Operation& op) {
  std::vector<Type> ts;
  for (const auto& r : op.results) ts.push_back(r->type);
  return ts;
}

std::vector<Type> argTypes(const Block& b, size_t from) {
  std::vector<Type> ts;
  for (size_t i = from; i < b.args.size(); ++i) ts.push_back(b.args[i]->type);
  return ts;
}

std::vector<Type> termTypes(const Block& b) {
  std::vector<Type> ts;
  if (const Operation* t = b.terminator())
    for (Value* v : t->operands) ts.push_back(v->type);
  return ts;
}

Type loadedType(const Type& p) {
  if (p.isTensor() && p.elem->isPtr()) return Type::tensor(p.shape, *p.elem->elem);
  if (p.isPtr()) return *p.elem;
  return Type();
}

bool isBool(const Type& t) { return t.scalar().kind == Type::Kind::Int && t.scalar().bits == 1; }

namespace {

bool knownFloat(const std::string& n) {
  static const char* kNames[] = {"f16", "bf16", "f32", "f64", "f8E4M3FN", "f8E5M2", "f8E4M3FNUZ",
                                 "f8E5M2FNUZ", "f8E4M3B11FNUZ"};
  for (const char* k : kNames)
    if (n == k) return true;
  return false;
}

std::string scalarProblem(const Type& t, int depth) {
  switch (t.kind) {
    case Type::Kind::Int:
      if (t.bits == 1 || t.bits == 8 || t.bits == 16 || t.bits == 32 || t.bits == 64) return "";
      return "unsupported integer type " + t.str();
    case Type::Kind::Index:
      return "";
    case Type::Kind::Float:
      return knownFloat(t.name) ? "" : "unsupported float type " + t.str();
    case Type::Kind::Pointer:
      if (!t.elem) return "pointer without a pointee";
      if (depth > 4) return "pointer type nested too deeply";
      if (t.elem->isTensor()) return typeProblem(*t.elem);  // block pointer
      return scalarProblem(*t.elem, depth + 1);
    case Type::Kind::Opaque:
      return "";  // descriptors and other dialect types: ops using them are unsupported
    default:
      return "type " + t.str() + " cannot be a value's type";
  }
}

}  // namespace

std::string typeProblem(const Type& t) {
  if (!t.isTensor()) return scalarProblem(t, 0);
  if (!t.elem) return "tensor without an element type";
  if (t.shape.empty() || t.rank() > kMaxTensorRank)
    return t.str() + " has rank " + std::to_string(t.rank()) + " (1.." + std::to_string(kMaxTensorRank) +
           " supported)";
  int64_t n = 1;
  for (int64_t d : t.shape) {
    if (d <= 0 || (d & (d - 1)) != 0)
      return t.str() + ": dimension " + std::to_string(d) + " is not a power of two (Triton requires it)";
    if (d > kMaxTensorNumel / n)
      return t.str() + " has more than " + std::to_string(kMaxTensorNumel) +
             " elements (Triton's TRITON_MAX_TENSOR_NUMEL)";
    n *= d;
  }
  if (t.elem->isTensor() || t.elem->kind == Type::Kind::Opaque || t.elem->kind == Type::Kind::None)
    return t.str() + " has a non-scalar element type";
  return scalarProblem(*t.elem, 0);
}

}  // namespace verify

namespace {

using namespace verify;

const CheckTable& checks() {
  static const CheckTable table = [] {
    CheckTable t;
    addElementwiseChecks(t);
    addShapeChecks(t);
    addMemoryChecks(t);
    addControlChecks(t);
    return t;
  }();
  return table;
}

std::string countStr(int lo, int hi) {
  if (hi < 0) return "at least " + std::to_string(lo);
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
}

bool within(size_t n, int lo, int hi) { return n >= static_cast<size_t>(lo) && (hi < 0 || n <= static_cast<size_t>(hi)); }

/// Checks every op can have: a registry entry, its arity, the types of its results and of its
/// regions' block arguments.
Status checkGeneric(const Operation& o) {
  const OpSyntax* syn = lookupOpSyntax(o.name);
  if (!syn) return Status::error("unsupported: " + o.where());
  const Arity& a = syn->arity;
  if (!within(o.operands.size(), a.minOperands, a.maxOperands))
    return err(o, "has " + std::to_string(o.operands.size()) + " operands, expected " +
                      countStr(a.minOperands, a.maxOperands));
  if (!within(o.results.size(), a.minResults, a.maxResults))
    return err(o, "has " + std::to_string(o.results.size()) + " results, expected " +
                      countStr(a.minResults, a.maxResults));
  if (!within(o.regions.size(), a.minRegions, a.maxRegions))
    return err(o, "has " + std::to_string(o.regions.size()) + " regions, expected " +
                      countStr(a.minRegions, a.maxRegions));
  if (!o.successors.empty() && o.name != "cf.br" && o.name != "cf.cond_br") return err(o, "has successors");
  for (const auto& r : o.results) {
    std::string p = typeProblem(r->type);
    if (!p.empty()) return err(o, "result %" + r->name + ": " + p);
  }
  for (const auto& r : o.regions) {
    if (r->blocks.empty()) return err(o, "has an empty region");
    for (const auto& b : r->blocks)
      for (const auto& arg : b->args) {
        std::string p = typeProblem(arg->type);
        if (!p.empty()) return err(o, "block argument %" + arg->name + ": " + p);
      }
  }
  return Status();
}

/// The op that must contain each terminator (region index -1: any region).
Status checkTerminatorParent(const Operation& t) {
  static const std::map<std::string, std::vector<std::string>> kParents = {
      {"tt.return", {"tt.func"}},
      {"tt.reduce.return", {"tt.reduce"}},
      {"tt.scan.return", {"tt.scan"}},
      {"tt.map_elementwise.return", {"tt.map_elementwise"}},
      {"scf.yield", {"scf.for", "scf.if", "scf.while"}},
      {"scf.condition", {"scf.while"}},
      {"cf.br", {"tt.func"}},
      {"cf.cond_br", {"tt.func"}},
  };
  auto it = kParents.find(t.name);
  if (it == kParents.end()) return Status();
  const Operation* parent = t.parentBlock && t.parentBlock->parentRegion ? t.parentBlock->parentRegion->parentOp : nullptr;
  bool ok = false;
  for (const std::string& p : it->second) ok = ok || (parent && parent->name == p);
  if (!ok) return err(t, "is not inside " + it->second[0] + (it->second.size() > 1 ? " (or a similar op)" : ""));
  // scf.yield ends scf.while's after-region only; scf.condition its before-region.
  if (parent->name == "scf.while" && parent->regions.size() == 2) {
    bool before = t.parentBlock->parentRegion == parent->regions[0].get();
    if (before != (t.name == "scf.condition"))
      return err(t, "is in the wrong region of scf.while");
  }
  return Status();
}

/// Walks ops in order, checking definition before use and each op's rules.
struct Verifier {
  const Module& module;
  std::vector<std::unordered_set<const Value*>> visible;
  int depth = 0;

  bool isVisible(const Value* v) const {
    for (const auto& s : visible)
      if (s.count(v)) return true;
    return false;
  }

  Status callCheck(const Operation& o) {
    std::string callee = o.strAttr("callee");
    for (const auto& f : module.ops) {
      if (f->name != "tt.func" || funcName(*f) != callee) continue;
      std::vector<Type> params;
      if (!f->regions.empty() && !f->regions[0]->blocks.empty()) params = argTypes(*f->regions[0]->blocks[0]);
      std::vector<Type> args;
      for (const Value* v : o.operands) args.push_back(v->type);
      if (!f->regions.empty() && params != args)
        return err(o, "passes " + typesStr(args) + " to @" + callee + " which takes " + typesStr(params));
      if (resultTypes(o) != f->resultTypes)
        return err(o, "expects " + typesStr(resultTypes(o)) + " from @" + callee + " which returns " +
                          typesStr(f->resultTypes));
      return Status();
    }
    return err(o, "calls unknown function @" + callee);
  }

  Status op(const Operation& o) {
    if (++depth > 200) return err(o, "regions nested too deeply");
    struct Guard {
      int& d;
      ~Guard() { --d; }
    } guard{depth};
    for (size_t i = 0; i < o.operands.size(); ++i) {
      const Value* v = o.operands[i];
      if (!v) return err(o, "operand " + std::to_string(i) + " is null");
      if (!isVisible(v)) return err(o, "operand %" + v->name + " is used before its definition (or out of scope)");
    }
    TVK_RETURN_IF_ERROR(checkGeneric(o));
    TVK_RETURN_IF_ERROR(checkTerminatorParent(o));
    auto it = checks().find(o.name);
    if (it != checks().end()) TVK_RETURN_IF_ERROR(it->second(o));
    if (o.name == "tt.call") TVK_RETURN_IF_ERROR(callCheck(o));
    bool isolated = o.name == "tt.func";
    for (const auto& r : o.regions) {
      std::vector<std::unordered_set<const Value*>> saved;
      if (isolated) saved.swap(visible);
      visible.emplace_back();  // values of the entry block stay visible in later blocks
      for (size_t bi = 0; bi < r->blocks.size(); ++bi) {
        const Block& b = *r->blocks[bi];
        if (bi > 0) visible.emplace_back();
        for (const auto& a : b.args) visible.back().insert(a.get());
        if (b.ops.empty()) return err(o, "has a block without a terminator");
        for (size_t k = 0; k < b.ops.size(); ++k) {
          const Operation& inner = *b.ops[k];
          const OpSyntax* isyn = lookupOpSyntax(inner.name);
          bool term = isyn && isyn->terminator;
          if (term && k + 1 != b.ops.size()) return err(inner, "terminator is not the last op of its block");
          if (!term && k + 1 == b.ops.size()) return err(inner, "ends its block but is not a terminator");
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
  Verifier v{m, {}};
  v.visible.emplace_back();
  for (const auto& o : m.ops) {
    if (o->name != "tt.func") return Status::error("unsupported: top-level " + o->where());
    TVK_RETURN_IF_ERROR(v.op(*o));
  }
  return Status();
}

}  // namespace tvk::ir
