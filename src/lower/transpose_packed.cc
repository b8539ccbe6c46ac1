#include "lower/transpose_packed.h"

#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <spirv/unified1/GLSL.std.450.h>
#include "lower/index_math.h"
#include "support/bits.h"
#include "support/switches.h"

namespace tvk::lower {

namespace {

// VkSubgroupFeatureFlagBits: VK_SUBGROUP_FEATURE_SHUFFLE_BIT (Vulkan 1.1).
constexpr uint32_t kSubgroupShuffleBit = 0x10;

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
  // Column-block reader (transposeBlocks): scratch lines of 32 words (the banks) swizzled as a
  // whole, 2^logLines lines per block of readers' rows (rowWordAt); false: rows swizzled alone.
  bool lines = false;
  uint32_t logLines = 0;
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

// Whole-line swizzle of the column-block reader's scratch (Tile::lines; default), or the row
// swizzle of the other row-word variants (TVK_TRANSPOSE_LINES=0, a measurement switch).
bool linesSwizzle() {
  return switchOn("TVK_TRANSPOSE_LINES");
}

// 16-bit column words from two halves by masks (default), or by bit-field inserts at the
// invocation's offsets (TVK_TRANSPOSE_HALVES=0, a measurement switch).
bool halvesByMasks() {
  return switchOn("TVK_TRANSPOSE_HALVES");
}

// Scratch word of row word `cw` of row `row` in the row-word variants:
// row * CW + (cw ^ ((row >> 1) & (CW - 1))), CW = cols / P, the xor spreading the rows that one
// load instruction touches over the banks. CW is a power of two, so for a row i0 and a row
// offset e whose bits are disjoint from i0's above the lowest ((i0 >> 1) | (e >> 1) =
// (i0 + e) >> 1: i0 a multiple of a power of two > e), word(i0 + e, cw) =
// (word(i0, cw) ^ ((e >> 1) & (CW - 1))) + e * CW: one xor per pair of rows and an added
// constant instead of the whole formula per access (the kernel is bound by instructions on the
// H200).
//
// The column-block reader (Tile::lines) loads, in one instruction, the same row offset e of the
// row blocks of a subgroup's invocations (R rows apart), which the row swizzle leaves in one
// bank half when CW = 16 (two-way conflicts). There the flat word a = row * CW + cw is
// swizzled within its line of 32 words (the banks): a ^ X(a >> 5), X(line) =
// (((line >> logLines) & 7) << 2) | (line & 3). The high part differs between 8 consecutive
// blocks of R rows (2^logLines lines each), for the reader; the low part between 4 consecutive
// lines, for the writer's word stores of consecutive rows. A bijection of each line; a writer's
// run of up to 4 aligned words is its first word xor q; and rows i0 + e of a block (i0 a
// multiple of R) are the first's word xor the constant e CW ^ ((e CW >> 5) & 3).
Index rowWordAt(const Tile& t, Index row, Index cw) {
  const uint32_t CW = t.cols / t.P;
  if (t.lines) {
    Index a = row.times(CW) + cw, line = a >> 5u;
    return a ^ ((((line >> t.logLines) & 7u) << 2u) | (line & 3u));
  }
  return row.times(CW) + (cw ^ ((row >> 1u) & (CW - 1)));
}

// The scratch words of rows i0 + e (e < n), row word fixed, from r = rowWordAt(i0, cw),
// each emitted just before `use` takes it (a load or a store).
void forRowWords(Context& c, const Tile& t, Index r, uint32_t n, const std::function<void(uint32_t, Id)>& use) {
  const uint32_t CW = t.cols / t.P;
  if (t.lines) {  // n = R rows from a block's first (rowWordAt)
    for (uint32_t e = 0; e < n; ++e)
      use(e, c.scratch.word(t.base, r.xorWith(e * CW ^ ((e * CW >> 5) & 3)), 1));
    return;
  }
  std::map<uint32_t, Index> swizzled;  // (e >> 1) & (CW - 1) -> r ^ it
  for (uint32_t e = 0; e < n; ++e) {
    const uint32_t k = (e >> 1) & (CW - 1);
    auto it = swizzled.find(k);
    if (it == swizzled.end()) it = swizzled.emplace(k, r.xorWith(k)).first;
    use(e, c.scratch.word(t.base, it->second.plus(e * CW), 1));
  }
}

// The words of rows i0 + e (e < n), row word fixed, from r = rowWordAt(i0, cw): loaded.
std::vector<Id> loadRowWords(Context& c, const Tile& t, Index r, uint32_t n) {
  std::vector<Id> words;
  forRowWords(c, t, r, n, [&](uint32_t, Id w) {
    words.push_back(c.b.emit(spv::Op::OpLoad, c.u32(), {c.scratch.ptr(w)}));
  });
  return words;
}

// The writer of the row-word variants: each run stores its v / P row words (word q holds
// columns col0 + q P .. + P - 1). Its first column col0 is a multiple of v, so the words of a
// run are the first one's xor q.
void storeRowWords(Context& c, const Tile& t) {
  const std::vector<int64_t>& shape = t.val->type.shape;
  const uint32_t words = t.v / t.P, logP = log2Ceil(t.P);
  for (uint32_t run = 0; run < t.runs; ++run) {
    const std::vector<Id>& rc = c.layouts.slotCoords(shape, run * t.v);
    Index y = rowWordAt(t, c.ix(rc[0]), c.ix(rc[1]) >> logP);
    for (uint32_t q = 0; q < words; ++q)
      c.b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(c.scratch.word(t.base, y.xorWith(q), 1)),
                                      rowWord(c, t, run * t.v + q * t.P)});
  }
}

