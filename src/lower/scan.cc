// tt.scan (inclusive, any combine region, any number of operands, any axis, reverse):
// Hillis–Steele steps with distances 1, 2, 4, ... < extent. Each step: barrier, owners write
// the current values to shared memory, barrier, every slot combines the element `d` before it
// along the axis (after it when reversed) with its own value: combine(partner, mine), which
// keeps the combine order of the sequential scan for associative, non-commutative regions.
#include <algorithm>
#include <functional>

#include "lower/operand_scratch.h"
#include "lower/registry.h"

namespace tvk::lower {

namespace {

using Slots = std::vector<std::vector<Id>>;
using TotalFn = std::function<Result<std::vector<Id>>(uint32_t, Id)>;

// Step C of the row scan: chunk totals (combined from the subgroup totals in scratch) are
// carried over the `per` chunks of each row in order (reverse order when reversed).
Status carryChunks(Context& c, const ir::Operation& op, bool reverse, uint32_t per,
                   uint32_t nw, const TotalFn& total, Slots& vals) {
  const uint32_t R = static_cast<uint32_t>(vals.size());
  auto comb = [&](const std::vector<Id>& x, const std::vector<Id>& y) {
    return inlineCombine(c, op, x, y);
  };
  {
    std::vector<std::vector<Id>> chunk(R);
    for (uint32_t r = 0; r < R; ++r) {
      for (uint32_t i = 0; i < nw; ++i) {
        uint32_t j = reverse ? nw - 1 - i : i;
        auto tj = total(r, c.c32(j));
        if (!tj.ok()) return tj.status();
        if (i == 0) {
          chunk[r] = *tj;
          continue;
        }
        auto m = comb(chunk[r], *tj);
        if (!m.ok()) return m.status();
        chunk[r] = *m;
      }
    }
    for (uint32_t g = 0; g < R / per; ++g) {
      std::vector<Id> carry;
      for (uint32_t i = 0; i < per; ++i) {
        uint32_t r = g * per + (reverse ? per - 1 - i : i);
        if (i > 0) {
          auto m = comb(carry, vals[r]);
          if (!m.ok()) return m.status();
          vals[r] = *m;
        }
        if (i + 1 == per) break;
        if (i == 0) {
          carry = chunk[r];
        } else {
          auto m = comb(carry, chunk[r]);
          if (!m.ok()) return m.status();
          carry = *m;
        }
      }
    }
  }
  return Status();
}

// Row fast path (dims after the axis are 1; t = subgroup * S + lane; see lower/reduce.cc):
//  A. a Hillis-Steele scan over the lane bits along the axis with subgroup shuffles;
//  B. subgroup totals through scratch (one barrier pair): each invocation prepends the totals
//     of the earlier subgroups of its chunk (later ones when reversed);
//  C. rows longer than W (several chunks per invocation): chunk totals are combined from the
//     same scratch and carried over the chunks in order.
Status lowerScanRows(Context& c, const ir::Operation& op, bool reverse) {
  auto& b = c.b;
  const std::vector<int64_t>& shape = op.operand(0)->type.shape;
  const int axis = static_cast<int>(op.intAttr("axis"));
  const size_t K = op.operands.size();
  const uint32_t W = c.W, S = c.opts.target.subgroupSize, nw = W / S;
  const uint32_t N = static_cast<uint32_t>(shape[axis]);
  const uint32_t R = c.layouts.slots(op.operand(0));
  const uint32_t lanesAlong = std::min(N, W), laneSpan = std::min(lanesAlong, S);
  const uint32_t per = N >= W ? N / W : 1;
  const uint32_t P = lanesAlong / laneSpan;
  auto scratch = operandScratch(c, op, R * nw);
  if (!scratch.ok()) return scratch.status();
  const std::vector<Id>& regT = scratch->regT;
  auto word = [&](size_t k, Id index) { return scratch->word(c, k, index); };
  auto comb = [&](const std::vector<Id>& x, const std::vector<Id>& y) {
    return inlineCombine(c, op, x, y);
  };
  auto pick = [&](Id cond, const std::vector<Id>& x, const std::vector<Id>& y) {
    std::vector<Id> out(K);
    for (size_t k = 0; k < K; ++k) out[k] = b.emit(spv::Op::OpSelect, regT[k], {cond, x[k], y[k]});
    return out;
  };
  std::vector<std::vector<Id>> vals(R);
  for (uint32_t r = 0; r < R; ++r)
    for (size_t k = 0; k < K; ++k) vals[r].push_back(c.at(op.operand(k), r));
  // A. Lanes.
  c.needFeature("subgroupShuffle");
  Id lane = c.layouts.subgroupLane();
  const Index along = laneSpan == S ? c.ix(lane) : c.ix(lane) & (laneSpan - 1);
  for (uint32_t d = 1; d < laneSpan; d *= 2) {
    Id has = reverse ? along.lessThan(laneSpan - d)
                     : b.emit(spv::Op::OpUGreaterThanEqual, c.boolean(), {along, c.c32(d)});
    Id src = reverse ? c.ix(lane) + d : c.ix(lane) - d;
    src = b.emit(spv::Op::OpSelect, c.u32(), {has, src, lane});
    for (uint32_t r = 0; r < R; ++r) {
      std::vector<Id> other;
      for (size_t k = 0; k < K; ++k)
        other.push_back(b.emit(spv::Op::OpGroupNonUniformShuffle, regT[k], {c.c32(3), vals[r][k], src}));
      auto m = comb(other, vals[r]);
      if (!m.ok()) return m.status();
      vals[r] = pick(has, *m, vals[r]);
    }
  }
  if (P == 1 && per == 1) {
    for (size_t k = 0; k < K; ++k) {
      std::vector<Id> out(R);
      for (uint32_t r = 0; r < R; ++r) out[r] = vals[r][k];
      c.bind(op.result(static_cast<int>(k)), std::move(out));
    }
    return Status();
  }
  // B. Subgroup totals (held by the last lane of the segment; the first when reversed).
  Id sg = c.layouts.subgroupIndex();
  c.scratchBarrier(op);
  Id writer = along.equals(reverse ? 0 : laneSpan - 1);
  TVK_RETURN_IF_ERROR(c.flow.ifThen(writer, [&]() -> Status {
    for (uint32_t r = 0; r < R; ++r)
      for (size_t k = 0; k < K; ++k) {
        Id idx = c.ix(sg) + r * nw;
        TVK_RETURN_IF_ERROR(c.scratch.store(word(k, idx), regT[k], vals[r][k]));
      }
    return Status();
  }));
  c.scratchBarrier(op);
  TotalFn total = [&](uint32_t r, Id sgIndex) -> Result<std::vector<Id>> {
    std::vector<Id> v;
    for (size_t k = 0; k < K; ++k) {
      auto x = c.scratch.load(word(k, c.ix(sgIndex) + r * nw), regT[k]);
      if (!x.ok()) return x.status();
      v.push_back(*x);
    }
    return v;
  };
  if (P > 1) {
    const Index first = P == nw ? Index::constant(b, 0) : c.ix(sg) & ~(P - 1);
    Id pos = c.ix(sg) - first;
    for (uint32_t r = 0; r < R; ++r) {
      // Included subgroups form a prefix of the iteration order (ascending; descending when
      // reversed), so the accumulator starts at the first included one.
      std::vector<Id> acc;
      Id hasAcc = 0;
      for (uint32_t i = 0; i < P; ++i) {
        uint32_t j = reverse ? P - 1 - i : i;
        Id inc = b.emit(reverse ? spv::Op::OpUGreaterThan : spv::Op::OpULessThan, c.boolean(),
                        {c.c32(j), pos});
        auto tj = total(r, first + j);
        if (!tj.ok()) return tj.status();
        if (i == 0) {
          acc = *tj;
          hasAcc = inc;
          continue;
        }
        auto m = comb(acc, *tj);
        if (!m.ok()) return m.status();
        acc = pick(inc, pick(hasAcc, *m, *tj), acc);
        hasAcc = b.emit(spv::Op::OpLogicalOr, c.boolean(), {hasAcc, inc});
      }
      auto m = comb(acc, vals[r]);
      if (!m.ok()) return m.status();
      vals[r] = pick(hasAcc, *m, vals[r]);
    }
  }
  // C. Carry over the chunks of each row (N > W: P == nw, totals at uniform addresses).
  if (per > 1) TVK_RETURN_IF_ERROR(carryChunks(c, op, reverse, per, nw, total, vals));
  for (size_t k = 0; k < K; ++k) {
    std::vector<Id> out(R);
    for (uint32_t r = 0; r < R; ++r) out[r] = vals[r][k];
    c.bind(op.result(static_cast<int>(k)), std::move(out));
  }
  return Status();
}

Status lowerScan(Context& c, const ir::Operation& op) {
  const std::vector<int64_t>& shape = op.operand(0)->type.shape;
  int axis = static_cast<int>(op.intAttr("axis"));
  if (axis < 0 || axis >= static_cast<int>(shape.size())) return c.unsupported(op, "bad axis");
  const ir::Attribute* rev = op.attr("reverse");
  bool reverse = rev && rev->i != 0;
  if (analysis::reduceFastPath(op, c.smem.options)) return lowerScanRows(c, op, reverse);
  size_t K = op.operands.size();
  uint32_t A = static_cast<uint32_t>(shape[axis]);
  uint32_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i)
    inner *= static_cast<uint32_t>(shape[i]);
  auto scratch = operandScratch(c, op, static_cast<uint32_t>(op.operand(0)->type.numel()));
  if (!scratch.ok()) return scratch.status();
  const std::vector<Id>& regT = scratch->regT;
  uint32_t R = c.layouts.slots(op.operand(0));
  std::vector<std::vector<Id>> vals(R, std::vector<Id>(K));
  for (uint32_t s = 0; s < R; ++s)
    for (size_t k = 0; k < K; ++k) vals[s][k] = c.at(op.operand(k), s);
  auto& b = c.b;
  auto wordAt = [&](size_t k, Id lin) { return scratch->word(c, k, lin); };
  for (uint32_t d = 1; d < A; d *= 2) {
    c.scratchBarrier(op);
    TVK_RETURN_IF_ERROR(c.flow.ifThen(c.layouts.ownerCond(shape), [&]() -> Status {
      for (uint32_t s = 0; s < R; ++s)
        for (size_t k = 0; k < K; ++k)
          TVK_RETURN_IF_ERROR(c.scratch.store(wordAt(k, c.layouts.slotLinear(shape, s)), regT[k], vals[s][k]));
      return Status();
    }));
    c.scratchBarrier(op);
    for (uint32_t s = 0; s < R; ++s) {
      Id ka = c.layouts.slotCoords(shape, s)[axis];
      Id lin = c.layouts.slotLinear(shape, s);
      Id has, partner;
      if (!reverse) {
        has = b.emit(spv::Op::OpUGreaterThanEqual, c.boolean(), {ka, c.c32(d)});
        partner = c.ix(lin) - d * inner;
      } else {
        has = c.ix(ka).lessThan(A - d);
        partner = c.ix(lin) + d * inner;
      }
      partner = b.emit(spv::Op::OpSelect, c.u32(), {has, partner, lin});
      std::vector<Id> p;
      for (size_t k = 0; k < K; ++k) {
        auto v = c.scratch.load(wordAt(k, partner), regT[k]);
        if (!v.ok()) return v.status();
        p.push_back(*v);
      }
      auto r = inlineCombine(c, op, p, vals[s]);
      if (!r.ok()) return r.status();
      for (size_t k = 0; k < K; ++k)
        vals[s][k] = b.emit(spv::Op::OpSelect, regT[k], {has, (*r)[k], vals[s][k]});
    }
  }
  for (size_t k = 0; k < K; ++k) {
    std::vector<Id> out(R);
    for (uint32_t s = 0; s < R; ++s) out[s] = vals[s][k];
    c.bind(op.result(static_cast<int>(k)), std::move(out));
  }
  return Status();
}

}  // namespace

void registerScanOps(Registry& r) { registerLowering(r, "tt.scan", lowerScan); }

}  // namespace tvk::lower
