// Dot operands read straight from global memory. A cooperative-matrix tt.dot stages its f16/i8
// operands in shared memory, packed two or four to a word (lower/dot_coopmat.cc). When an
// operand is a tt.load used by nothing else, the dot can do that load itself: each invocation
// takes runs of `elems` consecutive elements (up to 16 bytes) of the staged K slice, loads
// each run with one vector access and writes its words straight into the staging, instead of
// every invocation loading one element, pairing it with a neighbour's by a subgroup shuffle
// and writing half the words. The load's own lowering then emits nothing.
//
// Needs, from axis info (analysis/axis_info.h) and rematerializability (analysis/remat.h):
// the pointer tensor is recomputable at any coordinate (each invocation's runs are not the
// elements the blocked layout gives it), runs of at least `elems` consecutive addresses along
// the last dimension whose first address is a multiple of elems × element size, and a mask that is
// constant over each run (so a run is loaded whole or takes `other` whole). No op between
// the load and the dot may write memory, since the load moves to the dot.
//
// B may also be a tt.trans of such a load (DirectOperand::transposed).
//
// Example: the A tile of a block-pointer matmul, `tt.load %ptrs, %mask` of tensor<128x64xf16>
// with K contiguous and 16-byte aligned rows, becomes 8-element (16-byte) runs.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "analysis/axis_info.h"
#include "analysis/remat.h"
#include "ir/ir.h"

namespace tvk::analysis {

/// A tt.load that the tt.dot reading it performs (see above).
struct DirectOperand {
  /// The tt.dot.
  const ir::Operation* dot = nullptr;
  /// 0 for A, 1 for B.
  int operand = 0;
  /// Consecutive elements per access (a power of two, at most 16 bytes, at least one word).
  uint32_t elems = 0;
  /// The load's pointer when it is a loop-carried tensor induction (analysis/remat.h) that
  /// nothing else uses: with the load direct, the loop need not carry it at all (its advance
  /// is dead, its result unused).
  const ir::Value* carried = nullptr;
  /// B reaches the dot through `tt.trans` (order [1, 0]) of the load: the load is [N, K],
  /// contiguous along K, as attention's `tl.dot(q, tl.trans(k))`. The dot stages it as it is
  /// loaded (rows of K) and reads its B fragments column-major; the trans emits nothing.
  bool transposed = false;
  /// The operand reaches the dot through this tt.fp_to_fp from f8E5M2 to f16 (the upcast of
  /// fp8 dot operands, ir/scaled_dot.h), outside the trans: the load is of fp8 codes, and the
  /// dot widens each code to its f16 code (the code is f16's upper byte) as it stages the run.
  const ir::Operation* widen = nullptr;
};

/// The tt.load behind operand `i` of tt.dot `dot`: its defining op, or through a rank-2
/// `tt.trans` (order [1, 0]) of B the trans's operand's, either after a widening tt.fp_to_fp
/// (DirectOperand::widen); null when there is none.
const ir::Operation* operandLoad(const ir::Operation& dot, int i);

/// True for ops that may write memory a moved load could read (stores, atomics, calls,
/// barriers, inline code), not counting what their regions hold.
bool writesMemory(const ir::Operation& op);

/// Direct operands by their tt.load.
using DirectOperands = std::map<const ir::Operation*, DirectOperand>;

/// The direct operands of `func`'s 2-D and 3-D f16/bf16/i8/f32 tt.dots (f8E5M2 widened to f16). Only a plan: the dot lowering reads
/// an operand directly only where it also takes the cooperative-matrix path.
DirectOperands planDirectOperands(const ir::Operation& func, const AxisInfoMap& info, Remat& remat);

/// `tt.load at file:line -> tt.dot at file:line operand A, runs of N` per entry, with
/// `, prefetched` where the dot is in `prefetch` and `, loads carried` where the load is in
/// `carried` (analysis/dot_prefetch.h).
std::string printDirectOperands(const DirectOperands& d, const std::set<const ir::Operation*>& prefetch = {},
                                const std::set<const ir::Operation*>& carried = {});

}  // namespace tvk::analysis
