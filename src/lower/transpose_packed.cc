#include "lower/transpose_packed.h"

#include <cstdlib>
#include <map>
#include <string>

#include <spirv/unified1/GLSL.std.450.h>
#include "lower/index_math.h"
#include "support/bits.h"

namespace tvk::lower {

namespace {

// VkSubgroupFeatureFlagBits: VK_SUBGROUP_FEATURE_SHUFFLE_BIT (Vulkan 1.1).
constexpr uint32_t kSubgroupShuffleBit = 0x10;

// Bits of one packed element: 8- and 16-bit integers, f16 and bf16 (0: not packed; fp8 and
// i1 registers would need their encodings).
uint32_t packedBits(const ir::Type& t) {
  if (t.isInt() && (t.bits == 8 || t.bits == 16)) return static_cast<uint32_t>(t.bits);
  if (t.isFloat() && (t.name == "f16" || t.name == "bf16")) return 16;
  return 0;
}

// P register values of element type `t` as one word, the first in the low bits. f16 pairs go
// through one conversion: an f16 register may hold a result whose rounding was deferred to its
// store (Context::defersF16Rounding, only where the target rounds 16-bit conversions to nearest
// even), which an OpFConvert under RoundingModeRTE rounds as the store would; elsewhere the
// values are exact in f16 and PackHalf2x16 is exact too. bf16 registers have zero low halves.
Id packWord(Context& c, const ir::Type& t, const std::vector<Id>& vals, uint32_t bits) {
  auto& b = c.b;
  const Id u = c.u32();
  if (Id same = c.lanes.wordOf(vals, t)) return same;  // lanes of one unpacked word, in order
  if (t.isFloat() && t.name == "f16") {
    Id v2 = b.emit(spv::Op::OpCompositeConstruct, b.typeVector(c.f32(), 2), {vals[0], vals[1]});
    if (c.opts.target.roundingRTE16 && c.opts.target.float16) {
      b.addCapability(spv::Capability::Float16);
      c.needFeature("float16");
      c.roundsF16ByMode = true;
      return b.emit(spv::Op::OpBitcast, u, {b.emit(spv::Op::OpFConvert, b.typeVector(b.typeFloat(16), 2), {v2})});
    }
    return b.glsl(GLSLstd450PackHalf2x16, u, {v2});
  }
  if (t.isFloat()) {  // bf16: the upper halves
    Id lo = b.emit(spv::Op::OpShiftRightLogical, u, {b.emit(spv::Op::OpBitcast, u, {vals[0]}), c.c32(16)});
    Id hi = b.emit(spv::Op::OpBitwiseAnd, u, {b.emit(spv::Op::OpBitcast, u, {vals[1]}), c.c32(0xffff0000u)});
    return b.emit(spv::Op::OpBitwiseOr, u, {lo, hi});
  }
  Id acc = vals[0];
  for (uint32_t e = 1; e < vals.size(); ++e)
    acc = b.emit(spv::Op::OpBitFieldInsert, u, {acc, vals[e], c.c32(e * bits), c.c32(bits)});
  return acc;
}

// Element `e` of word `w` in its register form, as a load of it would give (narrow integers
// sign-extend into their 32-bit register, as fromStorage does).
Id elementOf(Context& c, const ir::Type& t, Id w, uint32_t e, uint32_t bits) {
  auto& b = c.b;
  Id x;
  if (t.isFloat() && t.name == "f16") {
    Id pair = b.glsl(GLSLstd450UnpackHalf2x16, b.typeVector(c.f32(), 2), {w});
    x = b.emit(spv::Op::OpCompositeExtract, c.f32(), {pair, e});
  } else if (t.isFloat()) {
    Id hi = e == 1 ? b.emit(spv::Op::OpBitwiseAnd, c.u32(), {w, c.c32(0xffff0000u)})
                   : b.emit(spv::Op::OpShiftLeftLogical, c.u32(), {w, c.c32(16)});
    x = b.emit(spv::Op::OpBitcast, c.f32(), {hi});
  } else {
    x = b.emit(spv::Op::OpBitFieldSExtract, c.u32(), {w, c.c32(e * bits), c.c32(bits)});
  }
  c.lanes.note(x, w, e, t);
  return x;
}

// The P elements of word `w` in their register form (an f16 pair through one conversion).
std::vector<Id> unpackWord(Context& c, const ir::Type& t, Id w, uint32_t P, uint32_t bits) {
  std::vector<Id> out;
  if (t.isFloat() && t.name == "f16") {
    Id pair = c.b.glsl(GLSLstd450UnpackHalf2x16, c.b.typeVector(c.f32(), 2), {w});
    for (uint32_t e = 0; e < 2; ++e) {
      out.push_back(c.b.emit(spv::Op::OpCompositeExtract, c.f32(), {pair, e}));
      c.lanes.note(out.back(), w, e, t);
    }
    return out;
  }
  for (uint32_t e = 0; e < P; ++e) out.push_back(elementOf(c, t, w, e, bits));
  return out;
}

// The tile being transposed: its value, element type and layout, and the packing.
struct Tile {
  const ir::Operation* op;  // owner of the scratch allocation
  const ir::Value* val;
  const ir::Type& et;
  const analysis::Layout& l;
  uint32_t rows, cols, v, runs;  // v: run length; runs: runs per invocation
  uint32_t P, bits;              // elements per word, bits per element
  uint32_t base;                 // first scratch word
};

// The row word of slots first .. first + P - 1 (consecutive columns of one row).
Id rowWord(Context& c, const Tile& t, uint32_t first) {
  std::vector<Id> vals;
  for (uint32_t e = 0; e < t.P; ++e) vals.push_back(c.at(t.val, first + e));
  return packWord(c, t.et, vals, t.bits);
}

// values[i] where i is the runtime value `index` < values.size().
Id selectByIndex(Context& c, Id index, const std::vector<Id>& values) {
  Id r = values[0];
  for (uint32_t m = 1; m < values.size(); ++m) {
    Id is = c.b.emit(spv::Op::OpIEqual, c.boolean(), {index, c.c32(m)});
    r = c.b.emit(spv::Op::OpSelect, c.u32(), {is, values[m], r});
  }
  return r;
}

// Which packed transpose: "rows" (row words, no exchange: v / P stores, v loads) for 8-bit
// elements, "shuffle" (column words after the exchange: v / P stores, v / P loads) for 16-bit
// ones, as measured on the H200 (tools/device/results/2026-12-02-h200-session13-notes.md:
// the exchange's selects and shuffles cost more than 12 loads a run of 16 bytes saves).
// TVK_TRANSPOSE_PACKED (a measurement switch) forces "0" (a word per element, the caller's
// path), "rows" or "shuffle".
std::string packedMode(uint32_t P) {
  const char* env = std::getenv("TVK_TRANSPOSE_PACKED");
  const std::string m = env ? std::string(env) : std::string();
  if (m == "0" || m == "rows" || m == "shuffle") return m;
  return P == 4 ? "rows" : "shuffle";
}

// 16-bit column words from two halves by masks (default), or by bit-field inserts at the
// invocation's offsets (TVK_TRANSPOSE_HALVES=0, a measurement switch).
bool halvesByMasks() {
  const char* env = std::getenv("TVK_TRANSPOSE_HALVES");
  return !env || std::string(env) != "0";
}

// The row-major variant: each run stores its v / P row words; each reader loads, per element,
// the row word holding its column and takes its element out.
//
// Scratch word of row word `cw` of row `row`: row * CW + (cw ^ ((row >> 1) & (CW - 1))), the
// xor spreading the rows that one load instruction touches over the banks. CW is a power of two
// and every run starts at a multiple of v (its column for the writer, its row i0 for the
// reader), so the words of one run differ from its first by constants:
//  - writer (row fixed, cw = cw0 + q, cw0 a multiple of v / P > q): word = Y ^ q, with Y the
//    word of cw0;
//  - reader (cw fixed, row = i0 + e, e < v): (i0 + e) >> 1 = (i0 >> 1) | (e >> 1), so
//    word = (R ^ ((e >> 1) & (CW - 1))) + e * CW, with R the word of i0.
// One xor per store or per pair of loads instead of the whole formula per element (the kernel
// is bound by instructions on the H200).
void transposeRows(Context& c, const Tile& t, std::vector<Id>& out) {
  const std::vector<int64_t>& shape = t.val->type.shape;
  auto& b = c.b;
  const uint32_t CW = t.cols / t.P, words = t.v / t.P, logP = log2Ceil(t.P);
  auto firstWord = [&](Index row, Index cw) { return row.times(CW) + (cw ^ ((row >> 1u) & (CW - 1))); };
  c.scratchBarrier(*t.op);
  for (uint32_t run = 0; run < t.runs; ++run) {
    const std::vector<Id>& rc = c.layouts.slotCoords(shape, run * t.v);
    Index y = firstWord(c.ix(rc[0]), c.ix(rc[1]) >> logP);
    for (uint32_t q = 0; q < words; ++q)
      b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(c.scratch.word(t.base, y.xorWith(q), 1)),
                                    rowWord(c, t, run * t.v + q * t.P)});
  }
  c.scratchBarrier(*t.op);
  out.assign(t.l.slots, 0);
  for (uint32_t run = 0; run < t.runs; ++run) {
    Index lin = c.ix(c.layouts.slotLinear(shape, run * t.v));
    Index i0 = lin & (t.rows - 1), col = lin >> log2Ceil(t.rows);
    Index cw = col >> logP, at = (col & (t.P - 1)).times(t.bits);
    Index r = firstWord(i0, cw);
    std::map<uint32_t, Index> swizzled;  // (e >> 1) & (CW - 1) -> R ^ it
    for (uint32_t e = 0; e < t.v; ++e) {
      const uint32_t k = (e >> 1) & (CW - 1);
      auto it = swizzled.find(k);
      if (it == swizzled.end()) it = swizzled.emplace(k, r.xorWith(k)).first;
      Id idx = it->second.plus(e * CW);
      Id word = b.emit(spv::Op::OpLoad, c.u32(), {c.scratch.ptr(c.scratch.word(t.base, idx, 1))});
      if (t.et.isInt()) {  // sign-extended from its bit offset in one instruction
        out[run * t.v + e] = b.emit(spv::Op::OpBitFieldSExtract, c.u32(), {word, at, c.c32(t.bits)});
        continue;
      }
      Id x = b.emit(spv::Op::OpShiftRightLogical, c.u32(), {word, at});
      out[run * t.v + e] = elementOf(c, t.et, x, 0, t.bits);
    }
  }
}

