// The scaled-dot rewrite: `tt.dot_scaled` and `tt.dot` with fp8 operands → an ordinary
// `tt.dot` on exactly upcast operands, which the backend lowers like any other dot (the FMA
// path, or cooperative matrices for f16/bf16 where the target has them).
//
//   %d = tt.dot_scaled %a scale %as, %b, %c lhs = e2m1 rhs = bf16 {fastMath = false}
//        : tensor<MxK/2xi8>, tensor<MxK/32xi8> * tensor<KxNxbf16> -> tensor<MxNxf32>
//   →  a' = unpack(%a) (two e2m1 per byte, low nibble first, along K) as bf16 bits
//      a' = a' * broadcast(2^(%as - 127)) (bf16; NaN where %as == 0xFF unless fastMath)
//      %d = tt.dot a', %b, %c
//
// The compute type is bf16, f16 when an operand is fp16, f32 when one is bf16 and the other
// fp16 (Triton's reference upcasts to bf16/f16 alike; every e2m1/e4m3/e5m2 value and every
// in-range power-of-two product is exact there). e4m3/e5m2 operands go through tt.fp_to_fp.
// Scales are e8m0 bytes, one per 32 K-elements: the lhs scale is [M, K/32], the rhs scale
// [N, K/32]; like Triton's decomposition, 2^(s-127) is built from the bits (s << 7 as bf16,
// s << 23 as f32, then truncf for f16), so s = 0 gives 0.
// Plain tt.dot operands of fp8 type are upcast by tt.fp_to_fp to f16 (or to the other
// operand's bf16/f32 type).
#pragma once

#include <string>

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::ir {

/// The pieces of a tt.dot_scaled (operands [a, b, c, a_scale?, b_scale?]).
struct DotScaledParts {
  Value* a = nullptr;
  Value* b = nullptr;
  Value* c = nullptr;
  Value* aScale = nullptr;  ///< null when absent
  Value* bScale = nullptr;  ///< null when absent
  std::string aFormat;      ///< e2m1, e4m3, e5m2, bf16, fp16
  std::string bFormat;
  bool fastMath = false;
  bool aKPack = true;  ///< lhs_k_pack: e2m1 pairs packed along K (else along M)
  bool bKPack = true;  ///< rhs_k_pack: e2m1 pairs packed along K (else along N)
};

/// Decodes a tt.dot_scaled (its `operandSegmentSizes`, formats and flags); an error when
/// they do not describe its operands.
Result<DotScaledParts> dotScaledParts(const Operation& op);

/// Rewrites every tt.dot_scaled and every fp8 tt.dot in `m` (see above); verifies the
/// module afterwards when something changed. 3-D tt.dot_scaled is `unsupported`.
Status rewriteScaledDots(Module& m);

}  // namespace tvk::ir
