// The scaled-dot rewrite (see scaled_dot.h).
#include "ir/scaled_dot.h"

#include <cmath>
#include <set>

#include "ir/verifier.h"
#include "ir/walk.h"

namespace tvk::ir {
namespace {

/// Inserts new ops before position `pos` of `block` (advanced past each new op).
struct Builder {
  Block* block;
  size_t pos;
  Location loc;
  std::string name;

  Value* op(const std::string& opName, std::vector<Value*> operands, const Type& type, AttrDict attrs = {}) {
    return insertOpWithResult(block, pos, opName, std::move(operands), type, std::move(attrs), name, loc);
  }
  static Type like(const Value* v, const Type& elem) { return Type::tensor(v->type.shape, elem); }
  Value* intConst(int64_t v, const Type& tensorType) {
    Attribute a;
    a.kind = Attribute::Kind::Dense;
    a.type = tensorType;
    a.elems = {Attribute::integer(v, Type())};
    return op("arith.constant", {}, tensorType, {{"value", a}});
  }
  Value* nanConst(const Type& tensorType) {
    Attribute e;
    e.kind = Attribute::Kind::Float;
    e.f = std::nan("");
    const std::string& n = tensorType.scalar().name;
    e.s = n == "f32" ? "0x7FC00000" : n == "f16" ? "0x7E00" : "0x7FC0";
    Attribute a;
    a.kind = Attribute::Kind::Dense;
    a.type = tensorType;
    a.elems = {e};
    return op("arith.constant", {}, tensorType, {{"value", a}});
  }
  /// `opName %v, splat(k)` on integer tensors.
  Value* binK(const char* opName, Value* v, int64_t k) { return op(opName, {v, intConst(k, v->type)}, v->type); }
  Value* bin(const char* opName, Value* a, Value* b) { return op(opName, {a, b}, a->type); }
  Value* cmpK(const char* pred, Value* v, int64_t k) {
    return op("arith.cmpi", {v, intConst(k, v->type)}, like(v, Type::i(1)), {{"predicate", Attribute::keyword(pred)}});
  }
  Value* select(Value* c, Value* a, Value* b) { return op("arith.select", {c, a, b}, a->type); }
  Value* cast(const char* opName, Value* v, const Type& elem) { return op(opName, {v}, like(v, elem)); }
  Value* reshape(Value* v, const std::vector<int64_t>& shape) {
    return op("tt.reshape", {v}, Type::tensor(shape, v->type.scalar()));
  }
  Value* trans(Value* v, const std::vector<int>& order) {
    std::vector<int64_t> s;
    Attribute o;
    o.kind = Attribute::Kind::Array;
    o.denseArray = true;
    o.type = Type::i(32);
    for (int d : order) {
      s.push_back(v->type.shape[static_cast<size_t>(d)]);
      o.elems.push_back(Attribute::integer(d, Type()));
    }
    return op("tt.trans", {v}, Type::tensor(s, v->type.scalar()), {{"order", o}});
  }
  Value* expandDims(Value* v, int axis) {
    std::vector<int64_t> s = v->type.shape;
    s.insert(s.begin() + axis, 1);
    return op("tt.expand_dims", {v}, Type::tensor(s, v->type.scalar()), {{"axis", Attribute::integer(axis, Type::i(32))}});
  }
};

bool isFp8(const Type& t) { return t.isFloat() && (t.name == "f8E4M3FN" || t.name == "f8E5M2"); }

/// Mantissa bits and exponent bias of compute type `t` (bf16, f16, f32).
void floatLayout(const Type& t, int& mant, int& bias) {
  if (t.name == "bf16") mant = 7, bias = 127;
  else if (t.name == "f16") mant = 10, bias = 15;
  else mant = 23, bias = 127;
}

/// e2m1 codes (0..15, in an integer tensor of t's width) → bits of compute type `t`.
Value* e2m1Bits(Builder& B, Value* n, const Type& t) {
  int m, bias;
  floatLayout(t, m, bias);
  int w = t.bits;
  Value* sign = B.binK("arith.shli", B.binK("arith.andi", n, 8), w - 4);  // bit 3 → sign bit
  Value* em = B.binK("arith.andi", n, 7);
  // em >= 2: normal, (em << (m-1)) + ((bias-1) << m); em == 1: 0.5; em == 0: zero.
  Value* normal = B.binK("arith.addi", B.binK("arith.shli", em, m - 1), int64_t{bias - 1} << m);
  Value* half = B.intConst(int64_t{bias - 1} << m, n->type);
  Value* mag = B.select(B.cmpK("uge", em, 2), normal, B.select(B.cmpK("eq", em, 1), half, B.intConst(0, n->type)));
  return B.bin("arith.ori", mag, sign);
}

/// Packed e2m1 bytes [R, C] → compute-type values, two per byte (low nibble first) along
/// dimension `packedDim` ([R, 2C] or [2R, C]). Each byte is broadcast to both of its positions
/// (expand_dims + broadcast + reshape: half the scratch of a join of the two nibbles, and no
/// data movement at all where the layout keeps both positions in one invocation), then the
/// position's parity picks the nibble.
Value* unpackE2m1(Builder& B, Value* v, int packedDim, const Type& t) {
  Type wi = Type::i(t.bits);
  int64_t r = v->type.shape[0], c = v->type.shape[1];
  std::vector<int64_t> three = packedDim == 1 ? std::vector<int64_t>{r, c, 2} : std::vector<int64_t>{r, 2, c};
  std::vector<int64_t> out = packedDim == 1 ? std::vector<int64_t>{r, 2 * c} : std::vector<int64_t>{2 * r, c};
  Value* x = B.cast("arith.extui", v, wi);
  x = B.reshape(B.op("tt.broadcast", {B.expandDims(x, packedDim + 1)}, Type::tensor(three, wi)), out);
  Value* parity = B.op("tt.make_range", {}, Type::tensor({2}, Type::i(32)),
                       {{"start", Attribute::integer(0, Type::i(32))}, {"end", Attribute::integer(2, Type::i(32))}});
  if (wi.bits != 32) parity = B.cast("arith.trunci", parity, wi);
  parity = packedDim == 1 ? B.expandDims(B.expandDims(parity, 0), 0) : B.expandDims(B.expandDims(parity, 0), 2);
  parity = B.reshape(B.op("tt.broadcast", {parity}, Type::tensor(three, wi)), out);
  Value* nibble = B.binK("arith.andi", B.bin("arith.shrui", x, B.binK("arith.shli", parity, 2)), 15);
  return B.op("tt.bitcast", {e2m1Bits(B, nibble, t)}, Builder::like(nibble, t));
}

/// e8m0 scale bytes [R, G] → 2^(s-127) in compute type `t` ([R, G]); NaN for 0xFF unless
/// `fastMath`.
Value* scaleValues(Builder& B, Value* s, const Type& t, bool fastMath) {
  Value* v;
  if (t.name == "bf16") {
    v = B.cast("tt.bitcast", B.binK("arith.shli", B.cast("arith.extui", s, Type::i(16)), 7), t);
  } else {
    v = B.cast("tt.bitcast", B.binK("arith.shli", B.cast("arith.extui", s, Type::i(32)), 23), Type::f("f32"));
    if (t.name != "f32") v = B.cast("arith.truncf", v, t);
  }
  if (fastMath) return v;
  return B.select(B.cmpK("eq", s, -1), B.nanConst(v->type), v);
}

/// One operand of a tt.dot_scaled in compute type `t`, shaped for tt.dot ([M, K] for the
/// lhs, [K, N] for the rhs), scaled when `scale` is given.
Result<Value*> upcastOperand(Builder& B, const Operation& op, Value* v, Value* scale, const std::string& fmt,
                             bool kPack, bool lhs, const Type& t, bool fastMath) {
  if (fmt == "e2m1") {
    int packedDim = lhs == kPack ? 1 : 0;
    v = unpackE2m1(B, v, packedDim, t);
  } else if (fmt == "e4m3" || fmt == "e5m2") {
    v = B.cast("tt.fp_to_fp", v, t);
  } else if (v->type.scalar() != t) {
    v = B.cast("arith.extf", v, t);  // bf16/f16 → f32 (mixed bf16 × fp16)
  }
  if (!scale) return v;
  int64_t k = v->type.shape[lhs ? 1 : 0];
  int64_t g = scale->type.shape[1];
  if (g * 32 != k) return Status::error("unsupported: " + op.where() + ": scale groups of other than 32 elements");
  Value* sv = scaleValues(B, scale, t, fastMath);  // [R, G]
  int64_t rows = sv->type.shape[0];
  if (lhs) {  // [M, G] → [M, G, 1] → [M, G, 32] → [M, K]
    sv = B.expandDims(sv, 2);
    sv = B.op("tt.broadcast", {sv}, Type::tensor({rows, g, 32}, t));
    sv = B.reshape(sv, {rows, k});
  } else {  // [N, G] → [G, N] → [G, 1, N] → [G, 32, N] → [K, N]
    sv = B.expandDims(B.trans(sv, {1, 0}), 1);
    sv = B.op("tt.broadcast", {sv}, Type::tensor({g, 32, rows}, t));
    sv = B.reshape(sv, {k, rows});
  }
  return B.bin("arith.mulf", v, sv);
}

Status rewriteDotScaled(Operation& op) {
  auto parts = dotScaledParts(op);
  if (!parts.ok()) return parts.status();
  const DotScaledParts& p = *parts;
  if (p.a->type.rank() != 2) return Status::error("unsupported: " + op.where() + ": batched (3-D) operands");
  std::set<std::string> fmts{p.aFormat, p.bFormat};
  Type t = Type::f("bf16");
  if (fmts.count("fp16")) t = Type::f(fmts.count("bf16") ? "f32" : "f16");
  Block* blk = op.parentBlock;
  size_t pos = 0;
  while (blk->ops[pos].get() != &op) ++pos;
  Builder B{blk, pos, op.loc, op.result()->name};
  auto a = upcastOperand(B, op, p.a, p.aScale, p.aFormat, p.aKPack, true, t, p.fastMath);
  if (!a.ok()) return a.status();
  auto b = upcastOperand(B, op, p.b, p.bScale, p.bFormat, p.bKPack, false, t, p.fastMath);
  if (!b.ok()) return b.status();
  op.name = "tt.dot";
  op.operands = {*a, *b, p.c};
  op.attrs.clear();
  op.propertyNames.clear();
  if (t.name == "f32") op.attrs["inputPrecision"] = Attribute::keyword("ieee");
  return Status();
}

/// fp8 operands of a tt.dot → f16 (or the other operand's bf16/f32 type) by tt.fp_to_fp.
void rewriteFp8Dot(Operation& op) {
  const Type& ae = op.operand(0)->type.scalar();
  const Type& be = op.operand(1)->type.scalar();
  auto target = [](const Type& other) {
    return other.isFloat() && !isFp8(other) && (other.name == "bf16" || other.name == "f32") ? other : Type::f("f16");
  };
  Block* blk = op.parentBlock;
  size_t pos = 0;
  while (blk->ops[pos].get() != &op) ++pos;
  Builder B{blk, pos, op.loc, op.result()->name};
  if (isFp8(ae)) op.operands[0] = B.cast("tt.fp_to_fp", op.operand(0), target(be));
  if (isFp8(be)) op.operands[1] = B.cast("tt.fp_to_fp", op.operand(1), target(ae));
}

bool boolAttr(const Operation& op, const std::string& n, bool dflt, bool& ok) {
  const Attribute* a = op.attr(n);
  if (!a) return dflt;
  if (a->kind != Attribute::Kind::Bool) ok = false;
  return a->i != 0;
}

}  // namespace

Result<DotScaledParts> dotScaledParts(const Operation& op) {
  const Attribute* seg = op.attr("operandSegmentSizes");
  if (!seg || seg->elems.size() != 5) return Status::error(op.where() + ": missing operandSegmentSizes");
  for (int k = 0; k < 5; ++k)
    if (seg->elems[k].i != (k < 3 ? 1 : seg->elems[k].i) || seg->elems[k].i < 0 || seg->elems[k].i > 1)
      return Status::error(op.where() + ": operandSegmentSizes " + seg->str() + " does not match its operands");
  int64_t na = seg->elems[3].i, nb = seg->elems[4].i;
  if (3 + na + nb != op.numOperands())
    return Status::error(op.where() + ": operandSegmentSizes " + seg->str() + " does not match its operands");
  DotScaledParts p;
  p.a = op.operand(0);
  p.b = op.operand(1);
  p.c = op.operand(2);
  if (na) p.aScale = op.operand(3);
  if (nb) p.bScale = op.operand(3 + static_cast<int>(na));
  p.aFormat = op.strAttr("a_elem_type");
  p.bFormat = op.strAttr("b_elem_type");
  bool ok = true;
  p.fastMath = boolAttr(op, "fastMath", false, ok);
  p.aKPack = boolAttr(op, "lhs_k_pack", true, ok);
  p.bKPack = boolAttr(op, "rhs_k_pack", true, ok);
  if (!ok) return Status::error(op.where() + ": fastMath/lhs_k_pack/rhs_k_pack are not booleans");
  return p;
}

Status rewriteScaledDots(Module& m) {
  std::vector<Operation*> scaled, fp8;
  walk(m, [&](Operation& o) {
    if (o.name == "tt.dot_scaled") scaled.push_back(&o);
    if (o.name == "tt.dot" && o.numOperands() == 3 &&
        (isFp8(o.operand(0)->type.scalar()) || isFp8(o.operand(1)->type.scalar())))
      fp8.push_back(&o);
  });
  if (scaled.empty() && fp8.empty()) return Status();
  for (Operation* o : scaled) TVK_RETURN_IF_ERROR(rewriteDotScaled(*o));
  for (Operation* o : fp8) rewriteFp8Dot(*o);
  return verifyModule(m);
}

}  // namespace tvk::ir
