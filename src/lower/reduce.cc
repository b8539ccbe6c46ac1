// tt.reduce with any combine region, any number of operands and any axis.
//
// Generic algorithm (v1): owners write every operand element to shared memory at its linear
// index; then log2(extent) tree steps combine element k with k + s along the axis (the
// combine region inlined per pair, invocations looping over the pairs cyclically), with a
// barrier after each step; finally each result slot reads its value (a uniform scalar when
// the input is 1-D). When the input exceeds shared memory, the rows (independent reductions)
// go through scratch in several passes of as many rows as fit (analysis::reduceChunkRows).
#include <algorithm>

#include "lower/chunks.h"
#include "lower/operand_scratch.h"
#include "lower/registry.h"
#include "support/bits.h"

namespace tvk::lower {

Result<std::vector<Id>> inlineCombine(Context& c, const ir::Operation& op,
                                      const std::vector<Id>& lhs, const std::vector<Id>& rhs) {
  const ir::Block& blk = op.body(0);
  size_t k = lhs.size();
  if (blk.args.size() != 2 * k) return Status::error("combine region arity");
  for (size_t i = 0; i < k; ++i) {
    c.bind(blk.arg(static_cast<int>(i)), {lhs[i]});
    c.bind(blk.arg(static_cast<int>(k + i)), {rhs[i]});
  }
  TVK_RETURN_IF_ERROR(c.lowerBlock(blk));
  const ir::Operation* ret = blk.terminator();
  std::vector<Id> out;
  for (const ir::Value* v : ret->operands) out.push_back(c.at(v, 0));
  return out;
}

namespace {

Result<std::vector<Id>> combine(Context& c, const ir::Operation& op, const std::vector<Id>& lhs,
                                const std::vector<Id>& rhs) {
  return inlineCombine(c, op, lhs, rhs);
}

// The scratch elements at `indices`, combined in that order.
Result<std::vector<Id>> combinePartials(Context& c, const ir::Operation& op,
                                        const OperandScratch& p,
                                        const std::vector<Id>& indices) {
  std::vector<Id> acc;
  for (Id index : indices) {
    auto part = p.load(c, index);
    if (!part.ok()) return part.status();
    if (acc.empty()) {
      acc = *part;
      continue;
    }
    auto r = combine(c, op, acc, *part);
    if (!r.ok()) return r.status();
    acc = *r;
  }
  return acc;
}

// The operands' values in `slots` of this invocation, combined in that order.
Result<std::vector<Id>> combineSlots(Context& c, const ir::Operation& op,
                                     const std::vector<uint32_t>& slots) {
  std::vector<Id> acc;
  for (size_t j = 0; j < slots.size(); ++j) {
    std::vector<Id> vals;
    for (const ir::Value* v : op.operands) vals.push_back(c.at(v, slots[j]));
    if (j == 0) {
      acc = vals;
      continue;
    }
    auto r = combine(c, op, acc, vals);
    if (!r.ok()) return r.status();
    acc = *r;
  }
  return acc;
}

// True when the combine region of `op` is one commutative op of its two arguments (a sum, a
// product, a min or max, a bitwise and/or/xor), whatever their order.
bool commutativeCombine(const ir::Operation& op) {
  static const char* const kOps[] = {"arith.addf", "arith.addi", "arith.mulf", "arith.muli",
                                     "arith.maxnumf", "arith.minnumf", "arith.maximumf", "arith.minimumf",
                                     "arith.maxsi", "arith.minsi", "arith.maxui", "arith.minui",
                                     "arith.andi", "arith.ori", "arith.xori"};
  if (op.operands.size() != 1 || op.regions.empty() || op.regions[0]->blocks.empty()) return false;
  const ir::Block& body = op.body();
  if (body.args.size() != 2 || body.ops.size() != 2) return false;
  const ir::Operation& f = *body.ops[0];
  const ir::Operation* ret = body.terminator();
  if (f.operands.size() != 2 || f.results.size() != 1 || !ret || ret->operands.size() != 1 ||
      ret->operand(0) != f.result())
    return false;
  const bool args = (f.operand(0) == body.arg(0) && f.operand(1) == body.arg(1)) ||
                    (f.operand(0) == body.arg(1) && f.operand(1) == body.arg(0));
  if (!args) return false;
  for (const char* n : kOps)
    if (f.name == n) return true;
  return false;
}

// The combine of the lanes of each group that differ in the bits `first`, 2 first, ...
// < `end` (powers of 2), left to right in lane order, held by every lane of the group.
// A commutative combine (one op: sum, max, ...) takes a butterfly: each step combines `acc`
// with lane `lane ^ mask`'s, and every lane ends with the total. Any other combine (argmax's
// pairs: associative, but with NaNs not commutative) takes a tree over the same xor steps in
// which only the lanes whose step bit is clear matter: their value covers lanes below their
// partner's, so combining (mine, partner's) keeps the lane order, and the group's first lane
// ends with the ordered total, which a shuffle from it then gives every lane (a butterfly
// whose lanes each ordered their pair would need two selects per operand and step; every copy
// must agree: split rows and broadcast totals use each lane's).
Result<std::vector<Id>> shuffleCombine(Context& c, const ir::Operation& op, const OperandScratch& p,
                                       std::vector<Id> acc, uint32_t first, uint32_t end) {
  if (first >= end) return acc;
  const bool commutative = commutativeCombine(op);
  for (uint32_t mask = first; mask < end; mask *= 2) {
    std::vector<Id> other;
    for (size_t k = 0; k < acc.size(); ++k)
      other.push_back(c.b.emit(spv::Op::OpGroupNonUniformShuffleXor, p.regT[k],
                               {c.c32(3), acc[k], c.c32(mask)}));
    auto r = combine(c, op, acc, other);
    if (!r.ok()) return r;
    acc = *r;
  }
  if (commutative) return acc;
  const uint32_t bits = (end - 1) & ~(first - 1);
  Id root = (c.ix(c.layouts.subgroupLane()) & ~bits).id();
  for (size_t k = 0; k < acc.size(); ++k)
    acc[k] = c.b.emit(spv::Op::OpGroupNonUniformShuffle, p.regT[k], {c.c32(3), acc[k], root});
  return acc;
}

std::vector<uint32_t> slotRange(uint32_t first, uint32_t count) {
  std::vector<uint32_t> out(count);
  for (uint32_t j = 0; j < count; ++j) out[j] = first + j;
  return out;
}

// One tree step: pairs (L, L + s*inner) for k < s along the axis.
Status treeStep(Context& c, const ir::Operation& op, const OperandScratch& p,
                const std::vector<int64_t>& shape, int axis, uint64_t s) {
  uint64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i) inner *= shape[i];
  uint64_t extent = static_cast<uint64_t>(shape[axis]);
  uint64_t numel = 1;
  for (int64_t d : shape) numel *= static_cast<uint64_t>(d);
  uint64_t pairs = numel / extent * s;
  auto body = [&](Id pidId) -> Status {
    // pid = outer * s + k; outer = hi * inner + lo.
    const Index pid = c.ix(pidId);
    const Index k = pid & static_cast<uint32_t>(s - 1);
    const Index outer = pid >> log2Ceil(s);
    const Index lo = outer & static_cast<uint32_t>(inner - 1);
    const Index hi = outer >> log2Ceil(inner);
    const Index row = (hi << log2Ceil(extent)) + k;
    const Index l1 = (row << log2Ceil(inner)) + lo;
    const Index l2 = l1 + static_cast<uint32_t>(s * inner);
    auto r = combinePartials(c, op, p, {l1, l2});
    if (!r.ok()) return r.status();
    return p.store(c, l1, *r);
  };
  Id t = c.layouts.invocation();
  if (pairs >= c.W) {
    TVK_RETURN_IF_ERROR(c.flow.counted(static_cast<uint32_t>(pairs / c.W), [&](Id i) {
      return body(c.ix(i) * c.W + c.ix(t));
    }));
  } else {
    Id active = c.ix(t).lessThan(static_cast<uint32_t>(pairs));
    TVK_RETURN_IF_ERROR(c.flow.ifThen(active, [&]() { return body(t); }));
  }
  c.scratchBarrier(op);
  return Status();
}

// For each slot of the row path's result, the group of input slots (lowerReduceRows: group g
// of invocation t holds the total of row g * (W / L) + t / L, L = invocations along a row)
// whose total it holds in every invocation; empty when some slot's row is elsewhere.
std::vector<uint32_t> resultGroups(Context& c, const ir::Operation& op, uint32_t G, uint32_t lanesAlong) {
  const ir::Value* res = op.result();
  if (!res->type.isTensor() || lanesAlong > c.W) return {};
  const analysis::Layout& lr = c.layouts.layout(res->type);
  if (lr.replicated && !lr.repShift) return {};
  const uint32_t shift = log2Ceil(lanesAlong), stride = c.W / lanesAlong;
  std::vector<uint32_t> groups;
  for (uint32_t r = 0; r < lr.slots; ++r) {
    int64_t g0 = -1;
    // Linear in the bits of t (analysis/layout.h): invocation 0 and each single bit decide it.
    for (uint32_t t = 0; t < c.W; t = t ? t * 2 : 1) {
      const int64_t off = lr.linearIndex(t, r) - static_cast<int64_t>(t >> shift);
      if (off < 0 || off % stride || off / stride >= G || (t && off / stride != g0)) return {};
      g0 = off / stride;
    }
    groups.push_back(static_cast<uint32_t>(g0));
  }
  return groups;
}

// Row fast path (every dimension after the axis has extent 1, so each output row is N
// consecutive elements; invocation t = subgroup * S + lane):
//  1. slots of one row held by one invocation (N >= W) are combined in registers;
//  2. a shuffle-xor butterfly over the lane bits along the axis;
//  3. when a row spans several subgroups, lane 0 of each writes its partial to scratch and
//     every invocation of the row combines the row's partials in subgroup order;
//  4. with several rows, one writer per row stores the total at the row index and every
//     result slot reads its row (one output row: the totals are already uniform).
Status lowerReduceRows(Context& c, const ir::Operation& op) {
  auto& b = c.b;
  const std::vector<int64_t>& shape = op.operand(0)->type.shape;
  const int axis = static_cast<int>(op.intAttr("axis"));
  const uint32_t W = c.W, S = c.opts.target.subgroupSize, nw = W / S;
  const uint64_t numel = static_cast<uint64_t>(op.operand(0)->type.numel());
  const uint32_t N = static_cast<uint32_t>(shape[axis]);
  const uint32_t w = log2Ceil(W), n = log2Ceil(N);
  const uint32_t R = c.layouts.slots(op.operand(0));
  // Runs of v > 1 with rows shorter than W v (split row layouts, analysis/vector_width.h): a row
  // is N / v runs of v consecutive slots in adjacent invocations. Otherwise a row's slots in
  // one invocation are consecutive (N / W of them) or one slot holds it (N < W, v = 1).
  const uint32_t vec = c.layouts.layout(op.operand(0)->type).vec;
  const uint32_t v = vec > 1 && N / vec < W ? vec : 1;
  const uint32_t lanesAlong = v > 1 ? N / v : std::min(N, W);
  const uint32_t per = v > 1 ? v : N >= W ? N / W : 1, G = R / per;
  const uint64_t rows = numel / N;
  const uint64_t elems = std::max<uint64_t>(uint64_t{G} * nw, rows);
  auto plan = operandScratch(c, op, static_cast<uint32_t>(elems));
  if (!plan.ok()) return plan.status();
  const OperandScratch& p = *plan;
  // 1. Registers.
  std::vector<std::vector<Id>> vals(G);
  for (uint32_t g = 0; g < G; ++g) {
    auto r = combineSlots(c, op, slotRange(g * per, per));
    if (!r.ok()) return r.status();
    vals[g] = *r;
  }
  // 2. Subgroup butterfly over the lane bits along the axis.
  c.needFeature("subgroupShuffle");
  for (uint32_t g = 0; g < G; ++g) {
    auto r = shuffleCombine(c, op, p, vals[g], 1, std::min(lanesAlong, S));
    if (!r.ok()) return r.status();
    vals[g] = *r;
  }
  Id t = c.layouts.invocation();
  // 3. Across the subgroups of a row.
  if (lanesAlong > S) {
    const uint32_t P = lanesAlong / S;
    const Index sg = c.ix(c.layouts.subgroupIndex());
    c.scratchBarrier(op);
    Id lane0 = c.ix(c.layouts.subgroupLane()).equals(0);
    TVK_RETURN_IF_ERROR(c.flow.ifThen(lane0, [&]() -> Status {
      for (uint32_t g = 0; g < G; ++g) TVK_RETURN_IF_ERROR(p.store(c, sg + g * nw, vals[g]));
      return Status();
    }));
    c.scratchBarrier(op);
    const Index first = P == nw ? Index::constant(b, 0) : sg & ~(P - 1);
    for (uint32_t g = 0; g < G; ++g) {
      std::vector<Id> indices;
      for (uint32_t j = 0; j < P; ++j) indices.push_back(first + (g * nw + j));
      auto r = combinePartials(c, op, p, indices);
      if (!r.ok()) return r.status();
      vals[g] = *r;
    }
  }
  // Row totals per input slot, for broadcasts of the result back along the axis.
  if (op.operand(0)->type.rank() >= 2) {
    for (size_t k = 0; k < op.results.size(); ++k) {
      Context::RowTotals rt;
      rt.shape = shape;
      rt.axis = axis;
      for (uint32_t r = 0; r < R; ++r) rt.ids.push_back(vals[r / per][k]);
      c.rowTotals[op.result(static_cast<int>(k))] = std::move(rt);
    }
  }
  // 4. Distribute the row totals to the result layout.
  if (rows == 1) {
    for (size_t k = 0; k < op.results.size(); ++k) {
      const ir::Value* res = op.result(static_cast<int>(k));
      c.bind(res, std::vector<Id>(c.layouts.slots(res), vals[0][k]));
    }
    return Status();
  }
  // Where the result layout keeps each row's total in the invocations that computed it (row
  // statistics of split row layouts: Layout::repShift), the totals are the result.
  if (auto groups = resultGroups(c, op, G, lanesAlong); !groups.empty()) {
    for (size_t k = 0; k < op.results.size(); ++k) {
      std::vector<Id> out;
      for (uint32_t gi : groups) out.push_back(vals[gi][k]);
      c.bind(op.result(static_cast<int>(k)), std::move(out));
    }
    return Status();
  }
  c.scratchBarrier(op);
  Id writer = lanesAlong == W ? c.ix(t).equals(0) : (c.ix(t) & (lanesAlong - 1)).equals(0);
  TVK_RETURN_IF_ERROR(c.flow.ifThen(writer, [&]() -> Status {
    for (uint32_t g = 0; g < G; ++g) {
      Id row = N >= W ? c.c32(g)
               : v > 1 ? (c.ix(t) >> log2Ceil(lanesAlong)) + g * (W / lanesAlong)
                       : (c.ix(t) >> n) + (g << (w - n));
      TVK_RETURN_IF_ERROR(p.store(c, row, vals[g]));
    }
    return Status();
  }));
  c.scratchBarrier(op);
  for (size_t k = 0; k < op.results.size(); ++k) {
    const ir::Value* res = op.result(static_cast<int>(k));
    std::vector<Id> out;
    for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
      auto v = c.scratch.load(p.word(c, k, c.layouts.slotLinear(res->type.shape, s)), p.regT[k]);
      if (!v.ok()) return v.status();
      out.push_back(*v);
    }
    c.bind(res, std::move(out));
  }
  return Status();
}

