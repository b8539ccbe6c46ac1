// The chunks of rows of a transposed load's or store's word per element exchange.
//
// A 2-D tile whose addresses run along dimension 0 crosses scratch (lower/memory.cc): one side
// holds it in the layout's order (analysis/layout.h: slot s of every invocation in run s / v),
// the other in the transposed order (consecutive invocations, consecutive rows of one column).
// Where the tile's words do not fit at once, it goes in K chunks of Q rows
// (analysis::transposeChunkRows: whole runs, so the layout's slots k per .. (k + 1) per - 1,
// per = n / K, hold rows k Q .. (k + 1) Q - 1). Within a chunk, slot s' < per of the transposed
// order is the element at L = slotLinear(s'): row k Q + L mod Q, column L / Q. Scratch holds
// one chunk, rows padded (analysis::transposedStorePitch).
#pragma once

#include <cstdint>
#include <vector>

#include "lower/context.h"

namespace tvk::lower {

struct RowChunks {
  std::vector<int64_t> shape;
  /// Rows per chunk, chunks, slots per chunk, log2(Q).
  uint32_t Q = 0, K = 0, per = 0, logQ = 0;
  /// Words between scratch rows, words per element, the op's scratch base.
  uint32_t pitch = 0, ew = 0, base = 0;
  /// The elements' register type.
  Id rt = 0;

  /// Row within its chunk and column of slot s < per of a chunk's transposed order.
  struct At {
    Id row, col;
  };
  At transposedAt(Context& c, uint32_t s) const;
  /// The scratch word of row `row` (within the chunk), column `col`.
  Id word(Context& c, Id row, Id col) const;
  /// The scratch word of the layout's slot s (its row mod Q, its column; its row when K = 1).
  Id layoutWord(Context& c, uint32_t s) const;
};

/// The chunks of op `op`'s exchange of tile `tile` (its value or result) within the scratch the
/// plan gave it; an internal error when no chunk fits (the plan and this disagree).
Result<RowChunks> rowChunks(Context& c, const ir::Operation& op, const ir::Type& tile);

}  // namespace tvk::lower
