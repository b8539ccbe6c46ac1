// Verifier checks of pointer and memory ops: tt.addptr, tt.load, tt.store, atomics, block
// pointers (tt.make_tensor_ptr, tt.advance), program ids, llvm.intr.assume, tt.assert, tt.print.
#include "ir/verify_impl.h"

namespace tvk::ir::verify {
namespace {

/// True for `!tt.ptr<tensor<...>>` (a block pointer).
bool isBlockPtr(const Type& t) { return t.isPtr() && t.elem && t.elem->isTensor(); }

Status checkAddPtr(const Operation& op) {
  const Type& p = op.operands[0]->type;
  const Type& off = op.operands[1]->type;
  if (!p.scalar().isPtr() || isBlockPtr(p.scalar())) return err(op, "operand 0 is not an element pointer: " + p.str());
  if (off.scalar().kind != Type::Kind::Int || off.scalar().bits == 1) return err(op, "offset " + off.str() + " is not an integer");
  if (shapeOf(p) != shapeOf(off) || p.isTensor() != off.isTensor()) return err(op, "pointer and offset shapes differ");
  if (op.results[0]->type != p) return err(op, "result type differs from pointer type");
  return Status();
}

Status checkLoadStore(const Operation& op) {
  bool load = op.name == "tt.load";
  const Type& ptr = op.operands[0]->type;
  Type val = loadedType(ptr);
  if (val.kind == Type::Kind::None) return err(op, "operand 0 is not a pointer: " + ptr.str());
  if (isBlockPtr(ptr) && op.operands.size() != (load ? 1u : 2u))
    return err(op, "takes no mask or other with a block pointer");
  const Attribute* bcheck = op.attr("boundaryCheck");
  if (!isBlockPtr(ptr) && bcheck && !bcheck->elems.empty())
    return err(op, "has boundaryCheck without a block pointer");
  if (const Attribute* seg = op.attr("operandSegmentSizes")) {  // generic form: [ptr, (value,) mask, other]
    size_t sum = 0;
    bool ok = seg->kind == Attribute::Kind::Array && seg->elems.size() == 3u;
    for (size_t i = 0; ok && i < seg->elems.size(); ++i) {
      ok = seg->elems[i].i >= 0 && seg->elems[i].i <= 1;
      sum += ok ? static_cast<size_t>(seg->elems[i].i) : 0;
    }
    if (!ok || sum != op.operands.size() || (load && seg->elems[1].i == 0 && seg->elems[2].i == 1))
      return err(op, "operandSegmentSizes " + seg->str() + " does not match its operands");
  }
  if (!val.scalar().isInt() && !val.scalar().isFloat() && !val.scalar().isPtr())
    return err(op, "cannot access values of type " + val.str());
  if (load) {
    if (op.results[0]->type != val)
      return err(op, "result " + op.results[0]->type.str() + " does not match pointer " + ptr.str());
  } else if (op.operands[1]->type != val) {
    return err(op, "value " + op.operands[1]->type.str() + " does not match pointer " + ptr.str());
  }
  size_t maskIdx = load ? 1 : 2;
  if (op.operands.size() > maskIdx) {
    const Type& m = op.operands[maskIdx]->type;
    if (shapeOf(m) != shapeOf(val) || m.isTensor() != val.isTensor() || !isBool(m))
      return err(op, "mask " + m.str() + " does not match " + val.str());
  }
  if (load && op.operands.size() == 3 && op.operands[2]->type != val)
    return err(op, "other " + op.operands[2]->type.str() + " does not match " + val.str());
  if (const Attribute* bc = op.attr("boundaryCheck")) {
    if (bc->kind != Attribute::Kind::Array) return err(op, "boundaryCheck is not an array");
    for (const Attribute& e : bc->elems)
      if (e.kind != Attribute::Kind::Int || e.i < 0 || e.i >= val.rank())
        return err(op, "boundaryCheck " + bc->str() + " names a dimension outside 0.." + std::to_string(val.rank() - 1));
  }
  return Status();
}

/// Atomics: the pointee matches the value type; masks match the shape; known keywords.
Status checkAtomic(const Operation& op) {
  bool cas = op.name == "tt.atomic_cas";
  const Type& ptr = op.operands[0]->type;
  Type val = loadedType(ptr);
  if (val.kind == Type::Kind::None || isBlockPtr(ptr)) return err(op, "operand 0 is not an element pointer: " + ptr.str());
  if (!val.scalar().isInt() && !val.scalar().isFloat()) return err(op, "atomics on " + val.str() + " are not supported");
  if (op.results[0]->type != val) return err(op, "result " + op.results[0]->type.str() + " does not match pointer " + ptr.str());
  for (size_t i = 1; i < op.operands.size(); ++i) {
    const Type& t = op.operands[i]->type;
    bool mask = !cas && i == 2;
    if (mask ? (shapeOf(t) != shapeOf(val) || t.isTensor() != val.isTensor() || !isBool(t)) : t != val)
      return err(op, "operand " + std::to_string(i) + " " + t.str() + " does not match " + val.str());
  }
  TVK_RETURN_IF_ERROR(needKeyword(op, "sem", {"relaxed", "acquire", "release", "acq_rel"}, false));
  TVK_RETURN_IF_ERROR(needKeyword(op, "scope", {"gpu", "cta", "sys"}, false));
  if (!cas)
    TVK_RETURN_IF_ERROR(needKeyword(op, "atomic_rmw_op",
                                    {"and", "or", "xor", "add", "fadd", "max", "min", "umax", "umin", "exch"}, true));
  return Status();
}

/// tt.make_tensor_ptr: base, then shape (i64) / strides (i64) / offsets (i32), one of each per
/// dimension of the block.
Status checkMakeTensorPtr(const Operation& op) {
  const Type& r = op.results[0]->type;
  if (!isBlockPtr(r)) return err(op, "result " + r.str() + " is not a block pointer");
  const Type& block = *r.elem;
  size_t rank = static_cast<size_t>(block.rank());
  if (op.operands.size() != 1 + 3 * rank)
    return err(op, "has " + std::to_string(op.operands.size() - 1) + " shape/stride/offset operands, " + r.str() +
                       " needs " + std::to_string(3 * rank));
  const Type& base = op.operands[0]->type;
  if (!base.isPtr() || *base.elem != *block.elem) return err(op, "base " + base.str() + " does not point to " + block.elem->str());
  for (size_t i = 1; i < op.operands.size(); ++i) {
    Type want = i <= 2 * rank ? Type::i(64) : Type::i(32);
    if (op.operands[i]->type != want)
      return err(op, "operand " + std::to_string(i) + " has type " + op.operands[i]->type.str() + ", expected " + want.str());
  }
  return Status();
}

Status checkAdvance(const Operation& op) {
  const Type& p = op.operands[0]->type;
  if (!isBlockPtr(p) || op.results[0]->type != p) return err(op, "needs a block pointer operand and result of one type");
  if (op.operands.size() != 1 + static_cast<size_t>(p.elem->rank()))
    return err(op, "has " + std::to_string(op.operands.size() - 1) + " offsets for " + p.str());
  for (size_t i = 1; i < op.operands.size(); ++i)
    if (op.operands[i]->type != Type::i(32)) return err(op, "offset " + op.operands[i]->type.str() + " is not i32");
  return Status();
}

Status checkProgramId(const Operation& op) {
  int64_t axis = 0;
  TVK_RETURN_IF_ERROR(needIntAttr(op, "axis", 0, 2, axis));
  if (op.results[0]->type != Type::i(32)) return err(op, "result " + op.results[0]->type.str() + " is not i32");
  return Status();
}

Status checkScalarBool(const Operation& op) {
  const Type& c = op.operands[0]->type;
  if (!isBool(c) || (op.name == "llvm.intr.assume" && c.isTensor())) return err(op, "condition " + c.str() + " is not i1");
  return Status();
}

// tt.print: one isSigned entry per operand; operands are numbers or pointers (scalars or tensors).
Status checkPrint(const Operation& op) {
  const Attribute* sign = op.attr("isSigned");
  size_t n = sign && sign->kind == Attribute::Kind::Array ? sign->elems.size() : 0;
  if (n != op.operands.size())
    return err(op, "isSigned has " + std::to_string(n) + " entries for " +
                       std::to_string(op.operands.size()) + " operands");
  for (const Value* v : op.operands) {
    const Type& s = v->type.scalar();
    if (!s.isInt() && !s.isFloat() && !s.isPtr()) return err(op, "cannot print " + v->type.str());
  }
  return Status();
}

}  // namespace

void addMemoryChecks(CheckTable& t) {
  t["tt.addptr"] = checkAddPtr;
  t["tt.load"] = checkLoadStore;
  t["tt.store"] = checkLoadStore;
  t["tt.atomic_rmw"] = checkAtomic;
  t["tt.atomic_cas"] = checkAtomic;
  t["tt.make_tensor_ptr"] = checkMakeTensorPtr;
  t["tt.advance"] = checkAdvance;
  t["tt.get_program_id"] = checkProgramId;
  t["tt.get_num_programs"] = checkProgramId;
  t["llvm.intr.assume"] = checkScalarBool;
  t["tt.assert"] = checkScalarBool;
  t["tt.print"] = checkPrint;
}

}  // namespace tvk::ir::verify
