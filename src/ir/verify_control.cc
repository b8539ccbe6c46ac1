// Verifier checks of functions and control flow: tt.func (blocks, returns, argument
// attributes), scf.for/if/while with their yields and conditions, cf branches.
#include "ir/op_syntax.h"
#include "ir/verify_impl.h"

namespace tvk::ir::verify {
namespace {

/// The largest tt.divisibility accepted (the axis analysis caps divisibility at 2^30 too).
constexpr int64_t kMaxDivisibility = int64_t{1} << 30;

Status checkFunc(const Operation& op) {
  const Attribute* name = op.attr("sym_name");
  if (!name || name->kind != Attribute::Kind::String || name->s.empty()) return err(op, "has no name");
  for (const Type& t : op.resultTypes) {
    std::string p = typeProblem(t);
    if (!p.empty()) return err(op, "result type: " + p);
  }
  if (op.regions.empty() || op.regions[0]->blocks.empty()) {
    // A declaration: only private functions (callees resolved by the inliner) may lack a body.
    if (op.strAttr("sym_visibility", "public") == "public") return err(op, "is public but has no body");
    return Status();
  }
  const Block& entry = *op.regions[0]->blocks.front();
  if (op.argAttrs.size() > entry.args.size()) return err(op, "has more argument attributes than arguments");
  for (size_t i = 0; i < op.argAttrs.size(); ++i) {
    auto it = op.argAttrs[i].find("tt.divisibility");
    if (it == op.argAttrs[i].end()) continue;
    const Attribute& d = it->second;
    if (d.kind != Attribute::Kind::Int || d.i < 1 || d.i > kMaxDivisibility)
      return err(op, "argument %" + entry.args[i]->name + ": tt.divisibility " + d.str() + " is not in [1, " +
                         std::to_string(kMaxDivisibility) + "]");
  }
  for (const auto& b : op.regions[0]->blocks) {
    const Operation* t = b->terminator();
    if (!t || (t->name != "tt.return" && t->name != "cf.br" && t->name != "cf.cond_br"))
      return err(op, "block does not end with a terminator (tt.return or a branch)");
    if (t->name == "tt.return" && termTypes(*b) != op.resultTypes)
      return err(*t, "returns " + typesStr(termTypes(*b)) + " but the function declares " + typesStr(op.resultTypes));
  }
  return Status();
}

/// A scalar integer (loop bounds, not i1).
bool isIndexLike(const Type& t) { return t.isInt() && !t.isTensor() && t.bits != 1; }

Status checkFor(const Operation& op) {
  TVK_RETURN_IF_ERROR(needRegion(op, 0, "scf.yield"));
  const Type& lb = op.operands[0]->type;
  if (!isIndexLike(lb) || op.operands[1]->type != lb || op.operands[2]->type != lb)
    return err(op, "bounds and step " + typesStr({lb, op.operands[1]->type, op.operands[2]->type}) +
                       " are not one integer type");
  const Block& b = op.body(0);
  std::vector<Type> inits;
  for (size_t i = 3; i < op.operands.size(); ++i) inits.push_back(op.operands[i]->type);
  if (b.args.empty() || b.args[0]->type != lb) return err(op, "induction variable does not have type " + lb.str());
  if (argTypes(b, 1) != inits || resultTypes(op) != inits)
    return err(op, "iter_args " + typesStr(argTypes(b, 1)) + ", inits " + typesStr(inits) + " and results " +
                       typesStr(resultTypes(op)) + " differ");
  if (termTypes(b) != inits) return err(op, "scf.yield types " + typesStr(termTypes(b)) + " do not match results " + typesStr(inits));
  return Status();
}

Status checkIf(const Operation& op) {
  const Type& c = op.operands[0]->type;
  if (c != Type::i(1)) return err(op, "condition " + c.str() + " is not i1");
  TVK_RETURN_IF_ERROR(needRegion(op, 0, "scf.yield"));
  std::vector<Type> rs = resultTypes(op);
  if (!op.body(0).args.empty()) return err(op, "then-region has arguments");
  if (termTypes(op.body(0)) != rs) return err(op, "then-yield types do not match results " + typesStr(rs));
  bool hasElse = op.regions.size() > 1 && !op.regions[1]->blocks.empty();
  if (!hasElse && !rs.empty()) return err(op, "has results but no else region");
  if (hasElse) {
    TVK_RETURN_IF_ERROR(needRegion(op, 1, "scf.yield"));
    if (!op.body(1).args.empty()) return err(op, "else-region has arguments");
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
  if (cond.empty() || cond[0] != Type::i(1)) return err(op, "scf.condition needs an i1 condition first");
  cond.erase(cond.begin());
  if (cond != resultTypes(op))
    return err(op, "scf.condition forwards " + typesStr(cond) + " but results are " + typesStr(resultTypes(op)));
  if (argTypes(op.body(1)) != resultTypes(op)) return err(op, "after-region arguments do not match results");
  if (termTypes(op.body(1)) != inits) return err(op, "scf.yield types do not match inits");
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
    int64_t nT = seg->elems[1].i, nF = seg->elems[2].i;
    if (seg->elems[0].i != 1 || nT < 0 || nF < 0 || nT > static_cast<int64_t>(op.operands.size()) ||
        nF > static_cast<int64_t>(op.operands.size()) || 1 + nT + nF != static_cast<int64_t>(op.operands.size()))
      return err(op, "operandSegmentSizes does not match operands");
    if (op.operands[0]->type != Type::i(1)) return err(op, "condition is not i1");
    size_t t = static_cast<size_t>(nT), f = static_cast<size_t>(nF);
    ranges = {{1, 1 + t}, {1 + t, 1 + t + f}};
  } else {
    ranges = {{0, op.operands.size()}};
  }
  for (size_t s = 0; s < ranges.size(); ++s) {
    const Block* b = op.successors[s];
    if (!b || !op.parentBlock || b->parentRegion != op.parentBlock->parentRegion)
      return err(op, "branches outside its region");
    std::vector<Type> passed;
    for (size_t i = ranges[s].first; i < ranges[s].second; ++i) passed.push_back(op.operands[i]->type);
    if (passed != argTypes(*b)) return err(op, "passes " + typesStr(passed) + " to a block taking " + typesStr(argTypes(*b)));
  }
  return Status();
}

Status checkCondition(const Operation& op) {
  if (op.operands[0]->type != Type::i(1)) return err(op, "condition " + op.operands[0]->type.str() + " is not i1");
  return Status();
}

}  // namespace

void addControlChecks(CheckTable& t) {
  t["tt.func"] = checkFunc;
  t["scf.for"] = checkFor;
  t["scf.if"] = checkIf;
  t["scf.while"] = checkWhile;
  t["cf.br"] = checkBranch;
  t["cf.cond_br"] = checkBranch;
  t["scf.condition"] = checkCondition;
}

}  // namespace tvk::ir::verify
