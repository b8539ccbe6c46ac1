// Pointer inductions: loop loads whose pointers are recomputed every iteration from scalars
// that advance by a loop-invariant step become loop-carried pointer tensors advanced by one
// add.
//
// Triton rewrites block pointers (`tl.make_block_ptr` / `tl.advance`) into scalar i64 offsets
// carried by the loop and a pointer tensor rebuilt from them in every iteration:
//
//   scf.for ... iter_args(%off = %c0_i64, ...) {
//     %p = tt.addptr %base, broadcast(expand_dims(splat(%off) + %range)) * %stride ...
//     %x = tt.load %p, %mask(%off)
//     scf.yield %off + %c64_i64, ...
//   }
//   →
//   %p0 = (the same ops on the loop's initial values)                      (before the loop)
//   %inc = (the pointer's change per iteration: 64 * stride, in elements)   (before the loop)
//   scf.for ... iter_args(%off = %c0_i64, ..., %p = %p0) {
//     %x = tt.load %p, %mask(%off)
//     scf.yield %off + %c64_i64, ..., tt.addptr(%p, splat(%inc))
//   }
//
// The pointer must be an affine function of the loop's scalar iter_args that advance by
// `arith.addi(arg, invariant)`: tt.addptr, i64 arith.addi / arith.subi, arith.muli by a
// loop-invariant uniform factor, tt.splat, tt.expand_dims and tt.broadcast. Exact: i64
// arithmetic and the pointer's offsets wrap alike (modulo 2^64), so p(s + c) = p(s) + inc. i32
// offsets are left alone (the pointer offset is their sign extension: a wrap-around would
// differ). The mask is untouched; the old chain, now unused, goes in canonicalization.
//
// The analyses then see a tensor induction (analysis/remat.h): the dot operand staging hoists
// its run addresses and a matmul K loop over block pointers is software-pipelined like one over
// pointer tensors (analysis/dot_prefetch.h).
//
// Off by default (TVK_POINTER_INDUCTIONS=1 turns it on; in the Python backend's cache key): on
// the H200 (session 28) tools/bench/tensorcore.py's block-pointer matmul at 4096^3 ran 0.62 ms
// pipelined this way against 0.55 ms as before (and 0.77 ms with the pointer carried but not
// pipelined). Its K loop keeps the 64-bit boundary checks of both dimensions, about 180 more
// instructions an iteration than the pointer matmul's loop (514 against 338).
#pragma once

#include "ir/ir.h"

namespace tvk::ir {

/// Rewrites the loads of every scf.for in `m` as described above; returns how many pointers it
/// turned into loop-carried ones.
int rewritePointerInductions(Module& m);

/// True when TVK_POINTER_INDUCTIONS=1 asks for rewritePointerInductions (a measurement switch,
/// in the Python backend's cache key).
bool pointerInductionsEnabled();

}  // namespace tvk::ir
