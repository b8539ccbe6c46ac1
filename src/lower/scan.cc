// tt.scan (inclusive, any combine region, any number of operands, any axis, reverse):
// Hillis–Steele steps with distances 1, 2, 4, ... < extent. Each step: barrier, owners write
// the current values to shared memory, barrier, every slot combines the element `d` before it
// along the axis (after it when reversed) with its own value: combine(partner, mine), which
// keeps the combine order of the sequential scan for associative, non-commutative regions.
#include <algorithm>
#include <functional>
#include <string>
#include <utility>

#include "lower/operand_scratch.h"
#include "lower/registry.h"

namespace tvk::lower {

namespace {

using Slots = std::vector<std::vector<Id>>;
using TotalFn = std::function<Result<std::vector<Id>>(uint32_t, Id)>;

// Step C of the row scan: chunk totals (combined from the subgroup totals in scratch) are
// carried over the `per` chunks of each row in order (reverse order when reversed). Unit j
// (a run of v slots, j v .. j v + v - 1) is chunk j mod per of its row.
Status carryChunks(Context& c, const ir::Operation& op, bool reverse, uint32_t per,
                   uint32_t nw, uint32_t v, const TotalFn& total, Slots& vals) {
  const uint32_t U = static_cast<uint32_t>(vals.size()) / v;
  auto comb = [&](const std::vector<Id>& x, const std::vector<Id>& y) {
    return inlineCombine(c, op, x, y);
  };
  std::vector<std::vector<Id>> chunk(U);
  for (uint32_t u = 0; u < U; ++u) {
    for (uint32_t i = 0; i < nw; ++i) {
      uint32_t j = reverse ? nw - 1 - i : i;
      auto tj = total(u, c.c32(j));
      if (!tj.ok()) return tj.status();
      if (i == 0) {
        chunk[u] = *tj;
        continue;
      }
      auto m = comb(chunk[u], *tj);
      if (!m.ok()) return m.status();
      chunk[u] = *m;
    }
  }
  for (uint32_t g = 0; g < U / per; ++g) {
    std::vector<Id> carry;
    for (uint32_t i = 0; i < per; ++i) {
      uint32_t u = g * per + (reverse ? per - 1 - i : i);
      if (i > 0) {
        for (uint32_t e = 0; e < v; ++e) {
          auto m = comb(carry, vals[u * v + e]);
          if (!m.ok()) return m.status();
          vals[u * v + e] = *m;
        }
      }
      if (i + 1 == per) break;
      if (i == 0) {
        carry = chunk[u];
      } else {
        auto m = comb(carry, chunk[u]);
        if (!m.ok()) return m.status();
        carry = *m;
      }
    }
  }
  return Status();
}

// Row fast path (dims after the axis are 1; t = subgroup * S + lane; see lower/reduce.cc).
// The operand's runs of v consecutive elements (analysis/vector_width.h; v divides the row)
// are the units: slot r is element r mod v of run r / v, and invocation t holds run j at
// elements j W v + t v .. + v - 1.
//  0. (v > 1) each run is scanned in registers, in order;
//  A. a Hillis-Steele scan of the run totals over the lane bits along the axis with subgroup
//     shuffles; with v > 1, each run then combines the inclusive total of the lane before it
//     (after it when reversed) into its elements;
//  B. subgroup totals through scratch (one barrier pair): each invocation prepends the totals
//     of the earlier subgroups of its chunk (later ones when reversed);
//  C. rows longer than W v (several chunks per invocation): chunk totals are combined from the
//     same scratch and carried over the chunks in order.
Status lowerScanRows(Context& c, const ir::Operation& op, bool reverse) {
  auto& b = c.b;
  const std::vector<int64_t>& shape = op.operand(0)->type.shape;
  const int axis = static_cast<int>(op.intAttr("axis"));
  const size_t K = op.operands.size();
  const uint32_t W = c.W, S = c.opts.target.subgroupSize, nw = W / S;
  const uint32_t N = static_cast<uint32_t>(shape[axis]);
  const uint32_t R = c.layouts.slots(op.operand(0));
  const uint32_t v = c.layouts.layout(op.operand(0)->type).vec;  // 1 where replicated (lowerScan)
  if (v > 1 && (N % v || R % v))
    return Status::error("internal: tt.scan over runs of " + std::to_string(v) +
                         " elements that do not divide its axis");
  const uint32_t U = R / v, runsAlong = N / v;
  const uint32_t lanesAlong = std::min(runsAlong, W), laneSpan = std::min(lanesAlong, S);
  const uint32_t per = runsAlong >= W ? runsAlong / W : 1;
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
  // Combines `x` into every element of unit u where `cond` holds (always when cond is 0).
  auto prepend = [&](uint32_t u, const std::vector<Id>& x, Id cond, Slots& vals) -> Status {
    for (uint32_t e = 0; e < v; ++e) {
      auto m = comb(x, vals[u * v + e]);
      if (!m.ok()) return m.status();
      vals[u * v + e] = cond ? pick(cond, *m, vals[u * v + e]) : *m;
    }
    return Status();
  };
  Slots vals(R);
  for (uint32_t r = 0; r < R; ++r)
    for (size_t k = 0; k < K; ++k) vals[r].push_back(c.at(op.operand(k), r));
  // 0. Runs, in registers.
  for (uint32_t u = 0; u < U; ++u)
    for (uint32_t i = 1; i < v; ++i) {
      const uint32_t e = u * v + (reverse ? v - 1 - i : i), prev = reverse ? e + 1 : e - 1;
      auto m = comb(vals[prev], vals[e]);
      if (!m.ok()) return m.status();
      vals[e] = *m;
    }
  const uint32_t last = reverse ? 0 : v - 1;  // a run's total, after step 0
  // A. Lanes.
  c.needFeature("subgroupShuffle");
  Id lane = c.layouts.subgroupLane();
  const Index along = laneSpan == S ? c.ix(lane) : c.ix(lane) & (laneSpan - 1);
  Slots tot(U);
  for (uint32_t u = 0; u < U; ++u) tot[u] = vals[u * v + last];
  auto shuffled = [&](const std::vector<Id>& x, Id src) {
    std::vector<Id> out;
    for (size_t k = 0; k < K; ++k)
      out.push_back(b.emit(spv::Op::OpGroupNonUniformShuffle, regT[k], {c.c32(3), x[k], src}));
    return out;
  };
  // Whether the lane d before this one (after it when reversed) is in the segment, and the
  // lane to shuffle from (this one where it is not).
  auto neighbour = [&](uint32_t d) {
    Id has = reverse ? along.lessThan(laneSpan - d)
                     : b.emit(spv::Op::OpUGreaterThanEqual, c.boolean(), {along, c.c32(d)});
    Id src = reverse ? c.ix(lane) + d : c.ix(lane) - d;
    return std::make_pair(has, b.emit(spv::Op::OpSelect, c.u32(), {has, src, lane}));
  };
  for (uint32_t d = 1; d < laneSpan; d *= 2) {
    const auto [has, src] = neighbour(d);
    for (uint32_t u = 0; u < U; ++u) {
      auto m = comb(shuffled(tot[u], src), tot[u]);
      if (!m.ok()) return m.status();
      tot[u] = pick(has, *m, tot[u]);
    }
  }
  if (v == 1) {
    vals = tot;
  } else if (laneSpan > 1) {
    const auto [has, src] = neighbour(1);
    for (uint32_t u = 0; u < U; ++u) TVK_RETURN_IF_ERROR(prepend(u, shuffled(tot[u], src), has, vals));
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
    for (uint32_t u = 0; u < U; ++u)
      for (size_t k = 0; k < K; ++k) {
        Id idx = c.ix(sg) + u * nw;
        TVK_RETURN_IF_ERROR(c.scratch.store(word(k, idx), regT[k], vals[u * v + last][k]));
      }
    return Status();
  }));
  c.scratchBarrier(op);
  TotalFn total = [&](uint32_t u, Id sgIndex) -> Result<std::vector<Id>> {
    std::vector<Id> x;
    for (size_t k = 0; k < K; ++k) {
      auto w = c.scratch.load(word(k, c.ix(sgIndex) + u * nw), regT[k]);
      if (!w.ok()) return w.status();
      x.push_back(*w);
    }
    return x;
  };
  if (P > 1) {
    const Index first = P == nw ? Index::constant(b, 0) : c.ix(sg) & ~(P - 1);
    Id pos = c.ix(sg) - first;
    for (uint32_t u = 0; u < U; ++u) {
      // Included subgroups form a prefix of the iteration order (ascending; descending when
      // reversed), so the accumulator starts at the first included one.
      std::vector<Id> acc;
      Id hasAcc = 0;
      for (uint32_t i = 0; i < P; ++i) {
        uint32_t j = reverse ? P - 1 - i : i;
        Id inc = b.emit(reverse ? spv::Op::OpUGreaterThan : spv::Op::OpULessThan, c.boolean(),
                        {c.c32(j), pos});
        auto tj = total(u, first + j);
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
      TVK_RETURN_IF_ERROR(prepend(u, acc, hasAcc, vals));
    }
  }
  // C. Carry over the chunks of each row (N > W v: P == nw, totals at uniform addresses).
  if (per > 1) TVK_RETURN_IF_ERROR(carryChunks(c, op, reverse, per, nw, v, total, vals));
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
  const analysis::Layout& layout = c.layouts.layout(op.operand(0)->type);
  // The row path reads runs from unreplicated layouts only (replicated ones have v = 1 there).
  if (analysis::reduceFastPath(op, c.smem.options) && !(layout.replicated && layout.vec > 1))
    return lowerScanRows(c, op, reverse);
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
