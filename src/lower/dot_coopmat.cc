// tt.dot through cooperative matrices. A[M,K] and B[K,N] are staged in shared memory in K
// slices, packed (two f16 or four i8 per uint32 word: lane pairs/quads exchange their
// elements with subgroup shuffles, the first lane writes the word) with rows padded by 16
// bytes against bank conflicts. Each subgroup owns a grid of fm x fn result fragments
// (m x n each) and runs OpCooperativeMatrixMulAddKHR over K from fragments loaded out of
// shared memory (RowMajor, stride in words). The fragments are stored to shared memory in
// row chunks that fit the op's allocation, and every result slot reads its element in the
// blocked layout and adds it to the accumulator operand. A loop accumulator
// (analysis/loop_accumulators.h) held in fragments (Context::Fragments) skips both: the
// fragments are the MulAdd's C operand and its result, and the loop converts them to the
// blocked layout once, after the loop (coopFragmentsToSlots). A batched (3-D) dot stages its
// batches one after another and keeps each subgroup's fragment rows in one batch. Direct
// operands (analysis/dot_operands.h) are loaded by the dot itself in 16-byte runs, and in
// pipelined loops (analysis/dot_prefetch.h) one K slice ahead: the tile is staged in two
// half-K slices, double-buffered, each slice's successor loaded before its multiply-adds and
// stored into the other buffer after them, one barrier per slice (H200, one buffer -> double, same
// calls: f16 4096^3 0.482 -> 0.478 and 0.509 -> 0.485 ms; i8 245 -> 231 registers, same speed).
#include "lower/dot_coopmat.h"

#include <spirv/unified1/GLSL.std.450.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lower/for_loop.h"
#include "lower/fp8.h"
#include "support/bits.h"
#include "support/switches.h"

