// Re-indexing ops that exchange data through shared memory: tt.join, tt.split, tt.gather,
// and tt.histogram (workgroup atomics on scratch bins). Each: barrier, owners write the
// sources at their linear index, barrier, every result slot reads the element it needs.
#include "lower/registry.h"

namespace tvk::lower {

namespace {

// Writes `srcs` consecutively from scratch word `base` (one or two words per element);
// returns each source's first word.
Result<std::vector<uint32_t>> writeSources(Context& c, const ir::Operation& op,
                                           const std::vector<const ir::Value*>& srcs, uint32_t base, Id regT,
                                           uint32_t words) {
  std::vector<uint32_t> starts;
  uint32_t next = base;
  for (const ir::Value* v : srcs) {
    starts.push_back(next);
    next += static_cast<uint32_t>(v->type.numel()) * words;
  }
  c.scratchBarrier(op);
  for (size_t i = 0; i < srcs.size(); ++i) {
    const ir::Value* v = srcs[i];
    TVK_RETURN_IF_ERROR(c.flow.ifThen(c.layouts.ownerCond(v->type.shape), [&]() -> Status {
      for (uint32_t s = 0; s < c.layouts.slots(v); ++s) {
        Id w = c.scratch.word(starts[i], c.layouts.slotLinear(v->type.shape, s), words);
        TVK_RETURN_IF_ERROR(c.scratch.store(w, regT, c.at(v, s)));
      }
      return Status();
    }));
  }
  c.scratchBarrier(op);
  return starts;
}

// Reads a result value from element `lin` (an id) of the source starting at word `start`.
Result<Id> readElem(Context& c, Id lin, uint32_t start, Id regT, uint32_t words) {
  return c.scratch.load(c.scratch.word(start, lin, words), regT);
}

struct Prep {
  Id regT;
  uint32_t words;
  uint32_t base;
};

Result<Prep> prepare(Context& c, const ir::Operation& op, const ir::Value* v) {
  auto t = c.regTypeOf(v);
  if (!t.ok()) return t.status();
  auto base = c.scratch.base(op);
  if (!base.ok()) return base.status();
  return Prep{*t, c.b.scalarBits(*t) == 64 ? 2u : 1u, *base};
}

// join(a, b): result[..., j] = (j == 0 ? a : b)[...].
Status lowerJoin(Context& c, const ir::Operation& op) {
  auto p = prepare(c, op, op.operand(0));
  if (!p.ok()) return p.status();
  auto starts = writeSources(c, op, {op.operand(0), op.operand(1)}, p->base, p->regT, p->words);
  if (!starts.ok()) return starts.status();
  const ir::Value* res = op.result();
  const std::vector<int64_t>& ss = op.operand(0)->type.shape;
  uint32_t n = static_cast<uint32_t>(op.operand(0)->type.numel());
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
    std::vector<Id> rc = c.layouts.slotCoords(res->type.shape, s);
    Id j = rc.back();
    rc.pop_back();
    Id lin = c.layouts.linearize(rc, ss);
    lin = c.ix(lin) + c.ix(j) * n;
    auto v = readElem(c, lin, (*starts)[0], p->regT, p->words);
    if (!v.ok()) return v.status();
    out.push_back(*v);
  }
  c.bind(res, std::move(out));
  return Status();
}

// split(x): result j [...] = x[..., j].
Status lowerSplit(Context& c, const ir::Operation& op) {
  const ir::Value* src = op.operand(0);
  auto p = prepare(c, op, src);
  if (!p.ok()) return p.status();
  auto starts = writeSources(c, op, {src}, p->base, p->regT, p->words);
  if (!starts.ok()) return starts.status();
  for (int j = 0; j < static_cast<int>(op.results.size()); ++j) {
    const ir::Value* res = op.result(j);
    std::vector<Id> out;
    for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
      std::vector<Id> rc = c.layouts.slotCoords(res->type.shape, s);
      rc.push_back(c.c32(static_cast<uint32_t>(j)));
      auto v = readElem(c, c.layouts.linearize(rc, src->type.shape), (*starts)[0], p->regT, p->words);
      if (!v.ok()) return v.status();
      out.push_back(*v);
    }
    c.bind(res, std::move(out));
  }
  return Status();
}

