// Transposing 8- and 16-bit tiles through scratch in packed words.
//
// A 2-D tile [rows, cols] held in runs of v consecutive elements along its rows (the blocked
// layout, analysis/layout.h) is read back in column-major order: the transposed store
// (lower/memory.cc) and tt.trans (lower/tensor_shape.cc). Word per element, that is v scratch
// stores and v loads per run whatever the element size, so 8-bit tiles move a quarter of the
// bytes a 32-bit tile does for the same shared-memory traffic.
//
// Here a 32-bit scratch word holds P = 32 / bits elements of one column (P consecutive rows):
//   1. each invocation packs its run into v / P row words (P columns of its row each);
//   2. the P invocations holding rows r0 .. r0 + P - 1 of the same columns (lanes D apart in one
//      subgroup, D = cols / v) exchange words with P - 1 subgroup shuffles (xor s D), so that
//      invocation p ends up with columns p v / P .. (p + 1) v / P - 1 of all P rows;
//   3. it puts each column's P elements together into one word (bit-field inserts) and stores
//      v / P words, at column * rows / P + (rows / P block ^ swizzle) so that the 32 lanes of a
//      store and of a load fall in distinct banks as far as they can;
//   4. after a barrier every invocation reads its v column-major elements as v / P words.
// So v / P stores and v / P loads per run instead of v and v.
#pragma once

#include <vector>

#include "lower/context.h"

namespace tvk::lower {

/// The elements of 2-D tile `val` in column-major order, packed through scratch from word
/// `base`: slot s of the result holds element (L mod rows, L / rows), L =
/// slotLinear(shape, s). False (nothing emitted) when the tile does not qualify: element type
/// not 8/16-bit integer, f16 or bf16; runs shorter than P * P; the P rows of a block not in one
/// subgroup; no subgroup shuffles. Uses rows * cols / P scratch words.
Result<bool> transposePacked(Context& c, const ir::Value* val, uint32_t base, std::vector<Id>& out);

}  // namespace tvk::lower
