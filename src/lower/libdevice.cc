// tt.extern_elementwise with CUDA libdevice symbols (`__nv_tanhf`, `__nv_isinfd`, ...).
//
// Triton's `triton.language.extra.libdevice` is an interface whose implementation each backend
// maps in (BaseBackend.get_module_map). This backend maps CUDA's (python: backend/compiler.py),
// so kernels written against libdevice, Inductor's among them, reach us as extern calls with
// `__nv_` symbols. Each known symbol is lowered here: most through the lowering of the math op
// that computes the same function (its registry entry), the rest (log1p, expm1, pow with C's
// rules for negative bases and zeros, isinf/isnan/signbit, hypot, cbrt, asinh/acosh/atanh) in
// their own code. f32 symbols end in `f`, f64 ones do not; f64 takes what the math ops have for
// f64. An unknown symbol is `unsupported: tt.extern_elementwise (<symbol>) at <file>:<line>`.
#include <spirv/unified1/GLSL.std.450.h>

#include <limits>
#include <map>
#include <string>

#include "lower/fp8.h"
#include "lower/registry.h"

namespace tvk::lower {

namespace {

// libdevice function name (without `__nv_` and the f32 `f` suffix) → the op computing it.
const std::map<std::string, std::string>& mathOps() {
  static const std::map<std::string, std::string> m = {
      {"exp", "math.exp"},     {"exp2", "math.exp2"},         {"log", "math.log"},
      {"log2", "math.log2"},   {"sin", "math.sin"},           {"cos", "math.cos"},
      {"tan", "math.tan"},     {"tanh", "math.tanh"},         {"sinh", "math.sinh"},
      {"cosh", "math.cosh"},   {"asin", "math.asin"},         {"acos", "math.acos"},
      {"sqrt", "math.sqrt"},
      {"rsqrt", "math.rsqrt"}, {"floor", "math.floor"},       {"ceil", "math.ceil"},
      {"trunc", "math.trunc"}, {"fabs", "math.absf"},         {"erf", "math.erf"},
      {"fma", "math.fma"},     {"copysign", "math.copysign"}, {"round", "math.round"},
      {"fmod", "arith.remf"},
      {"fmin", "arith.minnumf"},  {"fmax", "arith.maxnumf"},
  };
  return m;
}

// `tanhf` from `__nv_tanhf` for an f32 result, `tanh` from `__nv_tanh` for f64; "" otherwise.
std::string baseName(const std::string& symbol, int bits) {
  if (symbol.rfind("__nv_", 0) != 0) return "";
  std::string n = symbol.substr(5);
  if (bits == 32) {
    if (n.size() < 2 || n.back() != 'f') return "";
    n.pop_back();
  }
  return n;
}

struct Emit {
  Context& c;
  Id t;  // the float register type

  Id k(double v) const { return c.b.constFloat(t, v); }
  Id op(spv::Op o, std::vector<Id> a) const { return c.b.emit(o, t, a); }
  Id glsl(uint32_t inst, std::vector<Id> a) const { return c.b.glsl(inst, t, a); }
  Id cmp(spv::Op o, Id x, Id y) const { return c.b.emit(o, c.boolean(), {x, y}); }
  Id sel(Id cond, Id x, Id y) const { return c.b.emit(spv::Op::OpSelect, t, {cond, x, y}); }
  Id isNan(Id x) const { return c.b.emit(spv::Op::OpIsNan, c.boolean(), {x}); }
  Id isInf(Id x) const { return c.b.emit(spv::Op::OpIsInf, c.boolean(), {x}); }
  Id orB(Id p, Id q) const { return c.b.emit(spv::Op::OpLogicalOr, c.boolean(), {p, q}); }
  Id andB(Id p, Id q) const { return c.b.emit(spv::Op::OpLogicalAnd, c.boolean(), {p, q}); }
  Id notB(Id p) const { return c.b.emit(spv::Op::OpLogicalNot, c.boolean(), {p}); }
  Id nan() const { return k(std::numeric_limits<double>::quiet_NaN()); }
  Id inf() const { return k(std::numeric_limits<double>::infinity()); }
  // The sign bit of f32 `x` (true for -0 and negative NaNs too).
  Id signbit(Id x) const {
    Id bits = c.b.emit(spv::Op::OpBitcast, c.u32(), {x});
    return c.b.emit(spv::Op::OpINotEqual, c.boolean(),
                    {c.b.emit(spv::Op::OpBitwiseAnd, c.u32(), {bits, c.c32(0x80000000u)}), c.c32(0)});
  }
  Id copysign(Id v, Id s) const {
    Id a = glsl(GLSLstd450FAbs, {v});
    return sel(signbit(s), op(spv::Op::OpFNegate, {a}), a);
  }

