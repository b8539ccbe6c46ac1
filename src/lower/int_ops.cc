// Integer arithmetic, comparisons, casts, bitcasts and tt.mulhiui.
//
// i8/i16 live in 32-bit registers, sign-extended: results are re-normalized after each op
// and unsigned ops zero-extend their operands first.
#include <spirv/unified1/GLSL.std.450.h>

#include "lower/fp8.h"
#include "lower/int_division.h"
#include "lower/registry.h"
#include "support/switches.h"

namespace tvk::lower {

namespace {

int bitsOf(const ir::Value* v) {
  const ir::Type& t = v->type.scalar();
  return t.kind == ir::Type::Kind::Index ? 32 : t.bits;
}

// Re-normalizes a narrow int register (sign-extends from `bits`).
Id norm(Context& c, int bits, Id v) {
  if (bits >= 32 || bits == 1) return v;
  return c.b.emit(spv::Op::OpBitFieldSExtract, c.u32(), {v, c.c32(0), c.c32(bits)});
}

// Zero-extended view of a narrow int register.
Id zext(Context& c, int bits, Id v) {
  if (bits >= 32 || bits == 1) return v;
  return c.b.emit(spv::Op::OpBitFieldUExtract, c.u32(), {v, c.c32(0), c.c32(bits)});
}

// Binary integer op; `boolOp` is used for i1 operands (0 = unsupported for i1).
ScalarFn intBinary(spv::Op opcode, spv::Op boolOp, bool unsignedOperands = false) {
  return [=](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    int bits = bitsOf(op.result());
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    if (bits == 1) {
      if (boolOp == spv::Op::OpNop) return c.unsupported(op, "on i1");
      return c.b.emit(boolOp, c.boolean(), {a[0], a[1]});
    }
    Id x = a[0], y = a[1];
    if (unsignedOperands) {
      x = zext(c, bits, x);
      y = zext(c, bits, y);
    }
    return norm(c, bits, c.b.emit(opcode, *t, {x, y}));
  };
}

ScalarFn intGlsl(uint32_t inst, bool unsignedOperands) {
  return [=](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    int bits = bitsOf(op.result());
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    if (bits == 1) return c.unsupported(op, "on i1");
    std::vector<Id> args = a;
    if (unsignedOperands)
      for (Id& x : args) x = zext(c, bits, x);
    return norm(c, bits, c.b.glsl(inst, *t, args));
  };
}

Result<Id> cmpi(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  std::string p = op.strAttr("predicate");
  int bits = bitsOf(op.operand(0));
  Id bt = c.boolean();
  if (bits == 1) {
    if (p == "eq") return c.b.emit(spv::Op::OpLogicalEqual, bt, {a[0], a[1]});
    if (p == "ne") return c.b.emit(spv::Op::OpLogicalNotEqual, bt, {a[0], a[1]});
    // i1 as unsigned 0/1 or signed 0/-1.
    Id u = c.u32();
    Id x = c.b.emit(spv::Op::OpSelect, u, {a[0], c.c32(1), c.c32(0)});
    Id y = c.b.emit(spv::Op::OpSelect, u, {a[1], c.c32(1), c.c32(0)});
    static const std::map<std::string, spv::Op> kB = {
        {"ult", spv::Op::OpULessThan}, {"ule", spv::Op::OpULessThanEqual},
        {"ugt", spv::Op::OpUGreaterThan}, {"uge", spv::Op::OpUGreaterThanEqual},
        {"slt", spv::Op::OpUGreaterThan}, {"sle", spv::Op::OpUGreaterThanEqual},
        {"sgt", spv::Op::OpULessThan}, {"sge", spv::Op::OpULessThanEqual}};
    auto it = kB.find(p);
    if (it == kB.end()) return c.unsupported(op, "cmpi predicate " + p);
    return c.b.emit(it->second, bt, {x, y});
  }
  static const std::map<std::string, spv::Op> kOps = {
      {"eq", spv::Op::OpIEqual},          {"ne", spv::Op::OpINotEqual},
      {"slt", spv::Op::OpSLessThan},      {"sle", spv::Op::OpSLessThanEqual},
      {"sgt", spv::Op::OpSGreaterThan},   {"sge", spv::Op::OpSGreaterThanEqual},
      {"ult", spv::Op::OpULessThan},      {"ule", spv::Op::OpULessThanEqual},
      {"ugt", spv::Op::OpUGreaterThan},   {"uge", spv::Op::OpUGreaterThanEqual}};
  auto it = kOps.find(p);
  if (it == kOps.end()) return c.unsupported(op, "cmpi predicate " + p);
  Id x = a[0], y = a[1];
  if (p[0] == 'u') {
    x = zext(c, bits, x);
    y = zext(c, bits, y);
  }
  if (p[0] == 's') return c.signedCompare(it->second, x, y, bits);
  return c.b.emit(it->second, bt, {x, y});
}

// extsi/extui/trunci/index_cast between integer widths.
ScalarFn intCast(bool isSigned) {
  return [=](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    int from = bitsOf(op.operand(0)), to = bitsOf(op.result());
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    if (from == 1) {
      uint64_t one = isSigned ? ~0ull : 1ull;
      return c.b.emit(spv::Op::OpSelect, *t, {a[0], c.b.constInt(*t, one), c.b.constInt(*t, 0)});
    }
    if (to == 1) {
      Id lowBit = c.b.emit(spv::Op::OpBitwiseAnd, c.b.typeInt(from > 32 ? 64 : 32),
                           {a[0], c.b.constInt(c.b.typeInt(from > 32 ? 64 : 32), 1)});
      return c.b.emit(spv::Op::OpINotEqual, c.boolean(),
                      {lowBit, c.b.constInt(c.b.typeInt(from > 32 ? 64 : 32), 0)});
    }
    Id v = a[0];
    if (to > from) {
      if (!isSigned) v = zext(c, from, v);
      if (to == 64 && from < 64)
        return c.b.emit(isSigned ? spv::Op::OpSConvert : spv::Op::OpUConvert, *t, {v});
      return v;
    }
    // Truncation.
    if (from == 64 && to < 64) v = c.b.emit(spv::Op::OpUConvert, c.u32(), {v});
    return norm(c, to, v);
  };
}

ScalarFn intToFloat(bool isSigned) {
  return [=](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    int from = bitsOf(op.operand(0));
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    Id v = a[0];
    if (from == 1) {
      double one = isSigned ? -1.0 : 1.0;
      return c.b.emit(spv::Op::OpSelect, *t,
                      {v, c.b.constFloat(*t, one), c.b.constFloat(*t, 0.0)});
    }
    if (!isSigned) v = zext(c, from, v);
    Id r = c.b.emit(isSigned ? spv::Op::OpConvertSToF : spv::Op::OpConvertUToF, *t, {v});
    return c.roundTo(op.result()->type.scalar(), r);
  };
}

ScalarFn floatToInt(bool isSigned) {
  return [=](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    int to = bitsOf(op.result());
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    if (to == 1) {
      Id ti = c.u32();
      Id v = c.b.emit(isSigned ? spv::Op::OpConvertFToS : spv::Op::OpConvertFToU, ti, {a[0]});
      return c.b.emit(spv::Op::OpINotEqual, c.boolean(), {v, c.c32(0)});
    }
    Id v = c.b.emit(isSigned ? spv::Op::OpConvertFToS : spv::Op::OpConvertFToU, *t, {a[0]});
    return norm(c, to, v);
  };
}

// tt.mulhiui / arith.mulhisi-style high half of a product.
ScalarFn mulHigh(bool isSigned) {
  return [=](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    int bits = bitsOf(op.result());
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    if (bits != 32 && bits != 64) return c.unsupported(op, "on i" + std::to_string(bits));
    Id st = c.b.typeStructShared({*t, *t});
    Id r = c.b.emit(isSigned ? spv::Op::OpSMulExtended : spv::Op::OpUMulExtended, st,
                    {a[0], a[1]});
    return c.b.emit(spv::Op::OpCompositeExtract, *t, {r, 1});
  };
}

// 16/8-bit int ⇄ float bitcast (i16 ⇄ bf16/f16, i8 ⇄ fp8): int registers hold the
// sign-extended code, float registers the exact f32 value.
Result<Id> narrowBitcast(Context& c, const ir::Operation& op, const ir::Type& from, const ir::Type& to, Id v) {
  const ir::Type& ft = to.isFloat() ? to : from;
  bool bf16 = ft.name == "bf16";
  if (!bf16 && ft.name != "f16" && !isSupportedFp8(ft)) return c.unsupported(op, "bitcast of " + from.str() + " to " + to.str());
  if (to.isFloat()) {
    Id code = zext(c, from.bits, v);
    if (bf16)
      return c.b.emit(spv::Op::OpBitcast, c.f32(), {c.b.emit(spv::Op::OpShiftLeftLogical, c.u32(), {code, c.c32(16)})});
    return decodeFp8(c, ft, code);
  }
  Id code;
  if (bf16) {
    Id bits = c.b.emit(spv::Op::OpBitcast, c.u32(), {v});
    code = c.b.emit(spv::Op::OpShiftRightLogical, c.u32(), {bits, c.c32(16)});
  } else {
    auto e = encodeFp8(c, ft, v);
    if (!e.ok()) return e;
    code = *e;
  }
  return norm(c, to.bits, code);
}

// tt.bitcast / arith.bitcast: same-width reinterpretation; pointers rescale their offset.
Result<Id> bitcast(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  const ir::Type& from = op.operand(0)->type.scalar();
  const ir::Type& to = op.result()->type.scalar();
  auto t = c.regTypeOf(op.result());
  auto s = c.regTypeOf(op.operand(0));
  if (!t.ok()) return t;
  if (!s.ok()) return s;
  if (from.isPtr()) {
    if (c.isAddress(op.operand(0))) return a[0];  // bytes
    int fb = (from.elem->bits + 7) / 8, tb = (to.elem->bits + 7) / 8;
    Id v = a[0];
    if (*t != *s) v = c.b.emit(spv::Op::OpUConvert, *t, {v});
    if (fb > tb) return c.b.emit(spv::Op::OpIMul, *t, {v, c.b.constInt(*t, fb / tb)});
    if (fb < tb) return c.b.emit(spv::Op::OpSDiv, *t, {v, c.b.constInt(*t, tb / fb)});
    return v;
  }
  if (from.bits != to.bits) return c.unsupported(op, "bitcast between widths");
  if (from.bits == 32 || from.bits == 64)
    return *t == *s ? a[0] : c.b.emit(spv::Op::OpBitcast, *t, {a[0]});
  if (from.bits == 1) return a[0];
  // Same type (uint8 -> int8 is i8 -> i8 in TTIR): registers already hold the value.
  if (from.str() == to.str()) return a[0];
  if ((from.bits == 16 || from.bits == 8) && from.isFloat() != to.isFloat())
    return narrowBitcast(c, op, from, to, a[0]);
  if ((from.bits == 16 || from.bits == 8) && from.isFloat() && to.isFloat()) {
    // f16 <-> bf16, fp8 <-> fp8: through the integer code of the same width.
    const ir::Type code = ir::Type::i(from.bits);
    auto v = narrowBitcast(c, op, from, code, a[0]);
    if (!v.ok()) return v;
    return narrowBitcast(c, op, code, to, *v);
  }
  return c.unsupported(op, "bitcast of " + from.str());
}

Result<Id> absi(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  return norm(c, bitsOf(op.result()), c.b.glsl(GLSLstd450SAbs, *t, {a[0]}));
}

// Signed remainder as a - (a / b) * b: NVIDIA's driver (580) evaluates OpSRem on operands
// declared with unsigned int types as an unsigned remainder, while OpSDiv is right.
Id signedRem(Context& c, Id t, Id a, Id b) {
  Id q = c.b.emit(spv::Op::OpSDiv, t, {a, b});
  return c.b.emit(spv::Op::OpISub, t, {a, c.b.emit(spv::Op::OpIMul, t, {q, b})});
}

Result<Id> remsi(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  int bits = bitsOf(op.result());
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  if (bits == 1) return c.unsupported(op, "on i1");
  return norm(c, bits, signedRem(c, *t, a[0], a[1]));
}

// floordivsi / ceildivsi / ceildivui: the truncating quotient adjusted by the remainder.
ScalarFn roundedDiv(bool floor, bool isSigned) {
  return [=](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    int bits = bitsOf(op.result());
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    if (bits == 1) return c.unsupported(op, "on i1");
    auto& b = c.b;
    Id x = isSigned ? a[0] : zext(c, bits, a[0]), y = isSigned ? a[1] : zext(c, bits, a[1]);
    Id q = b.emit(isSigned ? spv::Op::OpSDiv : spv::Op::OpUDiv, *t, {x, y});
    Id rem = isSigned ? signedRem(c, *t, x, y) : b.emit(spv::Op::OpUMod, *t, {x, y});
    Id zero = b.constInt(*t, 0);
    Id nz = b.emit(spv::Op::OpINotEqual, c.boolean(), {rem, zero});
    Id adjust = nz;
    if (isSigned) {
      Id rn = c.signedCompare(spv::Op::OpSLessThan, rem, zero, bits);
      Id yn = c.signedCompare(spv::Op::OpSLessThan, y, zero, bits);
      Id same = b.emit(spv::Op::OpLogicalEqual, c.boolean(), {rn, yn});
      adjust = b.emit(spv::Op::OpLogicalAnd, c.boolean(),
                      {nz, floor ? b.emit(spv::Op::OpLogicalNot, c.boolean(), {same}) : same});
    }
    Id delta = b.emit(spv::Op::OpSelect, *t, {adjust, b.constInt(*t, 1), zero});
    return norm(c, bits, b.emit(floor ? spv::Op::OpISub : spv::Op::OpIAdd, *t, {q, delta}));
  };
}

// One Divider per distinct divisor register of an op (lower/int_division.h): every slot of a
// splat divisor shares one reciprocal. All of an op's slots are emitted in one block. Narrow
// unsigned divisors are zero-extended once, with their Divider.
class Dividers {
 public:
  Dividers(Context& c, bool isSigned, int bits) : c_(c), signed_(isSigned), bits_(bits) {}
  Divider& of(Id d) {
    auto it = byDivisor_.find(d);
    if (it == byDivisor_.end())
      it = byDivisor_.emplace(d, Divider(c_, signed_ ? d : zext(c_, bits_, d), signed_)).first;
    return it->second;
  }