namespace tvk::lower {

#ifdef TVK_HAVE_COOPMAT
namespace {

constexpr uint32_t kPadWords = 4;  // 16 bytes: keeps fragment rows 16-byte aligned

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

// Subgroup-local exchanges (rowsLocal): a dot whose subgroup grid can split rows only does
// (planCoop), and its result exchange and row-scale table, where each subgroup then reads
// only rows that it wrote, wait at a subgroup barrier instead of a workgroup one.
// TVK_SUBGROUP_EXCHANGE=0 keeps the old grid and workgroup barriers (a measurement switch, in
// the Python cache key).
bool subgroupExchanges() {
  return switchOn("TVK_SUBGROUP_EXCHANGE");
}

// The row-scale table as one word per row, broadcast along the fragments' columns by a
// column-major load with stride 0 (coopScaleRows); TVK_TABLE_BROADCAST=0 writes each row n
// times and loads it row-major, as before (a measurement switch, in the Python cache key).
bool tableBroadcast() {
  return switchOn("TVK_TABLE_BROADCAST");
}

// The row-scale table's leading barrier left out where Scratch::barrierNeeded allows
// (coopScaleRows); TVK_TABLE_ELISION=0 keeps it (a measurement switch, in the Python cache key).
bool tableElision() {
  return switchOn("TVK_TABLE_ELISION");
}

// The plan of one cooperative-matrix dot.
struct CoopPlan {
  CoopMatShape shape;                 // fragment shape
  uint32_t M = 0, N = 0, K = 0;       // dot shape (of each batch)
  // Batch of a 3-D dot: B independent M x N products. A's rows and B's K slices are staged
  // batch after batch (row b * M + m of A, b * kc + k of B), the result's rows likewise, and
  // each subgroup's rows lie in one batch.
  uint32_t B = 1;
  bool batched = false;  // a 3-D dot (B may be 1)
  uint32_t perWord = 2;               // operand elements per uint32 word
  uint32_t kc = 0;                    // K slice
  uint32_t strideA = 0, strideB = 0;  // words per staged row of A / B
  uint32_t aBase = 0, bBase = 0;      // first word of A / B
  uint32_t aWords = 0, bWords = 0;    // words of A's / B's staged K slice (planes included)
  // Double-buffered K slices of a pipelined dot (K / kc even): slice s of every iteration
  // is staged in buffer s % 2, buffer 1 `bufWords` words after buffer 0.
  bool dbl = false;
  uint32_t bufWords = 0;
  uint32_t wm = 1, wn = 1;            // subgroup grid
  uint32_t fm = 1, fn = 1;            // fragments per subgroup
  uint32_t chunk = 0, strideC = 0;    // result exchange: rows per chunk, words per row
  // The exchange's first word; apart: after every region the loop stages (one chunk).
  uint32_t xBase = 0;
  bool xApart = false;
  bool isInt = false;
  bool isBf16 = false;  // bf16 operands (SPV_KHR_bfloat16)
  // f32 operands split into bf16 hi + lo planes (input precision tf32 or bf16x3): four
  // products per step; the lo planes sit aLo / bLo words after the hi planes.
  bool split = false;
  uint32_t aLo = 0, bLo = 0;
  // B is a direct operand through tt.trans (DirectOperand::transposed): staged as loaded, N
  // rows of kc (strideB words each), its fragments read column-major.
  bool bT = false;
  // Operands held in fragments over the dot's loop (bit i: operand i; heldOperands).
  uint32_t held = 0;
  uint32_t rows() const { return B * M; }  // rows of the staged A and of the result
};

// The direct-operand plan of operand `i` of `op`, or null (staged from registers).
// Kernels with atomics (Context::coherent) keep their loads' coherence operands: not direct.
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

// The operands of `op` (bit i: operand i) that holdInvariantOperands holds in fragments: `op`
// directly in an scf.for body, of one plane and no batch; each operand defined outside that
// loop, not a direct operand, within what is left of kHeldRegisterBudget (A first).
// TVK_DOT_HOLD=0: none (for measurements). Needs p's shape and fragment grid.
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

// Finds a shape and a tiling; false when the op does not fit the cooperative-matrix path.
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

// Two 16-bit elements (f32 registers) as one word, `lo` in the low half: f16 by
// PackHalf2x16 (exact: the values are f16 already), or, for values whose rounding was
// deferred (`deferred`: Context::dotOperandsDeferF16), by one OpFConvert under RoundingModeRTE,
// which rounds them; bf16 by their upper 16 bits (registers of bf16 values have zero low bits).
Id packPair(Context& c, const CoopPlan& p, Id lo, Id hi, bool deferred = false) {
  auto& b = c.b;
  if (Id same = c.lanes.wordOf({lo, hi}, ir::Type::f(p.isBf16 ? "bf16" : "f16"))) return same;
  if (!p.isBf16) {
    Id v2 = b.emit(spv::Op::OpCompositeConstruct, b.typeVector(c.f32(), 2), {lo, hi});
    if (deferred) {  // only deferred where the target rounds by mode (defersF16Rounding)
      b.addCapability(spv::Capability::Float16);
      c.needFeature("float16");
      c.roundsF16ByMode = true;
      return b.emit(spv::Op::OpBitcast, c.u32(), {b.emit(spv::Op::OpFConvert, b.typeVector(b.typeFloat(16), 2), {v2})});
    }
    return b.glsl(GLSLstd450PackHalf2x16, c.u32(), {v2});
  }
  Id l = b.emit(spv::Op::OpShiftRightLogical, c.u32(), {b.emit(spv::Op::OpBitcast, c.u32(), {lo}), c.c32(16)});
  Id h = b.emit(spv::Op::OpBitwiseAnd, c.u32(), {b.emit(spv::Op::OpBitcast, c.u32(), {hi}), c.c32(0xffff0000u)});
  return b.emit(spv::Op::OpBitwiseOr, c.u32(), {l, h});
}

// Two f32 elements as their bf16 hi words (the upper 16 bits: exact truncation; a quiet NaN
// for NaN, whose payload may sit in the low bits) and lo words (x - hi rounded to bf16; 0 for
// infinities and NaN, whose hi part carries them), `lo` of each pair in the low half. hi + lo
// keeps 16 significant bits, tf32 keeps 11, and all four products (bf16 x bf16 is exact in
// f32) are summed, so inputs that tf32 holds exactly (<= 11 significant bits) multiply
// exactly here too. Known difference from tf32: an infinite input times a finite value exact
// in bf16 (lo = 0) gives NaN (inf x 0 in a cross product) where tf32 gives an infinity, as
// Triton's own bf16x3 does.
struct SplitWords {
  Id hi = 0, lo = 0;
};

Result<SplitWords> splitPair(Context& c, const CoopPlan& p, Id x, Id y) {
  auto& b = c.b;
  Id u = c.u32();
  auto hiBits = [&](Id v) {
    Id t = b.emit(spv::Op::OpBitwiseAnd, u, {b.emit(spv::Op::OpBitcast, u, {v}), c.c32(0xffff0000u)});
    return b.emit(spv::Op::OpSelect, u, {b.emit(spv::Op::OpIsNan, c.boolean(), {v}), c.c32(0x7fc00000u), t});
  };
  auto loOf = [&](Id v, Id hb) -> Result<Id> {
    Id d = b.emit(spv::Op::OpFSub, c.f32(), {v, b.emit(spv::Op::OpBitcast, c.f32(), {hb})});
    auto r = c.roundTo(ir::Type::f("bf16"), d);
    if (!r.ok()) return r;
    Id finite = b.emit(spv::Op::OpLogicalNot, c.boolean(),
                       {b.emit(spv::Op::OpLogicalOr, c.boolean(), {b.emit(spv::Op::OpIsInf, c.boolean(), {v}),
                                                                   b.emit(spv::Op::OpIsNan, c.boolean(), {v})})});
    return b.emit(spv::Op::OpSelect, c.f32(), {finite, *r, b.constFloat(c.f32(), 0.0)});
  };
  Id hx = hiBits(x), hy = hiBits(y);
  auto lx = loOf(x, hx);
  if (!lx.ok()) return lx.status();
  auto ly = loOf(y, hy);
  if (!ly.ok()) return ly.status();
  SplitWords w;
  w.hi = b.emit(spv::Op::OpBitwiseOr, u, {b.emit(spv::Op::OpShiftRightLogical, u, {hx, c.c32(16)}), hy});
  w.lo = packPair(c, p, *lx, *ly);
  return w;
}

// The staging word of element (row, col) of a region at `regionBase` with `stride` words per
// row: regionBase + row * stride + col / perWord.
Id stagedWord(Context& c, const CoopPlan& p, Id row, Id col, uint32_t regionBase, uint32_t stride) {
  Index w = c.ix(row) * stride;
  w = w + (c.ix(col) >> log2Ceil(p.perWord));
  return w + regionBase;
}

// Stores staging word `w` and, for split f32 operands, its lo-plane twin `lo` (the lo plane of
// operand 0, A, or 1, B).
void storeStaged(Context& c, const CoopPlan& p, int operand, Id w, Id word, Id lo) {
  auto& b = c.b;
  b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(w), word});
  if (!lo) return;
  Id wl = c.ix(w) + (operand == 0 ? p.aLo : p.bLo);
  b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(wl), lo});
}