  // log(1 + x) without cancellation: log(u) * x / (u - 1) with u = 1 + x (Goldberg).
  Id log1p(Id x) const {
    Id u = op(spv::Op::OpFAdd, {x, k(1)});
    Id um1 = op(spv::Op::OpFSub, {u, k(1)});
    Id logU = glsl(GLSLstd450Log, {u});
    Id r = op(spv::Op::OpFMul, {logU, op(spv::Op::OpFDiv, {x, um1})});
    Id uInf = isInf(u);
    return sel(orB(cmp(spv::Op::OpFOrdEqual, um1, k(0)), uInf), sel(uInf, logU, x), r);
  }
  // exp(x) - 1 without cancellation: (u - 1) * x / log(u) with u = exp(x) (Kahan).
  Id expm1(Id x) const {
    Id u = glsl(GLSLstd450Exp, {x});
    Id um1 = op(spv::Op::OpFSub, {u, k(1)});
    Id r = op(spv::Op::OpFMul, {um1, op(spv::Op::OpFDiv, {x, glsl(GLSLstd450Log, {u})})});
    r = sel(cmp(spv::Op::OpFOrdEqual, um1, k(-1)), k(-1), r);
    r = sel(isInf(u), u, r);
    return sel(cmp(spv::Op::OpFOrdEqual, u, k(1)), x, r);
  }
  // C's pow: negative bases with integral exponents, pow(x, 0) = 1, pow(1, y) = 1, zeros.
  Id pow(Id x, Id y) const {
    Id ax = glsl(GLSLstd450FAbs, {x});
    Id mag = glsl(GLSLstd450Exp2, {op(spv::Op::OpFMul, {y, glsl(GLSLstd450Log2, {ax})})});
    Id yInt = cmp(spv::Op::OpFOrdEqual, glsl(GLSLstd450Trunc, {y}), y);
    Id half = op(spv::Op::OpFMul, {y, k(0.5)});
    Id yOdd = andB(yInt, cmp(spv::Op::OpFOrdNotEqual, glsl(GLSLstd450Trunc, {half}), half));
    Id neg = cmp(spv::Op::OpFOrdLessThan, x, k(0));
    Id signed_ = sel(yOdd, op(spv::Op::OpFNegate, {mag}), mag);
    Id r = sel(neg, sel(yInt, signed_, nan()), mag);
    // zero base: +-0 (odd y keeps the sign of x), +-inf for y < 0
    Id zero = cmp(spv::Op::OpFOrdEqual, x, k(0));
    Id zr = sel(cmp(spv::Op::OpFOrdLessThan, y, k(0)), inf(), k(0));
    zr = sel(andB(yOdd, signbit(x)), op(spv::Op::OpFNegate, {zr}), zr);
    r = sel(zero, zr, r);
    return sel(orB(cmp(spv::Op::OpFOrdEqual, y, k(0)), cmp(spv::Op::OpFOrdEqual, x, k(1))), k(1), r);
  }

  // Round to nearest, ties to even, in integer code (lower/fp8.h: llvmpipe's RoundEven rounds
  // ties away from zero on wide vectors); |x| >= 2^23 is already integral.
  Id roundEven(Id x) const {
    Id a = glsl(GLSLstd450FAbs, {x});
    Id q = c.b.emit(spv::Op::OpConvertUToF, t, {roundHalfEvenToUint(c, a)});
    return sel(cmp(spv::Op::OpFOrdLessThan, a, k(8388608.0)), copysign(q, x), x);
  }

