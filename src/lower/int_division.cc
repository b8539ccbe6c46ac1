#include "lower/int_division.h"

#include <spirv/unified1/GLSL.std.450.h>

namespace tvk::lower {

namespace {

// 2^32 (1 - 2^-20), exact in f32: the estimate's scale, low enough that a reciprocal within
// a few ulps (Vulkan allows OpFDiv 2.5) and two roundings still stay below 2^32 / d.
constexpr float kScale = 4294963200.0f;

}  // namespace

Divider::Divider(Context& c, Id d, bool isSigned) : c_(c), d_(d), signed_(isSigned) {
  auto& b = c.b;
  Id u = c.u32();
  magnitude_ = isSigned ? b.glsl(GLSLstd450SAbs, u, {d}) : d;
  zero_ = b.emit(spv::Op::OpIEqual, c.boolean(), {d, c.c32(0)});
  Id safe = b.glsl(GLSLstd450UMax, u, {magnitude_, c.c32(1)});  // 0 divides as 1 (see divide)
  Id f = b.emit(spv::Op::OpConvertUToF, c.f32(), {safe});
  Id rcp = b.emit(spv::Op::OpFDiv, c.f32(), {b.constFloat(c.f32(), 1.0), f});
  Id m0 = b.emit(spv::Op::OpConvertFToU, u, {b.emit(spv::Op::OpFMul, c.f32(), {rcp, b.constFloat(c.f32(), kScale)})});
  // Newton: e = 2^32 - safe * m0 (mod 2^32, as safe * m0 < 2^32); m = m0 + m0 * e / 2^32.
  Id e = b.emit(spv::Op::OpIMul, u, {b.emit(spv::Op::OpISub, u, {c.c32(0), safe}), m0});
  reciprocal_ = b.emit(spv::Op::OpIAdd, u, {m0, umulhi(m0, e)});
}

Id Divider::umulhi(Id a, Id b) {
  Id u = c_.u32();
  Id r = c_.b.emit(spv::Op::OpUMulExtended, c_.b.typeStructShared({u, u}), {a, b});
  return c_.b.emit(spv::Op::OpCompositeExtract, u, {r, 1});
}

Divider::Result Divider::divide(Id x, bool wantQuotient, bool wantRemainder) {
  auto& b = c_.b;
  Id u = c_.u32(), bt = c_.boolean();
  Id n = signed_ ? b.glsl(GLSLstd450SAbs, u, {x}) : x;
  Id q = umulhi(n, reciprocal_);
  // With d = 0: r = n and every correction takes 0 from it; the quotient is replaced below.
  Id r = b.emit(spv::Op::OpISub, u, {n, b.emit(spv::Op::OpIMul, u, {q, magnitude_})});
  for (int i = 0; i < (signed_ ? 2 : 3); ++i) {
    Id over = b.emit(spv::Op::OpUGreaterThanEqual, bt, {r, magnitude_});
    r = b.emit(spv::Op::OpSelect, u, {over, b.emit(spv::Op::OpISub, u, {r, magnitude_}), r});
    if (wantQuotient) q = b.emit(spv::Op::OpSelect, u, {over, b.emit(spv::Op::OpIAdd, u, {q, c_.c32(1)}), q});
  }
  Result out;
  if (wantQuotient) {
    if (signed_) {
      Id differ = b.emit(spv::Op::OpSLessThan, bt, {b.emit(spv::Op::OpBitwiseXor, u, {x, d_}), c_.c32(0)});
      q = b.emit(spv::Op::OpSelect, u, {differ, b.emit(spv::Op::OpSNegate, u, {q}), q});
    }
    out.quotient = b.emit(spv::Op::OpSelect, u, {zero_, c_.c32(0xffffffffu), q});
  }
  if (wantRemainder) {
    if (signed_) {
      Id negative = b.emit(spv::Op::OpSLessThan, bt, {x, c_.c32(0)});
      r = b.emit(spv::Op::OpSelect, u, {negative, b.emit(spv::Op::OpSNegate, u, {r}), r});
    }
    out.remainder = r;
  }
  return out;
}

bool constantDivisor(const ir::Value* divisor) {
  return divisor->def && divisor->def->name == "arith.constant";
}

}  // namespace tvk::lower