// Stages the K slice [k0, k0 + kc) of operand `v` (K along dimension kDim) packed into words:
// word (row, col / perWord) of a region with `stride` words per row, where (row, col) is
// (m, k) for A and (k, n) for B. With v = 1 a word's elements sit in perWord consecutive lanes
// (shuffled to the first); with v > 1 (a multiple of perWord: row layouts) in consecutive slots
// of one invocation.
Status stagePacked(Context& c, const CoopPlan& p, const ir::Value* v, int kDim, uint32_t k0,
                   uint32_t regionBase, uint32_t stride) {
  auto& b = c.b;
  const std::vector<int64_t>& shape = v->type.shape;
  Id lane = c.layouts.subgroupLane();
  Id first = b.emit(spv::Op::OpIEqual, c.boolean(),
                    {b.emit(spv::Op::OpBitwiseAnd, c.u32(), {lane, c.c32(p.perWord - 1)}), c.c32(0)});
  auto regT = c.regTypeOf(v);
  if (!regT.ok()) return regT.status();
  const bool inSlots = c.layouts.layout(v->type).vec > 1;
  // Element j of the word that slot s starts: a later slot, or a later lane's slot s (all
  // lanes shuffle: uniform control flow).
  auto partner = [&](uint32_t s, uint32_t j, Id x, Id type) {
    return inSlots ? c.at(v, s + j)
                   : b.emit(spv::Op::OpGroupNonUniformShuffleXor, type,
                            {c.c32(static_cast<uint32_t>(spv::Scope::Subgroup)), x, c.c32(j)});
  };
  for (uint32_t s = 0; s < c.layouts.slots(v); ++s) {
    if (inSlots && s % p.perWord) continue;
    std::vector<Id> sc = c.layouts.slotCoords(shape, s);
    Id x = c.at(v, s);
    Id word, loWord = 0;
    if (p.isInt) {
      word = b.emit(spv::Op::OpBitwiseAnd, c.u32(), {x, c.c32(0xff)});
      for (uint32_t j = 1; j < p.perWord; ++j) {
        Id y = partner(s, j, x, c.u32());
        y = b.emit(spv::Op::OpBitwiseAnd, c.u32(), {y, c.c32(0xff)});
        y = b.emit(spv::Op::OpShiftLeftLogical, c.u32(), {y, c.c32(8 * j)});
        word = b.emit(spv::Op::OpBitwiseOr, c.u32(), {word, y});
      }
    } else {
      Id y = partner(s, 1, x, c.f32());
      if (p.split) {
        auto sw = splitPair(c, p, x, y);
        if (!sw.ok()) return sw.status();
        word = sw->hi;
        loWord = sw->lo;
      } else {
        word = packPair(c, p, x, y, c.deferredF16(v));
      }
    }
    Id cond = inSlots ? 0 : first;
    // A 3-D operand's batch index leads: its rows follow the batches before it.
    const size_t r0 = sc.size() - 2;
    Id kk = sc[r0 + kDim];
    if (p.kc != p.K) {
      cond = c.flow.andCond(cond, (c.ix(kk) >> log2Ceil(p.kc)).equals(k0 / p.kc));
      kk = c.ix(kk) & (p.kc - 1);
    }
    Id row = kDim == 1 ? sc[r0] : kk;
    if (r0)
      row = c.ix(sc[0]) * (kDim == 1 ? p.M : p.kc) + c.ix(row);
    Id w = stagedWord(c, p, row, kDim == 1 ? kk : sc[r0 + 1], regionBase, stride);
    TVK_RETURN_IF_ERROR(c.flow.ifThen(cond, [&]() -> Status {
      storeStaged(c, p, kDim == 1 ? 0 : 1, w, word, loWord);
      return Status();
    }));
  }
  return Status();
}

// The staging region of operand `i` (0: A, K along dimension 1; 1: B, K along dimension 0
// unless transposed; the dimension of the loaded tensor, of its last two): first word, words
// per row.
struct Region {
  int kDim = 1;
  uint32_t base = 0, stride = 0;
};

Region regionOf(const CoopPlan& p, int i) {
  return i == 0 ? Region{1, p.aBase, p.strideA} : Region{p.bT ? 1 : 0, p.bBase, p.strideB};
}

// Byte range of the staging regions of the operands not in `held` (bit i: operand i), for
// barrier elision: a slice's staging and fragment loads stay in it.
Scratch::Region stagingBytes(const CoopPlan& p, uint32_t held) {
  uint32_t lo = UINT32_MAX, hi = 0;
  if (!(held & 1)) lo = p.aBase, hi = p.aBase + p.aWords;
  if (!(held & 2)) lo = std::min(lo, p.bBase), hi = std::max(hi, p.bBase + p.bWords);
  return lo < hi ? Scratch::Region{lo * 4, hi * 4} : Scratch::Region{0, 0};
}

// Rows and columns of the staged K slice of direct operand `d`, batches included (a 3-D dot
// stages batch after batch): A M x kc, B kc x N, a transposed B N x kc.
uint32_t slicedRows(const CoopPlan& p, const analysis::DirectOperand& d) {
  return d.operand == 0 ? p.rows() : p.bT ? p.N : p.B * p.kc;
}
uint32_t slicedCols(const CoopPlan& p, const analysis::DirectOperand& d) {
  return regionOf(p, d.operand).kDim == 1 ? p.kc : p.N;
}

// Run i of this invocation when the K slice [k0, k0 + kc) of direct operand `d` (K along
// dimension kDim of the last two) is dealt round-robin: run q = t + i W, its row and first
// column in the staged region, and its coordinates in the operand (a 3-D operand's batch
// first: staged row b * rows + r).
struct RunAt {
  Id q = 0, row = 0, col = 0;
  std::vector<Id> coords;
};

RunAt runAt(Context& c, const CoopPlan& p, const analysis::DirectOperand& d, uint32_t k0, uint32_t i) {
  const int kDim = regionOf(p, d.operand).kDim;
  const uint32_t runsPerRow = slicedCols(p, d) / d.elems;
  RunAt r;
  const Index q = c.ix(c.layouts.invocation()) + i * c.W;
  const Index rowIdx = q >> log2Ceil(runsPerRow);
  const Index col = (q & (runsPerRow - 1)) * d.elems;
  r.q = q, r.row = rowIdx, r.col = col;
  Id row = r.row;
  if (p.batched) {
    const uint32_t per = d.operand == 0 ? p.M : p.kc;  // (a transposed B is 2-D)
    r.coords.push_back(rowIdx / per);
    row = rowIdx % per;
  }
  if (kDim == 1) {
    r.coords.push_back(row);
    r.coords.push_back(col + k0);
  } else {
    r.coords.push_back(c.ix(row) + k0);
    r.coords.push_back(r.col);
  }
  return r;
}

