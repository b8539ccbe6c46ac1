// Transposing 8- and 16-bit tiles through scratch in packed words.
//
// A 2-D tile [rows, cols] held in runs of v consecutive elements along its rows (the blocked
// layout, analysis/layout.h) is read back in column-major order: the transposed store
// (lower/memory.cc) and tt.trans (lower/tensor_shape.cc). Word per element, that is v scratch
// stores and v loads per run whatever the element size, so 8-bit tiles move a quarter of the
// bytes a 32-bit tile does for the same shared-memory traffic.
//
// Here a 32-bit scratch word holds P = 32 / bits elements, in one of two ways:
//  - row words (8-bit elements): each invocation stores its run as v / P words of P columns
//    of its row; each reader loads, per element, the row word that holds its column and takes
//    the element out (v / P stores and v loads a run), or, for the transposed store, takes the
//    P columns of a row word over several rows and transposes 4 x 4 bytes in registers
//    (transposeColumnBlocks: a load per P elements);
//  - column words (16-bit elements): the P invocations holding rows r0 .. r0 + P - 1 of the
//    same columns (lanes D apart in one subgroup, D = cols / v) swap row words with P - 1
//    subgroup shuffles (xor s D), so that invocation p ends up with columns p v / P .. (p + 1)
//    v / P - 1 of all P rows, puts each column's P elements into one word (bit-field inserts)
//    and stores v / P words; each reader loads its v column-major elements as v / P words.
// Both address the scratch with an xor swizzle so that the lanes of one store (or load) fall
// in distinct banks as far as they can. Which one per width was measured on the H200: the
// kernel is bound by instructions there, and for bytes the exchange's selects and shuffles
// cost more than the loads they save (docs/lowering.md).
#pragma once

#include <functional>
#include <vector>

#include "analysis/packed_transpose.h"
#include "lower/context.h"

namespace tvk::lower {

/// What the target offers the packed transposes (analysis/packed_transpose.h; the scratch
/// plan asks with the same values).
analysis::PackedTransposeTarget packedTransposeTarget(const Context& c);

/// The elements of 2-D tile `val` in column-major order, packed through the scratch allocation
/// of `op` (the store or tt.trans): slot s of the result holds element (L mod rows, L / rows),
/// L = slotLinear(shape, s). False (nothing emitted) when the tile does not qualify: element type
/// not 8/16-bit integer, f16 or bf16; runs not whole words, or a reader's run not v rows of one
/// column; for the exchange (16-bit), runs shorter than P * P, the P rows of a block not in one
/// subgroup or no subgroup shuffles; TVK_TRANSPOSE_PACKED=0. Uses rows * cols / P scratch
/// words.
Result<bool> transposePacked(Context& c, const ir::Operation& op, const ir::Value* val, std::vector<Id>& out);

/// The transposed store's elements of 8-bit tile `val` in column blocks: each invocation takes
/// the P = 4 adjacent columns of one scratch row word over R = n / P consecutive rows (n: its
/// slots), loading R words for its n elements, and turns each 4 rows into P column words with
/// a 4 x 4 byte transpose. Slot k R + e holds element (rows[k R + e], cols[k R + e]) =
/// (i0 + e, j0 + k): runs of R consecutive rows of one column. False (nothing emitted) when
/// the tile does not qualify (not 2-D 8-bit, replicated, runs not whole words, R not a multiple
/// of 4 or not dividing the rows, TVK_TRANSPOSE_PACKED other than "blocks" where set); the
/// caller then takes transposePacked.
struct ColumnBlocks {
  std::vector<Id> vals, rows, cols;
  uint32_t run = 0;  // R
};
Result<bool> transposeColumnBlocks(Context& c, const ir::Operation& op, const ir::Value* val, ColumnBlocks& out);

/// The transposed load's column blocks (8-bit tiles, the mirror): where op's result qualifies
/// as for transposeColumnBlocks and the plan reserved its packed words, `order` gets the
/// coordinates of each block slot (rows, cols, run R: the order in which the loads run along
/// dimension 0), `load` loads them (the values in that order), and the 4 x 4 byte transposes
/// put them through scratch as row words into the layout: order.vals then holds the layout's
/// slots. False (nothing emitted) when the tile does not qualify.
Result<bool> loadColumnBlocks(Context& c, const ir::Operation& op, ColumnBlocks& order,
                              const std::function<Result<std::vector<Id>>(const ColumnBlocks&)>& load);

}  // namespace tvk::lower