// gather(src, idx, axis): result[c] = src[c with c[axis] = idx[c]].
Status lowerGather(Context& c, const ir::Operation& op) {
  const ir::Value* src = op.operand(0);
  const ir::Value* idx = op.operand(1);
  int axis = static_cast<int>(op.intAttr("axis"));
  auto p = prepare(c, op, src);
  if (!p.ok()) return p.status();
  auto starts = writeSources(c, op, {src}, p->base, p->regT, p->words);
  if (!starts.ok()) return starts.status();
  const ir::Value* res = op.result();
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
    std::vector<Id> rc = c.layouts.slotCoords(res->type.shape, s);
    Id i = c.at(idx, s);
    if (idx->type.scalar().bits == 64) i = c.b.emit(spv::Op::OpUConvert, c.u32(), {i});
    rc[static_cast<size_t>(axis)] = i;
    // Out-of-range indices are undefined in Triton; clamp so that memory stays in bounds.
    Id lin = c.layouts.linearize(rc, src->type.shape);
    lin = c.ix(lin) & static_cast<uint32_t>(src->type.numel() - 1);
    auto v = readElem(c, lin, (*starts)[0], p->regT, p->words);
    if (!v.ok()) return v.status();
    out.push_back(*v);
  }
  c.bind(res, std::move(out));
  return Status();
}

// cat(a, b): rows of a, then rows of b (along dimension 0, row-major).
Status lowerCat(Context& c, const ir::Operation& op) {
  auto p = prepare(c, op, op.operand(0));
  if (!p.ok()) return p.status();
  auto starts = writeSources(c, op, {op.operand(0), op.operand(1)}, p->base, p->regT, p->words);
  if (!starts.ok()) return starts.status();
  // Sources are consecutive in scratch, so the result's linear index is the scratch index.
  const ir::Value* res = op.result();
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
    auto v = readElem(c, c.layouts.slotLinear(res->type.shape, s), (*starts)[0], p->regT, p->words);
    if (!v.ok()) return v.status();
    out.push_back(*v);
  }
  c.bind(res, std::move(out));
  return Status();
}

// histogram(x[, mask]): bins 0..B-1 of width 1; values outside are not counted.
Status lowerHistogram(Context& c, const ir::Operation& op) {
  const ir::Value* x = op.operand(0);
  const ir::Value* mask = op.numOperands() > 1 ? op.operand(1) : nullptr;
  const ir::Value* res = op.result();
  if (x->type.scalar().bits > 32) return c.unsupported(op, "64-bit histogram input");
  auto base = c.scratch.base(op);
  if (!base.ok()) return base.status();
  uint32_t B = static_cast<uint32_t>(res->type.numel());
  auto& b = c.b;
  c.scratchBarrier(op);
  TVK_RETURN_IF_ERROR(c.flow.ifThen(c.layouts.ownerCond(res->type.shape), [&]() -> Status {
    for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
      Id w = c.ix(c.layouts.slotLinear(res->type.shape, s)) + *base;
      b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(w), c.c32(0)});
    }
    return Status();
  }));
  c.scratchBarrier(op);
  Id owner = c.layouts.ownerCond(x->type.shape);
  for (uint32_t s = 0; s < c.layouts.slots(x); ++s) {
    Id v = c.at(x, s);
    Id inRange = b.emit(spv::Op::OpULessThan, c.boolean(), {v, c.c32(B)});
    Id cond = c.flow.andCond(c.flow.andCond(owner, inRange), mask ? c.at(mask, s) : 0);
    TVK_RETURN_IF_ERROR(c.flow.ifThen(cond, [&]() -> Status {
      Id w = c.ix(v) + *base;
      b.emit(spv::Op::OpAtomicIAdd, c.u32(), {c.scratch.ptr(w), c.c32(2), c.c32(0), c.c32(1)});
      return Status();
    }));
  }
  c.scratchBarrier(op);
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
    Id w = c.ix(c.layouts.slotLinear(res->type.shape, s)) + *base;
    out.push_back(b.emit(spv::Op::OpLoad, c.u32(), {c.scratch.ptr(w)}));
  }
  c.bind(res, std::move(out));
  return Status();
}

}  // namespace

void registerExchangeOps(Registry& r) {
  registerLowering(r, "tt.join", lowerJoin);
  registerLowering(r, "tt.split", lowerSplit);
  registerLowering(r, "tt.gather", lowerGather);
  registerLowering(r, "tt.cat", lowerCat);
  registerLowering(r, "tt.histogram", lowerHistogram);
}

}  // namespace tvk::lower
