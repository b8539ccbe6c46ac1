// Fragments out of a cooperative-matrix tt.dot: the exchange to the blocked layout (whole, or
// per subgroup where the grid splits rows only), fragment splats, and the row scaling of
// accumulators held in fragments (lower/dot_coopmat.h).
#include <optional>
#include <vector>

#include "lower/dot_coopmat.h"
#include "lower/dot_coopmat_plan.h"
#include "support/bits.h"

namespace tvk::lower {

#ifdef TVK_HAVE_COOPMAT
namespace coop {

namespace {

// True when every row that layout `lay` puts in an invocation's slots lies in that
// invocation's subgroup's fragment rows of `p` (a grid that splits rows only): row
// linearIndex >> rowShift of invocation t in subgroup t / subgroupSize, whose fragments hold
// rows [sg fm m, (sg + 1) fm m). Then an exchange between the fragments and `lay` through
// scratch is subgroup-local: each subgroup reads only words that it wrote.
bool rowsLocal(Context& c, const CoopPlan& p, const analysis::Layout& lay, uint32_t rowShift) {
  const uint32_t sgSize = c.opts.target.subgroupSize;
  if (!subgroupExchanges() || p.wn != 1 || lay.replicated || lay.invocations != c.W || !sgSize ||
      c.W % sgSize)
    return false;
  const uint64_t rowsPerSg = uint64_t(p.fm) * p.shape.m;
  for (uint32_t t = 0; t < lay.invocations; ++t)
    for (uint32_t r = 0; r < lay.slots; ++r) {
      const int64_t lin = lay.linearIndex(t, r);
      if (lin < 0 || static_cast<uint64_t>(lin >> rowShift) / rowsPerSg != t / sgSize) return false;
    }
  return true;
}

}  // namespace

Result<std::vector<Id>> fragmentsToSlots(Context& c, const CoopPlan& p, const CoopFrame& f,
                                         uint32_t base, const std::vector<Id>& accs,
                                         const ir::Value* res, const ir::Value* addend,
                                         bool leadingBarrier) {
  auto& b = c.b;
  auto rT = c.regTypeOf(res);
  if (!rT.ok()) return rT.status();
  const uint32_t rowMajor = static_cast<uint32_t>(spv::CooperativeMatrixLayout::RowMajorKHR);
  const uint32_t R = c.layouts.slots(res);
  std::vector<Id> outIds(R, 0);
  const uint32_t lgN = log2Ceil(p.N);
  for (uint32_t q = 0; q < p.rows() / p.chunk; ++q) {
    if (q || leadingBarrier) c.barrier();
    // The stores stay in the exchange too (barrier elision: a subgroup barrier below keeps
    // them in the scratch's record).
    const Scratch::Region exchange{base * 4, (base + p.chunk * p.strideC) * 4};
    c.scratch.declareRegion(exchange);
    for (uint32_t i = 0; i < p.fm; ++i) {
      // Fragment row i of this subgroup lies in chunk q (subgroup-uniform condition).
      const Index local = c.ix(f.fragRow[i]) - q * p.chunk;
      Id in = p.chunk == p.rows() ? 0 : local.lessThan(p.chunk);
      TVK_RETURN_IF_ERROR(c.flow.ifThen(in, [&]() -> Status {
        const Index rowW = local * p.strideC + base;
        for (uint32_t j = 0; j < p.fn; ++j) {
          Id w = rowW + c.ix(f.fragCol[j]);
          b.emitVoid(spv::Op::OpCooperativeMatrixStoreKHR,
                     {c.scratch.ptr(w), accs[i * p.fn + j], c.c32(rowMajor), c.c32(p.strideC)});
        }
        return Status();
      }));
    }
    // Each subgroup reads only its own rows where the grid splits rows only (rowsLocal).
    if (p.chunk == p.rows() && rowsLocal(c, p, c.layouts.layout(res->type), lgN))
      c.subgroupBarrier();
    else
      c.barrier();
    // The reads stay in the exchange (barrier elision: Scratch::barrierNeeded).
    c.scratch.declareRegion(exchange);
    // An unreplicated layout whose runs stay in a row and whose W v elements per slot group are
    // whole rows (Wv / N of them, a divisor of the chunk): slot r's linear index is slot 0's plus
    // d = (r / v) W v + r % v for every invocation, without a carry from column into row, so slot
    // r lies (r / v) Wv / N rows below slot 0, in the same chunk for every invocation (slot 0's
    // row is below Wv / N), at slot 0's word plus that many rows and r % v: each chunk loads only
    // its own slots, one add per slot instead of the whole index.
    const analysis::Layout& lay = c.layouts.layout(res->type);
    const uint64_t Wv = uint64_t(lay.invocations) * lay.vec;
    const uint64_t groupRows = Wv / p.N;
    const bool affine = !lay.replicated && !lay.repShift && p.N % lay.vec == 0 && Wv % p.N == 0 &&
                        p.chunk % groupRows == 0;
    std::optional<Index> w0;
    if (affine) {
      Id lin = c.layouts.slotLinear(res->type.shape, 0);
      w0 = (c.ix(lin) >> lgN) * p.strideC + (c.ix(lin) & (p.N - 1));
    }
    for (uint32_t r = 0; r < R; ++r) {
      Id in = 0;
      std::optional<Index> wr;
      if (affine) {
        const uint64_t rowOff = (r / lay.vec) * groupRows;
        if (rowOff / p.chunk != q) continue;  // another chunk's slot
        wr = w0->plus(static_cast<uint32_t>((rowOff - q * p.chunk) * p.strideC + r % lay.vec));
      } else {
        Id lin = c.layouts.slotLinear(res->type.shape, r);
        const Index row = c.ix(lin) >> lgN;
        const Index col = c.ix(lin) & (p.N - 1);
        Index local = row - q * p.chunk;
        in = p.chunk == p.rows() ? 0 : local.lessThan(p.chunk);
        if (in) local = local & (p.chunk - 1);
        wr = local * p.strideC + col;
      }
      const Index w = *wr;
      auto v = c.scratch.load(w + base, *rT);
      if (!v.ok()) return v.status();
      Id val = *v;
      if (addend) val = b.emit(p.isInt ? spv::Op::OpIAdd : spv::Op::OpFAdd, *rT, {c.at(addend, r), val});
      outIds[r] = !in ? val : outIds[r] ? b.emit(spv::Op::OpSelect, *rT, {in, val, outIds[r]}) : val;
    }
  }
  return outIds;
}

}  // namespace coop

using coop::CoopFrame;
using coop::CoopPlan;
using coop::planFor;
using coop::rowsLocal;
using coop::tableBroadcast;
using coop::tableElision;

Result<bool> coopFragments(Context& c, const ir::Operation& op, Context::Fragments& f) {
  CoopPlan p;
  uint32_t base = 0;
  auto ok = planFor(c, op, p, base);
  if (!ok.ok() || !*ok) return ok;
  Id accComp = p.isInt ? c.b.typeInt(32) : c.b.typeFloat(32);
  f.dot = &op;
  f.type = c.b.typeCooperativeMatrix(accComp, p.shape.m, p.shape.n,
                                     spv::CooperativeMatrixUse::MatrixAccumulatorKHR);
  f.count = p.fm * p.fn;
  return true;
}

Result<std::vector<Id>> coopSplatFragments(Context& c, const Context::Fragments& f, Id value) {
  return std::vector<Id>(f.count, c.b.constComposite(f.type, {value}));
}

Result<bool> coopSameTiling(Context& c, const ir::Operation& a, const ir::Operation& b) {
  CoopPlan p, q;
  uint32_t pb = 0, qb = 0;
  auto ok = planFor(c, a, p, pb);
  if (!ok.ok() || !*ok) return ok;
  ok = planFor(c, b, q, qb);
  if (!ok.ok() || !*ok) return ok;
  return p.shape.m == q.shape.m && p.shape.n == q.shape.n && p.wm == q.wm && p.wn == q.wn && p.fm == q.fm &&
         p.fn == q.fn && p.M == q.M && p.N == q.N && p.B == q.B && p.batched == q.batched && p.isInt == q.isInt;
}

Result<bool> coopCanScaleRows(Context& c, const ir::Operation& op) {
  CoopPlan p;
  uint32_t base = 0;
  auto ok = planFor(c, op, p, base);
  if (!ok.ok() || !*ok) return ok;
  if (p.isInt || p.batched || c.smem.prefetchDots.count(&op)) return false;
  auto alloc = c.smem.allocs.find(&op);
  const uint64_t perRow = tableBroadcast() ? 1 : p.shape.n;  // coopScaleRows's table
  return alloc != c.smem.allocs.end() && static_cast<uint64_t>(p.M) * perRow * 4 <= alloc->second.bytes;
}

Status coopScaleRows(Context& c, const ir::Operation& op, const ir::Value* rowScale) {
  auto& b = c.b;
  const int k = c.fragments(op.operand(0)) ? 0 : 1;
  const Context::Fragments* f = c.fragments(op.operand(k));
  if (!f) return c.unsupported(op, "row scale of an accumulator not held in fragments");
  CoopPlan p;
  uint32_t base = 0;
  auto ok = planFor(c, *f->dot, p, base);
  if (!ok.ok()) return ok.status();
  if (!*ok || c.ids(op.operand(k)).size() != p.fm * p.fn) return c.unsupported(op, "fragment tiling changed");
  if (const Context::Fragments* rf = c.fragments(rowScale); rf && rf->rows) {
    // The scale is held as row fragments of the same type and rows (lower/fragment_rows.h).
    const std::vector<Id>& accs = c.ids(op.operand(k));
    const std::vector<Id>& rows = c.ids(rowScale);
    if (rf->type != f->type || rows.size() != p.fm) return c.unsupported(op, "row fragments of another tiling");
    std::vector<Id> out(accs.size());
    for (uint32_t i = 0; i < p.fm; ++i)
      for (uint32_t j = 0; j < p.fn; ++j)
        out[i * p.fn + j] = b.emit(spv::Op::OpFMul, f->type, {accs[i * p.fn + j], rows[i]});
    c.bind(op.result(), std::move(out));
    return Status();
  }
  const uint32_t n = p.shape.n;
  auto alloc = c.smem.allocs.find(f->dot);
  if (alloc == c.smem.allocs.end()) return c.unsupported(op, "row scale without a shared-memory allocation");
  const uint32_t allocWords = alloc->second.bytes / 4;
  // The table. Broadcast (tableBroadcast): word r holds rowScale[r], loaded column-major with
  // stride 0, so that each column of a fragment reads the same rows; at the top of the
  // allocation (16-byte aligned), away from the staging and exchanges that start at its base.
  // Otherwise word r * n + j holds rowScale[r] for every column j, at the base, loaded row-major.
  // No barrier first where nothing since the last one touched its words
  // (Scratch::barrierNeeded: e.g. only attention's score exchange and K's staging, elsewhere).
  const bool broadcast = tableBroadcast();
  const uint32_t perRow = broadcast ? 1 : n;
  const uint32_t tb = broadcast ? base + ((allocWords - p.rows()) & ~3u) : base;
  const Scratch::Region table{tb * 4, (tb + p.rows() * perRow) * 4};
  if (tableElision()) {
    c.scratchBarrier(table);
  } else {
    c.barrier();
    c.scratch.declareRegion(table);
  }
  for (uint32_t sl = 0; sl < c.layouts.slots(rowScale); ++sl) {
    Id row = c.layouts.slotLinear(rowScale->type.shape, sl);
    Id bits = b.emit(spv::Op::OpBitcast, c.u32(), {c.at(rowScale, sl)});
    const Index w0 = c.ix(row) * perRow + tb;
    for (uint32_t j = 0; j < perRow; ++j) b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(j ? w0 + j : w0), bits});
  }
  // Each subgroup loads only the table rows of its fragments: local where it wrote them.
  const analysis::Layout& scaleLayout = c.layouts.layout(rowScale->type);
  if (scaleLayout.numel == p.rows() && rowsLocal(c, p, scaleLayout, 0))
    c.subgroupBarrier();
  else
    c.barrier();
  const CoopFrame fr = coopFrame(c, p);
  const auto layout = broadcast ? spv::CooperativeMatrixLayout::ColumnMajorKHR : spv::CooperativeMatrixLayout::RowMajorKHR;
  const std::vector<Id>& accs = c.ids(op.operand(k));
  std::vector<Id> out(accs.size());
  for (uint32_t i = 0; i < p.fm; ++i) {
    Id w = c.ix(fr.fragRow[i]) * perRow + tb;
    Id scale = b.emit(spv::Op::OpCooperativeMatrixLoadKHR, fr.tC,
                      {c.scratch.ptr(w), c.c32(static_cast<uint32_t>(layout)), c.c32(broadcast ? 0 : n)});
    for (uint32_t j = 0; j < p.fn; ++j)
      out[i * p.fn + j] = b.emit(spv::Op::OpFMul, fr.tC, {accs[i * p.fn + j], scale});
  }
  c.bind(op.result(), std::move(out));
  return Status();
}

