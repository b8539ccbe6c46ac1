#include "lower/fp8.h"

#include <cmath>

#include <spirv/unified1/GLSL.std.450.h>

namespace tvk::lower {

namespace {

struct Fp8Format {
  uint32_t bits;     // total bits (8 or 16)
  uint32_t mant;     // mantissa bits
  uint32_t bias;     // exponent bias
  uint32_t maxCode;  // largest code (without sign) a finite/overflowed value maps to
  bool hasInf;       // exponent all ones is inf/NaN (E5M2, f16)
};

Fp8Format formatOf(const ir::Type& t) {
  if (t.name == "f16") return {16, 10, 15, 0x7c00, true};
  if (t.name == "f8E5M2") return {8, 2, 15, 0x7c, true};
  return {8, 3, 7, 0x7e, false};  // f8E4M3FN
}

}  // namespace

bool isSupportedFp8(const ir::Type& t) {
  return t.isFloat() && (t.name == "f8E5M2" || t.name == "f8E4M3FN");
}

Id roundOffBits(Context& c, Id bits, uint32_t drop) {
  auto& b = c.b;
  Id u = c.u32();
  Id lsb = b.emit(spv::Op::OpBitwiseAnd, u, {b.emit(spv::Op::OpShiftRightLogical, u, {bits, c.c32(drop)}), c.c32(1)});
  Id biased = b.emit(spv::Op::OpIAdd, u, {bits, b.emit(spv::Op::OpIAdd, u, {lsb, c.c32((1u << (drop - 1)) - 1)})});
  return b.emit(spv::Op::OpBitwiseAnd, u, {biased, c.c32(~((1u << drop) - 1))});
}

// The integer nearest to f32 `x` (0 <= x < 2^23), ties to even, as a uint32, in integer code:
// llvmpipe's GLSLstd450RoundEven rounds ties away from zero on vectors wider than the host's
// (LP_NATIVE_VECTOR_WIDTH=512 on an AVX2 machine), which turned 2^-25 into the smallest f16
// subnormal. Outside the range the result is defined (shifts are clamped) but meaningless.
Id roundHalfEvenToUint(Context& c, Id x) {
  auto& b = c.b;
  Id u = c.u32(), bt = c.boolean();
  Id bits = b.emit(spv::Op::OpBitcast, u, {x});
  Id mant = b.emit(spv::Op::OpBitwiseOr, u, {b.emit(spv::Op::OpBitwiseAnd, u, {bits, c.c32(0x7fffffu)}), c.c32(0x800000u)});
  // x = mant * 2^(E - 150): shift right by 150 - E (at least 1 below 2^23; 31 flushes to 0).
  Id e = b.emit(spv::Op::OpShiftRightLogical, u, {bits, c.c32(23)});
  Id s = b.emit(spv::Op::OpISub, u, {c.c32(150), e});
  s = b.glsl(GLSLstd450UMax, u, {b.glsl(GLSLstd450UMin, u, {s, c.c32(31)}), c.c32(1)});
  Id q = b.emit(spv::Op::OpShiftRightLogical, u, {mant, s});
  Id half = b.emit(spv::Op::OpShiftLeftLogical, u, {c.c32(1), b.emit(spv::Op::OpISub, u, {s, c.c32(1)})});
  Id mask = b.emit(spv::Op::OpISub, u, {b.emit(spv::Op::OpShiftLeftLogical, u, {half, c.c32(1)}), c.c32(1)});
  Id rem = b.emit(spv::Op::OpBitwiseAnd, u, {mant, mask});
  Id odd = b.emit(spv::Op::OpINotEqual, bt, {b.emit(spv::Op::OpBitwiseAnd, u, {q, c.c32(1)}), c.c32(0)});
  Id tie = b.emit(spv::Op::OpLogicalAnd, bt, {b.emit(spv::Op::OpIEqual, bt, {rem, half}), odd});
  Id up = b.emit(spv::Op::OpLogicalOr, bt, {b.emit(spv::Op::OpUGreaterThan, bt, {rem, half}), tie});
  return b.emit(spv::Op::OpIAdd, u, {q, b.emit(spv::Op::OpSelect, u, {up, c.c32(1), c.c32(0)})});
}

namespace {

// f32 -> the nearest value of the narrow float format `f` (ties to even), kept as f32, on the
// f32 bits without leaving them (about 15 instructions; encoding to the code and decoding again
// took about 35 for f16 and 55 for fp8):
// - normal range: round the 23-bit mantissa to f.mant bits in place (as bf16 does to 7); a
//   result above the largest finite value overflows to inf (f16, E5M2: a result of 2^16 or
//   more) or saturates to it (E4M3FN: 448, as encodeFp8 does), and inf stays inf (saturates);
// - below the smallest normal (subnormals): |x| * 2^(bias + mant - 1) rounded to an integer
//   (roundHalfEvenToUint), scaled back (both multiplications by powers of 2 are exact);
// - NaN: the quiet NaN.
// Integer code on purpose: drivers need not round f32 -> f16 conversions to nearest even
// (NVIDIA's OpFConvert did not, even under the RoundingModeRTE execution mode).
Id roundInPlace(Context& c, Id v, const Fp8Format& f) {
  auto& b = c.b;
  Id u = c.u32(), bt = c.boolean(), fl = c.f32();
  Id bits = b.emit(spv::Op::OpBitcast, u, {v});
  Id sign = b.emit(spv::Op::OpBitwiseAnd, u, {bits, c.c32(0x80000000u)});
  Id a = b.emit(spv::Op::OpBitwiseAnd, u, {bits, c.c32(0x7fffffffu)});
  Id r = roundOffBits(c, a, 23 - f.mant);
  const uint32_t maxFinite = (f.maxCode - (f.hasInf ? 1u : 0u)) << (23 - f.mant);  // code bits
  const uint32_t largest = maxFinite + ((127 - f.bias) << 23);                      // its f32 bits
  if (f.hasInf) {
    Id over = b.emit(spv::Op::OpUGreaterThan, bt, {r, c.c32(largest)});
    r = b.emit(spv::Op::OpSelect, u, {over, c.c32(0x7f800000u), r});
  } else {
    r = b.glsl(GLSLstd450UMin, u, {r, c.c32(largest)});
  }
  const double scale = static_cast<double>(uint64_t{1} << (f.bias + f.mant - 1));
  Id ax = b.emit(spv::Op::OpBitcast, fl, {a});
  Id scaled = b.emit(spv::Op::OpFMul, fl, {ax, b.constFloat(fl, scale)});
  Id sub = b.emit(spv::Op::OpFMul, fl,
                  {b.emit(spv::Op::OpConvertUToF, fl, {roundHalfEvenToUint(c, scaled)}), b.constFloat(fl, 1.0 / scale)});
  Id isSub = b.emit(spv::Op::OpULessThan, bt, {a, c.c32((127 - f.bias + 1) << 23)});
  r = b.emit(spv::Op::OpSelect, u, {isSub, b.emit(spv::Op::OpBitcast, u, {sub}), r});
  Id isNan = b.emit(spv::Op::OpUGreaterThan, bt, {a, c.c32(0x7f800000u)});
  r = b.emit(spv::Op::OpSelect, u, {isNan, c.c32(0x7fc00000u), r});
  return b.emit(spv::Op::OpBitcast, fl, {b.emit(spv::Op::OpBitwiseOr, u, {r, sign})});
}

}  // namespace

Result<Id> roundToF16(Context& c, Id v) { return roundInPlace(c, v, formatOf(ir::Type::f("f16"))); }

Result<Id> roundToFp8(Context& c, const ir::Type& t, Id v) {
  if (!isSupportedFp8(t)) return Status::error("fp8 type " + t.str());
  return roundInPlace(c, v, formatOf(t));
}

double fp8Value(const ir::Type& t, uint32_t code) {
  const Fp8Format f = formatOf(t);
  const uint32_t expBits = f.bits - 1 - f.mant;
  const uint32_t e = (code >> f.mant) & ((1u << expBits) - 1), m = code & ((1u << f.mant) - 1);
  const double sign = (code >> (f.bits - 1)) & 1 ? -1.0 : 1.0;
  const bool e4m3 = t.name == "f8E4M3FN";
  if (e4m3 && e == (1u << expBits) - 1 && m == (1u << f.mant) - 1) return std::nan("");
  if (!e4m3 && e == (1u << expBits) - 1) return m ? std::nan("") : sign * HUGE_VAL;
  const int bias = static_cast<int>(f.bias), mant = static_cast<int>(f.mant);
  if (e == 0) return sign * std::ldexp(static_cast<double>(m), 1 - bias - mant);
  return sign * std::ldexp(static_cast<double>((1u << f.mant) | m), static_cast<int>(e) - bias - mant);
}

Result<Id> encodeFp8(Context& c, const ir::Type& t, Id v) {
  if (!isSupportedFp8(t) && t.name != "f16") return Status::error("fp8 type " + t.str());
  Fp8Format f = formatOf(t);
  auto& b = c.b;
  Id u = c.u32(), bt = c.boolean(), fl = c.f32();
  Id bits = b.emit(spv::Op::OpBitcast, u, {v});
  Id sign = b.emit(spv::Op::OpShiftRightLogical, u,
                   {b.emit(spv::Op::OpBitwiseAnd, u, {bits, c.c32(0x80000000u)}), c.c32(32 - f.bits)});
  const uint32_t nanCode = f.bits == 16 ? 0x7e00u : 0x7fu;
  Id a = b.emit(spv::Op::OpBitwiseAnd, u, {bits, c.c32(0x7fffffffu)});
  // Normal range: drop 23 - mant bits with round-to-nearest-even, then re-bias the exponent.
  uint32_t drop = 23 - f.mant;
  Id code = b.emit(spv::Op::OpShiftRightLogical, u, {roundOffBits(c, a, drop), c.c32(drop)});
  code = b.emit(spv::Op::OpISub, u, {code, c.c32((127 - f.bias) << f.mant)});
  code = b.glsl(GLSLstd450UMin, u, {code, c.c32(f.maxCode)});
  // Subnormal range: |x| / 2^(1 - bias - mant), rounded to nearest even (exact scaling).
  Id ax = b.emit(spv::Op::OpBitcast, fl, {a});
  Id scaled = b.emit(spv::Op::OpFMul, fl,
                     {ax, b.constFloat(fl, static_cast<double>(1u << (f.bias + f.mant - 1)))});
  Id sub = roundHalfEvenToUint(c, scaled);
  Id isSub = b.emit(spv::Op::OpULessThan, bt, {a, c.c32((127 - f.bias + 1) << 23)});
  code = b.emit(spv::Op::OpSelect, u, {isSub, sub, code});
  Id isNan = b.emit(spv::Op::OpUGreaterThan, bt, {a, c.c32(0x7f800000u)});
  code = b.emit(spv::Op::OpSelect, u, {isNan, c.c32(nanCode), code});
  return b.emit(spv::Op::OpBitwiseOr, u, {code, sign});
}

Result<Id> decodeFp8(Context& c, const ir::Type& t, Id code) {
  if (!isSupportedFp8(t) && t.name != "f16") return Status::error("fp8 type " + t.str());
  Fp8Format f = formatOf(t);
  auto& b = c.b;
  Id u = c.u32(), bt = c.boolean(), fl = c.f32();
  // fp8 codes as f16 codes, widened exactly by UnpackHalf2x16 (as f16 loads are): an E5M2 code
  // is the upper byte of the f16 code of its value; an E4M3FN code's exponent and mantissa
  // bits, placed at the low end of f16's, give its value times 2^(7 - 15) (subnormals too),
  // and its NaN (magnitude 0x7f) gets f16's all-ones exponent.
  auto unpack = [&](Id half) {
    return b.emit(spv::Op::OpCompositeExtract, fl, {b.glsl(GLSLstd450UnpackHalf2x16, b.typeVector(fl, 2), {half}), 0});
  };
  if (t.name == "f8E5M2") return unpack(b.emit(spv::Op::OpShiftLeftLogical, u, {code, c.c32(8)}));
  if (t.name == "f8E4M3FN") {
    Id mag = b.emit(spv::Op::OpBitwiseAnd, u, {code, c.c32(0x7f)});
    Id half = b.emit(spv::Op::OpBitwiseOr, u,
                     {b.emit(spv::Op::OpShiftLeftLogical, u, {mag, c.c32(7)}),
                      b.emit(spv::Op::OpShiftLeftLogical, u, {b.emit(spv::Op::OpBitwiseAnd, u, {code, c.c32(0x80)}), c.c32(8)})});
    Id isNan = b.emit(spv::Op::OpIEqual, bt, {mag, c.c32(0x7f)});
    half = b.emit(spv::Op::OpBitwiseOr, u, {half, b.emit(spv::Op::OpSelect, u, {isNan, c.c32(0x7c00), c.c32(0)})});
    return b.emit(spv::Op::OpFMul, fl, {unpack(half), b.constFloat(fl, 256.0)});
  }
  // f16 codes (16-bit atomics), field by field; a NaN becomes the quiet NaN.
  const uint32_t signBit = 1u << (f.bits - 1), magMask = signBit - 1;
  Id sign = b.emit(spv::Op::OpShiftLeftLogical, u,
                   {b.emit(spv::Op::OpBitwiseAnd, u, {code, c.c32(signBit)}), c.c32(32 - f.bits)});
  Id mag = b.emit(spv::Op::OpBitwiseAnd, u, {code, c.c32(magMask)});
  Id e = b.emit(spv::Op::OpShiftRightLogical, u, {mag, c.c32(f.mant)});
  Id m = b.emit(spv::Op::OpBitwiseAnd, u, {mag, c.c32((1u << f.mant) - 1)});
  // Normal: rebias the exponent, widen the mantissa.
  Id normal = b.emit(spv::Op::OpBitwiseOr, u,
                     {b.emit(spv::Op::OpShiftLeftLogical, u,
                             {b.emit(spv::Op::OpIAdd, u, {e, c.c32(127 - f.bias)}), c.c32(23)}),
                      b.emit(spv::Op::OpShiftLeftLogical, u, {m, c.c32(23 - f.mant)})});
  // Subnormal: m * 2^(1 - bias - mant), exact in f32.
  Id subF = b.emit(spv::Op::OpFMul, fl,
                   {b.emit(spv::Op::OpConvertUToF, fl, {m}),
                    b.constFloat(fl, 1.0 / static_cast<double>(1u << (f.bias + f.mant - 1)))});
  Id sub = b.emit(spv::Op::OpBitcast, u, {subF});
  Id isSub = b.emit(spv::Op::OpIEqual, bt, {e, c.c32(0)});
  Id r = b.emit(spv::Op::OpSelect, u, {isSub, sub, normal});
  const uint32_t eMax = (1u << (f.bits - 1 - f.mant)) - 1;
  Id special = b.emit(spv::Op::OpIEqual, bt, {e, c.c32(eMax)});
  Id infOrNan = b.emit(spv::Op::OpSelect, u,
                       {b.emit(spv::Op::OpIEqual, bt, {m, c.c32(0)}), c.c32(0x7f800000u), c.c32(0x7fc00000u)});
  r = b.emit(spv::Op::OpSelect, u, {special, infOrNan, r});
  return b.emit(spv::Op::OpBitcast, fl, {b.emit(spv::Op::OpBitwiseOr, u, {r, sign})});
}

}  // namespace tvk::lower