// One run of a direct operand's K slice as loaded (loadDirect): its words (`other`'s where
// masked), its row and first column in the staged region, and whether this invocation has
// the run at all (0: always).
struct LoadedRun {
  Id words = 0, row = 0, col = 0, exists = 0;
};

// Words per run of direct operand `d` as loaded (split f32 runs load one word per element,
// widened fp8 runs one per four).
uint32_t loadedWords(const CoopPlan& p, const analysis::DirectOperand& d) {
  return p.split ? d.elems : d.widen ? d.elems / 4 : d.elems / p.perWord;
}

// Loads the K slice [k0, k0 + kc) of operand `d` (a tt.load the dot performs itself,
// analysis/dot_operands.h) for the staging of stagePacked: the slice's runs of d.elems
// consecutive elements along the last dimension are dealt round-robin to the invocations (run q to
// invocation q mod W); each recomputes the run's first address and mask at the run's
// coordinates and loads the run with one access of d.elems elements (a vector of uint32
// words, aligned to its size), or takes `other` when masked. In iteration `iter` of the loop
// around the dot (analysis/dot_prefetch.h; null: the current one); nothing is loaded where
// `guard` (0: none) is false.
Result<std::vector<LoadedRun>> loadDirect(Context& c, const CoopPlan& p, const ir::Operation& load,
                                          const analysis::DirectOperand& d, uint32_t k0,
                                          Context::Iteration* iter, Id guard) {
  auto& b = c.b;
  const ir::Value* ptr = load.operand(0);
  const ir::Value* mask = load.numOperands() > 1 ? load.operand(1) : nullptr;
  const ir::Value* other = load.numOperands() > 2 ? load.operand(2) : nullptr;
  auto at = [&](const ir::Value* v, const std::vector<Id>& coords) {
    return iter ? c.emitAt(v, coords, *iter) : c.emitAt(v, coords);
  };
  const uint32_t loadWords = loadedWords(p, d);
  const uint32_t total = slicedRows(p, d) * (slicedCols(p, d) / d.elems);
  Id u = c.u32();
  Id vecT = loadWords == 1 ? u : b.typeVector(u, loadWords);
  // `other` as a loaded word (the same value in every element), or zero.
  Id otherWord = c.c32(0);
  if (other) {
    auto o = at(other, std::vector<Id>(static_cast<size_t>(load.result()->type.rank()), c.c32(0)));
    if (!o.ok()) return o.status();
    if (p.isInt || d.widen) {  // bytes: i8, or the fp8 code of `other`
      Id byte = *o;
      if (d.widen) {
        auto code = encodeFp8(c, load.result()->type.scalar(), *o);
        if (!code.ok()) return code.status();
        byte = *code;
      }
      byte = b.emit(spv::Op::OpBitwiseAnd, u, {byte, c.c32(0xff)});
      otherWord = b.emit(spv::Op::OpIMul, u, {byte, c.c32(0x01010101)});
    } else if (p.split) {
      otherWord = b.emit(spv::Op::OpBitcast, u, {*o});
    } else {
      otherWord = packPair(c, p, *o, *o);
    }
  }
  Id otherVec = loadWords == 1 ? otherWord
                               : b.emit(spv::Op::OpCompositeConstruct, vecT,
                                        std::vector<Id>(loadWords, otherWord));
  b.usePhysicalStorageBuffer();
  c.needFeature("bufferDeviceAddress");
  Id ptrT = b.typePointer(spv::StorageClass::PhysicalStorageBuffer, vecT);
  const std::vector<Id> access{static_cast<Id>(spv::MemoryAccessMask::Aligned), loadWords * 4};
  auto hoisted = c.hoistedRuns.find({&load, k0});
  analysis::TensorInduction ind;
  const bool induction = analysis::tensorInduction(ptr, ind) && hoisted != c.hoistedRuns.end();
  std::vector<LoadedRun> runs;
  for (uint32_t i = 0; i * c.W < total; ++i) {
    const RunAt r = runAt(c, p, d, k0, i);
    LoadedRun lr{0, r.row, r.col, 0};
    if ((i + 1) * c.W > total) lr.exists = b.emit(spv::Op::OpULessThan, c.boolean(), {r.q, c.c32(total)});
    auto addr = induction ? c.inductionFrom(ind, hoisted->second[i], iter ? iter->iv : 0) : at(ptr, r.coords);
    if (!addr.ok()) return addr.status();
    Id cond = c.flow.andCond(guard, lr.exists);
    if (mask) {
      auto mv = at(mask, r.coords);
      if (!mv.ok()) return mv.status();
      cond = c.flow.andCond(cond, *mv);
    }
    auto words = c.flow.ifValue(cond, vecT, [&]() -> Result<Id> {
      Id pv = b.emit(spv::Op::OpConvertUToPtr, ptrT, {*addr});
      std::vector<Id> ops{pv};
      ops.insert(ops.end(), access.begin(), access.end());
      return b.emit(spv::Op::OpLoad, vecT, ops);
    }, otherVec);
    if (!words.ok()) return words.status();
    lr.words = *words;
    runs.push_back(lr);
  }
  return runs;
}

