// Vector width v of the blocked layout (analysis/layout.h), chosen per numel from axis info.
//
// A tensor class (all shapes with one numel, which share the linear mapping) gets v > 1 when
// some tt.load/tt.store on it provably touches v consecutive, v-aligned elements per run of
// the layout (contiguity and byte divisibility of the pointer along the last dimension; masks
// do not matter: lower/memory.cc tests a run's masks together), the class is not replicated at that v (numel >= W v), and
// every op touching a tensor of the class is per slot (elementwise, splat, make_range, splat
// constants, expand_dims/reshape, load/store). Anything else keeps v = 1.
//
// Example (W = 128): add_f32's tensor<1024xf32> loads from `x_ptr + pid*1024 + arange`
// with x_ptr divisible by 16 -> v = 4 (16-byte accesses), R = 8.
#pragma once

#include <cstdint>
#include <map>

#include "analysis/axis_info.h"
#include "ir/ir.h"

namespace tvk::analysis {

/// Vector width per numel (absent: v = 1).
using VectorWidths = std::map<int64_t, uint32_t>;

/// Largest run length k (power of 2, at most 16 bytes; 32-bit elements, and f16 when
/// `float16`: the target has shaderFloat16 to take words apart) such that an access
/// through the tensor of pointers `ptr` touches k consecutive elements starting at an address
/// that is a multiple of k elements, for every aligned run of k along the last dimension,
/// with `mask` (may be null) constant on each run. 1 when nothing is proven.
uint32_t provenAccessWidth(const ir::Value* ptr, const ir::Value* mask, const AxisInfoMap& ai,
                           bool float16 = false);

/// Chooses v per numel for `func` with W = `invocations`.
VectorWidths chooseVectorWidths(const ir::Operation& func, const AxisInfoMap& ai,
                                uint32_t invocations, bool float16 = false);

}  // namespace tvk::analysis