// Register-only path: the axis lies in the slot bits of the layout, so each result slot
// combines A slots of the same invocation in order (no barriers).
Result<bool> lowerReduceInRegisters(Context& c, const ir::Operation& op) {
  const ir::Value* res = op.result();
  if (!res->type.isTensor()) return false;
  const std::vector<int64_t>& shape = op.operand(0)->type.shape;
  const int axis = static_cast<int>(op.intAttr("axis"));
  std::vector<std::vector<uint32_t>> maps;
  for (int64_t k = 0; k < shape[axis]; ++k) {
    maps.push_back(c.layouts.registerMove(shape, res->type.shape, [&](const std::vector<int64_t>& rc) {
      std::vector<int64_t> sc = rc;
      sc.insert(sc.begin() + axis, k);
      return sc;
    }));
    if (maps.back().empty()) return false;
  }
  const size_t K = op.operands.size();
  std::vector<std::vector<Id>> out(K);
  for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
    std::vector<uint32_t> slots;
    for (const std::vector<uint32_t>& m : maps) slots.push_back(m[s]);
    auto acc = combineSlots(c, op, slots);
    if (!acc.ok()) return acc.status();
    for (size_t k = 0; k < K; ++k) out[k].push_back((*acc)[k]);
  }
  for (size_t k = 0; k < K; ++k) c.bind(op.result(static_cast<int>(k)), std::move(out[k]));
  return true;
}