// Writes runs loaded by loadDirect into the packed staging (regionBase, `stride` words per
// row) where `guard` (0: always) holds.
Status storeDirect(Context& c, const CoopPlan& p, const analysis::DirectOperand& d, uint32_t regionBase,
                   uint32_t stride, const std::vector<LoadedRun>& runs, Id guard) {
  auto& b = c.b;
  Id u = c.u32();
  const uint32_t loadWords = loadedWords(p, d), runWords = d.elems / p.perWord;
  for (const LoadedRun& r : runs) {
    TVK_RETURN_IF_ERROR(c.flow.ifThen(c.flow.andCond(guard, r.exists), [&]() -> Status {
      Id w0 = stagedWord(c, p, r.row, r.col, regionBase, stride);
      auto elem = [&](uint32_t j) {
        return loadWords == 1 ? r.words : b.emit(spv::Op::OpCompositeExtract, u, {r.words, j});
      };
      for (uint32_t j = 0; j < runWords; ++j) {
        Id w = j ? c.ix(w0) + j : w0;
        // Widened fp8: staged word j holds elements 2j and 2j + 1, bytes 2j mod 4 and the next
        // of loaded word j / 2, each moved to the upper byte of its f16 half.
        if (d.widen) {
          Id x = elem(j / 2), word;
          if (j % 2 == 0) {
            word = b.emit(spv::Op::OpBitwiseOr, u,
                          {b.emit(spv::Op::OpShiftLeftLogical, u, {b.emit(spv::Op::OpBitwiseAnd, u, {x, c.c32(0xff)}), c.c32(8)}),
                           b.emit(spv::Op::OpShiftLeftLogical, u, {b.emit(spv::Op::OpBitwiseAnd, u, {x, c.c32(0xff00)}), c.c32(16)})});
          } else {
            word = b.emit(spv::Op::OpBitwiseOr, u,
                          {b.emit(spv::Op::OpBitwiseAnd, u, {b.emit(spv::Op::OpShiftRightLogical, u, {x, c.c32(8)}), c.c32(0xff00)}),
                           b.emit(spv::Op::OpBitwiseAnd, u, {x, c.c32(0xff000000u)})});
          }
          storeStaged(c, p, d.operand, w, word, 0);
          continue;
        }
        if (!p.split) {
          storeStaged(c, p, d.operand, w, elem(j), 0);
          continue;
        }
        auto sw = splitPair(c, p, b.emit(spv::Op::OpBitcast, c.f32(), {elem(2 * j)}),
                            b.emit(spv::Op::OpBitcast, c.f32(), {elem(2 * j + 1)}));
        if (!sw.ok()) return sw.status();
        storeStaged(c, p, d.operand, w, sw->hi, sw->lo);
      }
      return Status();
    }));
  }
  return Status();
}

using OperandRuns = std::vector<std::vector<LoadedRun>>;

// The runs of both operands (both direct) of `op`: the K slice at k0 in iteration `iter`.
Result<OperandRuns> loadOperands(Context& c, const CoopPlan& p, const ir::Operation& op, uint32_t k0,
                                 Context::Iteration* iter, Id guard) {
  OperandRuns runs;
  for (int i = 0; i < 2; ++i) {
    const analysis::DirectOperand* d = directOperand(c, op, i);
    if (!d) return c.unsupported(op, "prefetch of an operand that is not loaded directly");
    auto r = loadDirect(c, p, *analysis::operandLoad(op, i), *d, k0, iter, guard);
    if (!r.ok()) return r.status();
    runs.push_back(std::move(*r));
  }
  return runs;
}

// Writes them to the staging buffer `buffer` (0 or 1: CoopPlan::dbl).
Status storeOperands(Context& c, const CoopPlan& p, const ir::Operation& op, const OperandRuns& runs,
                     Id guard, uint32_t buffer = 0) {
  for (int i = 0; i < 2; ++i) {
    const Region r = regionOf(p, i);
    TVK_RETURN_IF_ERROR(storeDirect(c, p, *directOperand(c, op, i), r.base + buffer * p.bufWords, r.stride,
                                    runs[i], guard));
  }
  return Status();
}

// The scf.for whose body holds tt.dot `op` (analysis/dot_prefetch.h qualifies only such dots).
const ir::Operation& loopOf(const ir::Operation& op) { return *op.parentBlock->parentRegion->parentOp; }

// Types and this subgroup's fragment origins of a planned dot.
struct CoopFrame {
  Id tA = 0, tB = 0, tC = 0;
  std::vector<Id> fragRow, fragCol;  // first row / column of each fragment row / column
};

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

// First words of this subgroup's fragments in the staging (loop invariant): each fragment
// row's A rows and each fragment column's B columns (a 3-D dot's subgroup multiplies by its
// batch's K slices of B: its rows lie in one batch).
struct FragmentBases {
  std::vector<Id> aRow, bCol;
};

FragmentBases fragmentBases(Context& c, const CoopPlan& p, const CoopFrame& fr) {
  FragmentBases fb;
  for (uint32_t i = 0; i < p.fm; ++i)
    fb.aRow.push_back(c.ix(fr.fragRow[i]) * p.strideA + p.aBase);
  Index bFirst = Index::constant(c.b, p.bBase);
  if (p.B > 1) bFirst = c.ix(fr.fragRow[0]) / p.M * (p.kc * p.strideB) + bFirst;
  for (uint32_t j = 0; j < p.fn; ++j) {
    // A transposed B: column j's first row of the staging (rows are columns of B).
    const Index col = c.ix(fr.fragCol[j]);
    const Index off = p.bT ? col * p.strideB : col >> log2Ceil(p.perWord);
    fb.bCol.push_back(off + bFirst);
  }
  return fb;
}

// Fragment `blk` of operand `i` (0: A, row block blk; 1: B, column block blk) at K step `step`
// (a uint32 id) of the staged slice, from plane `plane` (split f32: 1 is the lo plane).
Id loadFragment(Context& c, const CoopPlan& p, const CoopFrame& fr, const FragmentBases& fb, int i,
                uint32_t blk, Id step, uint32_t plane) {
  auto& b = c.b;
  // A transposed B is read column-major: column n of B is row n of the staging.
  const bool colMajor = i == 1 && p.bT;
  const auto layout = colMajor ? spv::CooperativeMatrixLayout::ColumnMajorKHR : spv::CooperativeMatrixLayout::RowMajorKHR;
  const CoopMatShape& s = p.shape;
  // A and a transposed B: s.k / perWord words per step along a row; B: s.k rows per step.
  const Index off = c.ix(step) * (i == 0 || colMajor ? s.k / p.perWord : s.k * p.strideB);
  Index w = c.ix(i == 0 ? fb.aRow[blk] : fb.bCol[blk]) + off;
  if (plane) w = w + (i == 0 ? p.aLo : p.bLo);
  return b.emit(spv::Op::OpCooperativeMatrixLoadKHR, i == 0 ? fr.tA : fr.tB,
                {c.scratch.ptr(w), c.c32(static_cast<uint32_t>(layout)), c.c32(i == 0 ? p.strideA : p.strideB)});
}

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

