// math.* ops: GLSL.std.450 where its precision is enough, own code for erf; f64 transcendental
// functions in lower/math_f64.cc.
#include <spirv/unified1/GLSL.std.450.h>

#include <functional>
#include <string>

#include "lower/float_emit.h"
#include "lower/registry.h"

namespace tvk::lower {

namespace {

// GLSL.std.450 instructions defined for 16/32-bit floats only (f64 takes lower/math_f64.cc).
bool narrowFloatOnly(uint32_t inst) {
  switch (inst) {
    case GLSLstd450Sin: case GLSLstd450Cos: case GLSLstd450Tan: case GLSLstd450Asin:
    case GLSLstd450Acos: case GLSLstd450Atan: case GLSLstd450Sinh: case GLSLstd450Cosh:
    case GLSLstd450Tanh: case GLSLstd450Asinh: case GLSLstd450Acosh: case GLSLstd450Atanh:
    case GLSLstd450Atan2: case GLSLstd450Pow: case GLSLstd450Exp: case GLSLstd450Log:
    case GLSLstd450Exp2: case GLSLstd450Log2:
      return true;
    default:
      return false;
  }
}

ScalarFn glslUnary(uint32_t inst) {
  return [inst](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    if (narrowFloatOnly(inst) && c.b.scalarBits(*t) == 64) return f64Math(c, op, a);
    return c.roundTo(op.result()->type.scalar(), c.b.glsl(inst, *t, a));
  };
}

// Horner evaluation of sum coef[i] * x^i.
Id horner(Context& c, Id t, Id x, const std::vector<double>& coef) {
  Id acc = c.b.constFloat(t, coef.back());
  for (int i = static_cast<int>(coef.size()) - 2; i >= 0; --i) {
    Id m = c.b.emit(spv::Op::OpFMul, t, {acc, x});
    acc = c.b.emit(spv::Op::OpFAdd, t, {m, c.b.constFloat(t, coef[i])});
  }
  return acc;
}

// erf: Taylor series below 0.5 (relative error < 1e-7), Abramowitz–Stegun 7.1.26 above
// (absolute error < 1.5e-7 where |erf| > 0.52).
Result<Id> erf(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto tr = c.regTypeOf(op.result());
  if (!tr.ok()) return tr;
  Id t = *tr, x = a[0];
  auto& b = c.b;
  if (b.scalarBits(t) == 64) return f64Math(c, op, a);
  const double k = 1.1283791670955126;  // 2 / sqrt(pi)
  Id x2 = b.emit(spv::Op::OpFMul, t, {x, x});
  Id series = horner(c, t, x2, {k, -k / 3, k / 10, -k / 42, k / 216, -k / 1320});
  Id small = b.emit(spv::Op::OpFMul, t, {x, series});
  Id ax = b.glsl(GLSLstd450FAbs, t, {x});
  Id den = b.emit(spv::Op::OpFAdd, t,
                  {b.constFloat(t, 1.0), b.emit(spv::Op::OpFMul, t, {ax, b.constFloat(t, 0.3275911)})});
  Id tt = b.emit(spv::Op::OpFDiv, t, {b.constFloat(t, 1.0), den});
  Id poly = horner(c, t, tt,
                   {0.0, 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429});
  Id e = b.glsl(GLSLstd450Exp, t, {b.emit(spv::Op::OpFNegate, t, {x2})});
  Id y = b.emit(spv::Op::OpFSub, t, {b.constFloat(t, 1.0), b.emit(spv::Op::OpFMul, t, {poly, e})});
  Id big = b.glsl(GLSLstd450FSign, t, {x});
  big = b.emit(spv::Op::OpFMul, t, {big, y});
  Id isSmall = b.emit(spv::Op::OpFOrdLessThan, c.boolean(), {ax, b.constFloat(t, 0.5)});
  Id r = b.emit(spv::Op::OpSelect, t, {isSmall, small, big});
  Id nan = b.emit(spv::Op::OpIsNan, c.boolean(), {x});
  r = b.emit(spv::Op::OpSelect, t, {nan, x, r});
  return c.roundTo(op.result()->type.scalar(), r);
}

Result<Id> fma(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  return c.roundTo(op.result()->type.scalar(), c.b.glsl(GLSLstd450Fma, *t, a));
}

Result<Id> clampf(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  bool propagate = op.intAttr("propagateNan", 0) != 0 || op.strAttr("propagateNan") == "all";
  Id r = c.b.glsl(GLSLstd450NClamp, *t, a);
  if (propagate) {
    Id nan = c.b.emit(spv::Op::OpIsNan, c.boolean(), {a[0]});
    r = c.b.emit(spv::Op::OpSelect, *t, {nan, a[0], r});
  }
  return r;
}

// An f32 result computed through f64 (`fn` on the operands converted to f64), when the target
// has f64; 0 otherwise. A quotient or square root of f32 operands is at least 2^-50 (relative)
// away from the midpoint of two f32 numbers, so an f64 result within one f64 ulp rounds to the
// correctly rounded f32 one.
Id throughF64(Context& c, Id t, const std::vector<Id>& a,
              const std::function<Id(Id, const std::vector<Id>&)>& fn) {
  if (c.b.scalarBits(t) != 32) return 0;
  auto d = c.regType(ir::Type::f("f64"));
  if (!d.ok()) return 0;
  std::vector<Id> wide;
  for (Id x : a) wide.push_back(c.b.emit(spv::Op::OpFConvert, *d, {x}));
  return c.b.emit(spv::Op::OpFConvert, t, {fn(*d, wide)});
}

// tt.precise_divf: correctly rounded. f32 through f64 where the target has it (a fused multiply-add
// is not guaranteed: lavapipe's GLSL Fma rounds twice, and the residual step below then leaves
// the device's quotient as it was); otherwise the quotient refined by one FMA residual step,
// falling back to the plain quotient when the step is not finite.
Result<Id> preciseDiv(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto tr = c.regTypeOf(op.result());
  if (!tr.ok()) return tr;
  Id t = *tr;
  auto& b = c.b;
  if (Id viaF64 = throughF64(c, t, a, [&](Id d, const std::vector<Id>& w) {
        Id q = b.emit(spv::Op::OpFDiv, d, {w[0], w[1]});
        b.decorate(q, spv::Decoration::NoContraction);  // kept in f64 (Mesa: `exact`)
        return q;
      }))
    return c.roundTo(op.result()->type.scalar(), viaF64);
  Id q = b.emit(spv::Op::OpFDiv, t, {a[0], a[1]});
  Id r = b.glsl(GLSLstd450Fma, t, {b.emit(spv::Op::OpFNegate, t, {q}), a[1], a[0]});
  Id rcp = b.emit(spv::Op::OpFDiv, t, {b.constFloat(t, 1.0), a[1]});
  Id q1 = b.glsl(GLSLstd450Fma, t, {r, rcp, q});
  Id bad = b.emit(spv::Op::OpLogicalOr, c.boolean(),
                  {b.emit(spv::Op::OpIsNan, c.boolean(), {q1}),
                   b.emit(spv::Op::OpIsInf, c.boolean(), {q1})});
  return c.roundTo(op.result()->type.scalar(), b.emit(spv::Op::OpSelect, t, {bad, q, q1}));
}

// tt.precise_sqrt: correctly rounded; as preciseDiv (through f64, else one FMA residual step).
Result<Id> preciseSqrt(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto tr = c.regTypeOf(op.result());
  if (!tr.ok()) return tr;
  Id t = *tr;
  auto& b = c.b;
  if (Id viaF64 = throughF64(c, t, a, [&](Id d, const std::vector<Id>& w) {
        return b.glsl(GLSLstd450Sqrt, d, {w[0]});
      }))
    return c.roundTo(op.result()->type.scalar(), viaF64);
  Id s = b.glsl(GLSLstd450Sqrt, t, {a[0]});
  Id r = b.glsl(GLSLstd450Fma, t, {b.emit(spv::Op::OpFNegate, t, {s}), s, a[0]});
  Id half = b.emit(spv::Op::OpFDiv, t, {b.constFloat(t, 0.5), s});
  Id s1 = b.glsl(GLSLstd450Fma, t, {r, half, s});
  Id bad = b.emit(spv::Op::OpLogicalOr, c.boolean(),
                  {b.emit(spv::Op::OpIsNan, c.boolean(), {s1}),
                   b.emit(spv::Op::OpIsInf, c.boolean(), {s1})});
  return c.roundTo(op.result()->type.scalar(), b.emit(spv::Op::OpSelect, t, {bad, s, s1}));
}

// math.round: halfway cases away from zero.
Result<Id> roundAway(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto tr = c.regTypeOf(op.result());
  if (!tr.ok()) return tr;
  Id t = *tr;
  auto& b = c.b;
  Id tr0 = b.glsl(GLSLstd450Trunc, t, {a[0]});
  Id frac = b.glsl(GLSLstd450FAbs, t, {b.emit(spv::Op::OpFSub, t, {a[0], tr0})});
  Id up = b.emit(spv::Op::OpFOrdGreaterThanEqual, c.boolean(), {frac, b.constFloat(t, 0.5)});
  Id bumped = b.emit(spv::Op::OpFAdd, t, {tr0, b.glsl(GLSLstd450FSign, t, {a[0]})});
  return c.roundTo(op.result()->type.scalar(), b.emit(spv::Op::OpSelect, t, {up, bumped, tr0}));
}

Result<Id> copysign(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto tr = c.regTypeOf(op.result());
  if (!tr.ok()) return tr;
  auto& b = c.b;
  // |a| with b's sign bit, on the register's bits (f16/bf16 values live in f32 registers).
  const uint32_t bits = b.scalarBits(*tr);
  Id u = c.u32();
  if (bits == 64) {
    auto u64 = c.regType(ir::Type::i(64));
    if (!u64.ok()) return c.unsupported(op, "copysign on f64 without 64-bit integers");
    u = *u64;
  } else if (bits != 32) {
    return c.unsupported(op, "copysign on a " + std::to_string(bits) + "-bit register");
  }
  const uint64_t sign = uint64_t{1} << (bits - 1);
  Id mag = b.emit(spv::Op::OpBitwiseAnd, u, {b.emit(spv::Op::OpBitcast, u, {a[0]}), b.constInt(u, sign - 1)});
  Id sgn = b.emit(spv::Op::OpBitwiseAnd, u, {b.emit(spv::Op::OpBitcast, u, {a[1]}), b.constInt(u, sign)});
  return b.emit(spv::Op::OpBitcast, *tr, {b.emit(spv::Op::OpBitwiseOr, u, {mag, sgn})});
}

ScalarFn glslBinary(uint32_t inst) {
  return [inst](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    if (narrowFloatOnly(inst) && c.b.scalarBits(*t) == 64) return f64Math(c, op, a);
    return c.roundTo(op.result()->type.scalar(), c.b.glsl(inst, *t, a));
  };
}

}  // namespace

void registerMathOps(Registry& r) {
  registerElementwise(r, "tt.precise_divf", preciseDiv);
  registerElementwise(r, "math.round", roundAway);
  registerElementwise(r, "math.copysign", copysign);
  registerElementwise(r, "math.atan", glslUnary(GLSLstd450Atan));
  registerElementwise(r, "math.atan2", glslBinary(GLSLstd450Atan2));
  registerElementwise(r, "math.asin", glslUnary(GLSLstd450Asin));
  registerElementwise(r, "math.acos", glslUnary(GLSLstd450Acos));
  registerElementwise(r, "math.sinh", glslUnary(GLSLstd450Sinh));
  registerElementwise(r, "math.cosh", glslUnary(GLSLstd450Cosh));
  registerElementwise(r, "math.powf", glslBinary(GLSLstd450Pow));
  registerElementwise(r, "math.exp", glslUnary(GLSLstd450Exp));
  registerElementwise(r, "math.exp2", glslUnary(GLSLstd450Exp2));
  registerElementwise(r, "math.log", glslUnary(GLSLstd450Log));
  registerElementwise(r, "math.log2", glslUnary(GLSLstd450Log2));
  registerElementwise(r, "math.sin", glslUnary(GLSLstd450Sin));
  registerElementwise(r, "math.cos", glslUnary(GLSLstd450Cos));
  registerElementwise(r, "math.tan", glslUnary(GLSLstd450Tan));
  registerElementwise(r, "math.tanh", glslUnary(GLSLstd450Tanh));
  registerElementwise(r, "math.sqrt", glslUnary(GLSLstd450Sqrt));
  registerElementwise(r, "tt.precise_sqrt", preciseSqrt);
  registerElementwise(r, "math.rsqrt", glslUnary(GLSLstd450InverseSqrt));
  registerElementwise(r, "math.floor", glslUnary(GLSLstd450Floor));
  registerElementwise(r, "math.ceil", glslUnary(GLSLstd450Ceil));
  registerElementwise(r, "math.trunc", glslUnary(GLSLstd450Trunc));
  registerElementwise(r, "math.roundeven", glslUnary(GLSLstd450RoundEven));
  registerElementwise(r, "math.absf", glslUnary(GLSLstd450FAbs));
  registerElementwise(r, "math.erf", erf);
  registerElementwise(r, "math.fma", fma);
  registerElementwise(r, "tt.clampf", clampf);
}

}  // namespace tvk::lower
