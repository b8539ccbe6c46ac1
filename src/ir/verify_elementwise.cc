// Verifier checks of elementwise ops: arith/math with one type, compares, select, casts,
// constants. Shapes: all tensor operands and results share one shape (scalars with scalars).
#include "ir/op_syntax.h"
#include "ir/verify_impl.h"

namespace tvk::ir::verify {
namespace {

/// Which scalar types an elementwise op computes on.
enum class Elems { Int, Float, Any };

/// Integer-only and float-only ops of Form::SameType (the others take any scalar type).
Elems elemsOf(const std::string& n) {
  static const char* kInt[] = {
      "arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui", "arith.remsi",
      "arith.remui", "arith.andi", "arith.ori", "arith.xori", "arith.shli", "arith.shrui",
      "arith.shrsi", "arith.maxsi", "arith.maxui", "arith.minsi", "arith.minui", "arith.ceildivsi",
      "arith.floordivsi", "arith.ceildivui", "arith.mulhisi", "arith.mulhiui", "math.absi",
      "math.ctlz", "math.cttz", "math.ctpop", "math.ipowi", "tt.mulhiui"};
  for (const char* k : kInt)
    if (n == k) return Elems::Int;
  return Elems::Float;  // arith.*f, math.*, tt.precise_*, tt.clampf
}

std::string elemsName(Elems e) { return e == Elems::Int ? "integer" : e == Elems::Float ? "float" : "any"; }

bool elemsMatch(Elems e, const Type& t) {
  const Type& s = t.scalar();
  if (e == Elems::Int) return s.isInt();
  if (e == Elems::Float) return s.isFloat();
  return s.isInt() || s.isFloat();
}

/// All tensor operands/results share one shape; scalars only with scalars (arith.select may
/// take a scalar condition with tensor values).
Status sameShapes(const Operation& op) {
  const Type* ref = op.results.empty() ? nullptr : &op.results[0]->type;
  for (size_t i = 0; i < op.operands.size(); ++i) {
    const Type& t = op.operands[i]->type;
    if (!ref) {
      ref = &t;
      continue;
    }
    if (op.name == "arith.select" && i == 0 && !t.isTensor()) continue;
    if (t.isTensor() != ref->isTensor() || shapeOf(t) != shapeOf(*ref))
      return err(op, "operand " + std::to_string(i) + " shape " + t.str() + " differs from " + ref->str());
  }
  return Status();
}

/// Form::SameType ops: every operand has the result's type, of the op's element kind.
Status checkSameType(const Operation& op) {
  TVK_RETURN_IF_ERROR(sameShapes(op));
  const Type& t = op.results[0]->type;
  for (const Value* v : op.operands)
    if (v->type != t) return err(op, "operand type " + v->type.str() + " differs from result type " + t.str());
  Elems e = elemsOf(op.name);
  if (!elemsMatch(e, t)) return err(op, "needs " + elemsName(e) + " operands, got " + t.str());
  return Status();
}

Status checkCmp(const Operation& op) {
  TVK_RETURN_IF_ERROR(sameShapes(op));
  const Type& a = op.operands[0]->type;
  if (a != op.operands[1]->type) return err(op, "compares " + a.str() + " with " + op.operands[1]->type.str());
  bool isInt = op.name == "arith.cmpi";
  if (isInt ? !a.scalar().isInt() : !a.scalar().isFloat())
    return err(op, "needs " + std::string(isInt ? "integer" : "float") + " operands, got " + a.str());
  if (!isBool(op.results[0]->type) || shapeOf(op.results[0]->type) != shapeOf(a))
    return err(op, "result " + op.results[0]->type.str() + " is not i1 of the operands' shape");
  static const std::vector<std::string> kInt = {"eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"};
  static const std::vector<std::string> kFloat = {"false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord",
                                                  "ueq", "ugt", "uge", "ult", "ule", "une", "uno", "true"};
  return needKeyword(op, "predicate", isInt ? kInt : kFloat, true);
}

Status checkSelect(const Operation& op) {
  TVK_RETURN_IF_ERROR(sameShapes(op));
  const Type& c = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  if (!isBool(c)) return err(op, "condition " + c.str() + " is not i1");
  if (op.operands[1]->type != r || op.operands[2]->type != r)
    return err(op, "values " + op.operands[1]->type.str() + " and " + op.operands[2]->type.str() +
                       " do not both have the result type " + r.str());
  if (!r.scalar().isInt() && !r.scalar().isFloat() && !r.scalar().isPtr())
    return err(op, "cannot select values of type " + r.str());
  return Status();
}

/// Integer/float extensions widen, truncations narrow, int/float kinds as the op says.
Status checkCast(const Operation& op) {
  TVK_RETURN_IF_ERROR(sameShapes(op));
  const Type& from = op.operands[0]->type.scalar();
  const Type& to = op.results[0]->type.scalar();
  const std::string& n = op.name;
  bool ok = true;
  bool ints = from.kind == Type::Kind::Int && to.kind == Type::Kind::Int;
  if (n == "arith.extsi" || n == "arith.extui") ok = ints && to.bits > from.bits;
  else if (n == "arith.trunci") ok = ints && to.bits < from.bits;
  else if (n == "arith.extf") ok = from.isFloat() && to.isFloat() && to.bits > from.bits;
  else if (n == "arith.truncf") ok = from.isFloat() && to.isFloat() && to.bits < from.bits;
  else if (n == "arith.sitofp" || n == "arith.uitofp") ok = from.kind == Type::Kind::Int && to.isFloat();
  else if (n == "arith.fptosi" || n == "arith.fptoui") ok = from.isFloat() && to.kind == Type::Kind::Int;
  else if (n == "arith.index_cast" || n == "arith.index_castui")
    ok = from.isInt() && to.isInt() && (from.kind == Type::Kind::Index) != (to.kind == Type::Kind::Index);
  else if (n == "arith.bitcast") ok = (from.isInt() || from.isFloat()) && (to.isInt() || to.isFloat()) && from.bits == to.bits;
  else if (n == "tt.bitcast")
    ok = (from.isPtr() && to.isPtr()) ||
         ((from.isInt() || from.isFloat()) && (to.isInt() || to.isFloat()) && from.bits == to.bits);
  else if (n == "tt.fp_to_fp") ok = from.isFloat() && to.isFloat() && from != to;
  else if (n == "tt.int_to_ptr") ok = from.kind == Type::Kind::Int && from.bits == 64 && to.isPtr();
  else if (n == "tt.ptr_to_int") ok = from.isPtr() && to.kind == Type::Kind::Int && to.bits == 64;
  if (!ok) return err(op, "cannot convert " + op.operands[0]->type.str() + " to " + op.results[0]->type.str());
  if (n == "tt.fp_to_fp") return needKeyword(op, "rounding", {"rtne", "rtz"}, false);
  return Status();
}

/// One scalar element of a constant has the kind its type needs.
Status checkScalarValue(const Operation& op, const Attribute& v, const Type& t) {
  bool ok = t.isInt() ? v.kind == Attribute::Kind::Int || v.kind == Attribute::Kind::Bool
                      : t.isFloat() && v.kind == Attribute::Kind::Float;
  if (!ok) return err(op, "value " + v.str() + " does not suit type " + t.str());
  return Status();
}

Status checkConstant(const Operation& op) {
  const Attribute* v = op.attr("value");
  const Type& r = op.results[0]->type;
  if (!v) return err(op, "has no value");
  if (v->type != r) return err(op, "value of type " + v->type.str() + " for result " + r.str());
  const Type& s = r.scalar();
  if (!s.isInt() && !s.isFloat()) return err(op, "constants of type " + r.str() + " are not supported");
  if (!r.isTensor()) return checkScalarValue(op, *v, s);
  if (v->kind != Attribute::Kind::Dense) return err(op, "tensor constant needs a dense value");
  if (v->elems.empty()) return err(op, "dense value without elements");
  if (v->elems.size() != 1 && static_cast<int64_t>(v->elems.size()) != r.numel())
    return err(op, "dense value has " + std::to_string(v->elems.size()) + " elements, " + r.str() + " needs " +
                       std::to_string(r.numel()));
  for (const Attribute& e : v->elems) TVK_RETURN_IF_ERROR(checkScalarValue(op, e, s));
  return Status();
}

Status checkExternElementwise(const Operation& op) { return sameShapes(op); }

}  // namespace

void addElementwiseChecks(CheckTable& t) {
  for (const char* n :
       {"arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui", "arith.remsi",
        "arith.remui", "arith.andi", "arith.ori", "arith.xori", "arith.shli", "arith.shrui",
        "arith.shrsi", "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.remf",
        "arith.maxnumf", "arith.minnumf", "arith.maximumf", "arith.minimumf", "arith.maxsi",
        "arith.maxui", "arith.minsi", "arith.minui", "arith.negf", "arith.ceildivsi",
        "arith.floordivsi", "arith.ceildivui", "arith.mulhisi", "arith.mulhiui", "math.exp",
        "math.exp2", "math.log", "math.log2", "math.log10", "math.log1p", "math.expm1", "math.sin",
        "math.cos", "math.tan", "math.tanh", "math.sqrt", "math.rsqrt", "math.absf", "math.absi",
        "math.floor", "math.ceil", "math.erf", "math.fma", "math.round", "math.roundeven",
        "math.trunc", "math.copysign", "math.powf", "math.atan", "math.atan2", "math.ctlz",
        "math.cttz", "math.ctpop", "math.sinh", "math.cosh", "math.asin", "math.acos", "math.cbrt",
        "math.fpowi", "math.ipowi", "tt.precise_sqrt", "tt.precise_divf", "tt.mulhiui", "tt.clampf"})
    t[n] = checkSameType;
  t["arith.cmpi"] = checkCmp;
  t["arith.cmpf"] = checkCmp;
  t["arith.select"] = checkSelect;
  for (const char* n :
       {"arith.extsi", "arith.extui", "arith.trunci", "arith.extf", "arith.truncf", "arith.sitofp",
        "arith.uitofp", "arith.fptosi", "arith.fptoui", "arith.bitcast", "arith.index_cast",
        "arith.index_castui", "tt.bitcast", "tt.fp_to_fp", "tt.int_to_ptr", "tt.ptr_to_int"})
    t[n] = checkCast;
  t["arith.constant"] = checkConstant;
  t["tt.extern_elementwise"] = checkExternElementwise;
}

}  // namespace tvk::ir::verify
