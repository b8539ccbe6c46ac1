#include "analysis/smem_plan.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "analysis/layout.h"
#include "analysis/packed_transpose.h"
#include "ir/walk.h"

namespace tvk::analysis {

uint32_t scratchWords(const ir::Type& t) {
  const ir::Type& s = t.scalar();
  if (s.isPtr()) return 2;
  return s.bits > 32 ? 2 : 1;
}

uint64_t reduceChunkRows(const ir::Operation& op, uint32_t limitBytes) {
  const ir::Type& t = op.operand(0)->type;
  if (!t.isTensor()) return 0;
  const uint64_t extent = static_cast<uint64_t>(t.shape[op.intAttr("axis")]);
  const uint64_t rows = static_cast<uint64_t>(t.numel()) / extent;
  uint64_t rowWords = 0;
  for (const ir::Value* v : op.operands) rowWords += extent * scratchWords(v->type);
  uint64_t q = rows;
  while (q > 0 && q * rowWords * 4 > limitBytes) q /= 2;
  return q;
}

uint64_t transPadding(const ir::Operation& op, uint64_t elems) {
  const ir::Type& t = op.operand(0)->type;
  int64_t last = t.shape.empty() ? 1 : t.shape.back();
  return op.name == "tt.trans" && last >= 32 ? elems / static_cast<uint64_t>(last) : 0;
}

uint64_t exchangeChunkElems(const ir::Operation& op, uint32_t limitBytes) {
  const ir::Type& t = op.operand(0)->type;
  const uint64_t words = scratchWords(t);
  uint64_t c = static_cast<uint64_t>(t.numel());
  while (c > 0 && (c + transPadding(op, c)) * words * 4 > limitBytes) c /= 2;
  return c;
}

namespace {

// Batched dots (rank > 2): the product of the leading (batch) dimensions; 0 when the operand
// ranks disagree.
uint64_t dotBatches(const ir::Type& a, const ir::Type& b) {
  const int r = a.rank();
  if (r < 2 || b.rank() != r) return 0;
  uint64_t n = 1;
  for (int k = 0; k + 2 < r; ++k) n *= static_cast<uint64_t>(a.shape[k]);
  return n;
}

}  // namespace

uint32_t dotElemWords(const ir::Operation& op) { return scratchWords(op.result()->type); }

uint32_t dotSliceK(const ir::Operation& op, uint32_t limitBytes) {
  const ir::Type& a = op.operand(0)->type;
  const ir::Type& b = op.operand(1)->type;
  const uint64_t batches = dotBatches(a, b);
  if (!batches) return 1;
  const int r = a.rank();
  uint64_t M = static_cast<uint64_t>(a.shape[r - 2]), K = static_cast<uint64_t>(a.shape[r - 1]);
  uint64_t N = static_cast<uint64_t>(b.shape[r - 1]);
  uint64_t kc = K;
  const uint64_t ew = dotElemWords(op);
  while (kc > 1 && batches * (M + N) * kc * ew * 4 > limitBytes) kc /= 2;
  // The exchange of the result (M x N words) must fit too; the plan reports it if not.
  return static_cast<uint32_t>(kc);
}

uint32_t dotExchangeRows(const ir::Operation& op, uint32_t limitBytes) {
  const ir::Type& a = op.operand(0)->type;
  const ir::Type& b = op.operand(1)->type;
  const uint64_t batches = dotBatches(a, b);
  if (!batches) return 1;
  const int r = a.rank();
  // Rows flattened over the batch dimensions.
  uint64_t rows = batches * static_cast<uint64_t>(a.shape[r - 2]);
  uint64_t N = static_cast<uint64_t>(b.shape[r - 1]);
  const uint64_t ew = dotElemWords(op);
  while (rows > 1 && rows * N * ew * 4 > limitBytes) rows /= 2;
  return static_cast<uint32_t>(rows);
}

namespace {

// Words of a packed K slice of kc: A's M rows and B's kc rows of N (or, `bothWays`, the larger
// of that and B staged transposed, N rows of kc), rows padded by `padWords`.
uint64_t packedSliceWords(uint64_t M, uint64_t N, uint64_t kc, uint64_t perWord, uint32_t padWords,
                          bool bothWays) {
  uint64_t bWords = kc * (N / perWord + padWords);
  if (bothWays) bWords = std::max(bWords, N * (kc / perWord + padWords));
  return M * (kc / perWord + padWords) + bWords;
}

}  // namespace

uint64_t dotPackedWords(const ir::Operation& op, uint32_t padWords) {
  const ir::Type& a = op.operand(0)->type;
  const ir::Type& b = op.operand(1)->type;
  const int rank = a.rank();
  if ((rank != 2 && rank != 3) || b.rank() != rank) return 0;
  const std::string t = a.scalar().str();
  if (t != b.scalar().str()) return 0;
  // f32 dots at tf32 / bf16x3 precision split into bf16 hi and lo planes (lower/dot_coopmat.cc).
  const std::string prec = op.strAttr("inputPrecision");
  const bool split = t == "f32" && (prec == "tf32" || prec == "bf16x3");
  if (t != "f16" && t != "bf16" && t != "i8" && !split) return 0;
  const uint64_t perWord = t == "i8" ? 4 : 2, planes = split ? 2 : 1;
  const int r0 = rank - 2;  // a 3-D dot stages every batch
  const uint64_t batch = rank == 3 ? static_cast<uint64_t>(a.shape[0]) : 1;
  const uint64_t M = static_cast<uint64_t>(a.shape[r0]), K = static_cast<uint64_t>(a.shape[r0 + 1]);
  const uint64_t N = static_cast<uint64_t>(b.shape[r0 + 1]);
  if (K % perWord || N % perWord) return 0;
  return planes * batch * packedSliceWords(M, N, K, perWord, padWords, false);
}

void reserveDoubleBuffers(SmemPlan& plan, uint32_t padWords, uint32_t limitBytes) {
  for (const ir::Operation* op : plan.prefetchDots) {
    auto it = plan.allocs.find(op);
    const ir::Type& a = op->operand(0)->type;
    const ir::Type& b = op->operand(1)->type;
    if (it == plan.allocs.end() || a.rank() != 2 || b.rank() != 2 || !dotPackedWords(*op, padWords)) continue;
    const uint64_t perWord = a.scalar().str() == "i8" ? 4 : 2;
    const uint64_t M = static_cast<uint64_t>(a.shape[0]), kc = static_cast<uint64_t>(a.shape[1]) / 2;
    const uint64_t N = static_cast<uint64_t>(b.shape[1]);
    if (kc % perWord || N % perWord) continue;
    const uint64_t bytes = 2 * packedSliceWords(M, N, kc, perWord, padWords, true) * 4;
    if (bytes > limitBytes || bytes <= it->second.bytes) continue;
    it->second.bytes = static_cast<uint32_t>(bytes);
    plan.totalBytes = std::max(plan.totalBytes, it->second.offset + it->second.bytes);
  }
}

bool reduceFastPath(const ir::Operation& op, const SmemOptions& o) {
  if ((op.name != "tt.reduce" && op.name != "tt.scan") || op.operands.empty()) return false;
  const ir::Type& t = op.operand(0)->type;
  if (!t.isTensor()) return false;
  int axis = static_cast<int>(op.intAttr("axis"));
  for (int d = axis + 1; d < t.rank(); ++d)
    if (t.shape[d] != 1) return false;
  if (t.numel() < o.invocations || !o.subgroupShuffle || o.subgroupSize == 0) return false;
  if (o.invocations % o.subgroupSize) return false;
  for (const ir::Value* v : op.operands) {
    const ir::Type& s = v->type.scalar();
    int bits = s.isPtr() ? 32 : s.bits;
    if (bits != 1 && bits != 32 && !o.subgroupExtendedTypes) return false;
  }
  return true;
}

bool reduceColumnPath(const ir::Operation& op, const SmemOptions& o) {
  if (op.name != "tt.reduce" || op.operands.empty() || op.intAttr("axis") != 0) return false;
  const ir::Type& t = op.operand(0)->type;
  if (!t.isTensor() || t.rank() != 2 || t.shape[0] < 2) return false;
  const uint64_t C = static_cast<uint64_t>(t.shape[1]);
  if (C == 0 || o.invocations % C || static_cast<uint64_t>(t.numel()) < o.invocations) return false;
  if (!o.subgroupShuffle || o.subgroupSize == 0 || o.invocations % o.subgroupSize) return false;
  for (const ir::Value* v : op.operands) {
    const ir::Type& s = v->type.scalar();
    int bits = s.isPtr() ? 32 : s.bits;
    if (bits != 1 && bits != 32 && !o.subgroupExtendedTypes) return false;
  }
  return true;
}

uint32_t transposedStorePitch(int64_t cols) { return static_cast<uint32_t>(cols + (cols >= 32 ? 1 : 0)); }

namespace {

// The layout of `v` where the plan has the layouts (SmemOptions::layouts), else null.
const Layout* layoutIn(const SmemOptions& o, const ir::Value* v) {
  if (!o.layouts) return nullptr;
  auto it = o.layouts->layouts.find(v);
  return it == o.layouts->layouts.end() ? nullptr : &it->second;
}

// What the target offers the packed transposes (the lowering asks with the same values).
PackedTransposeTarget packedTarget(const SmemOptions& o) { return {o.invocations, o.subgroupSize, o.subgroupShuffle}; }

}  // namespace

uint32_t transposeChunkRows(const ir::Type& t, const Layout* l, uint64_t limitBytes) {
  const uint64_t rows = static_cast<uint64_t>(t.shape[0]), cols = static_cast<uint64_t>(t.shape[1]);
  const uint64_t rowBytes = uint64_t(transposedStorePitch(t.shape[1])) * scratchWords(t) * 4;
  if (rows * rowBytes <= limitBytes) return static_cast<uint32_t>(rows);
  // Chunks of whole runs (Layout: slot r of every invocation lies in run r / v, W * v
  // consecutive elements), at least v rows so that a reader's run stays in one column.
  if (!l || l->replicated || l->repShift || (rows & (rows - 1))) return 0;
  const uint64_t run = uint64_t(l->invocations) * l->vec;
  uint64_t q = rows / 2;
  while (q >= l->vec && q * rowBytes > limitBytes) q /= 2;
  if (q < l->vec || q == 0 || (q * cols) % run) return 0;
  return static_cast<uint32_t>(q);
}

namespace {

// Bytes of the word per element exchange of tile `t` (layout `l`): its chunk of rows
// (transposeChunkRows); 0 when none fits.
uint64_t wordChunkBytes(const ir::Type& t, const Layout* l, uint64_t limitBytes) {
  return uint64_t(transposeChunkRows(t, l, limitBytes)) * transposedStorePitch(t.shape[1]) * scratchWords(t) * 4;
}

// Bytes of the packed transpose a transposed store of `op` takes (0: none).
uint64_t packedStoreBytes(const ir::Operation& op, const SmemOptions& o) {
  const ir::Value* val = op.operand(1);
  const Layout* l = layoutIn(o, val);
  if (!l || choosePackedTranspose(val->type, *l, packedTarget(o), /*store=*/true) == PackedTranspose::kNone)
    return 0;
  return packedTransposeWords(val->type) * 4;
}

// Scratch bytes of a transposed store: its packed words where they fit, else its tile's word
// per element rows, as many rows at once as fit (transposeChunkRows); 0: none fits.
uint64_t transposedStoreBytes(const ir::Operation& op, const SmemOptions& o) {
  const uint64_t packed = packedStoreBytes(op, o);
  if (packed && packed <= o.limitBytes) return packed;
  return wordChunkBytes(op.operand(1)->type, layoutIn(o, op.operand(1)), o.limitBytes);
}

}  // namespace

bool storeTransposed(const ir::Operation& op, Remat& remat, const SmemOptions& o) {
  if (op.name != "tt.store" || !o.axisInfo || op.numOperands() < 2) return false;
  const ir::Value* ptr = op.operand(0);
  const ir::Type& t = ptr->type;
  if (!t.isTensor() || t.rank() != 2 || t.shape[0] < 4 || t.shape[1] < 2) return false;
  if (static_cast<uint64_t>(t.numel()) < o.invocations) return false;  // replicated
  auto it = o.axisInfo->find(ptr);
  if (it == o.axisInfo->end() || it->second.contiguity.size() != 2) return false;
  if (it->second.contiguity[0] < 4 || it->second.contiguity[1] != 1) return false;
  if (!remat(ptr) || remat(op.operand(1))) return false;
  if (op.numOperands() > 2 && !remat(op.operand(2))) return false;
  return transposedStoreBytes(op, o) > 0;
}

namespace {

// Scratch bytes of a transposed load of layout `l`: 8-bit tiles in column blocks, their packed
// words where they fit (lower/transpose_packed.h, loadColumnBlocks); else a word per element in
// chunks of rows; 0: none fits.
uint64_t transposedLoadBytes(const ir::Operation& op, const Layout& l, const SmemOptions& o) {
  const ir::Type& t = op.result()->type;
  if (choosePackedTranspose(t, l, packedTarget(o), /*store=*/true) == PackedTranspose::kColumnBlocks &&
      packedTransposeWords(t) * 4 <= o.limitBytes)
    return packedTransposeWords(t) * 4;
  return wordChunkBytes(t, &l, o.limitBytes);
}

}  // namespace

bool loadTransposed(const ir::Operation& op, Remat& remat, const SmemOptions& o) {
  if (op.name != "tt.load" || !o.axisInfo || op.numOperands() < 1 || op.results.size() != 1) return false;
  if (o.dotOperandLoads && o.dotOperandLoads->count(&op)) return false;
  const ir::Value* ptr = op.operand(0);
  const ir::Type& t = ptr->type;
  if (!t.isTensor() || t.rank() != 2 || t.shape[0] < 4 || t.shape[1] < 4) return false;
  if (t.scalar().elem && t.scalar().elem->isPtr()) return false;
  auto it = o.axisInfo->find(ptr);
  if (it == o.axisInfo->end() || it->second.contiguity.size() != 2) return false;
  if (it->second.contiguity[0] < 4 || it->second.contiguity[1] != 1) return false;
  // A column broadcast along the rows (constancy along dimension 1): the row-major layout's
  // lanes of one row share each address already.
  if (it->second.constancy.size() == 2 && it->second.constancy[1] > 1) return false;
  const Layout* l = layoutIn(o, op.result());
  if (!l || l->replicated || l->repShift) return false;
  for (const ir::Value* v : op.operands)
    if (!remat(v)) return false;
  return transposedLoadBytes(op, *l, o) > 0;
}

bool atomicUsesCasLoop(const std::string& kind, const ir::Type& elem, bool nativeF32Add) {
  if (elem.bits == 16) return true;
  if (!elem.isFloat() || kind == "cas" || kind == "exch") return false;
  return !(kind == "fadd" && elem.bits == 32 && nativeF32Add);
}

namespace {

// Scratch rules, one per op family (scratchRules below).

// tt.store: the scratch of a transposed store (storeTransposed).
uint32_t storeScratch(const ir::Operation& op, Remat& remat, const SmemOptions& o) {
  return storeTransposed(op, remat, o) ? static_cast<uint32_t>(transposedStoreBytes(op, o)) : 0;
}

// tt.load: the scratch of a transposed load (loadTransposed).
uint32_t loadScratch(const ir::Operation& op, Remat& remat, const SmemOptions& o) {
  return loadTransposed(op, remat, o) ? static_cast<uint32_t>(transposedLoadBytes(op, *layoutIn(o, op.result()), o)) : 0;
}

// tt.reduce: the row path's partials and totals, else the generic path's rows (and the
// column path's partials).
uint32_t reduceScratch(const ir::Operation& op, Remat& /*remat*/, const SmemOptions& o) {
  if (reduceFastPath(op, o)) {
    // Per operand: max(groups x subgroups partials, result rows) elements (with v = 1; split
    // rows need fewer groups).
    const ir::Type& t = op.operand(0)->type;
    uint64_t numel = static_cast<uint64_t>(t.numel());
    uint64_t N = static_cast<uint64_t>(t.shape[op.intAttr("axis")]);
    uint64_t R = numel / o.invocations;
    uint64_t G = N >= o.invocations ? R / (N / o.invocations) : R;
    uint64_t elems = std::max(G * (o.invocations / o.subgroupSize), numel / N);
    uint64_t words = 0;
    for (const ir::Value* v : op.operands) words += elems * scratchWords(v->type);
    return static_cast<uint32_t>(words * 4);
  }
  // Generic path: a pass of reduceChunkRows rows of the axis extent (all rows when they fit).
  const ir::Type& t = op.operand(0)->type;
  uint64_t rows = reduceChunkRows(op, o.limitBytes);
  if (rows == 0) rows = static_cast<uint64_t>(t.numel()) / t.shape[op.intAttr("axis")];
  uint64_t words = 0, columnWords = 0;
  for (const ir::Value* v : op.operands) {
    words += rows * static_cast<uint64_t>(t.shape[op.intAttr("axis")]) * scratchWords(v->type);
    columnWords += uint64_t{o.invocations} * scratchWords(v->type);  // one partial per invocation
  }
  if (reduceColumnPath(op, o)) words = std::max(words, columnWords);
  return static_cast<uint32_t>(std::min<uint64_t>(words * 4, UINT32_MAX));
}

// tt.scan: the row path's subgroup totals, else every operand element.
uint32_t scanScratch(const ir::Operation& op, Remat& /*remat*/, const SmemOptions& o) {
  if (reduceFastPath(op, o)) {
    // Per operand: one subgroup total per slot and subgroup.
    uint64_t elems = static_cast<uint64_t>(op.operand(0)->type.numel()) / o.invocations *
                     (o.invocations / o.subgroupSize);
    uint64_t words = 0;
    for (const ir::Value* v : op.operands) words += elems * scratchWords(v->type);
    return static_cast<uint32_t>(words * 4);
  }
  uint64_t words = 0;
  for (const ir::Value* v : op.operands) words += v->type.numel() * scratchWords(v->type);
  return static_cast<uint32_t>(words * 4);
}

// tt.join/split/gather/cat: the exchanged operands (gather: its source).
uint32_t exchangeScratch(const ir::Operation& op, Remat& /*remat*/, const SmemOptions& /*o*/) {
  uint64_t words = 0;
  for (const ir::Value* v : op.operands) {
    if (op.name == "tt.gather" && v != op.operand(0)) continue;
    words += v->type.numel() * scratchWords(v->type);
  }
  return static_cast<uint32_t>(words * 4);
}

// tt.histogram: one word per bin.
uint32_t histogramScratch(const ir::Operation& op, Remat& /*remat*/, const SmemOptions& /*o*/) {
  return static_cast<uint32_t>(op.result()->type.numel() * 4);
}

// tt.dot: the operand slices (or a packed K slice on cooperative-matrix targets), reused by
// the result exchange.
uint32_t dotScratch(const ir::Operation& op, Remat& /*remat*/, const SmemOptions& o) {
  const ir::Type& a = op.operand(0)->type;
  const ir::Type& b = op.operand(1)->type;
  const uint64_t batches = dotBatches(a, b);
  if (!batches) return 0;
  const int r = a.rank();
  uint32_t kc = dotSliceK(op, o.limitBytes);
  // Operand slices of every batch, then (reusing the bytes) the result exchange of the
  // register-tiled path in row chunks that fit.
  uint32_t rows = dotExchangeRows(op, o.limitBytes);
  int64_t words = std::max<int64_t>(
      static_cast<int64_t>(batches) * (a.shape[r - 2] + b.shape[r - 1]) * kc, rows * b.shape[r - 1]) *
      dotElemWords(op);
  // Cooperative-matrix targets: room for a whole packed K slice (one staging pass per dot).
  if (o.cooperativeMatrix) {
    uint64_t packed = dotPackedWords(op, 4);
    if (packed * 4 <= o.limitBytes) words = std::max<int64_t>(words, static_cast<int64_t>(packed));
  }
  return static_cast<uint32_t>(words * 4);
}

// tt.broadcast/tt.trans of a value that is not recomputed per element: its (padded)
// chunk.
uint32_t moveScratch(const ir::Operation& op, Remat& remat, const SmemOptions& o) {
  const ir::Value* src = op.operand(0);
  if (remat(src)) return 0;
  uint64_t elems = exchangeChunkElems(op, o.limitBytes);
  const Layout* l = layoutIn(o, src);
  if (l && transTakesPacked(op, *l, packedTarget(o), elems))  // a packed tt.trans: its packed words
    return static_cast<uint32_t>(packedTransposeWords(src->type) * 4);
  if (elems == 0) elems = static_cast<uint64_t>(src->type.numel());
  uint64_t padded = elems + transPadding(op, elems);
  return static_cast<uint32_t>(std::min<uint64_t>(padded * scratchWords(src->type) * 4, UINT32_MAX));
}

// tt.atomic_rmw/cas: the old value's broadcast, and a uniform CAS loop's exit flag.
uint32_t atomicScratch(const ir::Operation& op, Remat& /*remat*/, const SmemOptions& o) {
  // The old value, broadcast from the invocation(s) that ran the atomic (lower/atomics.cc):
  // scalars, and replicated tensors (only owners run the atomic).
  const ir::Type& t = op.result()->type;
  uint32_t bytes = 0;
  if (!t.isTensor()) {
    bytes = scratchWords(t) * 4;
  } else {
    auto l = blockedLayout(t.shape, o.invocations);
    if (l.ok() && l->replicated) bytes = static_cast<uint32_t>(t.numel() * scratchWords(t) * 4);
  }
  // The exit flag of a workgroup-uniform compare-and-swap loop, used before the broadcast,
  // so it shares the op's first word.
  const std::string kind = op.name == "tt.atomic_cas" ? "cas" : op.strAttr("atomic_rmw_op");
  if (o.uniformCasLoops && atomicUsesCasLoop(kind, t.scalar(), o.atomicFloat32Add))
    bytes = std::max<uint32_t>(bytes, 4);
  return bytes;
}

using ScratchRule = uint32_t (*)(const ir::Operation&, Remat&, const SmemOptions&);

// The scratch rule of each op that exchanges data through shared memory (ops without one need
// none).
const std::map<std::string, ScratchRule>& scratchRules() {
  static const std::map<std::string, ScratchRule> rules = {
      {"tt.store", storeScratch},         {"tt.load", loadScratch},
      {"tt.reduce", reduceScratch},
      {"tt.scan", scanScratch},           {"tt.join", exchangeScratch},
      {"tt.split", exchangeScratch},      {"tt.gather", exchangeScratch},
      {"tt.cat", exchangeScratch},        {"tt.histogram", histogramScratch},
      {"tt.dot", dotScratch},             {"tt.broadcast", moveScratch},
      {"tt.trans", moveScratch},          {"tt.atomic_rmw", atomicScratch},
      {"tt.atomic_cas", atomicScratch},
  };
  return rules;
}

}  // namespace

uint32_t scratchBytes(const ir::Operation& op, Remat& remat, const SmemOptions& o) {
  auto it = scratchRules().find(op.name);
  return it == scratchRules().end() ? 0 : it->second(op, remat, o);
}

namespace {

// Small reductions and scans in program order take turns between two allocations, [0, S)
// and [S, 2S) with S their largest size, so that the leading barrier of each (ordering its
// writes after the previous one's reads) can be left out in straight-line code
// (lower/scratch.h): softmax and LayerNorm go from two barriers per reduction to one.
constexpr uint32_t kAlternateMaxBytes = 1024;

void alternateSmallExchanges(SmemPlan& plan, uint32_t limitBytes) {
  auto small = [&](const ir::Operation* op) {
    return (op->name == "tt.reduce" || op->name == "tt.scan") && plan.allocs[op].bytes <= kAlternateMaxBytes;
  };
  uint32_t S = 0;
  for (const ir::Operation* op : plan.order)
    if (small(op)) S = std::max(S, (plan.allocs[op].bytes + 15) / 16 * 16);
  if (S == 0 || 2 * S > limitBytes) return;
  bool odd = false;
  for (const ir::Operation* op : plan.order) {
    if (!small(op)) continue;
    if (odd) {
      plan.allocs[op].offset = S;
      plan.totalBytes = std::max(plan.totalBytes, S + plan.allocs[op].bytes);
    }
    odd = !odd;
  }
}

}  // namespace

namespace {

// The loads in the backward slices of the tt.dot operands of `func`.
std::set<const ir::Operation*> dotOperandLoads(const ir::Operation& func) {
  std::set<const ir::Operation*> loads;
  std::set<const ir::Value*> seen;
  std::vector<const ir::Value*> work;
  ir::walk(func, [&](const ir::Operation& op) {
    if (op.name.rfind("tt.dot", 0) != 0) return;
    for (int i = 0; i < op.numOperands() && i < 2; ++i) work.push_back(op.operand(i));
  });
  while (!work.empty()) {
    const ir::Value* v = work.back();
    work.pop_back();
    if (!v->def || !seen.insert(v).second) continue;
    if (v->def->name == "tt.load") loads.insert(v->def);
    for (const ir::Value* u : v->def->operands) work.push_back(u);
  }
  return loads;
}

}  // namespace

Result<SmemPlan> planSharedMemory(const ir::Operation& func, const SmemOptions& options) {
  const std::set<const ir::Operation*> dotLoads = dotOperandLoads(func);
  SmemOptions o = options;
  o.dotOperandLoads = &dotLoads;
  const uint32_t limitBytes = o.limitBytes;
  SmemPlan plan;
  plan.options = options;
  Remat remat;
  const ir::Operation* biggest = nullptr;
  ir::walk(func, [&](const ir::Operation& op) {
    uint32_t bytes = scratchBytes(op, remat, o);
    if (!bytes) return;
    plan.allocs[&op] = SmemAlloc{0, bytes};
    plan.order.push_back(&op);
    if (bytes > plan.totalBytes) {
      plan.totalBytes = bytes;
      biggest = &op;
    }
  });
  if (plan.totalBytes > limitBytes)
    return Status::error("shared memory: " + biggest->where() + " needs " +
                         std::to_string(plan.totalBytes) + " bytes, the target allows " +
                         std::to_string(limitBytes));
  alternateSmallExchanges(plan, limitBytes);
  return plan;
}

std::string printSmemPlan(const SmemPlan& plan) {
  std::string out;
  for (const ir::Operation* op : plan.order) {
    const SmemAlloc& a = plan.allocs.at(op);
    out += op->where() + ": " + std::to_string(a.bytes) + " bytes at " + std::to_string(a.offset) +
           "\n";
  }
  out += "total " + std::to_string(plan.totalBytes) + " bytes\n";
  return out;
}

}  // namespace tvk::analysis
