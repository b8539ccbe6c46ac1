// Small emit helpers for the float algorithms written out in SPIR-V (the exact remainder,
// f64 math, correctly rounded f32 division and square root): one register type, short names.
#pragma once

#include <vector>

#include <spirv/unified1/GLSL.std.450.h>

#include "lower/context.h"

namespace tvk::lower {

/// Emits arithmetic of one float register type `t` and its same-width unsigned integer `u`.
struct FloatEmit {
  /// The lowering context.
  Context& c;
  /// Float register type (f32 or f64).
  Id t;
  /// Integer type of the same width (0 when not needed).
  Id u;
  /// Decorates float arithmetic NoContraction: no fusing into FMAs and, on Mesa, no algebraic
  /// rewrites (NIR's `exact`), which would fold the error terms of compensated sums to zero.
  bool precise = false;

  /// Float constant.
  Id k(double v) { return c.b.constFloat(t, v); }
  /// Integer constant of type `u`.
  Id ku(uint64_t v) { return c.b.constInt(u, v); }
  Id add(Id x, Id y) { return arith(spv::Op::OpFAdd, {x, y}); }
  Id sub(Id x, Id y) { return arith(spv::Op::OpFSub, {x, y}); }
  Id mul(Id x, Id y) { return arith(spv::Op::OpFMul, {x, y}); }
  Id div(Id x, Id y) { return arith(spv::Op::OpFDiv, {x, y}); }
  Id neg(Id x) { return arith(spv::Op::OpFNegate, {x}); }
  /// A float arithmetic instruction (NoContraction when `precise`).
  Id arith(spv::Op op, const std::vector<uint32_t>& a) {
    Id r = c.b.emit(op, t, a);
    if (precise) c.b.decorate(r, spv::Decoration::NoContraction);
    return r;
  }
  Id glsl(uint32_t inst, const std::vector<Id>& a) { return c.b.glsl(inst, t, a); }
  /// `cond ? x : y` of type `type` (default: the float type).
  Id sel(Id cond, Id x, Id y, Id type = 0) {
    return c.b.emit(spv::Op::OpSelect, type ? type : t, {cond, x, y});
  }
  /// Ordered float comparison.
  Id cmp(spv::Op op, Id x, Id y) { return c.b.emit(op, c.boolean(), {x, y}); }
  Id isNan(Id x) { return c.b.emit(spv::Op::OpIsNan, c.boolean(), {x}); }
  Id lor(Id x, Id y) { return c.b.emit(spv::Op::OpLogicalOr, c.boolean(), {x, y}); }
  Id land(Id x, Id y) { return c.b.emit(spv::Op::OpLogicalAnd, c.boolean(), {x, y}); }
  /// Integer op of type `type` (default `u`).
  Id i(spv::Op op, const std::vector<Id>& a, Id type = 0) {
    return c.b.emit(op, type ? type : u, std::vector<uint32_t>(a.begin(), a.end()));
  }
  /// Float bits as `u` and back.
  Id bits(Id x) { return c.b.emit(spv::Op::OpBitcast, u, {x}); }
  Id fromBits(Id x) { return c.b.emit(spv::Op::OpBitcast, t, {x}); }
  /// Horner evaluation of sum coef[i] * x^i.
  Id horner(Id x, const std::vector<double>& coef) {
    Id acc = k(coef.back());
    for (int n = static_cast<int>(coef.size()) - 2; n >= 0; --n) acc = add(mul(acc, x), k(coef[n]));
    return acc;
  }
};

/// arith.remf as C's fmod (the result is exact and has the dividend's sign), computed in
/// integer code from the operands' bits (lower/frem.cc).
Result<Id> exactRemainder(Context& c, const ir::Operation& op, const std::vector<Id>& a);

/// An f64 math op (math.exp, exp2, log, log2, sin, cos, erf) in f64 arithmetic; `unsupported`
/// for the others (GLSL.std.450 has its transcendental functions for 16/32-bit floats only)
/// (lower/math_f64.cc).
Result<Id> f64Math(Context& c, const ir::Operation& op, const std::vector<Id>& a);

}  // namespace tvk::lower
