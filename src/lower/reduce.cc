// tt.reduce with any combine region, any number of operands and any axis.
//
// Generic algorithm (v1): owners write every operand element to shared memory at its linear
// index; then log2(extent) tree steps combine element k with k + s along the axis (the
// combine region inlined per pair, invocations looping over the pairs cyclically), with a
// barrier after each step; finally each result slot reads its value (a uniform scalar when
// the input is 1-D).
#include "lower/registry.h"

namespace tvk::lower {

namespace {

uint32_t log2u(uint64_t v) {
  uint32_t s = 0;
  while ((uint64_t{1} << s) < v) ++s;
  return s;
}

}  // namespace

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

struct ReducePlan {
  std::vector<Id> regT;      // register type per operand
  std::vector<uint32_t> words;  // scratch words per element per operand
  std::vector<uint32_t> base;   // first scratch word per operand
};

Id wordOf(Context& c, const ReducePlan& p, size_t k, Id linear) {
  Id w = p.words[k] == 1 ? linear : c.b.emit(spv::Op::OpIMul, c.u32(), {linear, c.c32(p.words[k])});
  return c.b.emit(spv::Op::OpIAdd, c.u32(), {w, c.c32(p.base[k])});
}

// One tree step: pairs (L, L + s*inner) for k < s along the axis.
Status treeStep(Context& c, const ir::Operation& op, const ReducePlan& p,
                const std::vector<int64_t>& shape, int axis, uint64_t s) {
  uint64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i) inner *= shape[i];
  uint64_t extent = static_cast<uint64_t>(shape[axis]);
  uint64_t numel = 1;
  for (int64_t d : shape) numel *= static_cast<uint64_t>(d);
  uint64_t pairs = numel / extent * s;
  auto body = [&](Id pid) -> Status {
    auto& b = c.b;
    Id u = c.u32();
    // pid = outer * s + k; outer = hi * inner + lo.
    Id k = b.emit(spv::Op::OpBitwiseAnd, u, {pid, c.c32(static_cast<uint32_t>(s - 1))});
    Id outer = b.emit(spv::Op::OpShiftRightLogical, u, {pid, c.c32(log2u(s))});
    Id lo = b.emit(spv::Op::OpBitwiseAnd, u, {outer, c.c32(static_cast<uint32_t>(inner - 1))});
    Id hi = b.emit(spv::Op::OpShiftRightLogical, u, {outer, c.c32(log2u(inner))});
    Id row = b.emit(spv::Op::OpIAdd, u,
                    {b.emit(spv::Op::OpShiftLeftLogical, u, {hi, c.c32(log2u(extent))}), k});
    Id l1 = b.emit(spv::Op::OpIAdd, u,
                   {b.emit(spv::Op::OpShiftLeftLogical, u, {row, c.c32(log2u(inner))}), lo});
    Id l2 = b.emit(spv::Op::OpIAdd, u, {l1, c.c32(static_cast<uint32_t>(s * inner))});
    std::vector<Id> lhs, rhs;
    for (size_t i = 0; i < p.regT.size(); ++i) {
      auto a = c.smemLoad(wordOf(c, p, i, l1), p.regT[i]);
      auto d = c.smemLoad(wordOf(c, p, i, l2), p.regT[i]);
      if (!a.ok()) return a.status();
      if (!d.ok()) return d.status();
      lhs.push_back(*a);
      rhs.push_back(*d);
    }
    auto r = combine(c, op, lhs, rhs);
    if (!r.ok()) return r.status();
    for (size_t i = 0; i < p.regT.size(); ++i)
      TVK_RETURN_IF_ERROR(c.smemStore(wordOf(c, p, i, l1), p.regT[i], (*r)[i]));
    return Status();
  };
  Id t = c.invocation();
  if (pairs >= c.W) {
    TVK_RETURN_IF_ERROR(c.counted(c.c32(static_cast<uint32_t>(pairs / c.W)), [&](Id i) {
      Id pid = c.b.emit(spv::Op::OpIAdd, c.u32(),
                        {c.b.emit(spv::Op::OpIMul, c.u32(), {i, c.c32(c.W)}), t});
      return body(pid);
    }));
  } else {
    Id active = c.b.emit(spv::Op::OpULessThan, c.boolean(),
                         {t, c.c32(static_cast<uint32_t>(pairs))});
    TVK_RETURN_IF_ERROR(c.ifThen(active, [&]() { return body(t); }));
  }
  c.barrier();
  return Status();
}

// Binds the K results from one uniform value per operand.
void bindUniformResults(Context& c, const ir::Operation& op, const std::vector<Id>& vals) {
  for (size_t k = 0; k < op.results.size(); ++k) {
    const ir::Value* res = op.result(static_cast<int>(k));
    c.bind(res, std::vector<Id>(c.slots(res), vals[k]));
  }
}