 private:
  Context& c_;
  bool signed_;
  int bits_;
  std::map<Id, Divider> byDivisor_;
};

// arith.divsi/remsi (signed) against divui/remui; remsi/remui (remainders) against quotients.
bool signedDivision(const ir::Operation& op) { return op.name == "arith.divsi" || op.name == "arith.remsi"; }
bool remainder(const ir::Operation& op) { return op.name == "arith.remsi" || op.name == "arith.remui"; }

// Whether `op` (a division or remainder) divides through reciprocals: 32-bit or narrower
// operands (i1 has its own error) and a divisor that is not a compile-time constant.
// TVK_RECIPROCAL_DIVISION=0 leaves every division to the driver (a measurement switch).
bool reciprocalDivision(const ir::Operation& op) {
  static const bool on = switchOn("TVK_RECIPROCAL_DIVISION");
  const int bits = bitsOf(op.result());
  return on && bits > 1 && bits <= 32 && !constantDivisor(op.operand(1));
}

// Divisions and remainders over groups of k slots (analysis::VectorPlan::runDivisions): the
// group's dividends are x0 + i (i < k, x0 a multiple of k) and its divisor d one multiple of k,
// so only x0 is divided: q0 = x0 / d, r0 = x0 % d (r0 a multiple of k, |r0| <= |d| - k).
// Unsigned, and signed with x0 >= 0 or r0 != 0: the quotient of x0 + i is q0 and its
// remainder r0 + i (it stays below |d| with the dividend's sign; x0 < 0 means x0 <= -k, so the
// whole group is negative). Signed with x0 < 0 and r0 = 0 (x0 a negative multiple of d), for
// i >= 1: remainder i - |d| and quotient q0 + sign(d) (truncation towards zero).
Status lowerRunDivision(Context& c, const ir::Operation& op, uint32_t k) {
  const ir::Value* res = op.result();
  const int bits = bitsOf(res);
  auto t = c.regTypeOf(res);
  if (!t.ok()) return t.status();
  auto& b = c.b;
  const bool isSigned = signedDivision(op), isRem = remainder(op);
  const bool reciprocal = reciprocalDivision(op);
  Dividers dividers(c, isSigned, bits);
  const uint32_t n = c.layouts.slots(res);
  std::vector<Id> out(n, 0);
  for (uint32_t g = 0; g < n; g += k) {
    Id x0 = c.at(op.operand(0), g), d = c.at(op.operand(1), g);
    Id q0 = 0, r0 = 0;
    if (reciprocal) {
      auto qr = dividers.of(d).divide(x0, !isRem, isRem || isSigned);  // the signed fix needs r0
      q0 = qr.quotient;
      r0 = qr.remainder;
    } else {
      q0 = b.emit(isSigned ? spv::Op::OpSDiv : spv::Op::OpUDiv, *t, {x0, d});
      r0 = isSigned ? b.emit(spv::Op::OpISub, *t, {x0, b.emit(spv::Op::OpIMul, *t, {q0, d})})
                    : b.emit(spv::Op::OpUMod, *t, {x0, d});
    }
    out[g] = isRem ? r0 : q0;
    Id fix = 0;  // the signed correction of slots i >= 1, or 0
    if (isSigned) {
      Id zero = b.constInt(*t, 0);
      Id wrapped = b.emit(spv::Op::OpLogicalAnd, c.boolean(),
                          {c.signedCompare(spv::Op::OpSLessThan, x0, zero, bits),
                           b.emit(spv::Op::OpIEqual, c.boolean(), {r0, zero})});
      Id by = isRem ? b.glsl(GLSLstd450SAbs, *t, {d})
                    : b.emit(spv::Op::OpSelect, *t,
                             {c.signedCompare(spv::Op::OpSLessThan, d, zero, bits), b.constInt(*t, bits == 64 ? ~0ull : 0xffffffffull), b.constInt(*t, 1)});
      fix = b.emit(spv::Op::OpSelect, *t, {wrapped, by, zero});
    }
    for (uint32_t i = 1; i < k; ++i) {
      if (!isRem) {
        out[g + i] = fix ? (i == 1 ? b.emit(spv::Op::OpIAdd, *t, {q0, fix}) : out[g + 1]) : q0;
        continue;
      }
      Id ri = b.emit(spv::Op::OpIAdd, *t, {r0, b.constInt(*t, i)});
      out[g + i] = fix ? b.emit(spv::Op::OpISub, *t, {ri, fix}) : ri;
    }
  }
  c.bind(res, std::move(out));
  c.memoSlots(res);
  return Status();
}

// Every slot divided through the reciprocals of its op's divisors (reciprocalDivision).
Status lowerReciprocalDivision(Context& c, const ir::Operation& op) {
  const ir::Value* res = op.result();
  const int bits = bitsOf(res);
  const bool isSigned = signedDivision(op), isRem = remainder(op);
  Dividers dividers(c, isSigned, bits);
  const uint32_t n = c.layouts.slots(res), equal = c.vectors.equalSlotsOf(res);
  std::vector<Id> out;
  for (uint32_t s = 0; s < n; ++s) {
    if (s % equal) {
      out.push_back(out[s - s % equal]);
      continue;
    }
    Id x = c.at(op.operand(0), s);
    auto qr = dividers.of(c.at(op.operand(1), s)).divide(isSigned ? x : zext(c, bits, x), !isRem, isRem);
    out.push_back(norm(c, bits, isRem ? qr.remainder : qr.quotient));
  }
  c.bind(res, std::move(out));
  c.memoSlots(res);
  return Status();
}

// arith.divsi/divui/remsi/remui: by groups where the vector plan found them, else per element
// (through reciprocals unless the divisor is a constant or the operands are 64-bit).
void registerDivision(Registry& r, const std::string& name, ScalarFn fn) {
  registerElementwise(r, name, fn);
  LowerFn perElement = r.ops[name];
  r.ops[name] = [perElement](Context& c, const ir::Operation& op) -> Status {
    const uint32_t k = c.vectors.runDivisionsOf(op.result());
    if (k > 1) return lowerRunDivision(c, op, k);
    return reciprocalDivision(op) ? lowerReciprocalDivision(c, op) : perElement(c, op);
  };
}

}  // namespace

void registerIntOps(Registry& r) {
  registerElementwise(r, "arith.floordivsi", roundedDiv(true, true));
  registerElementwise(r, "arith.ceildivsi", roundedDiv(false, true));
  registerElementwise(r, "arith.ceildivui", roundedDiv(false, false));
  const spv::Op none = spv::Op::OpNop;
  registerElementwise(r, "arith.addi", intBinary(spv::Op::OpIAdd, spv::Op::OpLogicalNotEqual));
  registerElementwise(r, "arith.subi", intBinary(spv::Op::OpISub, spv::Op::OpLogicalNotEqual));
  registerElementwise(r, "arith.muli", intBinary(spv::Op::OpIMul, spv::Op::OpLogicalAnd));
  registerDivision(r, "arith.divsi", intBinary(spv::Op::OpSDiv, none));
  registerDivision(r, "arith.divui", intBinary(spv::Op::OpUDiv, none, true));
  registerDivision(r, "arith.remsi", remsi);
  registerDivision(r, "arith.remui", intBinary(spv::Op::OpUMod, none, true));
  registerElementwise(r, "arith.andi", intBinary(spv::Op::OpBitwiseAnd, spv::Op::OpLogicalAnd));
  registerElementwise(r, "arith.ori", intBinary(spv::Op::OpBitwiseOr, spv::Op::OpLogicalOr));
  registerElementwise(r, "arith.xori",
                      intBinary(spv::Op::OpBitwiseXor, spv::Op::OpLogicalNotEqual));
  registerElementwise(r, "arith.shli", intBinary(spv::Op::OpShiftLeftLogical, none));
  registerElementwise(r, "arith.shrsi", intBinary(spv::Op::OpShiftRightArithmetic, none));
  registerElementwise(r, "arith.shrui", intBinary(spv::Op::OpShiftRightLogical, none, true));
  registerElementwise(r, "arith.maxsi", intGlsl(GLSLstd450SMax, false));
  registerElementwise(r, "arith.minsi", intGlsl(GLSLstd450SMin, false));
  registerElementwise(r, "arith.maxui", intGlsl(GLSLstd450UMax, true));
  registerElementwise(r, "arith.minui", intGlsl(GLSLstd450UMin, true));
  registerElementwise(r, "arith.cmpi", cmpi);
  registerElementwise(r, "arith.extsi", intCast(true));
  registerElementwise(r, "arith.extui", intCast(false));
  registerElementwise(r, "arith.trunci", intCast(true));
  registerElementwise(r, "arith.index_cast", intCast(true));
  registerElementwise(r, "arith.sitofp", intToFloat(true));
  registerElementwise(r, "arith.uitofp", intToFloat(false));
  registerElementwise(r, "arith.fptosi", floatToInt(true));
  registerElementwise(r, "arith.fptoui", floatToInt(false));
  registerElementwise(r, "tt.mulhiui", mulHigh(false));
  registerElementwise(r, "arith.mulhisi", mulHigh(true));
  registerElementwise(r, "tt.bitcast", bitcast);
  registerElementwise(r, "arith.bitcast", bitcast);
  registerElementwise(r, "math.absi", absi);
}

}  // namespace tvk::lower