// The row-major variant: each reader loads, per element, the row word holding its column and
// takes its element out.
void transposeRows(Context& c, const Tile& t, std::vector<Id>& out) {
  const std::vector<int64_t>& shape = t.val->type.shape;
  auto& b = c.b;
  const uint32_t logP = log2Ceil(t.P);
  c.scratchBarrier(*t.op);
  storeRowWords(c, t);
  c.scratchBarrier(*t.op);
  out.assign(t.l.slots, 0);
  for (uint32_t run = 0; run < t.runs; ++run) {
    Index lin = c.ix(c.layouts.slotLinear(shape, run * t.v));
    Index i0 = lin & (t.rows - 1), col = lin >> log2Ceil(t.rows);
    Index at = (col & (t.P - 1)).times(t.bits);
    std::vector<Id> words = loadRowWords(c, t, rowWordAt(t, i0, col >> logP), t.v);
    for (uint32_t e = 0; e < t.v; ++e) {
      if (t.et.isInt()) {  // sign-extended from its bit offset in one instruction
        out[run * t.v + e] = b.emit(spv::Op::OpBitFieldSExtract, c.u32(), {words[e], at, c.c32(t.bits)});
        continue;
      }
      Id x = b.emit(spv::Op::OpShiftRightLogical, c.u32(), {words[e], at});
      out[run * t.v + e] = elementOf(c, t.et, x, 0, t.bits);
    }
  }
}

// Rows w[0..3] of 4 bytes (byte k: column k) as 4 column words (column k's word holds rows
// 0..3, row 0 in the low byte): swap 16-bit halves between rows 0/2 and 1/3, then bytes
// between the pairs, 28 shifts and masks for 16 bytes.
std::vector<Id> transposeBytes4x4(Context& c, const std::vector<Id>& w) {
  auto& b = c.b;
  const Id u = c.u32();
  auto op = [&](spv::Op o, Id x, uint32_t k) { return b.emit(o, u, {x, c.c32(k)}); };
  auto orOf = [&](Id x, Id y) { return b.emit(spv::Op::OpBitwiseOr, u, {x, y}); };
  // Low halves of rows r and r + 2 (bytes 0, 1 of each), then their high halves.
  auto lowHalves = [&](Id x, Id y) {
    return orOf(op(spv::Op::OpBitwiseAnd, x, 0xffffu), op(spv::Op::OpShiftLeftLogical, y, 16));
  };
  auto highHalves = [&](Id x, Id y) {
    return orOf(op(spv::Op::OpShiftRightLogical, x, 16), op(spv::Op::OpBitwiseAnd, y, 0xffff0000u));
  };
  const Id a0 = lowHalves(w[0], w[2]), a2 = highHalves(w[0], w[2]);
  const Id a1 = lowHalves(w[1], w[3]), a3 = highHalves(w[1], w[3]);
  // Even bytes of x with y's even bytes above them, then the odd bytes likewise.
  auto evenBytes = [&](Id x, Id y) {
    return orOf(op(spv::Op::OpBitwiseAnd, x, 0x00ff00ffu),
                op(spv::Op::OpBitwiseAnd, op(spv::Op::OpShiftLeftLogical, y, 8), 0xff00ff00u));
  };
  auto oddBytes = [&](Id x, Id y) {
    return orOf(op(spv::Op::OpBitwiseAnd, op(spv::Op::OpShiftRightLogical, x, 8), 0x00ff00ffu),
                op(spv::Op::OpBitwiseAnd, y, 0xff00ff00u));
  };
  return {evenBytes(a0, a1), oddBytes(a0, a1), evenBytes(a2, a3), oddBytes(a2, a3)};
}