// Exchanges fragments `accs` to the blocked layout of `res` in row chunks through scratch at
// `base`; adds slot r of `addend` to each element when `addend` is not null.
Result<std::vector<Id>> fragmentsToSlots(Context& c, const CoopPlan& p, const CoopFrame& f,
                                         uint32_t base, const std::vector<Id>& accs,
                                         const ir::Value* res, const ir::Value* addend,
                                         bool leadingBarrier = true) {
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
    // One chunk of an unreplicated layout whose runs stay in a row and whose W v elements per
    // slot group are whole rows: slot r's linear index is slot 0's plus d = (r / v) W v + r % v
    // for every invocation, without a carry from column into row, so its word is slot 0's plus
    // (d >> lg N) strideC + (d mod N): one add per slot instead of the whole index.
    const analysis::Layout& lay = c.layouts.layout(res->type);
    const uint64_t Wv = uint64_t(lay.invocations) * lay.vec;
    const bool affine = p.chunk == p.rows() && !lay.replicated && !lay.repShift && p.N % lay.vec == 0 &&
                        Wv % p.N == 0;
    std::optional<Index> w0;
    for (uint32_t r = 0; r < R; ++r) {
      Id in = 0;
      std::optional<Index> wr;
      if (affine && w0) {
        const uint64_t d = (r / lay.vec) * Wv + r % lay.vec;
        wr = w0->plus(static_cast<uint32_t>((d >> lgN) * p.strideC + (d & (p.N - 1))));
      } else {
        Id lin = c.layouts.slotLinear(res->type.shape, r);
        const Index row = c.ix(lin) >> lgN;
        const Index col = c.ix(lin) & (p.N - 1);
        Index local = row - q * p.chunk;
        in = p.chunk == p.rows() ? 0 : local.lessThan(p.chunk);
        if (in) local = local & (p.chunk - 1);
        wr = local * p.strideC + col;
        if (r == 0) w0 = wr;
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

// Plans `op` for the fragment helpers; false when it does not take the cooperative-matrix path.
Result<bool> planFor(Context& c, const ir::Operation& op, CoopPlan& p, uint32_t& base) {
  auto b0 = c.scratch.base(op);
  if (!b0.ok()) return b0.status();
  base = *b0;
  return planCoop(c, op, base, p);
}

}  // namespace

Result<bool> coopReadsLoad(Context& c, const ir::Operation& op) {
  auto it = c.smem.directLoads.find(&op);
  if (it == c.smem.directLoads.end() || c.coherent) return false;
  CoopPlan p;
  uint32_t base = 0;
  return planFor(c, *it->second.dot, p, base);
}

namespace {

// Operands of the cooperative-matrix tt.dots directly in `loop`'s body that are defined
// outside the loop (the Q tile of attention, a loop-invariant weight tile): staged once
// before the loop and loaded as fragments that the loop's dots use every iteration
// (Context::heldFragments), within kHeldRegisterBudget, staged slice by slice. Dots of one
// plane and no batch. TVK_DOT_HOLD=0 turns this off (for measurements).
Status holdInvariantOperands(Context& c, const ir::Operation& loop) {
  for (const auto& owned : loop.body().ops) {
    const ir::Operation& op = *owned;
    if (op.name != "tt.dot") continue;
    CoopPlan p;
    uint32_t base = 0;
    auto planned = planFor(c, op, p, base);
    if (!planned.ok()) return planned.status();
    if (!*planned || !p.held || p.K % p.kc != 0) continue;
    const CoopFrame fr = coopFrame(c, p);
    const FragmentBases bases = fragmentBases(c, p, fr);
    for (int i = 0; i < 2; ++i) {
      if (!(p.held & (1u << i))) continue;
      const ir::Value* v = op.operand(i);
      // Slice by slice (K over kc): staged, then its steps' fragments loaded; held[blk K/k +
      // global step].
      const Region r = regionOf(p, i);
      const uint32_t blocks = i == 0 ? p.fm : p.fn, steps = p.kc / p.shape.k, all = p.K / p.shape.k;
      std::vector<Id>& held = c.heldFragments[{&op, i}];
      held.assign(blocks * all, 0);
      for (uint32_t k0 = 0; k0 < p.K; k0 += p.kc) {
        c.barrier();
        TVK_RETURN_IF_ERROR(stagePacked(c, p, v, r.kDim, k0, r.base, r.stride));
        c.barrier();
        for (uint32_t blk = 0; blk < blocks; ++blk)
          for (uint32_t step = 0; step < steps; ++step)
            held[blk * all + k0 / p.shape.k + step] = loadFragment(c, p, fr, bases, i, blk, c.c32(step), 0);
      }
    }
  }
  return Status();
}

}  // namespace

Status coopHoistRuns(Context& c, const ir::Operation& loop) {
  TVK_RETURN_IF_ERROR(holdInvariantOperands(c, loop));
  for (const auto& [load, d] : c.smem.directLoads) {
    analysis::TensorInduction ind;
    if (c.coherent || !analysis::tensorInduction(load->operand(0), ind) || ind.loop != &loop) continue;
    CoopPlan p;
    uint32_t base = 0;
    auto planned = planFor(c, *d.dot, p, base);  // as coopReadsLoad: the dot performs the load
    if (!planned.ok()) return planned.status();
    if (!*planned) continue;
    const uint32_t total = slicedRows(p, d) * (slicedCols(p, d) / d.elems);
    for (uint32_t k0 = 0; k0 < p.K; k0 += p.kc) {
      std::vector<Id>& runs = c.hoistedRuns[{load, k0}];
      runs.clear();
      for (uint32_t i = 0; i * c.W < total; ++i) {
        auto a = c.emitAt(ind.init, runAt(c, p, d, k0, i).coords);
        if (!a.ok()) return a.status();
        runs.push_back(*a);
      }
    }
  }
  // Pipelined dots (analysis/dot_prefetch.h) whose K is one slice: the first iteration's
  // tiles go to scratch now, when the loop runs at all.
  for (const ir::Operation* dot : c.smem.prefetchDots) {
    if (&loopOf(*dot) != &loop || c.coherent) continue;
    CoopPlan p;
    uint32_t base = 0;
    auto planned = planFor(c, *dot, p, base);
    if (!planned.ok()) return planned.status();
    // The result must stay in fragments (its exchange would overwrite the next tile).
    if (!*planned || (p.kc != p.K && !p.dbl) || !c.fragments(dot->result())) continue;
    c.prefetching.insert(dot);
    Id lb = c.at(loop.operand(0), 0);
    c.barrier();
    TVK_RETURN_IF_ERROR(c.flow.ifThen(forInRange(c, loop, lb), [&]() -> Status {
      Context::Iteration first{&loop, lb, true, {}, {}};
      auto runs = loadOperands(c, p, *dot, 0, &first, 0);
      if (!runs.ok()) return runs.status();
      return storeOperands(c, p, *dot, *runs, 0);
    }));
    c.barrier();
  }
  return Status();
}

Result<bool> coopWidens(Context& c, const ir::Operation& op) {
  for (const auto& [load, d] : c.smem.directLoads)
    if (d.widen == &op) return coopReadsLoad(c, *load);
  return false;
}

Result<bool> coopUncarried(Context& c, const ir::Value* arg) {
  for (const auto& [load, d] : c.smem.directLoads)
    if (d.carried == arg) return coopReadsLoad(c, *load);
  return false;
}

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

Result<bool> coopCanScaleRows(Context& c, const ir::Operation& op) {
  CoopPlan p;
  uint32_t base = 0;
  auto ok = planFor(c, op, p, base);
  if (!ok.ok() || !*ok) return ok;
  if (p.isInt || p.batched || c.smem.prefetchDots.count(&op)) return false;
  auto alloc = c.smem.allocs.find(&op);
  const uint64_t perRow = tableBroadcast() ? 1 : p.shape.n;  // coopScaleRows's table
  return alloc != c.smem.allocs.end() && static_cast<uint64_t>(p.M) * perRow * 4 + 16 <= alloc->second.bytes;
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

Result<bool> lowerDotCoopMat(Context& c, const ir::Operation& op) {
  CoopPlan p;
  uint32_t base = 0;
  auto planned = planFor(c, op, p, base);
  if (!planned.ok() || !*planned) return planned;
  auto& b = c.b;
  const ir::Value* acc = op.operand(2);
  const ir::Value* res = op.result();
  const Context::Fragments* accFr = c.fragments(acc);
  const Context::Fragments* resFr = c.fragments(res);
  if ((accFr && accFr->dot != &op) || (resFr && resFr->dot != &op))
    return c.unsupported(op, "accumulator fragments of another dot");
  c.needFeature("cooperativeMatrix");
  c.needFeature("subgroupShuffle");
  if (p.isBf16) {
    c.needFeature("bfloat16CooperativeMatrix");
    b.addCapability(static_cast<spv::Capability>(5118));  // BFloat16CooperativeMatrixKHR
  } else {
    c.needFeature(p.isInt ? "int8" : "float16");
    b.addCapability(p.isInt ? spv::Capability::Int8 : spv::Capability::Float16);
  }
  const CoopMatShape& s = p.shape;
  CoopFrame fr = coopFrame(c, p);
  Id zero = p.isInt ? b.constInt(b.typeInt(32), 0) : b.constFloat(b.typeFloat(32), 0.0);
  const uint32_t mulOps = p.isInt ? 0xF : 0;  // all components signed (i8 x i8 -> i32)

  // Fragment bases in each staging buffer (buffer 1 only with double-buffered slices).
  FragmentBases bases[2] = {fragmentBases(c, p, fr), {}};
  if (p.dbl) {
    for (Id w : bases[0].aRow) bases[1].aRow.push_back(c.ix(w) + p.bufWords);
    for (Id w : bases[0].bCol) bases[1].bCol.push_back(c.ix(w) + p.bufWords);
  }
  const FragmentBases* buf = &bases[0];  // the buffer the K steps read
  const uint32_t F = p.fm * p.fn;
  // The accumulator operand's fragments when it is held so, else zeros (added after).
  std::vector<Id> accs = accFr ? c.ids(acc) : std::vector<Id>(F, b.constComposite(fr.tC, {zero}));
  if (accs.size() != F) return c.unsupported(op, "accumulator fragment count");
  std::vector<Id> types(F, fr.tC);
  // Pipelined (coopHoistRuns put this iteration's first tiles in scratch): the next tiles'
  // loads are issued before the multiply-adds and stored after them. With one buffer, the
  // next iteration's whole K tile, stored between two barriers; with double-buffered slices,
  // each slice's successor (the next iteration's first slice after the last), stored into the
  // other buffer, which every subgroup finished reading before the last barrier.
  const bool prefetch = c.prefetching.count(&op) != 0;
  OperandRuns nextRuns;
  Id more = 0;
  Context::Iteration next;
  if (prefetch) {
    const ir::Operation& loop = loopOf(op);
    next.loop = &loop;
    auto ivT = c.regTypeOf(loop.operand(0));
    if (!ivT.ok()) return ivT.status();
    next.iv = b.emit(spv::Op::OpIAdd, *ivT, {c.at(loop.body().arg(0), 0), c.at(loop.operand(2), 0)});
    more = forInRange(c, loop, next.iv);
    if (!p.dbl) {
      auto runs = loadOperands(c, p, op, 0, &next, more);
      if (!runs.ok()) return runs.status();
      nextRuns = std::move(*runs);
    }
  }
  // Operands held in fragments since before the loop (holdInvariantOperands; whole K).
  const std::vector<Id>* held[2] = {nullptr, nullptr};
  for (int i = 0; i < 2; ++i) {
    auto it = c.heldFragments.find({&op, i});
    if (it != c.heldFragments.end()) held[i] = &it->second;
  }
  const uint32_t steps = p.kc / s.k;
  uint32_t sliceStep = 0;  // the first K step of the current slice (held fragments' index)
  bool stagedLast = false;  // the last slice was staged here, a barrier after it
  // One K step: fragments (held, or loaded from the staging at `step`; `fixed` is the step
  // when it is a constant) and the multiply-adds.
  auto kStep = [&](Id step, uint32_t fixed, const std::vector<Id>& cur) -> Result<std::vector<Id>> {
    auto fragment = [&](int i, uint32_t blk, uint32_t plane) {
      return held[i] ? (*held[i])[blk * (p.K / s.k) + sliceStep + fixed]
                     : loadFragment(c, p, fr, *buf, i, blk, step, plane);
    };
    std::vector<Id> fa(p.fm), fb(p.fn), faLo(p.split ? p.fm : 0), fbLo(p.split ? p.fn : 0);
    for (uint32_t i = 0; i < p.fm; ++i) fa[i] = fragment(0, i, 0);
    for (uint32_t j = 0; j < p.fn; ++j) fb[j] = fragment(1, j, 0);
    for (uint32_t i = 0; i < faLo.size(); ++i) faLo[i] = fragment(0, i, 1);
    for (uint32_t j = 0; j < fbLo.size(); ++j) fbLo[j] = fragment(1, j, 1);
    auto mulAdd = [&](Id x, Id y, Id acc) {
      std::vector<uint32_t> ops{x, y, acc};
      if (mulOps) ops.push_back(mulOps);
      return b.emit(spv::Op::OpCooperativeMatrixMulAddKHR, fr.tC, ops);
    };
    std::vector<Id> next(F);
    for (uint32_t i = 0; i < p.fm; ++i)
      for (uint32_t j = 0; j < p.fn; ++j) {
        Id acc = cur[i * p.fn + j];
        if (p.split) {  // the small products first: lo lo + lo hi + hi lo + hi hi
          acc = mulAdd(faLo[i], fbLo[j], acc);
          acc = mulAdd(faLo[i], fb[j], acc);
          acc = mulAdd(fa[i], fbLo[j], acc);
        }
        next[i * p.fn + j] = mulAdd(fa[i], fb[j], acc);
      }
    return next;
  };
  for (uint32_t k0 = 0; k0 < p.K; k0 += p.kc) {
    const bool lastSlice = k0 + p.kc == p.K;
    const uint32_t slice = k0 / p.kc;
    sliceStep = k0 / s.k;
    if (prefetch && p.dbl) {
      auto runs = lastSlice ? loadOperands(c, p, op, 0, &next, more) : loadOperands(c, p, op, k0 + p.kc, nullptr, 0);
      if (!runs.ok()) return runs.status();
      nextRuns = std::move(*runs);
      buf = &bases[slice % 2];
    }
    stagedLast = false;
    if (!prefetch && !(held[0] && held[1])) {
      stagedLast = true;
      c.barrier();
      // The staging and the fragment loads that follow stay in the operands' regions.
      const Scratch::Region staged = stagingBytes(p, (held[0] ? 1 : 0) | (held[1] ? 2 : 0));
      if (!p.dbl && staged.second) c.scratch.declareRegion(staged);
      for (int i = 0; i < 2; ++i) {
        if (held[i]) continue;
        const Region r = regionOf(p, i);
        const analysis::DirectOperand* d = directOperand(c, op, i);
        if (!d) {
          TVK_RETURN_IF_ERROR(stagePacked(c, p, op.operand(i), r.kDim, k0, r.base, r.stride));
          continue;
        }
        auto runs = loadDirect(c, p, *analysis::operandLoad(op, i), *d, k0, nullptr, 0);
        if (!runs.ok()) return runs.status();
        TVK_RETURN_IF_ERROR(storeDirect(c, p, *d, r.base, r.stride, *runs, 0));
      }
      c.barrier();
    }
    if (held[0] || held[1]) {
      // Held fragments are indexed by a constant step: the steps are unrolled.
      for (uint32_t st = 0; st < steps; ++st) {
        auto out = kStep(c.c32(st), st, accs);
        if (!out.ok()) return out.status();
        accs = *out;
      }
      continue;
    }
    auto out = c.flow.countedCarry(steps, types, accs, [&](Id step, const std::vector<Id>& cur) {
      return kStep(step, 0, cur);
    });
    if (!out.ok()) return out.status();
    accs = *out;
    if (prefetch && p.dbl) {
      TVK_RETURN_IF_ERROR(storeOperands(c, p, op, nextRuns, lastSlice ? more : 0, (slice + 1) % 2));
      c.barrier();
    }
  }
  if (prefetch && !p.dbl) {
    c.barrier();
    TVK_RETURN_IF_ERROR(storeOperands(c, p, op, nextRuns, more));
    c.barrier();
  }
  if (resFr) {
    // The result stays in fragments (a loop accumulator): no exchange.
    c.bind(res, std::move(accs));
    return true;
  }
  if (accFr) return c.unsupported(op, "fragment accumulator with a per-slot result");
  // Exchange to the blocked layout in row chunks; add the accumulator operand. Apart from the
  // staging, right after this dot staged its last slice and a barrier: nothing but the
  // fragment loads of that slice has touched scratch since, so no barrier is needed first.
  auto slots = fragmentsToSlots(c, p, fr, p.xBase, accs, res, acc, !(p.xApart && stagedLast));
  if (!slots.ok()) return slots.status();
  c.bind(res, std::move(*slots));
  return true;
}

#else

Result<bool> lowerDotCoopMat(Context&, const ir::Operation&) { return false; }
Result<bool> coopReadsLoad(Context&, const ir::Operation&) { return false; }
Result<bool> coopWidens(Context&, const ir::Operation&) { return false; }
Result<bool> coopUncarried(Context&, const ir::Value*) { return false; }
Status coopHoistRuns(Context&, const ir::Operation&) { return Status(); }
Result<bool> coopFragments(Context&, const ir::Operation&, Context::Fragments&) { return false; }
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
