// The plan of a cooperative-matrix tt.dot: shape, subgroup grid, K slices, regions
// (lower/dot_coopmat_plan.h).
#include "lower/dot_coopmat_plan.h"

#ifdef TVK_HAVE_COOPMAT

#include <algorithm>
#include <cstdlib>

#include "lower/fragment_rows.h"
#include "support/bits.h"
#include "support/switches.h"

namespace tvk::lower::coop {

bool subgroupExchanges() { return switchOn("TVK_SUBGROUP_EXCHANGE"); }
bool tableBroadcast() { return switchOn("TVK_TABLE_BROADCAST"); }
bool tableElision() { return switchOn("TVK_TABLE_ELISION"); }

namespace {

// TVK_DOT_DOUBLE=0 (a measurement switch): pipelined dots stage their whole K tile in one
// buffer between two barriers, as before double-buffered slices.
bool doubleBuffering() {
  return switchOn("TVK_DOT_DOUBLE");
}

// K slices sized without the operands held in fragments (planCoop); TVK_HELD_SLICES=0 sizes
// them for both operands, as before (a measurement switch, in the Python cache key).
bool heldSlices() {
  return switchOn("TVK_HELD_SLICES");
}

// The result exchange apart from the staged operands where both fit (planCoop);
// TVK_EXCHANGE_APART=0 puts it at the allocation's base, as before (a measurement switch, in
// the Python cache key).
bool exchangeApart() {
  return switchOn("TVK_EXCHANGE_APART");
}

// Registers per invocation that holding all of operand i's fragments takes: fm (A) or fn (B)
// blocks x K / k steps.
uint32_t heldRegisters(const Target& t, const CoopPlan& p, int i) {
  const uint64_t elems = static_cast<uint64_t>(i == 0 ? p.fm * p.shape.m : p.fn * p.shape.n) * p.K;
  const uint64_t bytes = elems * (p.isInt ? 1 : 2);
  return static_cast<uint32_t>((bytes + 4ull * t.subgroupSize - 1) / (4ull * t.subgroupSize));
}

// Registers per invocation that the held operands of one dot may take (the accumulators and
// the loop's own values need the rest).
constexpr uint32_t kHeldRegisterBudget = 64;

}  // namespace

const analysis::DirectOperand* directOperand(Context& c, const ir::Operation& op, int i) {
  const ir::Operation* load = analysis::operandLoad(op, i);
  if (!load || c.coherent) return nullptr;
  auto it = c.smem.directLoads.find(load);
  if (it == c.smem.directLoads.end() || it->second.dot != &op || it->second.operand != i) return nullptr;
  // Widened and through a trans exactly when planned so (a load used by the dot itself is
  // neither).
  const analysis::DirectOperand& d = it->second;
  const ir::Operation* def = op.operand(i)->def;
  if (d.widen) {
    if (def != d.widen) return nullptr;
    def = def->operand(0)->def;
  }
  return d.transposed == (def != load) ? &d : nullptr;
}

uint32_t heldOperands(Context& c, const ir::Operation& op, const CoopPlan& p) {
  if (!switchOn("TVK_DOT_HOLD")) return 0;
  const ir::Operation* loop =
      op.parentBlock && op.parentBlock->parentRegion ? op.parentBlock->parentRegion->parentOp : nullptr;
  if (!loop || loop->name != "scf.for" || p.split || p.batched) return 0;
  uint32_t budget = kHeldRegisterBudget, mask = 0;
  for (int i = 0; i < 2; ++i) {
    const uint32_t regs = heldRegisters(c.opts.target, p, i);
    if (analysis::isInside(op.operand(i), loop) || directOperand(c, op, i) || regs > budget) continue;
    budget -= regs;
    mask |= 1u << i;
  }
  return mask;
}

bool planCoop(Context& c, const ir::Operation& op, uint32_t base, CoopPlan& p) {
  const Target& t = c.opts.target;
  const ir::Value* a = op.operand(0);
  const ir::Value* bv = op.operand(1);
  const int rank = a->type.rank();
  if (t.coopMatShapes.empty() || (rank != 2 && rank != 3) || bv->type.rank() != rank) return false;
  const std::string at = a->type.scalar().str(), bt = bv->type.scalar().str();
  const std::string ct = op.result()->type.scalar().str();
  if (at != bt) return false;
  std::string ab, cc;
  const std::string prec = op.strAttr("inputPrecision");
  if (at == "f16" && ct == "f32" && t.float16) ab = "f16", cc = "f32";
  else if (at == "bf16" && ct == "f32") ab = "bf16", cc = "f32";
  else if (at == "f32" && ct == "f32" && (prec == "tf32" || prec == "bf16x3")) ab = "bf16", cc = "f32", p.split = true;
  else if (at == "i8" && ct == "i32" && t.int8) ab = "i8", cc = "i32";
  else return false;
  if (!(t.subgroupOps & 0x10) || t.subgroupSize == 0 || c.W % t.subgroupSize) return false;
  const int r0 = rank - 2;
  p.batched = rank == 3;
  p.B = p.batched ? static_cast<uint32_t>(a->type.shape[0]) : 1;
  if (p.batched && bv->type.shape[0] != a->type.shape[0]) return false;
  p.M = static_cast<uint32_t>(a->type.shape[r0]);
  p.K = static_cast<uint32_t>(a->type.shape[r0 + 1]);
  p.N = static_cast<uint32_t>(bv->type.shape[r0 + 1]);
  p.isInt = ab == "i8";
  p.isBf16 = ab == "bf16";
  p.perWord = p.isInt ? 4 : 2;
  // Operands must not be replicated, and a staged word's elements must sit in consecutive
  // lanes (v = 1) or consecutive slots (v a multiple of perWord: stagePacked).
  for (const ir::Value* v : {a, bv}) {
    const analysis::Layout& l = c.layouts.layout(v->type);
    if ((l.vec != 1 && l.vec % p.perWord) || l.replicated || c.W % p.perWord) return false;
  }
  const uint32_t numWarps = c.W / t.subgroupSize;
  // The two dots of a loop whose softmax can stay on the score fragments (TVK_FRAGMENT_ROWS=1,
  // lower/fragment_rows.h, which needs whole rows in one subgroup) split rows only where they
  // can: attention at head dim 128 with 8 warps then takes 8 x 1 instead of 2 x 2.
  const bool rowsOnly = !p.batched && fragmentRowsLoop(c, op);
  bool found = false;
  for (const CoopMatShape& s : t.coopMatShapes) {
    if (s.ab != ab || s.c != cc || !s.m || !s.n || !s.k) continue;
    if (p.M % s.m || p.N % s.n || p.K % s.k || s.k % p.perWord) continue;
    uint32_t FM = p.rows() / s.m, FN = p.N / s.n;
    if (static_cast<uint64_t>(FM) * FN < numWarps) continue;
    // Prefer the largest fragment area, then k.
    if (found && (s.m * s.n < p.shape.m * p.shape.n ||
                  (s.m * s.n == p.shape.m * p.shape.n && s.k <= p.shape.k)))
      continue;
    // Subgroup grid: wm x wn = numWarps, as square per-subgroup tiles as possible.
    uint32_t bestWm = 0;
    for (uint32_t wm = 1; wm <= numWarps; wm *= 2) {
      uint32_t wn = numWarps / wm;
      if (wm * wn != numWarps || FM % wm || FN % wn) continue;
      if (p.M % (FM / wm * s.m)) continue;  // a subgroup's rows span batches
      int64_t skew = std::llabs(static_cast<int64_t>(FM / wm) - static_cast<int64_t>(FN / wn));
      const int64_t bestSkew = bestWm ? std::llabs(static_cast<int64_t>(FM / bestWm) -
                                                   static_cast<int64_t>(FN / (numWarps / bestWm)))
                                      : 0;
      // Ties go to a grid that splits rows only: its exchanges can stay in each subgroup.
      if (!bestWm || skew < bestSkew || (skew == bestSkew && wn == 1 && subgroupExchanges()))
        bestWm = wm;
    }
    if (rowsOnly && FM % numWarps == 0) bestWm = numWarps;
    if (!bestWm) continue;
    p.shape = s;
    p.wm = bestWm;
    p.wn = numWarps / bestWm;
    p.fm = FM / p.wm;
    p.fn = FN / p.wn;
    found = true;
  }
  if (!found || base % kPadWords) return false;
  // The op's shared-memory allocation (analysis/smem_plan.cc) in words.
  auto alloc = c.smem.allocs.find(&op);
  if (alloc == c.smem.allocs.end()) return false;
  const uint64_t budget = alloc->second.bytes / 4;
  const analysis::DirectOperand* db = directOperand(c, op, 1);
  p.bT = db && db->transposed;
  const uint64_t planes = p.split ? 2 : 1;
  // Operands held in fragments (heldOperands) are staged before the loop, alone, and never in
  // it: the loop's slices need room for the other operand only, so K is staged in fewer slices
  // (attention's K at head dim 128: one slice, not two; both regions then start at base).
  p.held = heldOperands(c, op, p);
  const uint32_t held = heldSlices() ? p.held : 0;
  // Packed, padded words of A's and B's regions for a K slice of kc, planes included (and the
  // strides).
  auto regionWords = [&](uint32_t kc) {
    p.strideA = kc / p.perWord + kPadWords;
    p.strideB = (p.bT ? kc : p.N) / p.perWord + kPadWords;
    return std::pair<uint64_t, uint64_t>{planes * p.rows() * p.strideA,
                                         planes * static_cast<uint64_t>(p.bT ? p.N : p.B * kc) * p.strideB};
  };
  // Words of one staged K slice of kc: the larger of the loop's (the operands not held) and each
  // held operand's.
  auto sliceWords = [&](uint32_t kc) {
    const auto [aWords, bWords] = regionWords(kc);
    if (held) return std::max((held & 1 ? 0 : aWords) + (held & 2 ? 0 : bWords),
                              std::max(held & 1 ? aWords : 0, held & 2 ? bWords : 0));
    return aWords + bWords;
  };
  // A pipelined dot (analysis/dot_prefetch.h) takes the largest K slice of which two fit, so
  // that each slice's next tile goes to the other buffer while this one is multiplied (one
  // barrier per slice, half the prefetched registers).
  if (c.smem.prefetchDots.count(&op) && !p.split && !p.batched && doubleBuffering()) {
    for (p.kc = p.K / 2; p.kc >= p.shape.k && (p.K / p.kc) % 2 == 0; p.kc /= 2) {
      const uint64_t w = sliceWords(p.kc);
      if (2 * w > budget) continue;
      p.dbl = true;
      p.bufWords = static_cast<uint32_t>(w);
      break;
    }
  }
  // Otherwise the largest power of 2 (multiple of the fragment k) whose slice fits.
  if (!p.dbl) {
    for (p.kc = p.K; p.kc >= p.shape.k; p.kc /= 2)
      if (p.K % p.kc == 0 && sliceWords(p.kc) <= budget) break;
    if (p.kc < p.shape.k) return false;
  }
  p.aBase = base;
  p.aLo = p.rows() * p.strideA;
  const auto [aWords, bWords] = regionWords(p.kc);
  // B after A, unless a held operand made the slice larger than both fit (then both at base).
  uint64_t bOff = held && aWords + bWords > budget ? 0 : aWords;
  p.bLo = (p.bT ? p.N : p.B * p.kc) * p.strideB;
  // Result exchange: row chunks of whole fragment rows; the whole result after the regions the
  // loop stages when it fits there (apart: lowerDotCoopMat leaves out its leading barrier), else
  // at base. With A held, B then goes to base: A's staging is over before the loop.
  p.strideC = p.N + kPadWords;
  p.xBase = base;
  const uint64_t xWords = static_cast<uint64_t>(p.rows()) * p.strideC;
  if (exchangeApart() && held != 3 && !p.dbl) {
    const uint64_t bAt = held & 1 ? 0 : bOff;
    uint64_t end = held & 1 ? bWords : held & 2 ? aWords : bAt + bWords;
    end = (end + kPadWords - 1) / kPadWords * kPadWords;
    if (end + xWords <= budget) {
      bOff = bAt;
      p.xBase = base + static_cast<uint32_t>(end);
      p.xApart = true;
    }
  }
  p.bBase = base + static_cast<uint32_t>(bOff);
  p.aWords = static_cast<uint32_t>(aWords);
  p.bWords = static_cast<uint32_t>(bWords);
  for (p.chunk = p.rows(); p.chunk >= p.shape.m; p.chunk /= 2)
    if (static_cast<uint64_t>(p.chunk) * p.strideC <= budget) break;
  if (p.chunk < p.shape.m) {
    p.strideC = p.N;
    for (p.chunk = p.rows(); p.chunk >= p.shape.m; p.chunk /= 2)
      if (static_cast<uint64_t>(p.chunk) * p.strideC <= budget) break;
  }
  return p.chunk >= p.shape.m && p.rows() % p.chunk == 0;
}

Result<bool> planFor(Context& c, const ir::Operation& op, CoopPlan& p, uint32_t& base) {
  auto b0 = c.scratch.base(op);
  if (!b0.ok()) return b0.status();
  base = *b0;
  return planCoop(c, op, base, p);
}

CoopFrame coopFrame(Context& c, const CoopPlan& p) {
  auto& b = c.b;
  const CoopMatShape& s = p.shape;
  CoopFrame f;
  Id comp = p.isInt ? b.typeInt(8) : p.isBf16 ? b.typeBFloat16() : b.typeFloat(16);
  Id accComp = p.isInt ? b.typeInt(32) : b.typeFloat(32);
  f.tA = b.typeCooperativeMatrix(comp, s.m, s.k, spv::CooperativeMatrixUse::MatrixAKHR);
  f.tB = b.typeCooperativeMatrix(comp, s.k, s.n, spv::CooperativeMatrixUse::MatrixBKHR);
  f.tC = b.typeCooperativeMatrix(accComp, s.m, s.n, spv::CooperativeMatrixUse::MatrixAccumulatorKHR);
  const Index sg = c.ix(c.layouts.subgroupIndex());
  const Index sgRow = sg / p.wn * (p.fm * s.m);
  const Index sgCol = sg % p.wn * (p.fn * s.n);
  f.fragRow.resize(p.fm);
  f.fragCol.resize(p.fn);
  for (uint32_t i = 0; i < p.fm; ++i)
    f.fragRow[i] = sgRow + i * s.m;
  for (uint32_t j = 0; j < p.fn; ++j)
    f.fragCol[j] = sgCol + j * s.n;
  return f;
}

}  // namespace tvk::lower::coop

#endif  // TVK_HAVE_COOPMAT