// Column path (analysis::reduceColumnPath): [R, C] reduced along dimension 0 with C | W. With
// L = s W + t, invocation t holds column t mod C in every slot (rows s W/C + t/C):
//  1. its slots are combined in registers, in row order;
//  2. where C < S, a shuffle-xor butterfly over the lane bits from log2(C) up combines the
//     invocations of one subgroup that hold the same column;
//  3. each invocation writes its partial to scratch, and every invocation combines its
//     column's partials, one per subgroup (C < S) or per invocation holding it (C >= S), in
//     order. The result's slot 0 of invocation t is column t mod C (C <= W: one slot).
// A column sum over a [64, 64] tile is then one scratch round instead of six tree steps with
// a barrier each.
Result<bool> lowerReduceColumns(Context& c, const ir::Operation& op) {
  if (!analysis::reduceColumnPath(op, c.smem.options)) return false;
  for (const auto& r : op.results) {
    const analysis::Layout& l = c.layouts.layout(r->type);
    if (!r->type.isTensor() || l.vec != 1 || l.slots != 1) return false;
  }
  const ir::Value* in0 = op.operand(0);
  if (c.layouts.layout(in0->type).vec != 1) return false;
  const uint32_t W = c.W, S = c.opts.target.subgroupSize;
  const uint32_t C = static_cast<uint32_t>(in0->type.shape[1]);
  auto plan = operandScratch(c, op, W);
  if (!plan.ok()) return plan.status();
  const OperandScratch& p = *plan;
  // 1. Registers.
  auto acc = combineSlots(c, op, slotRange(0, c.layouts.slots(in0)));
  if (!acc.ok()) return acc.status();
  // 2. Lanes of one subgroup that hold the same column.
  if (C < S) c.needFeature("subgroupShuffle");
  acc = shuffleCombine(c, op, p, *acc, C, S);
  if (!acc.ok()) return acc.status();
  // 3. Partials through scratch.
  Id t = c.layouts.invocation();
  c.scratchBarrier(op);
  TVK_RETURN_IF_ERROR(p.store(c, t, *acc));
  c.scratchBarrier(op);
  const Index col = c.ix(t) & (C - 1);
  const uint32_t parts = C < S ? W / S : W / C, stride = C < S ? S : C;
  std::vector<Id> indices;
  for (uint32_t j = 0; j < parts; ++j)
    indices.push_back(j ? col + j * stride : col);
  auto total = combinePartials(c, op, p, indices);
  if (!total.ok()) return total.status();
  for (size_t k = 0; k < op.results.size(); ++k)
    c.bind(op.result(static_cast<int>(k)), {(*total)[k]});
  return true;
}

