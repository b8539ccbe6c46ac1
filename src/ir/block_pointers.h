// Block pointers → tensors of pointers and masks. Raw frontend TTIR (`kernel.source.ttir`,
// before Triton's rewrite_tensor_pointer pass) may hold `tt.make_tensor_ptr` (base, shape,
// strides, offsets, order), `tt.advance`, and `tt.load`/`tt.store` through a block pointer
// `!tt.ptr<tensor<SxT>>` with `boundaryCheck` (dimensions checked against the shape) and
// `padding` (1 = zero, 2 = NaN for masked-off loaded elements). This pass replaces them by
// the equivalent element pointers:
//
//   idx_d  = offset_d + make_range(0, S_d)                 (i64, one per dimension)
//   ptrs   = splat(base) + Σ_d broadcast(idx_d · stride_d)
//   mask   = ∧_{d checked} (idx_d >= 0 ∧ idx_d < shape_d)
//   tt.load ptrs, mask[, splat(NaN)]    /    tt.store ptrs, value[, mask]
//
// A block pointer is carried as its components (base, shape[r], strides[r], offsets[r]):
// `tt.advance` adds to the offsets; scf.for/scf.if/scf.while iter args, results and yields
// of block-pointer type are expanded into the components (components a loop or branch does
// not change are not carried). Any other use of a block pointer is
// `unsupported: <op> at <file>:<line>`.
#pragma once

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::ir {

/// Rewrites every block pointer in `m`'s functions; verifies the module afterwards when
/// something changed. A module without block pointers is left untouched.
Status rewriteBlockPointers(Module& m);

/// True for a block-pointer type `!tt.ptr<tensor<...>>`.
bool isBlockPointerType(const Type& t);

}  // namespace tvk::ir
