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
#include "lower/fragment_rows.h"

#include <spirv/unified1/GLSL.std.450.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/walk.h"
#include "lower/dot_coopmat_plan.h"
#include "lower/for_loop.h"
#include "lower/fp8.h"
#include "support/bits.h"
#include "support/switches.h"

namespace tvk::lower {

#ifdef TVK_HAVE_COOPMAT
namespace {

using namespace coop;  // NOLINT: the plan's types and helpers (lower/dot_coopmat_plan.h)

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

// Run `i` at `r` (runAt) as a LoadedRun without its words: where it is staged and, in the last
// round of the deal (`total` runs in all), whether this invocation has one.
LoadedRun placedRun(Context& c, const RunAt& r, uint32_t i, uint32_t total) {
  LoadedRun lr{0, r.row, r.col, 0};
  if ((i + 1) * c.W > total) lr.exists = c.b.emit(spv::Op::OpULessThan, c.boolean(), {r.q, c.c32(total)});
  return lr;
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
    LoadedRun lr = placedRun(c, r, i, total);
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

// The runs of direct operand `d` (whole K) whose words a carried load holds (`words`, one per
// run, as loadDirect dealt them): nothing is loaded.
Result<std::vector<LoadedRun>> carriedRuns(Context& c, const CoopPlan& p, const analysis::DirectOperand& d,
                                           const std::vector<Id>& words) {
  const uint32_t total = slicedRows(p, d) * (slicedCols(p, d) / d.elems);
  std::vector<LoadedRun> runs;
  for (uint32_t i = 0; i * c.W < total; ++i) {
    if (i >= words.size()) return Status::error("internal error: carried runs do not match the dot's");
    LoadedRun lr = placedRun(c, runAt(c, p, d, 0, i), i, total);
    lr.words = words[i];
    runs.push_back(lr);
  }
  return runs;
}

// The scf.for whose body holds tt.dot `op` (analysis/dot_prefetch.h qualifies only such dots).
const ir::Operation& loopOf(const ir::Operation& op) { return *op.parentBlock->parentRegion->parentOp; }

// Fills `next` with the iteration after the current one of the loop around `op`; returns the
// condition that it runs.
Result<Id> nextIteration(Context& c, const ir::Operation& op, Context::Iteration& next) {
  const ir::Operation& loop = loopOf(op);
  auto ivT = c.regTypeOf(loop.operand(0));
  if (!ivT.ok()) return ivT.status();
  next.loop = &loop;
  next.iv = c.b.emit(spv::Op::OpIAdd, *ivT, {c.at(loop.body().arg(0), 0), c.at(loop.operand(2), 0)});
  return forInRange(c, loop, next.iv);
}

// The words of the runs of direct load `load` (operand `d` of `op`, whole K) in the next
// iteration of the loop around `op`; nothing is loaded past its last iteration.
Result<std::vector<Id>> loadNextIteration(Context& c, const CoopPlan& p, const ir::Operation& op,
                                          const ir::Operation& load, const analysis::DirectOperand& d) {
  Context::Iteration next;
  auto more = nextIteration(c, op, next);
  if (!more.ok()) return more.status();
  auto runs = loadDirect(c, p, load, d, 0, &next, *more);
  if (!runs.ok()) return runs.status();
  std::vector<Id> words;
  for (const LoadedRun& r : *runs) words.push_back(r.words);
  return words;
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

}  // namespace

Result<bool> coopReadsLoad(Context& c, const ir::Operation& op) {
  auto it = c.smem.directLoads.find(&op);
  if (it == c.smem.directLoads.end() || c.coherent) return false;
  CoopPlan p;
  uint32_t base = 0;
  return planFor(c, *it->second.dot, p, base);
}

namespace {

// With TVK_FRAGMENT_ROWS=1 (chained loops, lower/fragment_rows.h: causal attention's second
// loop): the fragments of operand `i` of `op` that a dot of an earlier loop in the same block
// holds for the same value with the same fragment layout (shape, grid, fragments per subgroup,
// K), else none. They were loaded before that loop, so they dominate this one.
Result<std::vector<Id>> heldEarlier(Context& c, const ir::Operation& loop, const ir::Operation& op, int i,
                                    const CoopPlan& p) {
  if (!fragmentRowsOn(c)) return std::vector<Id>();
  for (const auto& [key, frags] : c.heldFragments) {
    const ir::Operation& other = *key.first;
    const ir::Operation* otherLoop =
        other.parentBlock && other.parentBlock->parentRegion ? other.parentBlock->parentRegion->parentOp : nullptr;
    if (key.second != i || &other == &op || other.operand(i) != op.operand(i) || !otherLoop ||
        otherLoop == &loop || otherLoop->parentBlock != loop.parentBlock || frags.empty())
      continue;
    CoopPlan q;
    uint32_t base = 0;
    auto ok = planFor(c, other, q, base);
    if (!ok.ok()) return ok.status();
    if (*ok && q.shape.m == p.shape.m && q.shape.n == p.shape.n && q.shape.k == p.shape.k && q.wm == p.wm &&
        q.wn == p.wn && q.fm == p.fm && q.fn == p.fn && q.K == p.K && q.isBf16 == p.isBf16 && q.isInt == p.isInt &&
        q.held == p.held)
      return frags;
  }
  return std::vector<Id>();
}

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
      auto same = heldEarlier(c, loop, op, i, p);
      if (!same.ok()) return same.status();
      if (!same->empty()) {  // the same value, held alike before an earlier loop of this block
        held = *same;
        continue;
      }
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
  // In program order (the plans' maps are keyed by address: the SPIR-V must not depend on
  // where the ops were allocated).
  std::vector<const ir::Operation*> loads, dots;
  ir::walk(loop, [&](const ir::Operation& o) {
    if (c.smem.directLoads.count(&o)) loads.push_back(&o);
    if (c.smem.prefetchDots.count(&o)) dots.push_back(&o);
  });
  for (const ir::Operation* load : loads) {
    const analysis::DirectOperand& d = c.smem.directLoads.at(load);
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
  for (const ir::Operation* dot : dots) {
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

Result<std::vector<CarriedLoad>> coopCarriedLoads(Context& c, const ir::Operation& loop) {
  std::vector<CarriedLoad> out;
  if (c.coherent) return out;
  for (const auto& owned : loop.body().ops) {
    const ir::Operation& load = *owned;
    if (!c.smem.carriedLoads.count(&load)) continue;
    const analysis::DirectOperand& d = c.smem.directLoads.at(&load);
    const ir::Operation& dot = *d.dot;
    if (c.prefetching.count(&dot) || c.heldFragments.count({&dot, d.operand})) continue;
    CoopPlan p;
    uint32_t base = 0;
    auto planned = planFor(c, dot, p, base);
    if (!planned.ok()) return planned.status();
    if (!*planned || p.kc != p.K) continue;
    Id lb = c.at(loop.operand(0), 0);
    Context::Iteration first{&loop, lb, true, {}, {}};
    auto runs = loadDirect(c, p, load, d, 0, &first, forInRange(c, loop, lb));
    if (!runs.ok()) return runs.status();
    const uint32_t words = loadedWords(p, d);
    CarriedLoad cl{&load, words == 1 ? c.u32() : c.b.typeVector(c.u32(), words), {}};
    for (const LoadedRun& r : *runs) cl.init.push_back(r.words);
    c.carriedWords[&load] = {};
    out.push_back(std::move(cl));
  }
  return out;
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
    auto m = nextIteration(c, op, next);
    if (!m.ok()) return m.status();
    more = *m;
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
      // The staging and the fragment loads that follow stay in the operands' regions. No
      // barrier first where nothing since the last one touched them (Scratch::barrierNeeded):
      // attention's V, staged apart from K's region, after QK^T and a softmax on fragments.
      const Scratch::Region staged = stagingBytes(p, (held[0] ? 1 : 0) | (held[1] ? 2 : 0));
      if (!p.dbl && staged.second) {
        // The first scratch event of a loop body: a head barrier that the barrier before the
        // loop may stand in for (lower/scratch.h, loop-head barriers).
        const bool head = c.scratch.loopHeadOpen() && c.b.emittingBody();
        const size_t at = c.b.bodyWords();
        c.scratchBarrier(staged);
        if (head && c.b.bodyWords() > at) c.scratch.loopHeadBarrier(at, staged);
      } else {
        c.barrier();
      }
      for (int i = 0; i < 2; ++i) {
        if (held[i]) continue;
        const Region r = regionOf(p, i);
        const analysis::DirectOperand* d = directOperand(c, op, i);
        if (!d) {
          TVK_RETURN_IF_ERROR(stagePacked(c, p, op.operand(i), r.kDim, k0, r.base, r.stride));
          continue;
        }
        const ir::Operation* load = analysis::operandLoad(op, i);
        auto carried = c.carriedWords.find(load);
        const bool carries = carried != c.carriedWords.end();
        if (carries && p.kc != p.K)  // coopCarriedLoads carries whole-K operands only
          return c.unsupported(op, "internal error: a carried load staged in K slices");
        auto runs = carries ? carriedRuns(c, p, *d, carried->second.cur) : loadDirect(c, p, *load, *d, k0, nullptr, 0);
        if (!runs.ok()) return runs.status();
        TVK_RETURN_IF_ERROR(storeDirect(c, p, *d, r.base, r.stride, *runs, 0));
        if (carries) {  // the next iteration's runs, in flight through the rest of this one
          auto next = loadNextIteration(c, p, op, *load, *d);
          if (!next.ok()) return next.status();
          carried->second.next = std::move(*next);
        }
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
Result<std::vector<CarriedLoad>> coopCarriedLoads(Context&, const ir::Operation&) {
  return std::vector<CarriedLoad>();
}
#endif

}  // namespace tvk::lower