  // atan, Cephes' atanf: reduction by tan(pi/8) and tan(3pi/8), odd polynomial (~1 ulp).
  Id atan(Id x) const {
    Id a = glsl(GLSLstd450FAbs, {x});
    Id big = cmp(spv::Op::OpFOrdGreaterThan, a, k(2.414213562373095));
    Id mid = cmp(spv::Op::OpFOrdGreaterThan, a, k(0.4142135623730950));
    Id t = sel(big, op(spv::Op::OpFDiv, {k(-1), a}),
               sel(mid, op(spv::Op::OpFDiv, {op(spv::Op::OpFSub, {a, k(1)}), op(spv::Op::OpFAdd, {a, k(1)})}), a));
    Id y0 = sel(big, k(1.5707963267948966), sel(mid, k(0.7853981633974483), k(0)));
    Id z = op(spv::Op::OpFMul, {t, t});
    Id p = k(8.05374449538e-2);
    p = op(spv::Op::OpFAdd, {op(spv::Op::OpFMul, {p, z}), k(-1.38776856032e-1)});
    p = op(spv::Op::OpFAdd, {op(spv::Op::OpFMul, {p, z}), k(1.99777106478e-1)});
    p = op(spv::Op::OpFAdd, {op(spv::Op::OpFMul, {p, z}), k(-3.33329491539e-1)});
    Id r = op(spv::Op::OpFAdd, {y0, op(spv::Op::OpFAdd, {op(spv::Op::OpFMul, {op(spv::Op::OpFMul, {p, z}), t}), t})});
    return sel(isNan(x), x, copysign(r, x));
  }
  // atan2 with C's special cases (signed zeros, infinities, NaN).
  Id atan2(Id y, Id x) const {
    const double pi = 3.141592653589793;
    Id r = atan(op(spv::Op::OpFDiv, {y, x}));
    r = sel(signbit(x), op(spv::Op::OpFAdd, {r, copysign(k(pi), y)}), r);
    Id bothInf = andB(isInf(x), isInf(y));
    r = sel(bothInf, copysign(sel(signbit(x), k(0.75 * pi), k(0.25 * pi)), y), r);
    Id yZero = cmp(spv::Op::OpFOrdEqual, y, k(0));
    r = sel(yZero, sel(signbit(x), copysign(k(pi), y), y), r);
    Id xZero = andB(cmp(spv::Op::OpFOrdEqual, x, k(0)), notB(yZero));
    r = sel(xZero, copysign(k(0.5 * pi), y), r);
    return sel(orB(isNan(x), isNan(y)), nan(), r);
  }
  // asinh(x) = sign(x) log1p(|x| + x^2 / (1 + sqrt(1 + x^2))); log(2|x|) where x^2 overflows.
  Id asinh(Id x) const {
    Id a = glsl(GLSLstd450FAbs, {x});
    Id a2 = op(spv::Op::OpFMul, {a, a});
    Id small = log1p(op(spv::Op::OpFAdd, {a, op(spv::Op::OpFDiv, {a2, op(spv::Op::OpFAdd, {k(1), glsl(GLSLstd450Sqrt, {op(spv::Op::OpFAdd, {k(1), a2})})})})}));
    Id large = op(spv::Op::OpFAdd, {glsl(GLSLstd450Log, {a}), k(0.6931471805599453)});
    Id r = sel(cmp(spv::Op::OpFOrdGreaterThan, a, k(1.0e4)), large, small);
    return sel(isNan(x), x, copysign(r, x));
  }
  // acosh(x) = log1p(t + sqrt(2t + t^2)), t = x - 1; log(2x) for large x; NaN below 1.
  Id acosh(Id x) const {
    Id t = op(spv::Op::OpFSub, {x, k(1)});
    Id small = log1p(op(spv::Op::OpFAdd, {t, glsl(GLSLstd450Sqrt, {op(spv::Op::OpFAdd, {op(spv::Op::OpFMul, {k(2), t}), op(spv::Op::OpFMul, {t, t})})})}));
    Id large = op(spv::Op::OpFAdd, {glsl(GLSLstd450Log, {x}), k(0.6931471805599453)});
    Id r = sel(cmp(spv::Op::OpFOrdGreaterThan, x, k(1.0e4)), large, small);
    return sel(cmp(spv::Op::OpFOrdLessThan, x, k(1)), nan(), r);
  }
  // atanh(x) = sign(x) * 0.5 * log1p(2|x| / (1 - |x|)).
  Id atanh(Id x) const {
    Id a = glsl(GLSLstd450FAbs, {x});
    Id r = op(spv::Op::OpFMul, {k(0.5), log1p(op(spv::Op::OpFDiv, {op(spv::Op::OpFMul, {k(2), a}), op(spv::Op::OpFSub, {k(1), a})}))});
    return sel(isNan(x), x, copysign(r, x));
  }

