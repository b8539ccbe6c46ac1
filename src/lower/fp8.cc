#include "lower/fp8.h"

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

Result<Id> roundToF16(Context& c, Id v) {
  if (c.opts.target.float16RoundRTE && c.opts.target.int16) {
    // f32 -> f16 -> f32: the first conversion rounds to nearest even (RoundingModeRTE 16),
    // overflows to inf and keeps subnormals (DenormPreserve 16); the second is exact.
    c.f16HardwareRounding = true;
    c.b.addCapability(spv::Capability::Float16);
    c.b.addCapability(spv::Capability::Int16);
    // Each f16 result is rounded on its own (as Triton-CUDA's fp16 ops): without
    // NoContraction NVIDIA's compiler fused an f16 product with the following add through
    // the conversions (x * y + x once rounded; test_f16_rounding.py).
    c.b.forbidContraction(v);
    // Back to f32 through the 16 bits and UnpackHalf2x16: NVIDIA's compiler folded a direct
    // f16 -> f32 OpFConvert of the rounded value into the f32 value (no rounding at all).
    Id h = c.b.emit(spv::Op::OpFConvert, c.b.typeFloat(16), {v});
    Id bits = c.b.emit(spv::Op::OpUConvert, c.u32(), {c.b.emit(spv::Op::OpBitcast, c.b.typeInt(16), {h})});
    Id pair = c.b.glsl(GLSLstd450UnpackHalf2x16, c.b.typeVector(c.f32(), 2), {bits});
    return c.b.emit(spv::Op::OpCompositeExtract, c.f32(), {pair, 0});
  }
  ir::Type t = ir::Type::f("f16");
  auto code = encodeFp8(c, t, v);
  if (!code.ok()) return code;
  return decodeFp8(c, t, *code);
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
  Id lsb = b.emit(spv::Op::OpBitwiseAnd, u,
                  {b.emit(spv::Op::OpShiftRightLogical, u, {a, c.c32(drop)}), c.c32(1)});
  Id biased = b.emit(spv::Op::OpIAdd, u, {a, b.emit(spv::Op::OpIAdd, u, {lsb, c.c32((1u << (drop - 1)) - 1)})});
  Id code = b.emit(spv::Op::OpShiftRightLogical, u, {biased, c.c32(drop)});
  code = b.emit(spv::Op::OpISub, u, {code, c.c32((127 - f.bias) << f.mant)});
  code = b.glsl(GLSLstd450UMin, u, {code, c.c32(f.maxCode)});
  // Subnormal range: |x| / 2^(1 - bias - mant), rounded to nearest even (exact scaling).
  Id ax = b.emit(spv::Op::OpBitcast, fl, {a});
  Id scaled = b.emit(spv::Op::OpFMul, fl,
                     {ax, b.constFloat(fl, static_cast<double>(1u << (f.bias + f.mant - 1)))});
  Id sub = b.emit(spv::Op::OpConvertFToU, u, {b.glsl(GLSLstd450RoundEven, fl, {scaled})});
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
  uint32_t eMax = (1u << (f.bits - 1 - f.mant)) - 1;
  if (f.hasInf) {
    Id special = b.emit(spv::Op::OpIEqual, bt, {e, c.c32(eMax)});
    Id infOrNan = b.emit(spv::Op::OpSelect, u,
                         {b.emit(spv::Op::OpIEqual, bt, {m, c.c32(0)}), c.c32(0x7f800000u),
                          c.c32(0x7fc00000u)});
    r = b.emit(spv::Op::OpSelect, u, {special, infOrNan, r});
  } else {
    Id isNan = b.emit(spv::Op::OpIEqual, bt, {mag, c.c32(magMask)});
    r = b.emit(spv::Op::OpSelect, u, {isNan, c.c32(0x7fc00000u), r});
  }
  return b.emit(spv::Op::OpBitcast, fl, {b.emit(spv::Op::OpBitwiseOr, u, {r, sign})});
}

}  // namespace tvk::lower
