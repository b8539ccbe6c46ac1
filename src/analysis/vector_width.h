// Vector accesses: the vector width v of the blocked layout (analysis/layout.h) per tensor class
// (all shapes of one numel share the linear mapping), and the width of each tt.load/tt.store.
//
// A class gets v > 1 when some load or store through a pointer tensor of the class provably
// touches runs of v consecutive, v-aligned elements along the last dimension (axis info:
// contiguity, and the byte divisibility of each run's first address), at most `maxBytes` per
// run, the class is not replicated at that v (numel >= W v), and every op that touches a
// tensor of the class works slot by slot for any v: elementwise ops, splats, make_range,
// expand_dims/reshape, broadcasts (recomputed or exchanged per result slot), loads and stores,
// and reductions of 1-D tensors to scalars. Anything else (other reductions, dots, trans, loop
// arguments, atomics, ...) keeps v = 1, except in a dot class: one whose other ops are 2-D
// tt.dots (at least one) and the scf.for loops carrying it (a matmul's result tile, stored in
// 16-byte runs). A 2-D store whose addresses run along dimension 0 asks
// for runs along that dimension (the transposed store's scratch reads them back in that
// order). Narrow elements (8 and 16 bits) move in whole 32-bit words, so their runs are at
// least 4 bytes.
//
// Row layouts: a class reduced along the last dimension of its 2-D tensors (softmax and
// attention tiles) gets v = the row length N where every invocation can hold whole rows, so
// that the reductions and the broadcasts back along the rows stay in registers (see
// planRowLayouts in vector_width.cc for the ops such a class may meet).
//
// Example (W = 128, maxBytes = 16): an f16 add of BLOCK = 1024 through
// `x_ptr + pid * 1024 + arange` (x_ptr divisible by 16) -> tensor<1024> classes get v = 8:
// each invocation moves 8 halves (16 bytes) per access, R = 8 slots.
#pragma once

#include <cstdint>
#include <map>

#include "analysis/axis_info.h"
#include "ir/ir.h"

namespace tvk::analysis {

/// How one tt.load/tt.store moves its elements.
struct AccessVector {
  /// Elements per access (1: one access per element).
  uint32_t width = 1;
  /// True when the mask (if any) is provably constant on each run of `width` (one branch
  /// per run); otherwise runs whose masks differ fall back to per-element accesses.
  bool maskUniform = true;
  /// A 2-D store or load whose addresses run along dimension 0 (a transposed store or load):
  /// its runs are along dimension 0, for the scratch paths that access memory in the
  /// transposed order (analysis::storeTransposed/loadTransposed, lower/memory.cc); never a
  /// last-dimension run.
  bool alongRows = false;
};

/// The vector decisions of one kernel.
struct VectorPlan {
  /// v per numel (absent: 1).
  std::map<int64_t, uint32_t> widths;
  /// Per tt.load/tt.store with width > 1.
  std::map<const ir::Operation*, AccessVector> accesses;
  /// Replicated classes whose elements repeat over 2^k adjacent invocations (the row
  /// statistics of split row layouts; analysis/layout.h Layout::repShift), by numel.
  std::map<int64_t, uint32_t> repShifts;
  /// Elementwise results whose runs hold equal values in groups of k > 1 consecutive slots
  /// (axis info's constancy along the last dimension, aligned; k divides v): the lowering
  /// computes the first slot of each group only (a mask `offs < n` is one comparison per run).
  std::map<const ir::Value*, uint32_t> equalSlots;
  /// Integer divisions and remainders (arith.divsi/divui/remsi/remui, 32 and 64 bits) whose
  /// dividend runs through k > 1 consecutive values from a multiple of k on each aligned group
  /// of k slots (axis info: contiguity and divisibility along the last dimension) and whose
  /// divisor is one multiple of k on the group (constancy, divisibility): the lowering divides
  /// the group's first element only, the others being its quotient and its remainder plus i
  /// (lower/int_ops.cc; `offs % D` and `offs // C` cost one division per run).
  std::map<const ir::Value*, uint32_t> runDivisions;
  /// v of the class of `numel`.
  uint32_t widthOf(int64_t numel) const;
  /// Layout::repShift of the class of `numel` (0: none).
  uint32_t repShiftOf(int64_t numel) const;
  /// equalSlots of `v` (1: none).
  uint32_t equalSlotsOf(const ir::Value* v) const;
  /// runDivisions of `v` (1: none).
  uint32_t runDivisionsOf(const ir::Value* v) const;
  /// The access of `op` (width 1 when it has none).
  AccessVector accessOf(const ir::Operation* op) const;
};

/// Largest run length k (a power of 2, k * element bytes <= maxBytes) such that every aligned
/// run of k elements along dimension `dim` (-1: the last) of pointer tensor `ptr` is k
/// consecutive elements whose first address is a multiple of k * element bytes; with `mask`,
/// also constant on each run. 1 when nothing is proven, for pointers to pointers and i1, and
/// for narrow elements whose run would be under 4 bytes.
uint32_t provenAccessWidth(const ir::Value* ptr, const ir::Value* mask, const AxisInfoMap& ai,
                           uint32_t maxBytes, int dim = -1);

/// Plans v per class and the width per access of `func` for W = `invocations`; `maxBytes` 0
/// plans nothing (every class v = 1). `subgroupSize` (0: unknown) bounds the invocations that
/// may share one row of a split row layout.
VectorPlan planVectors(const ir::Operation& func, const AxisInfoMap& ai, uint32_t invocations,
                       uint32_t maxBytes, uint32_t subgroupSize = 0);

}  // namespace tvk::analysis
