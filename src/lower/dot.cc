// tt.dot, portable FMA path: A[..., M, K] and B[..., K, N] are staged through shared memory
// (one word per element; batched dots stage every batch, rows of A flattened over the batch
// dimensions), then every accumulator slot (row, n) runs a K loop of fused multiply-adds
// (f32, also for f16/bf16 inputs whose products are exact in f32; i32 for i8 inputs; f64 for
// f64 inputs, two scratch words per element).
// f16/bf16 accumulators are summed in f32 and rounded once at the end (at least as accurate
// as CUDA's f16 tensor-core accumulation).
// inputPrecision (tf32, tf32x3, bf16x3, bf16x6, ieee) is ignored: fp32 inputs are multiplied
// in full fp32, at least as accurate as each of them; so is maxNumImpreciseAcc.
#include <spirv/unified1/GLSL.std.450.h>

#include <algorithm>
#include <map>
#include <utility>

#include "lower/dot_coopmat.h"
#include "lower/registry.h"
#include "support/bits.h"

namespace tvk::lower {

namespace {

// Owners write the slots of `v` whose K coordinate (dimension `kDim`) lies in slice
// [k0, k0 + kc) at scratch word base + linear index within the slice (row-major, the K
// dimension shortened to kc). Which invocations hold an in-slice element in a slot is known
// from the layout: slots no invocation holds in the slice are skipped, slots every invocation
// holds there are stored unconditionally, and the others are grouped by that invocation set
// under one branch each (so the code stays linear in the slots, not slots x slices).
Status stage(Context& c, const ir::Value* v, uint32_t base, Id regT, int kDim, uint32_t k0,
             uint32_t kc, uint32_t ew) {
  const std::vector<int64_t>& shape = v->type.shape;
  const uint32_t K = static_cast<uint32_t>(shape[kDim]);
  std::vector<int64_t> sliceShape = shape;
  sliceShape[kDim] = kc;
  int64_t stride = 1;
  for (size_t d = kDim + 1; d < shape.size(); ++d) stride *= shape[d];
  const analysis::Layout& lay = c.layouts.layout(v->type);
  auto& b = c.b;
  // Slots grouped by the invocations holding an in-slice element there (all-true: no branch).
  std::map<std::vector<bool>, std::vector<uint32_t>> groups;
  for (uint32_t s = 0; s < c.layouts.slots(v); ++s) {
    std::vector<bool> holds(lay.invocations);
    bool any = false;
    for (uint32_t t = 0; t < lay.invocations; ++t) {
      int64_t k = lay.linearIndex(t, s) / stride % K;
      holds[t] = k >= k0 && k < k0 + kc;
      any = any || holds[t];
    }
    if (any) groups[holds].push_back(s);
  }
  auto store = [&](uint32_t s) -> Status {
    std::vector<Id> sc = c.layouts.slotCoords(shape, s);
    if (kc != K) sc[kDim] = b.emit(spv::Op::OpBitwiseAnd, c.u32(), {sc[kDim], c.c32(kc - 1)});
    Id lin = kc != K ? c.layouts.linearize(sc, sliceShape) : c.layouts.slotLinear(shape, s);
    auto x = c.operandRounded(v, c.at(v, s));
    if (!x.ok()) return x.status();
    return c.scratch.store(c.scratch.word(base, lin, ew), regT, *x);
  };
  return c.flow.ifThen(c.layouts.ownerCond(shape), [&]() -> Status {
    for (const auto& [holds, slots] : groups) {
      const bool all = std::find(holds.begin(), holds.end(), false) == holds.end();
      Id inSlice = 0;
      if (!all) {
        Id k = c.layouts.slotCoords(shape, slots.front())[kDim];
        Id hi = b.emit(spv::Op::OpShiftRightLogical, c.u32(), {k, c.c32(log2Ceil(kc))});
        inSlice = b.emit(spv::Op::OpIEqual, c.boolean(), {hi, c.c32(k0 / kc)});
      }
      TVK_RETURN_IF_ERROR(c.flow.ifThen(inSlice, [&]() -> Status {
        for (uint32_t s : slots) TVK_RETURN_IF_ERROR(store(s));
        return Status();
      }));
    }
    return Status();
  });
}

// The accumulator elements one invocation computes: row and column coordinate ids and the
// initial values.
struct DotTile {
  std::vector<Id> rows, cols, init;
};

struct DotShape {
  // M: rows of A flattened over the batch dimensions (batches x Mb); Mb: rows per batch.
  // ew: scratch words per element (2 for f64, 1 otherwise); every scratch index below counts
  // elements and is scaled by ew.
  uint32_t M, Mb, N, K, kc, aBase, bBase, ew;
  int rank;
  Id aT, bT, rT;
  bool isInt;
};

// Stages A and B slice by slice and runs the FMA loops for `tile`; returns the accumulators.
Result<std::vector<Id>> runDot(Context& c, const ir::Operation& op, const DotShape& d,
                               const DotTile& tile) {
  auto& b = c.b;
  const size_t R = tile.init.size();
  // Elements with equal row (column) share one base and one load per k step.
  // A's slice is [M, kc] (flat rows), B's is [batches, kc, N]: the batch of a row selects
  // B's block.
  std::vector<Id> rowBase(R), colBase(R), types(R, d.rT);
  std::map<Id, Id> rowOf, batchOf;
  std::map<std::pair<Id, Id>, Id> colOf;
  for (size_t r = 0; r < R; ++r) {
    Id& rb = rowOf[tile.rows[r]];
    if (!rb)
      rb = b.emit(spv::Op::OpIAdd, c.u32(),
                  {b.emit(spv::Op::OpIMul, c.u32(), {tile.rows[r], c.c32(d.kc * d.ew)}), c.c32(d.aBase)});
    Id batch = 0;
    if (d.M != d.Mb) {
      Id& bt = batchOf[tile.rows[r]];
      if (!bt) bt = b.emit(spv::Op::OpUDiv, c.u32(), {tile.rows[r], c.c32(d.Mb)});
      batch = bt;
    }
    Id& cb = colOf[{batch, tile.cols[r]}];
    if (!cb) {
      cb = c.scratch.word(d.bBase, tile.cols[r], d.ew);
      if (batch)
        cb = b.emit(spv::Op::OpIAdd, c.u32(),
                    {cb, b.emit(spv::Op::OpIMul, c.u32(), {batch, c.c32(d.kc * d.N * d.ew)})});
    }
    rowBase[r] = rb;
    colBase[r] = cb;
  }
  // One pass per K slice: barrier, stage the slice of A and B, barrier, FMAs over the slice.
  std::vector<Id> accs = tile.init;
  for (uint32_t k0 = 0; k0 < d.K; k0 += d.kc) {
    c.barrier();
    TVK_RETURN_IF_ERROR(stage(c, op.operand(0), d.aBase, d.aT, d.rank - 1, k0, d.kc, d.ew));
    TVK_RETURN_IF_ERROR(stage(c, op.operand(1), d.bBase, d.bT, d.rank - 2, k0, d.kc, d.ew));
    c.barrier();
    auto out = c.flow.countedCarry(d.kc, types, accs,
                              [&](Id k, const std::vector<Id>& cur) -> Result<std::vector<Id>> {
      std::vector<Id> next(R);
      Id kN = c.ix(k) * (d.N * d.ew);
      Id kA = c.ix(k).times(d.ew);
      std::map<Id, Id> aVal, bVal;
      for (size_t r = 0; r < R; ++r) {
        Id& x = aVal[rowBase[r]];
        if (!x) {
          auto v = c.scratch.load(b.emit(spv::Op::OpIAdd, c.u32(), {rowBase[r], kA}), d.aT);
          if (!v.ok()) return v.status();
          x = *v;
        }
        Id& y = bVal[colBase[r]];
        if (!y) {
          auto v = c.scratch.load(b.emit(spv::Op::OpIAdd, c.u32(), {colBase[r], kN}), d.bT);
          if (!v.ok()) return v.status();
          y = *v;
        }
        next[r] = d.isInt ? b.emit(spv::Op::OpIAdd, d.rT, {cur[r], b.emit(spv::Op::OpIMul, d.rT, {x, y})})
                          : b.glsl(GLSLstd450Fma, d.rT, {x, y, cur[r]});
      }
      return next;
    });
    if (!out.ok()) return out.status();
    accs = *out;
  }
  return accs;
}

// Register tile of each invocation: tm x tn elements (powers of 2, as square as possible)
// with (M / tm) * (N / tn) == W; {0, 0} when the result has fewer than W elements.
std::pair<uint32_t, uint32_t> registerTile(uint32_t M, uint32_t N, uint32_t W) {
  if (static_cast<uint64_t>(M) * N < W) return {0, 0};
  uint32_t e = static_cast<uint32_t>(static_cast<uint64_t>(M) * N / W);
  uint32_t tm = 1;
  while (tm * tm < e) tm *= 2;
  if (tm * tm > e) tm /= 2;  // tm <= tn
  uint32_t tn = e / tm;
  while (tn > N) { tn /= 2; tm *= 2; }
  while (tm > M) { tm /= 2; tn *= 2; }
  if (tm > M || tn > N) return {0, 0};
  return {tm, tn};
}

// Rounds f16/bf16 accumulator sums (computed in f32) to the result type.
Status bindResult(Context& c, const ir::Value* res, std::vector<Id> vals) {
  const ir::Type& ct = res->type.scalar();
  if (ct.isFloat() && ct.bits < 32)
    for (Id& v : vals) {
      auto r = c.roundTo(ct, v);
      if (!r.ok()) return r.status();
      v = *r;
    }
  c.bind(res, std::move(vals));
  return Status();
}

Status lowerDot(Context& c, const ir::Operation& op) {
  const ir::Value* a = op.operand(0);
  const ir::Value* bv = op.operand(1);
  const ir::Value* acc = op.operand(2);
  const ir::Value* res = op.result();
  const int rank = a->type.rank();
  const ir::Type& at = a->type.scalar();
  const ir::Type& ct = res->type.scalar();
  DotShape d;
  d.rank = rank;
  d.isInt = ct.isInt();
  bool narrowFloat = ct.isFloat() && (ct.bits == 16) && at.isFloat() && at.bits <= 16;
  bool f64 = ct.isFloat() && ct.bits == 64 && at.isFloat() && at.bits == 64 &&
             bv->type.scalar().isFloat() && bv->type.scalar().bits == 64;
  if (!((ct.isFloat() && ct.bits == 32) || (d.isInt && ct.bits == 32) || narrowFloat || f64))
    return c.unsupported(op, "accumulator " + ct.str() + " with operands " + at.str());
  if (at.isFloat() && at.bits == 8) return c.unsupported(op, "fp8 operands");
  // Tensor cores where the target has a matching cooperative-matrix shape (2-D dots with f32
  // or i32 accumulators; others take the FMA path below).
  auto coop = lowerDotCoopMat(c, op);
  if (!coop.ok()) return coop.status();
  if (*coop) return Status();
  const auto& as = a->type.shape;
  uint64_t batches = 1;
  for (int k = 0; k + 2 < rank; ++k) batches *= static_cast<uint64_t>(as[k]);
  d.Mb = static_cast<uint32_t>(as[rank - 2]);
  d.M = static_cast<uint32_t>(batches * d.Mb);
  d.K = static_cast<uint32_t>(as[rank - 1]);
  d.N = static_cast<uint32_t>(bv->type.shape[rank - 1]);
  auto aT = c.regTypeOf(a), bT = c.regTypeOf(bv), rT = c.regTypeOf(res);
  if (!aT.ok()) return aT.status();
  if (!bT.ok()) return bT.status();
  if (!rT.ok()) return rT.status();
  d.aT = *aT;
  d.bT = *bT;
  d.rT = *rT;
  auto base = c.scratch.base(op);
  if (!base.ok()) return base.status();
  d.kc = analysis::dotSliceK(op, c.smem.options.limitBytes);
  if (d.K % d.kc) return c.unsupported(op, "K slice does not divide K");
  d.ew = analysis::dotElemWords(op);
  d.aBase = *base;
  d.bBase = *base + d.M * d.kc * d.ew;
  auto& b = c.b;
  auto [tm, tn] = registerTile(d.M, d.N, c.W);
  if (tm > d.Mb || (tm && d.Mb % tm)) tm = tn = 0;  // a register tile must not span batches
  DotTile tile;
  if (!tm) {
    // Small results: compute in the result's own (replicated) layout.
    std::vector<int64_t> rowShape(res->type.shape.begin(), res->type.shape.end() - 1);
    for (uint32_t r = 0; r < c.layouts.slots(res); ++r) {
      const std::vector<Id> rc = c.layouts.slotCoords(res->type.shape, r);
      std::vector<Id> rowCoords(rc.begin(), rc.end() - 1);
      tile.rows.push_back(rank == 2 ? rc[0] : c.layouts.linearize(rowCoords, rowShape));
      tile.cols.push_back(rc[rank - 1]);
      tile.init.push_back(c.at(acc, r));
    }
    auto out = runDot(c, op, d, tile);
    if (!out.ok()) return out.status();
    return bindResult(c, res, std::move(*out));
  }
  // Register tiles (tm + tn operand loads per tm * tn FMAs), started from zero; the tile sums
  // are exchanged to the result layout through scratch and added to the accumulator.
  Id t = c.layouts.invocation();
  uint32_t gridN = d.N / tn;
  Id bi = b.emit(spv::Op::OpUDiv, c.u32(), {t, c.c32(gridN)});
  Id bj = b.emit(spv::Op::OpUMod, c.u32(), {t, c.c32(gridN)});
  Id row0 = b.emit(spv::Op::OpIMul, c.u32(), {bi, c.c32(tm)});
  Id col0 = b.emit(spv::Op::OpIMul, c.u32(), {bj, c.c32(tn)});
  Id zero = d.isInt ? b.constInt(d.rT, 0) : b.constFloat(d.rT, 0.0);
  std::vector<Id> rowIds(tm), colIds(tn);
  for (uint32_t i = 0; i < tm; ++i) rowIds[i] = i ? b.emit(spv::Op::OpIAdd, c.u32(), {row0, c.c32(i)}) : row0;
  for (uint32_t j = 0; j < tn; ++j) colIds[j] = j ? b.emit(spv::Op::OpIAdd, c.u32(), {col0, c.c32(j)}) : col0;
  for (uint32_t i = 0; i < tm; ++i)
    for (uint32_t j = 0; j < tn; ++j) {
      tile.rows.push_back(rowIds[i]);
      tile.cols.push_back(colIds[j]);
      tile.init.push_back(zero);
    }
  auto sums = runDot(c, op, d, tile);
  if (!sums.ok()) return sums.status();
  // Exchange in chunks of `chunk` rows: tiles write their rows of the chunk, result slots
  // read theirs (indices masked so that slots of other chunks stay in bounds).
  const uint32_t chunk = analysis::dotExchangeRows(op, c.smem.options.limitBytes);
  const uint32_t chunkWords = chunk * d.N;
  const uint32_t R = c.layouts.slots(res);
  std::vector<Id> out(R, 0);
  for (uint32_t q = 0; q < d.M / chunk; ++q) {
    c.barrier();
    for (size_t e = 0; e < sums->size(); ++e) {
      const Index local = c.ix(tile.rows[e]) - q * chunk;
      Id in = chunk == d.M ? 0 : local.lessThan(chunk);
      Id w = c.scratch.word(*base, local.times(d.N) + c.ix(tile.cols[e]), d.ew);
      Id val = (*sums)[e];
      TVK_RETURN_IF_ERROR(c.flow.ifThen(in, [&]() { return c.scratch.store(w, d.rT, val); }));
    }
    c.barrier();
    for (uint32_t s = 0; s < R; ++s) {
      Id lin = b.emit(spv::Op::OpISub, c.u32(),
                      {c.layouts.slotLinear(res->type.shape, s), c.c32(q * chunkWords)});
      Id in = chunk == d.M ? 0 : b.emit(spv::Op::OpULessThan, c.boolean(), {lin, c.c32(chunkWords)});
      if (in) lin = b.emit(spv::Op::OpBitwiseAnd, c.u32(), {lin, c.c32(chunkWords - 1)});
      auto v = c.scratch.load(c.scratch.word(*base, lin, d.ew), d.rT);
      if (!v.ok()) return v.status();
      Id sum = b.emit(d.isInt ? spv::Op::OpIAdd : spv::Op::OpFAdd, d.rT, {c.at(acc, s), *v});
      out[s] = !in ? sum : out[s] ? b.emit(spv::Op::OpSelect, d.rT, {in, sum, out[s]}) : sum;
    }
  }
  return bindResult(c, res, std::move(out));
}

}  // namespace

void registerDotOps(Registry& r) { registerLowering(r, "tt.dot", lowerDot); }

}  // namespace tvk::lower
