// fp8 (f8E5M2, f8E4M3FN) ⇄ f32 in integer code. Registers hold fp8 values as exact f32;
// storage is the uint8 code. f32 → fp8 rounds to nearest even with subnormals; overflow goes
// to infinity for E5M2 and saturates to ±448 for E4M3FN (which has no infinity, like PTX's
// cvt.rn.satfinite); NaN stays NaN.
#pragma once

#include "lower/context.h"

namespace tvk::lower {

/// Rounds f32 `v` to the nearest-even f16 value (as f32) in integer code: drivers may fold an
/// f32→f16→f32 OpFConvert pair away (NVIDIA 580 does).
Result<Id> roundToF16(Context& c, Id v);
/// Rounds f32 `v` to the nearest-even value of fp8 type `t` (as f32), with the overflow and NaN
/// rules of encodeFp8, without encoding and decoding.
Result<Id> roundToFp8(Context& c, const ir::Type& t, Id v);
/// The integer nearest to f32 `x` (0 <= x < 2^23), ties to even, as a uint32, in integer code
/// (llvmpipe's GLSLstd450RoundEven rounds ties away from zero on wide vectors).
Id roundHalfEvenToUint(Context& c, Id x);
/// uint32 `bits` with its low `drop` bits rounded off to nearest, ties to even (the kept bits
/// carry into the exponent as IEEE rounding does); the dropped bits are zero.
Id roundOffBits(Context& c, Id bits, uint32_t drop);
/// The value of fp8 code `code` of type `t` (f8E5M2 or f8E4M3FN), on the host (constants).
double fp8Value(const ir::Type& t, uint32_t code);
/// True for the fp8 types this file handles.
bool isSupportedFp8(const ir::Type& t);
/// The uint32 holding the fp8 code of f32 value `v` (rounded to nearest even).
Result<Id> encodeFp8(Context& c, const ir::Type& t, Id v);
/// The f32 value of fp8 code `code` (a uint32 in 0..255).
Result<Id> decodeFp8(Context& c, const ir::Type& t, Id code);

}  // namespace tvk::lower
