// tt.dot, portable FMA path: A[M,K] and B[K,N] are staged through shared memory (one word
// per element), then every accumulator slot (m, n) runs a K loop of fused multiply-adds
// (f32, also for f16/bf16 inputs whose products are exact in f32; i32 for i8 inputs).
// inputPrecision is ignored: fp32 inputs are multiplied in full fp32 (at least as accurate
// as CUDA's tf32).
#include <spirv/unified1/GLSL.std.450.h>

#include <map>

#include "lower/registry.h"

namespace tvk::lower {

namespace {

uint32_t log2u(uint64_t v) {
  uint32_t s = 0;
  while ((uint64_t{1} << s) < v) ++s;
  return s;
}

// Owners write the slots of `v` whose K coordinate (dimension `kDim`) lies in slice
// [k0, k0 + kc) at scratch word base + linear index within the slice (row-major, the K
// dimension shortened to kc).
Status stage(Context& c, const ir::Value* v, uint32_t base, Id regT, int kDim, uint32_t k0,
             uint32_t kc) {
  const std::vector<int64_t>& shape = v->type.shape;
  const uint32_t K = static_cast<uint32_t>(shape[kDim]);
  std::vector<int64_t> sliceShape = shape;
  sliceShape[kDim] = kc;
  auto& b = c.b;
  return c.ifThen(c.ownerCond(shape), [&]() -> Status {
    for (uint32_t s = 0; s < c.slots(v); ++s) {
      std::vector<Id> sc = c.slotCoords(shape, s);
      Id inSlice = 0;
      if (kc != K) {
        Id hi = b.emit(spv::Op::OpShiftRightLogical, c.u32(), {sc[kDim], c.c32(log2u(kc))});
        inSlice = b.emit(spv::Op::OpIEqual, c.boolean(), {hi, c.c32(k0 / kc)});
        sc[kDim] = b.emit(spv::Op::OpBitwiseAnd, c.u32(), {sc[kDim], c.c32(kc - 1)});
      }
      Id lin = kc != K ? c.linearize(sc, sliceShape) : c.slotLinear(shape, s);
      Id w = b.emit(spv::Op::OpIAdd, c.u32(), {lin, c.c32(base)});
      Id val = c.at(v, s);
      TVK_RETURN_IF_ERROR(c.ifThen(inSlice, [&]() { return c.smemStore(w, regT, val); }));
    }
    return Status();
  });
}

Status lowerDot(Context& c, const ir::Operation& op) {
  const ir::Value* a = op.operand(0);
  const ir::Value* bv = op.operand(1);
  const ir::Value* acc = op.operand(2);
  const ir::Value* res = op.result();
  if (a->type.rank() != 2 || bv->type.rank() != 2)
    return c.unsupported(op, "batched (3-D) dot");
  const ir::Type& at = a->type.scalar();
  const ir::Type& ct = res->type.scalar();
  bool isInt = ct.isInt();
  if (!((ct.isFloat() && ct.bits == 32) || (isInt && ct.bits == 32)))
    return c.unsupported(op, "accumulator " + ct.str());
  if (at.isFloat() && at.bits == 8) return c.unsupported(op, "fp8 operands");
  uint32_t M = static_cast<uint32_t>(a->type.shape[0]), K = static_cast<uint32_t>(a->type.shape[1]);
  uint32_t N = static_cast<uint32_t>(bv->type.shape[1]);
  auto aT = c.regTypeOf(a), bT = c.regTypeOf(bv), rT = c.regTypeOf(res);
  if (!aT.ok()) return aT.status();
  if (!bT.ok()) return bT.status();
  if (!rT.ok()) return rT.status();
  auto base = c.smemBase(op);
  if (!base.ok()) return base.status();
  const uint32_t kc = analysis::dotSliceK(op, c.smem.options.limitBytes);
  uint32_t aBase = *base, bBase = *base + M * kc;
  auto& b = c.b;
  uint32_t R = c.slots(res);
  // Slots with equal row (column) coordinates share one base and one load per k step.
  std::vector<Id> rowBase(R), colBase(R), init(R), types(R, *rT);
  std::map<Id, Id> rowOf, colOf;
  for (uint32_t r = 0; r < R; ++r) {
    const std::vector<Id>& rc = c.slotCoords(res->type.shape, r);
    Id& rb = rowOf[rc[0]];
    if (!rb)
      rb = b.emit(spv::Op::OpIAdd, c.u32(),
                  {b.emit(spv::Op::OpIMul, c.u32(), {rc[0], c.c32(kc)}), c.c32(aBase)});
    Id& cb = colOf[rc[1]];
    if (!cb) cb = b.emit(spv::Op::OpIAdd, c.u32(), {rc[1], c.c32(bBase)});
    rowBase[r] = rb;
    colBase[r] = cb;
    init[r] = c.at(acc, r);
  }
  // One pass per K slice: barrier, stage the slice of A and B, barrier, FMAs over the slice.
  std::vector<Id> accs = init;
  for (uint32_t k0 = 0; k0 < K; k0 += kc) {
    c.barrier();
    TVK_RETURN_IF_ERROR(stage(c, a, aBase, *aT, 1, k0, kc));
    TVK_RETURN_IF_ERROR(stage(c, bv, bBase, *bT, 0, k0, kc));
    c.barrier();
    auto out = c.countedCarry(c.c32(kc), types, accs,
                              [&](Id k, const std::vector<Id>& cur) -> Result<std::vector<Id>> {
      std::vector<Id> next(R);
      Id kN = b.emit(spv::Op::OpIMul, c.u32(), {k, c.c32(N)});
      std::map<Id, Id> aVal, bVal;
      for (uint32_t r = 0; r < R; ++r) {
        Id& x = aVal[rowBase[r]];
        if (!x) {
          auto v = c.smemLoad(b.emit(spv::Op::OpIAdd, c.u32(), {rowBase[r], k}), *aT);
          if (!v.ok()) return v.status();
          x = *v;
        }
        Id& y = bVal[colBase[r]];
        if (!y) {
          auto v = c.smemLoad(b.emit(spv::Op::OpIAdd, c.u32(), {colBase[r], kN}), *bT);
          if (!v.ok()) return v.status();
          y = *v;
        }
        if (isInt) {
          next[r] = b.emit(spv::Op::OpIAdd, *rT, {cur[r], b.emit(spv::Op::OpIMul, *rT, {x, y})});
        } else {
          next[r] = b.glsl(GLSLstd450Fma, *rT, {x, y, cur[r]});
        }
      }
      return next;
    });
    if (!out.ok()) return out.status();
    accs = *out;
  }
  c.bind(res, accs);
  return Status();
}

}  // namespace

void registerDotOps(Registry& r) { registerLowering(r, "tt.dot", lowerDot); }

}  // namespace tvk::lower