// The exchange variant (16-bit elements): v / P column words stored, v / P loaded per run.
void transposeExchange(Context& c, const Tile& t, std::vector<Id>& out) {
  const std::vector<int64_t>& shape = t.val->type.shape;
  auto& b = c.b;
  const uint32_t P = t.P, v = t.v, D = t.cols / v;
  const uint32_t words = v / P, K = v / (P * P), RG = t.rows / P;
  const uint32_t logP = log2Ceil(P), logWords = log2Ceil(words);
  c.needFeature("subgroupShuffle");
  // Scratch word of the block of P rows `g` of column `col`: col * RG + (g ^ ((col >> logWords)
  // & (RG - 1))), the xor spreading the columns that one store (or load) instruction touches
  // over the banks. RG is a power of two and the words of one run differ from its first by
  // constants: a writer's columns myCol0 + cc (myCol0 a multiple of v / P > cc) share the xor
  // term, so word = Z + cc * RG; a reader's blocks g0 + k (g0 a multiple of v / P > k) give
  // word = R ^ k. One add or xor per access instead of the whole formula.
  auto firstWord = [&](Index col, Index g) { return col.times(RG) + (g ^ ((col >> logWords) & (RG - 1))); };
  c.scratchBarrier(*t.op);
  for (uint32_t run = 0; run < t.runs; ++run) {
    const std::vector<Id>& rc = c.layouts.slotCoords(shape, run * v);
    Index row = c.ix(rc[0]), col0 = c.ix(rc[1]);
    Index p = row & (P - 1), g = row >> logP;
    // 1. The run as row words: word q holds columns col0 + q P .. + P - 1.
    std::vector<Id> w(words);
    for (uint32_t q = 0; q < words; ++q) w[q] = rowWord(c, t, run * v + q * P);
    // 2. Exchange: from the invocation of row r0 + (p ^ s), its words of this invocation's
    // columns (words p K .. p K + K - 1 of that row).
    std::vector<std::vector<Id>> recv(P, std::vector<Id>(K));
    for (uint32_t s = 0; s < P; ++s) {
      Id partner = s ? Id(p ^ s) : Id(p);
      for (uint32_t k = 0; k < K; ++k) {
        std::vector<Id> cand(P);
        for (uint32_t m = 0; m < P; ++m) cand[m] = w[m * K + k];
        Id send = selectByIndex(c, partner, cand);
        recv[s][k] = s ? b.emit(spv::Op::OpGroupNonUniformShuffleXor, c.u32(), {c.c32(3), send, c.c32(s * D)}) : send;
      }
    }
    // 3. Column words: column cc of this invocation's v / P takes element cc % P of received
    // word cc / P from each row r0 + (p ^ s), at position p ^ s; stored at its column.
    Index myCol0 = col0 + p.times(words);
    Index z = firstWord(myCol0, g);
    // 16-bit elements: each pair of received words (rows r0 + p and r0 + (p ^ 1)) gives two
    // column words, the lower row's halves in the low halves: two selects order the pair, then
    // a mask, a shift and an or per word.
    if (P == 2 && halvesByMasks()) {
      Id upper = b.emit(spv::Op::OpIEqual, c.boolean(), {p, c.c32(1)});
      for (uint32_t k = 0; k < K; ++k) {
        Id lo = b.emit(spv::Op::OpSelect, c.u32(), {upper, recv[1][k], recv[0][k]});
        Id hi = b.emit(spv::Op::OpSelect, c.u32(), {upper, recv[0][k], recv[1][k]});
        Id even = b.emit(spv::Op::OpBitwiseOr, c.u32(),
                         {b.emit(spv::Op::OpBitwiseAnd, c.u32(), {lo, c.c32(0xffffu)}),
                          b.emit(spv::Op::OpShiftLeftLogical, c.u32(), {hi, c.c32(16)})});
        Id odd = b.emit(spv::Op::OpBitwiseOr, c.u32(),
                        {b.emit(spv::Op::OpShiftRightLogical, c.u32(), {lo, c.c32(16)}),
                         b.emit(spv::Op::OpBitwiseAnd, c.u32(), {hi, c.c32(0xffff0000u)})});
        b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(c.scratch.word(t.base, z.plus(2 * k * RG), 1)), even});
        b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(c.scratch.word(t.base, z.plus((2 * k + 1) * RG), 1)), odd});
      }
      continue;
    }
    for (uint32_t cc = 0; cc < words; ++cc) {
      Id acc = c.c32(0);
      for (uint32_t s = 0; s < P; ++s) {
        Id x = recv[s][cc / P];
        if (cc % P) x = b.emit(spv::Op::OpShiftRightLogical, c.u32(), {x, c.c32((cc % P) * t.bits)});
        Id at = s ? (p ^ s).times(t.bits) : p.times(t.bits);
        acc = b.emit(spv::Op::OpBitFieldInsert, c.u32(), {acc, x, at, c.c32(t.bits)});
      }
      b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(c.scratch.word(t.base, z.plus(cc * RG), 1)), acc});
    }
  }
  c.scratchBarrier(*t.op);
  // 4. Column-major reads: slot s holds (L mod rows, L / rows); the v slots of a run are v
  // consecutive rows of one column (rows % v == 0), v / P words.
  out.assign(t.l.slots, 0);
  for (uint32_t run = 0; run < t.runs; ++run) {
    Index lin = c.ix(c.layouts.slotLinear(shape, run * v));
    Index i0 = lin & (t.rows - 1), col = lin >> log2Ceil(t.rows);
    Index r = firstWord(col, i0 >> logP);
    for (uint32_t k = 0; k < words; ++k) {
      Id word = b.emit(spv::Op::OpLoad, c.u32(), {c.scratch.ptr(c.scratch.word(t.base, r.xorWith(k), 1))});
      std::vector<Id> elems = unpackWord(c, t.et, word, P, t.bits);
      for (uint32_t e = 0; e < P; ++e) out[run * v + k * P + e] = elems[e];
    }
  }
}

}  // namespace

