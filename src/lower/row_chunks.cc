#include "lower/row_chunks.h"

#include "analysis/smem_plan.h"
#include "support/bits.h"

namespace tvk::lower {

RowChunks::At RowChunks::transposedAt(Context& c, uint32_t s) const {
  Id lin = c.layouts.slotLinear(shape, s);
  return {c.ix(lin) & (Q - 1), c.ix(lin) >> logQ};
}

Id RowChunks::word(Context& c, Id row, Id col) const {
  return c.scratch.word(base, c.ix(row) * pitch + c.ix(col), ew);
}

Id RowChunks::layoutWord(Context& c, uint32_t s) const {
  const std::vector<Id> rc = c.layouts.slotCoords(shape, s);
  return word(c, K == 1 ? rc[0] : Id(c.ix(rc[0]) & (Q - 1)), rc[1]);
}

Result<RowChunks> rowChunks(Context& c, const ir::Operation& op, const ir::Type& tile) {
  RowChunks rc;
  rc.shape = tile.shape;
  const uint32_t rows = static_cast<uint32_t>(tile.shape[0]);
  rc.Q = analysis::transposeChunkRows(tile, &c.layouts.layout(tile), c.scratch.bytes(op));
  if (rc.Q == 0 || rows % rc.Q)
    return Status::error("internal: the transposed access's scratch fits no chunk of rows at " + op.where());
  auto rt = c.regTypeOf(op.name == "tt.store" ? op.operand(1) : op.result());
  if (!rt.ok()) return rt.status();
  auto base = c.scratch.base(op);
  if (!base.ok()) return base.status();
  rc.rt = *rt;
  rc.base = *base;
  rc.K = rows / rc.Q;
  rc.per = c.layouts.slots(op.operand(0)) / rc.K;
  rc.logQ = log2Ceil(rc.Q);
  rc.pitch = analysis::transposedStorePitch(tile.shape[1]);
  rc.ew = analysis::scratchWords(tile);
  return rc;
}

}  // namespace tvk::lower