  // sqrt(x^2 + y^2) scaled by max(|x|, |y|) against overflow.
  Id hypot(Id x, Id y) const {
    Id ax = glsl(GLSLstd450FAbs, {x}), ay = glsl(GLSLstd450FAbs, {y});
    Id m = glsl(GLSLstd450FMax, {ax, ay}), n = glsl(GLSLstd450FMin, {ax, ay});
    Id q = op(spv::Op::OpFDiv, {n, m});
    Id r = op(spv::Op::OpFMul, {m, glsl(GLSLstd450Sqrt, {op(spv::Op::OpFAdd, {k(1), op(spv::Op::OpFMul, {q, q})})})});
    r = sel(cmp(spv::Op::OpFOrdEqual, m, k(0)), k(0), r);
    r = sel(orB(isNan(x), isNan(y)), nan(), r);
    return sel(orB(isInf(x), isInf(y)), inf(), r);
  }
  // log|Gamma(x)| (f32): y = x, or 1 - x below 1/2 (reflection: log(pi / |sin(pi x)|) minus
  // lgamma(1 - x), with |sin(pi x)| = sin(pi frac(x)), 0 at the poles x = 0, -1, ...: +inf);
  // y shifted up to z >= 8 (z = y + n, dividing out y (y + 1) ... (y + n - 1)); Stirling's
  // series at z to 1 / z^5. Absolute error about 1e-6 near the roots x = 1, 2.
  Id lgamma(Id x) const {
    const double pi = 3.141592653589793;
    Id refl = cmp(spv::Op::OpFOrdLessThan, x, k(0.5));
    Id y = sel(refl, op(spv::Op::OpFSub, {k(1), x}), x);
    Id z = y, prod = k(1);
    for (int i = 0; i < 8; ++i) {
      Id small = cmp(spv::Op::OpFOrdLessThan, z, k(8));
      prod = sel(small, op(spv::Op::OpFMul, {prod, z}), prod);
      z = sel(small, op(spv::Op::OpFAdd, {z, k(1)}), z);
    }
    Id r = op(spv::Op::OpFDiv, {k(1), z});
    Id r2 = op(spv::Op::OpFMul, {r, r});
    Id series = op(spv::Op::OpFMul, {r, op(spv::Op::OpFAdd, {k(1.0 / 12), op(spv::Op::OpFMul, {r2,
                    op(spv::Op::OpFAdd, {k(-1.0 / 360), op(spv::Op::OpFMul, {r2, k(1.0 / 1260)})})})})});
    Id st = op(spv::Op::OpFSub, {op(spv::Op::OpFMul, {op(spv::Op::OpFSub, {z, k(0.5)}), glsl(GLSLstd450Log, {z})}), z});
    st = op(spv::Op::OpFAdd, {st, op(spv::Op::OpFAdd, {k(0.91893853320467274), series})});
    Id lgy = op(spv::Op::OpFSub, {st, glsl(GLSLstd450Log, {prod})});
    Id frac = op(spv::Op::OpFSub, {x, glsl(GLSLstd450Floor, {x})});
    Id s = glsl(GLSLstd450Sin, {op(spv::Op::OpFMul, {k(pi), frac})});
    Id reflected = op(spv::Op::OpFSub, {glsl(GLSLstd450Log, {op(spv::Op::OpFDiv, {k(pi), s})}), lgy});
    Id out = sel(refl, sel(cmp(spv::Op::OpFOrdEqual, frac, k(0)), inf(), reflected), lgy);
    out = sel(isInf(x), inf(), out);
    return sel(isNan(x), x, out);
  }
  // Real cube root: exp2(log2|x| / 3) with one Newton step, the sign of x.
  Id cbrt(Id x) const {
    Id ax = glsl(GLSLstd450FAbs, {x});
    Id r = glsl(GLSLstd450Exp2, {op(spv::Op::OpFMul, {glsl(GLSLstd450Log2, {ax}), k(1.0 / 3.0)})});
    Id r2 = op(spv::Op::OpFMul, {r, r});
    Id step = op(spv::Op::OpFDiv, {op(spv::Op::OpFSub, {op(spv::Op::OpFMul, {r2, r}), ax}), op(spv::Op::OpFMul, {k(3), r2})});
    Id good = andB(cmp(spv::Op::OpFOrdGreaterThan, ax, k(0)), notB(isInf(ax)));
    r = sel(good, op(spv::Op::OpFSub, {r, step}), ax);
    return sel(cmp(spv::Op::OpFOrdLessThan, x, k(0)), op(spv::Op::OpFNegate, {r}), r);
  }
};

Result<Id> externElementwise(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  const std::string symbol = op.strAttr("symbol");
  const ir::Type& rt = op.result()->type.scalar();
  const ir::Type& at = op.operands.empty() ? rt : op.operands[0]->type.scalar();
  auto unsupported = [&](const std::string& why) {
    return c.unsupported(op, "(" + symbol + ")" + (why.empty() ? "" : " " + why));
  };
  if (!at.isFloat() || (at.bits != 32 && at.bits != 64)) return unsupported("on " + at.str());
  const std::string name = baseName(symbol, at.bits);
  if (name.empty()) return unsupported("");
  auto ft = c.regType(at);
  if (!ft.ok()) return ft.status();
  Emit e{c, *ft};
  // Predicates with int32 results.
  if (name == "isinf" || name == "isnan" || name == "signbit" || name == "finite" || name == "isfinite") {
    Id cond = 0;
    if (name == "isinf") cond = e.isInf(a[0]);
    if (name == "isnan") cond = e.isNan(a[0]);
    if (name == "finite" || name == "isfinite") cond = e.notB(e.orB(e.isInf(a[0]), e.isNan(a[0])));
    if (name == "signbit") {
      auto ut = c.regType(ir::Type::i(at.bits));
      if (!ut.ok()) return ut.status();
      Id bits = c.b.emit(spv::Op::OpBitcast, *ut, {a[0]});
      cond = c.b.emit(spv::Op::OpSLessThan, c.boolean(), {bits, c.b.constInt(*ut, 0)});
    }
    auto it = c.regType(rt);
    if (!it.ok()) return it.status();
    return c.b.emit(spv::Op::OpSelect, *it, {cond, c.b.constInt(*it, 1), c.b.constInt(*it, 0)});
  }
  auto it = mathOps().find(name);
  if (it != mathOps().end()) {
    const auto& scalar = registry().scalar;
    auto fn = scalar.find(it->second);
    if (fn == scalar.end()) return unsupported("");
    return fn->second(c, op, a);
  }
  if (at.bits == 64) return unsupported("on f64");
  Id r;
  if (name == "log1p") r = e.log1p(a[0]);
  else if (name == "expm1") r = e.expm1(a[0]);
  else if (name == "log10") r = e.op(spv::Op::OpFMul, {e.glsl(GLSLstd450Log2, {a[0]}), e.k(0.30102999566398120)});
  else if (name == "pow" || name == "powf") r = e.pow(a[0], a[1]);
  else if (name == "hypot") r = e.hypot(a[0], a[1]);
  else if (name == "cbrt") r = e.cbrt(a[0]);
  else if (name == "lgamma") r = e.lgamma(a[0]);
  else if (name == "rint" || name == "nearbyint") r = e.roundEven(a[0]);
  else if (name == "asinh") r = e.asinh(a[0]);
  else if (name == "acosh") r = e.acosh(a[0]);
  else if (name == "atanh") r = e.atanh(a[0]);
  else if (name == "atan") r = e.atan(a[0]);
  else if (name == "atan2") r = e.atan2(a[0], a[1]);
  else return unsupported("");
  return c.roundTo(rt, r);
}

}  // namespace

void registerLibdeviceOps(Registry& r) { registerElementwise(r, "tt.extern_elementwise", externElementwise); }

}  // namespace tvk::lower