Status lowerReduce(Context& c, const ir::Operation& op) {
  // Runs of v > 1 along the axis (analysis/vector_width.h's row layouts): each invocation
  // holds whole rows, combined in registers; that path is tried first then.
  const bool rowsFirst = c.layouts.layout(op.operand(0)->type).vec > 1;
  auto inRegisters = [&]() { return lowerReduceInRegisters(c, op); };
  if (rowsFirst) {
    auto inRegs = inRegisters();
    if (!inRegs.ok()) return inRegs.status();
    if (*inRegs) return Status();
  }
  if (analysis::reduceFastPath(op, c.smem.options)) return lowerReduceRows(c, op);
  auto columns = lowerReduceColumns(c, op);
  if (!columns.ok()) return columns.status();
  if (*columns) return Status();
  auto inRegs = rowsFirst ? Result<bool>(false) : inRegisters();
  if (!inRegs.ok()) return inRegs.status();
  if (*inRegs) return Status();
  const ir::Value* in0 = op.operand(0);
  const std::vector<int64_t>& shape = in0->type.shape;
  int axis = static_cast<int>(op.intAttr("axis"));
  if (axis < 0 || axis >= static_cast<int>(shape.size())) return c.unsupported(op, "bad axis");
  // Independent reductions ("rows") o = hi * inner + lo, exchanged `Q` rows per pass as a
  // compact [Q][extent] array (every row in one pass when the input fits).
  const uint64_t extent = static_cast<uint64_t>(shape[axis]);
  uint64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i) inner *= shape[i];
  const uint64_t rows = static_cast<uint64_t>(in0->type.numel()) / extent;
  const uint64_t Q = analysis::reduceChunkRows(op, c.smem.options.limitBytes);
  if (Q == 0) return c.unsupported(op, "one row of the reduction exceeds shared memory");
  const uint64_t passes = rows / Q;
  auto plan = operandScratch(c, op, static_cast<uint32_t>(Q * extent));
  if (!plan.ok()) return plan.status();
  const OperandScratch& p = *plan;
  auto& b = c.b;
  Id u = c.u32();
  const analysis::Layout& lay = c.layouts.layout(in0->type);
  auto rowOf = [&](int64_t L) {
    uint64_t l = static_cast<uint64_t>(L);
    return static_cast<int64_t>(l / (extent * inner) * inner + l % inner);
  };
  // Row-of and along-axis index of a linear input index (uint32 ids).
  auto rowAndK = [&](Id linear) {
    const Index L = c.ix(linear);
    const Index lo = L & static_cast<uint32_t>(inner - 1);
    const Index rest = L >> log2Ceil(inner);
    const Index k = rest & static_cast<uint32_t>(extent - 1);
    const Index hi = rest >> log2Ceil(extent);
    const Index row = (hi << log2Ceil(inner)) + lo;
    return std::make_pair(row, k);
  };
  const std::vector<int64_t> local = {static_cast<int64_t>(Q), static_cast<int64_t>(extent)};
  std::vector<std::vector<Id>> out(op.results.size());
  for (uint64_t pass = 0; pass < passes; ++pass) {
    const uint32_t first = static_cast<uint32_t>(pass * Q);
    c.scratchBarrier(op);
    TVK_RETURN_IF_ERROR(c.flow.ifThen(c.layouts.ownerCond(shape), [&]() -> Status {
      for (uint32_t s = 0; s < c.layouts.slots(in0); ++s) {
        int64_t ch = passes == 1 ? 0 : slotChunk(lay, s, true, [&](int64_t L) {
          return rowOf(L) / static_cast<int64_t>(Q);
        });
        if (ch >= 0 && ch != static_cast<int64_t>(pass)) continue;
        auto [row, k] = rowAndK(c.layouts.slotLinear(shape, s));
        const Index lrow = row - first;
        const Index lin = (lrow << log2Ceil(extent)) + k;
        auto store = [&]() -> Status {
          for (size_t j = 0; j < op.operands.size(); ++j)
            TVK_RETURN_IF_ERROR(c.scratch.store(p.word(c, j, lin), p.regT[j], c.at(op.operand(j), s)));
          return Status();
        };
        if (ch >= 0) {
          TVK_RETURN_IF_ERROR(store());
        } else {
          TVK_RETURN_IF_ERROR(c.flow.ifThen(lrow.lessThan(static_cast<uint32_t>(Q)), store));
        }
      }
      return Status();
    }));
    c.scratchBarrier(op);
    for (uint64_t st = extent / 2; st >= 1; st /= 2)
      TVK_RETURN_IF_ERROR(treeStep(c, op, p, local, 1, st));
    // Read the results of this pass's rows.
    for (size_t k = 0; k < op.results.size(); ++k) {
      const ir::Value* res = op.result(static_cast<int>(k));
      if (!res->type.isTensor()) {
        auto v = c.scratch.load(c.c32(p.base[k]), p.regT[k]);
        if (!v.ok()) return v.status();
        out[k] = {*v};
        continue;
      }
      const analysis::Layout& rl = c.layouts.layout(res->type);
      for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
        if (pass == 0) out[k].push_back(0);
        int64_t ch = passes == 1 ? 0 : slotChunk(rl, s, false, [&](int64_t o) {
          return o / static_cast<int64_t>(Q);
        });
        if (ch >= 0 && ch != static_cast<int64_t>(pass)) continue;
        const Index lrow = c.ix(c.layouts.slotLinear(res->type.shape, s)) - first;
        Id in = ch >= 0 ? 0 : lrow.lessThan(static_cast<uint32_t>(Q));
        const Index at = in ? c.ix(b.emit(spv::Op::OpSelect, u, {in, lrow, c.c32(0)})) : lrow;
        const Index lin = at << log2Ceil(extent);
        auto v = c.scratch.load(p.word(c, k, lin), p.regT[k]);
        if (!v.ok()) return v.status();
        out[k][s] = in ? b.emit(spv::Op::OpSelect, p.regT[k], {in, *v, out[k][s] ? out[k][s] : b.constNull(p.regT[k])}) : *v;
      }
    }
  }
  for (size_t k = 0; k < op.results.size(); ++k)
    c.bind(op.result(static_cast<int>(k)), std::move(out[k]));
  return Status();
}

}  // namespace

void registerReduceOps(Registry& r) { registerLowering(r, "tt.reduce", lowerReduce); }

}  // namespace tvk::lower