Result<bool> transposePacked(Context& c, const ir::Operation& op, const ir::Value* val, std::vector<Id>& out) {
  const std::vector<int64_t>& shape = val->type.shape;
  const uint32_t bits = packedBits(val->type.scalar());
  if (shape.size() != 2 || bits == 0) return false;
  const analysis::Layout& l = c.layouts.layout(val->type);
  const uint32_t P = 32 / bits, W = c.W, S = c.opts.target.subgroupSize, v = l.vec;
  const uint32_t rows = static_cast<uint32_t>(shape[0]), cols = static_cast<uint32_t>(shape[1]);
  // Runs of whole words along the rows; the v slots of a reader's run, v rows of one column.
  if (l.replicated || l.repShift || v % P != 0 || cols % v != 0 || rows % v != 0) return false;
  const std::string mode = packedMode(P);
  if (mode == "0") return false;
  auto base = c.scratch.base(op);
  if (!base.ok()) return base.status();
  const Tile t{&op, val, val->type.scalar(), l, rows, cols, v, l.slots / v, P, bits, *base};
  if (mode == "rows") {
    transposeRows(c, t, out);
    return true;
  }
  // The exchange: runs of P words (P^2 elements), the P rows of a block in one subgroup (lanes
  // D apart, invocation t = subgroup * S + lane), subgroup shuffles.
  const uint32_t D = cols / v;
  if (v % (P * P) != 0 || W % D != 0 || (W / D) % P != 0 || P * D > S || S < 2 || W % S != 0 ||
      !(c.opts.target.subgroupOps & kSubgroupShuffleBit))
    return false;
  transposeExchange(c, t, out);
  return true;
}

}  // namespace tvk::lower