Result<std::vector<Id>> coopFragmentsToSlots(Context& c, const Context::Fragments& f,
                                             const std::vector<Id>& frags) {
  CoopPlan p;
  uint32_t base = 0;
  auto ok = planFor(c, *f.dot, p, base);
  if (!ok.ok()) return ok.status();
  if (!*ok || frags.size() != p.fm * p.fn) return c.unsupported(*f.dot, "fragment tiling changed");
  CoopFrame fr = coopFrame(c, p);
  return fragmentsToSlots(c, p, fr, base, frags, f.dot->result(), nullptr);
}

#else

Result<bool> coopFragments(Context&, const ir::Operation&, Context::Fragments&) { return false; }
Result<bool> coopSameTiling(Context&, const ir::Operation&, const ir::Operation&) { return false; }
Result<std::vector<Id>> coopSplatFragments(Context& c, const Context::Fragments& f, Id) {
  return c.unsupported(*f.dot, "cooperative matrices not built in");
}
Result<bool> coopCanScaleRows(Context&, const ir::Operation&) { return false; }
Status coopScaleRows(Context& c, const ir::Operation& op, const ir::Value*) {
  return c.unsupported(op, "cooperative matrices not built in");
}
Result<std::vector<Id>> coopFragmentsToSlots(Context& c, const Context::Fragments& f,
                                             const std::vector<Id>&) {
  return c.unsupported(*f.dot, "cooperative matrices not built in");
}

#endif

}  // namespace tvk::lower
