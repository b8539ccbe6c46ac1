// Which packed transpose a 2-D 8- or 16-bit tile takes (lower/transpose_packed.h), decided
// from its type, its layout and the target alone.
//
// The lowering (lower/transpose_packed.cc) and the scratch plan (analysis/smem_plan.cc) both
// ask here, so the plan reserves exactly what the lowering will use: a packed transpose moves
// rows * cols / P words (P elements a word), a quarter (8-bit) or half (16-bit) of the word
// per element path's padded tile. A transposed store of a 64 x 64 byte tile needs 4 KiB instead
// of 16.6 KiB, which decides how many workgroups share a multiprocessor.
#pragma once

#include <cstdint>
#include <string>

#include "analysis/layout.h"
#include "ir/ir.h"

namespace tvk::analysis {

/// The packed transposes (lower/transpose_packed.h):
/// - kColumnBlocks: 8-bit transposed stores, each invocation reads P columns of R rows;
/// - kRows: row words written, each reader extracts its elements (8-bit, and tt.trans);
/// - kExchange: 16-bit column words after subgroup shuffles.
enum class PackedTranspose { kNone, kColumnBlocks, kRows, kExchange };

/// What the target offers the packed transposes.
struct PackedTransposeTarget {
  uint32_t invocations = 0;   // W
  uint32_t subgroupSize = 0;  // S
  bool shuffle = false;       // OpGroupNonUniformShuffleXor
};

/// Bits of one packed element: 8- and 16-bit integers, f16 and bf16 (0: not packed; fp8 and
/// i1 registers would need their encodings).
uint32_t packedBits(const ir::Type& scalar);

/// The packed variant for P elements a word: "blocks" for 8-bit elements (stores; tt.trans
/// and tiles it does not fit take "rows"), "shuffle" for 16-bit ones, as measured on the H200
/// (tools/device/results/2026-12-02-h200-session13-notes.md). TVK_TRANSPOSE_PACKED (a
/// measurement switch) forces "0" (a word per element), "rows", "blocks" or "shuffle".
std::string packedTransposeMode(uint32_t P);

/// The packed transpose of tile type `tile` held in layout `l`: for a transposed store
/// (`store`) the column blocks where they fit, else (and for tt.trans) row words or the
/// exchange; kNone where none fits (the caller's word per element path).
PackedTranspose choosePackedTranspose(const ir::Type& tile, const Layout& l, const PackedTransposeTarget& t,
                                      bool store);

/// True when tt.trans `op` (source in layout `srcLayout`) takes a packed transpose
/// (lower/tensor_shape.cc): a 2-D [1, 0] transpose exchanged in one pass (`chunkElems`, the
/// source elements a pass moves, is all of them) whose tile fits one.
bool transTakesPacked(const ir::Operation& op, const Layout& srcLayout, const PackedTransposeTarget& t,
                      uint64_t chunkElems);

/// Scratch words a packed transpose of `tile` uses: rows * cols / P.
uint64_t packedTransposeWords(const ir::Type& tile);

}  // namespace tvk::analysis