// This invocation's column block: its first row i0 (block rb = t mod G of R rows) and row word
// cg = t / G (columns cg P .. cg P + P - 1).
struct Block {
  Index i0, cg, j0;  // j0 = cg P
  uint32_t R;
};
Block columnBlock(Context& c, const Tile& t) {
  const uint32_t R = t.l.slots / t.P, G = t.rows / R;
  Index inv = c.ix(c.layouts.invocation());
  Index i0 = (inv & (G - 1)).times(R), cg = inv >> log2Ceil(G);
  return {i0, cg, cg.times(t.P), R};
}

// Slot k R + e of a column block is element (i0 + e, cg P + k).
void blockCoords(const Tile& t, const Block& bl, ColumnBlocks& out) {
  const uint32_t R = bl.R;
  out.rows.assign(t.l.slots, 0);
  out.cols.assign(t.l.slots, 0);
  out.run = R;
  for (uint32_t k = 0; k < t.P; ++k)
    for (uint32_t e = 0; e < R; ++e) {
      out.rows[k * R + e] = bl.i0.plus(e);
      out.cols[k * R + e] = bl.j0.plus(k);
    }
}

// The column-block reader of the transposed store (8-bit elements): invocation t takes the P
// columns of one row word (row word cg = t / G) over R = slots / P consecutive rows (block
// rb = t mod G, G = rows / R), so each scratch word it loads serves P output runs instead of
// one; each 4 rows become P column words by transposeBytes4x4. Slot k R + e is element
// (rb R + e, cg P + k).
void transposeBlocks(Context& c, const Tile& t, ColumnBlocks& out) {
  c.scratchBarrier(*t.op);
  storeRowWords(c, t);
  c.scratchBarrier(*t.op);
  const Block bl = columnBlock(c, t);
  const uint32_t R = bl.R;
  std::vector<Id> words = loadRowWords(c, t, rowWordAt(t, bl.i0, bl.cg), R);
  out.vals.assign(t.l.slots, 0);
  for (uint32_t g = 0; g < R / 4; ++g) {
    std::vector<Id> cols = transposeBytes4x4(c, {words.begin() + 4 * g, words.begin() + 4 * g + 4});
    for (uint32_t k = 0; k < t.P; ++k)
      for (uint32_t e = 0; e < 4; ++e) out.vals[k * R + 4 * g + e] = elementOf(c, t.et, cols[k], e, t.bits);
  }
  blockCoords(t, bl, out);
}

// The transposed load's column blocks into the layout: per 4 rows of the block, its P column
// words (4 rows each, as loaded) become 4 row words by transposeBytes4x4 (its own inverse),
// stored where the column-block reader would load them; then each run of the layout loads its
// v / P row words where storeRowWords would put them and takes its elements out.
std::vector<Id> blocksToLayout(Context& c, const Tile& t, const Block& bl, const std::vector<Id>& vals) {
  const uint32_t R = bl.R, logP = log2Ceil(t.P);
  std::vector<Id> rowWords;
  for (uint32_t g = 0; g < R / 4; ++g) {
    std::vector<Id> cols;
    for (uint32_t k = 0; k < t.P; ++k)
      cols.push_back(packWord(c, t.et, {vals.begin() + k * R + 4 * g, vals.begin() + k * R + 4 * g + 4}, t.bits));
    for (Id w : transposeBytes4x4(c, cols)) rowWords.push_back(w);
  }
  c.scratchBarrier(*t.op);
  forRowWords(c, t, rowWordAt(t, bl.i0, bl.cg), R, [&](uint32_t e, Id w) {
    c.b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(w), rowWords[e]});
  });
  c.scratchBarrier(*t.op);
  std::vector<Id> out(t.l.slots, 0);
  const std::vector<int64_t>& shape = t.val->type.shape;
  for (uint32_t run = 0; run < t.runs; ++run) {
    const std::vector<Id>& rc = c.layouts.slotCoords(shape, run * t.v);
    Index y = rowWordAt(t, c.ix(rc[0]), c.ix(rc[1]) >> logP);
    for (uint32_t q = 0; q < t.v / t.P; ++q) {
      Id w = c.b.emit(spv::Op::OpLoad, c.u32(), {c.scratch.ptr(c.scratch.word(t.base, y.xorWith(q), 1))});
      for (uint32_t e = 0; e < t.P; ++e) out[run * t.v + q * t.P + e] = elementOf(c, t.et, w, e, t.bits);
    }
  }
  return out;
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

