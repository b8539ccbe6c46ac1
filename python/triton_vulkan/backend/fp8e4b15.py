"""Conversions of Triton's fp8e4b15 (1 sign, 4 exponent bits with bias 15, 3 mantissa bits; no
inf/NaN; TTIR has no such type, so its values are i8 codes) to and from f16/f32/bf16, as the
`convert_custom_types` codegen function that Triton's frontend calls for every cast that
involves fp8e4b15 (e.g. before a tl.dot, which upcasts such operands to f16).

Semantics follow the CUDA backend's (bit for bit):
- upcast: the f16 with the same sign, exponent and mantissa bits, i.e. f16 bits
  `(code & 0x80) << 8 | (code & 0x7F) << 7` (exact; 0x7F/0xFF are ±1.875, not NaN);
- downcast: f32 first goes to f16 rounding toward zero; then |x| is clamped to 1.75 (f16 0x3F00,
  NaN too) and the code is `sign | (bits(|x|) + 0x40) >> 7` (rounds half away from zero)."""
from triton.language import core


def _reinterpret(x, scalar_ty):
    ty = x.type.with_element_ty(scalar_ty) if x.type.is_block() else scalar_ty
    return core.tensor(x.handle, ty)


def _k(s, value, like_dtype):
    return s.scalar_constant(value, like_dtype)


def _f16_toward_zero(s, x):
    """f32 → f16 rounding toward zero: round to nearest, then one step toward zero where that
    went up in magnitude (overflow to inf lands on the largest finite value; NaN stays)."""
    h = s.cast(x, core.float16)
    mask = _k(s, 0x7FFFFFFF, core.int32)
    up = s.greater_than(s.and_(s.bitcast(s.cast(h, core.float32), core.int32), mask), s.and_(s.bitcast(x, core.int32), mask))
    hb = s.bitcast(h, core.int16)
    return s.bitcast(s.where(up, s.sub(hb, _k(s, 1, core.int16), False), hb), core.float16)


@core.builtin
def convert_custom_types(arg, dst_ty, fp_downcast_rounding=None, _semantic=None):
    s = _semantic
    if arg.type.scalar.is_fp8e4b15():
        x = s.cast(_reinterpret(arg, core.int8), core.int16)  # sign-extended code
        mag = s.shl(s.and_(x, _k(s, 0x7F, core.int16)), _k(s, 7, core.int16))
        sign = s.shl(s.and_(x, _k(s, 0x80, core.int16)), _k(s, 8, core.int16))
        h = s.bitcast(s.or_(mag, sign), core.float16)
        dst = dst_ty.scalar if hasattr(dst_ty, "scalar") else dst_ty
        return h if dst.is_fp16() else s.cast(h, dst)
    src = arg.type.scalar
    if not (src.is_fp16() or src.is_fp32() or src.is_bf16()):
        raise ValueError(f"fp8e4b15 conversion from {src} is not supported")
    h = arg if src.is_fp16() else _f16_toward_zero(s, arg if src.is_fp32() else s.cast(arg, core.float32))
    bits = s.bitcast(h, core.int16)
    u = s.cast(s.and_(bits, _k(s, 0x7FFF, core.int16)), core.int32)  # |x| bits, 0..0x7FFF
    clamped = s.where(s.less_than(u, _k(s, 0x3F00, core.int32)), u, _k(s, 0x3F00, core.int32))
    code = s.lshr(s.add(clamped, _k(s, 0x40, core.int32), False), _k(s, 7, core.int32))
    sign = s.lshr(s.and_(s.cast(bits, core.int32), _k(s, 0x8000, core.int32)), _k(s, 8, core.int32))
    out = s.cast(s.or_(code, sign), core.int8)
    return _reinterpret(out, core.float8e4b15)