// Fast path (every other dimension has extent 1): combine the invocation's slots in
// registers, then a shuffle-xor butterfly within the subgroup, then one scratch slot per
// subgroup that every invocation combines in the same order (a uniform result).
Status lowerReduceFast(Context& c, const ir::Operation& op) {
  size_t K = op.operands.size();
  std::vector<Id> regT;
  for (const ir::Value* v : op.operands) {
    auto t = c.regTypeOf(v);
    if (!t.ok()) return t.status();
    regT.push_back(*t);
  }
  std::vector<Id> vals;
  for (const ir::Value* v : op.operands) vals.push_back(c.at(v, 0));
  for (uint32_t s = 1; s < c.slots(op.operand(0)); ++s) {
    std::vector<Id> next;
    for (const ir::Value* v : op.operands) next.push_back(c.at(v, s));
    auto r = combine(c, op, vals, next);
    if (!r.ok()) return r.status();
    vals = *r;
  }
  const uint32_t S = c.opts.target.subgroupSize;
  const Id subgroupScope = c.c32(3);
  c.needFeature("subgroupShuffle");
  for (uint32_t mask = 1; mask < S; mask *= 2) {
    std::vector<Id> other;
    for (size_t k = 0; k < K; ++k)
      other.push_back(c.b.emit(spv::Op::OpGroupNonUniformShuffleXor, regT[k],
                               {subgroupScope, vals[k], c.c32(mask)}));
    auto r = combine(c, op, vals, other);
    if (!r.ok()) return r.status();
    vals = *r;
  }
  const uint32_t numSubgroups = c.W / S;
  if (numSubgroups > 1) {
    auto base = c.smemBase(op);
    if (!base.ok()) return base.status();
    std::vector<uint32_t> words, opBase;
    uint32_t next = *base;
    for (size_t k = 0; k < K; ++k) {
      words.push_back(c.b.scalarBits(regT[k]) == 64 ? 2 : 1);
      opBase.push_back(next);
      next += numSubgroups * words.back();
    }
    c.barrier();
    Id sg = c.subgroupIndex();
    Id lane0 = c.b.emit(spv::Op::OpIEqual, c.boolean(), {c.subgroupLane(), c.c32(0)});
    TVK_RETURN_IF_ERROR(c.ifThen(lane0, [&]() -> Status {
      for (size_t k = 0; k < K; ++k) {
        Id w = c.b.emit(spv::Op::OpIMul, c.u32(), {sg, c.c32(words[k])});
        w = c.b.emit(spv::Op::OpIAdd, c.u32(), {w, c.c32(opBase[k])});
        TVK_RETURN_IF_ERROR(c.smemStore(w, regT[k], vals[k]));
      }
      return Status();
    }));
    c.barrier();
    for (uint32_t g = 0; g < numSubgroups; ++g) {
      std::vector<Id> part;
      for (size_t k = 0; k < K; ++k) {
        auto v = c.smemLoad(c.c32(opBase[k] + g * words[k]), regT[k]);
        if (!v.ok()) return v.status();
        part.push_back(*v);
      }
      if (g == 0) {
        vals = part;
        continue;
      }
      auto r = combine(c, op, vals, part);
      if (!r.ok()) return r.status();
      vals = *r;
    }
  }
  bindUniformResults(c, op, vals);
  return Status();
}

Status lowerReduce(Context& c, const ir::Operation& op) {
  if (analysis::reduceFastPath(op, c.smem.options)) return lowerReduceFast(c, op);
  const ir::Value* in0 = op.operand(0);
  const std::vector<int64_t>& shape = in0->type.shape;
  int axis = static_cast<int>(op.intAttr("axis"));
  if (axis < 0 || axis >= static_cast<int>(shape.size())) return c.unsupported(op, "bad axis");
  auto base = c.smemBase(op);
  if (!base.ok()) return base.status();
  ReducePlan p;
  uint32_t next = *base;
  for (const ir::Value* v : op.operands) {
    auto t = c.regTypeOf(v);
    if (!t.ok()) return t.status();
    p.regT.push_back(*t);
    p.words.push_back(c.b.scalarBits(*t) == 64 ? 2 : 1);
    p.base.push_back(next);
    next += static_cast<uint32_t>(v->type.numel()) * p.words.back();
  }
  c.barrier();
  TVK_RETURN_IF_ERROR(c.ifThen(c.ownerCond(shape), [&]() -> Status {
    for (size_t k = 0; k < op.operands.size(); ++k)
      for (uint32_t s = 0; s < c.slots(op.operand(k)); ++s)
        TVK_RETURN_IF_ERROR(c.smemStore(wordOf(c, p, k, c.slotLinear(shape, s)), p.regT[k],
                                        c.at(op.operand(k), s)));
    return Status();
  }));
  c.barrier();
  for (uint64_t s = static_cast<uint64_t>(shape[axis]) / 2; s >= 1; s /= 2)
    TVK_RETURN_IF_ERROR(treeStep(c, op, p, shape, axis, s));
  // Read the results.
  for (size_t k = 0; k < op.results.size(); ++k) {
    const ir::Value* res = op.result(static_cast<int>(k));
    std::vector<Id> out;
    if (!res->type.isTensor()) {
      auto v = c.smemLoad(c.c32(p.base[k]), p.regT[k]);
      if (!v.ok()) return v.status();
      out.push_back(*v);
    } else {
      for (uint32_t s = 0; s < c.slots(res); ++s) {
        std::vector<Id> rc = c.slotCoords(res->type.shape, s);
        rc.insert(rc.begin() + axis, c.c32(0));
        auto v = c.smemLoad(wordOf(c, p, k, c.linearize(rc, shape)), p.regT[k]);
        if (!v.ok()) return v.status();
        out.push_back(*v);
      }
    }
    c.bind(res, std::move(out));
  }
  return Status();
}

}  // namespace

void registerReduceOps(Registry& r) { registerLowering(r, "tt.reduce", lowerReduce); }

}  // namespace tvk::lower