analysis::PackedTransposeTarget packedTransposeTarget(const Context& c) {
  return {c.W, c.opts.target.subgroupSize, (c.opts.target.subgroupOps & kSubgroupShuffleBit) != 0};
}

Result<bool> transposePacked(Context& c, const ir::Operation& op, const ir::Value* val, std::vector<Id>& out) {
  const analysis::Layout& l = c.layouts.layout(val->type);
  const auto kind = analysis::choosePackedTranspose(val->type, l, packedTransposeTarget(c), /*store=*/false);
  if (kind != analysis::PackedTranspose::kRows && kind != analysis::PackedTranspose::kExchange) return false;
  const uint32_t bits = analysis::packedBits(val->type.scalar()), P = 32 / bits;
  const uint32_t rows = static_cast<uint32_t>(val->type.shape[0]), cols = static_cast<uint32_t>(val->type.shape[1]);
  auto base = c.scratch.base(op);
  if (!base.ok()) return base.status();
  const Tile t{&op, val, val->type.scalar(), l, rows, cols, l.vec, l.slots / l.vec, P, bits, *base};
  if (kind == analysis::PackedTranspose::kRows)
    transposeRows(c, t, out);
  else
    transposeExchange(c, t, out);
  return true;
}

// The column-block tile of `val` (the store's value, the load's result) through op's scratch,
// or none when it does not qualify (analysis::choosePackedTranspose) or the plan did not
// reserve its packed words.
Result<std::optional<Tile>> columnBlockTile(Context& c, const ir::Operation& op, const ir::Value* val) {
  const analysis::Layout& l = c.layouts.layout(val->type);
  if (analysis::choosePackedTranspose(val->type, l, packedTransposeTarget(c), /*store=*/true) !=
          analysis::PackedTranspose::kColumnBlocks ||
      c.scratch.bytes(op) < analysis::packedTransposeWords(val->type) * 4)
    return std::optional<Tile>();
  const uint32_t P = 4, v = l.vec, n = l.slots, R = n / P, bits = 8;
  const uint32_t rows = static_cast<uint32_t>(val->type.shape[0]), cols = static_cast<uint32_t>(val->type.shape[1]);
  auto base = c.scratch.base(op);
  if (!base.ok()) return base.status();
  Tile t{&op, val, val->type.scalar(), l, rows, cols, v, n / v, P, bits, *base};
  // Whole lines of 32 words, each block of R rows whole lines, row words a power of two.
  const uint32_t CW = cols / P;
  t.lines = linesSwizzle() && (CW & (CW - 1)) == 0 && (uint64_t(rows) * CW) % 32 == 0 &&
            (R * CW) % 32 == 0 && ((R * CW / 32) & (R * CW / 32 - 1)) == 0 && v / P <= 4;
  if (t.lines) t.logLines = log2Ceil(R * CW / 32);
  return std::optional<Tile>(t);
}

Result<bool> transposeColumnBlocks(Context& c, const ir::Operation& op, const ir::Value* val, ColumnBlocks& out) {
  auto t = columnBlockTile(c, op, val);
  if (!t.ok()) return t.status();
  if (!*t) return false;
  transposeBlocks(c, **t, out);
  return true;
}

Result<bool> loadColumnBlocks(Context& c, const ir::Operation& op, ColumnBlocks& order,
                              const std::function<Result<std::vector<Id>>(const ColumnBlocks&)>& load) {
  auto t = columnBlockTile(c, op, op.result());
  if (!t.ok()) return t.status();
  if (!*t) return false;
  const Block bl = columnBlock(c, **t);
  blockCoords(**t, bl, order);
  auto vals = load(order);
  if (!vals.ok()) return vals.status();
  order.vals = blocksToLayout(c, **t, bl, *vals);
  return true;
}

}  // namespace tvk::lower
