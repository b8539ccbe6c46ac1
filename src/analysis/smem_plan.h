// Shared-memory plan: how many bytes of workgroup scratch each op needs and where they go.
//
// Every op that uses scratch brackets its use with barriers (barrier, write, barrier, read),
// so the scratch of an op is live only while that op runs: ops in sequence reuse the same
// bytes and every allocation starts at offset 0; the module's size is the maximum. Scratch is
// one Workgroup array of uint32 words; each element takes one word (two for 64-bit types).
//
// Example: softmax over tensor<1024xf32> with W = 128 gives
//   tt.reduce at kernels.py:20: 4096 bytes at 0
//   total 4096 bytes
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/axis_info.h"
#include "analysis/dot_operands.h"
#include "analysis/layout.h"
#include "analysis/remat.h"
#include "ir/ir.h"
#include "support/status.h"

namespace tvk::analysis {

/// What the plan needs to know about the target and the launch.
struct SmemOptions {
  /// Bytes the target allows (maxComputeSharedMemorySize).
  uint32_t limitBytes = 32768;
  /// Invocations per workgroup (W).
  uint32_t invocations = 128;
  /// Subgroup size the code is compiled for.
  uint32_t subgroupSize = 32;
  /// The target has OpGroupNonUniformShuffleXor.
  bool subgroupShuffle = false;
  /// The target shuffles 8/16/64-bit types (shaderSubgroupExtendedTypes).
  bool subgroupExtendedTypes = false;
  /// The target lists cooperative-matrix shapes: f16/i8 tt.dots may stage their operands
  /// packed (lower/dot_coopmat.cc) and get room for a whole K slice when it fits.
  bool cooperativeMatrix = false;
  /// Axis info of the kernel's values (analysis/axis_info.h); without it no store is
  /// transposed (storeTransposed).
  const AxisInfoMap* axisInfo = nullptr;
  /// Layouts of the kernel's values (analysis/layout.h); with them a transposed store that
  /// takes a packed transpose (analysis/packed_transpose.h) reserves only its packed words.
  const LayoutInfo* layouts = nullptr;
  /// Compare-and-swap loops are workgroup-uniform (Target::casLoopAtomics false): atomics
  /// that take one get a scratch word for the loop's exit flag (lower/atomic_element.cc).
  bool uniformCasLoops = false;
  /// The target adds f32 atomically (Target::atomicFloat32Add): no CAS loop for that.
  bool atomicFloat32Add = false;
  /// The loads whose values a tt.dot operand is computed from (planSharedMemory fills it):
  /// they keep the dot's own operand staging, never a transposed load (loadTransposed).
  const std::set<const ir::Operation*>* dotOperandLoads = nullptr;
};

/// True when atomic `kind` (a tt.atomic_rmw kind, or `cas`) on `elem` elements takes a
/// compare-and-swap loop: 16-bit elements, and float kinds other than exchange and CAS
/// without a native instruction (f32 add where `nativeF32Add`).
bool atomicUsesCasLoop(const std::string& kind, const ir::Type& elem, bool nativeF32Add);

/// One op's scratch allocation.
struct SmemAlloc {
  /// Byte offset in the workgroup scratch array (a multiple of 4).
  uint32_t offset = 0;
  /// Bytes reserved.
  uint32_t bytes = 0;
};

/// The plan for one kernel.
struct SmemPlan {
  /// Scratch per op that needs it.
  std::map<const ir::Operation*, SmemAlloc> allocs;
  /// Ops with scratch, in program order.
  std::vector<const ir::Operation*> order;
  /// The options the plan was made with (lowering takes the same decisions from them).
  SmemOptions options;
  /// Total workgroup memory bytes (max over ops).
  uint32_t totalBytes = 0;
  /// Loads that their cooperative-matrix tt.dot performs itself (analysis/dot_operands.h;
  /// planned by the compiler pipeline where the target has cooperative matrices and
  /// buffer device addresses).
  DirectOperands directLoads;
  /// tt.dots whose direct operands are software-pipelined across their loop
  /// (analysis/dot_prefetch.h).
  std::set<const ir::Operation*> prefetchDots;
  /// Direct loads carried across their loop's iterations in registers
  /// (analysis/dot_prefetch.h planCarriedLoads).
  std::set<const ir::Operation*> carriedLoads;
};

/// True when tt.reduce or tt.scan `op` takes the row fast path (lower/reduce.cc, scan.cc): every dimension after
/// the axis has extent 1, the input is not replicated (numel >= W), the target can shuffle
/// the operand types, and W is a whole number of subgroups.
bool reduceFastPath(const ir::Operation& op, const SmemOptions& o);

/// True when tt.reduce `op` may take the column path (lower/reduce.cc): a 2-D input reduced
/// along dimension 0, not replicated, whose row length C divides W (so every invocation holds
/// one column in all of its slots), on a target that can shuffle the operand types. The
/// lowering still takes the generic path when the result's layout has v > 1.
bool reduceColumnPath(const ir::Operation& op, const SmemOptions& o);

/// Scratch words per element of tt.dot `op` on the FMA path: 2 for f64, 1 otherwise.
uint32_t dotElemWords(const ir::Operation& op);

/// K-slice of tt.dot `op` staged at a time: K, halved until A[..., :, slice] and
/// B[..., slice, :] of every batch (dotElemWords per element) fit in `limitBytes`.
uint32_t dotSliceK(const ir::Operation& op, uint32_t limitBytes);

/// Rows of the tt.dot result (flattened over the batch dimensions) exchanged through scratch
/// at a time (batches x M, halved until rows x N elements fit in `limitBytes`).
uint32_t dotExchangeRows(const ir::Operation& op, uint32_t limitBytes);

/// Words of the packed staging of a whole K slice of f16/bf16/i8 tt.dot `op` (two 16-bit or
/// four i8 per word, rows padded by `padWords`); 0 for other operand types.
uint64_t dotPackedWords(const ir::Operation& op, uint32_t padWords);

/// Grows the scratch of the software-pipelined dots (plan.prefetchDots) to two packed half-K
/// slices (rows padded by `padWords`; B staged either way round), which lower/dot_coopmat.cc
/// double-buffers, where that fits in `limitBytes`.
void reserveDoubleBuffers(SmemPlan& plan, uint32_t padWords, uint32_t limitBytes);

/// Outer rows (independent reductions) the generic tt.reduce path (lower/reduce.cc) exchanges
/// per pass: all of them when the whole input fits in `limitBytes`, else the largest power of
/// two whose rows fit (0 when not even one row fits).
uint64_t reduceChunkRows(const ir::Operation& op, uint32_t limitBytes);

/// Source elements a tt.trans/tt.broadcast exchange (lower/tensor_shape.cc) moves per pass:
/// numel when the (padded) source fits in `limitBytes`, else the largest power of two that
/// fits (0 when none does).
uint64_t exchangeChunkElems(const ir::Operation& op, uint32_t limitBytes);

/// Padding words tt.trans adds per source row of a chunk of `elems` elements (one per row of
/// >= 32 elements, for bank-conflict-free columns); 0 for other ops.
uint64_t transPadding(const ir::Operation& op, uint64_t elems);

/// 32-bit words one element of scalar type `t` takes in scratch.
uint32_t scratchWords(const ir::Type& t);

/// True when tt.store `op` goes through scratch in the transposed order (lower/memory.cc): a
/// 2-D pointer tensor whose addresses run along dimension 0 (axis info: contiguity >= 4 there,
/// 1 along dimension 1), so that the row-major layout would give every invocation of a
/// subgroup its own row. Its pointer and mask must be rematerializable (recomputed at the
/// transposed coordinates), the value not (it is exchanged), and the exchange must fit: its
/// packed words (analysis/packed_transpose.h), else its tile in chunks of rows
/// (transposeChunkRows).
bool storeTransposed(const ir::Operation& op, Remat& remat, const SmemOptions& o);

/// Rows of 2-D tile `t` that a transposed store or load exchanges through scratch at once: all
/// of them when their words (a word per element, rows padded: transposedStorePitch) fit in
/// `limitBytes`, else the most rows, a power of 2, that fit, whole runs of layout `l` (the
/// tile's) and at least its run length v (so that the runs of the transposed order stay in
/// one column); 0 when no such chunk exists (or `l` is null and the whole tile does not fit).
uint32_t transposeChunkRows(const ir::Type& t, const Layout* l, uint64_t limitBytes);

/// True when tt.load `op` goes through scratch in the transposed order (lower/memory.cc), the
/// mirror of storeTransposed: a 2-D pointer tensor whose addresses run along dimension 0, its
/// pointer, mask and `other` rematerializable (loaded at the transposed coordinates), not
/// constant along dimension 1 (a broadcast column), its layout not replicated, not an operand
/// of a tt.dot (SmemOptions::dotOperandLoads), and its tile fits in chunks of rows
/// (transposeChunkRows) or, 8-bit, in column blocks.
bool loadTransposed(const ir::Operation& op, Remat& remat, const SmemOptions& o);

/// Words between rows of the scratch tile of a transposed store with `cols` columns: one
/// padding word for rows of >= 32 words, so that reading a column is free of bank conflicts.
uint32_t transposedStorePitch(int64_t cols);

/// Scratch bytes op `op` needs (0 for none). `remat` decides whether data-movement ops can
/// recompute their source instead of exchanging it through memory.
uint32_t scratchBytes(const ir::Operation& op, Remat& remat, const SmemOptions& o);

/// Plans scratch for `func`; fails when it exceeds `o.limitBytes`, naming the largest op.
Result<SmemPlan> planSharedMemory(const ir::Operation& func, const SmemOptions& o);

/// Text form: one line per op, then the total.
std::string printSmemPlan(const SmemPlan& plan);

}  // namespace tvk::analysis
