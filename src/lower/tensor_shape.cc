// make_range, splat, unsplat, expand_dims, reshape, broadcast and trans. Same-numel tensors share the
// linear slot mapping, so expand_dims/reshape are free and splat is the scalar in every slot.
// broadcast/trans recompute a rematerializable source at the mapped coordinates, else
// exchange the source through shared memory.
#include "lower/registry.h"

namespace tvk::lower {

namespace {

uint32_t log2u(int64_t v) {
  uint32_t s = 0;
  while ((int64_t{1} << s) < v) ++s;
  return s;
}

Status makeRange(Context& c, const ir::Operation& op) {
  const ir::Value* res = op.result();
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.slots(res); ++s) {
    auto v = c.emitAt(res, c.slotCoords(res->type.shape, s));
    if (!v.ok()) return v.status();
    out.push_back(*v);
  }
  c.bind(res, std::move(out));
  c.memoSlots(res);
  return Status();
}

Status splat(Context& c, const ir::Operation& op) {
  const std::vector<Id>& src = c.ids(op.operand(0));
  if (src.size() != 1) return c.unsupported(op, "splat of a tensor");
  c.bind(op.result(), std::vector<Id>(c.slots(op.result()), src[0]));
  return Status();
}

// tensor<1xT> / tensor<1x1xT> → T: a one-element tensor is replicated, so every invocation
// holds the element in its slot 0.
Status unsplat(Context& c, const ir::Operation& op) {
  const ir::Value* src = op.operand(0);
  if (src->type.numel() != 1) return c.unsupported(op, "unsplat of a tensor with several elements");
  const std::vector<Id>& ids = c.ids(src);
  if (ids.empty()) return c.unsupported(op, "operand has no slots");
  c.bind(op.result(), {ids[0]});
  return Status();
}

Status sameSlots(Context& c, const ir::Operation& op) {
  c.bind(op.result(), c.ids(op.operand(0)));
  c.memoSlots(op.result());
  return Status();
}

// Source coordinates of result coordinates for broadcast/trans.
std::vector<Id> sourceCoords(Context& c, const ir::Operation& op, const std::vector<Id>& rc) {
  const std::vector<int64_t>& ss = op.operand(0)->type.shape;
  std::vector<Id> sc = rc;
  if (op.name == "tt.broadcast") {
    for (size_t i = 0; i < ss.size(); ++i)
      if (ss[i] == 1) sc[i] = c.c32(0);
  } else {
    const ir::Attribute* ord = op.attr("order");
    for (size_t i = 0; i < rc.size(); ++i) sc[static_cast<size_t>(ord->elems[i].i)] = rc[i];
  }
  return sc;
}

Status moveData(Context& c, const ir::Operation& op) {
  const ir::Value* res = op.result();
  const ir::Value* src = op.operand(0);
  if (op.name == "tt.trans" && !op.attr("order")) return c.unsupported(op, "trans without order");
  std::vector<Id> out;
  if (c.remat(res)) {
    for (uint32_t s = 0; s < c.slots(res); ++s) {
      auto v = c.emitAt(res, c.slotCoords(res->type.shape, s));
      if (!v.ok()) return v.status();
      out.push_back(*v);
    }
    c.bind(res, std::move(out));
    c.memoSlots(res);
    return Status();
  }
  // A reduction result broadcast back along its axis: the row totals are in registers.
  if (op.name == "tt.broadcast" && src->def && src->def->name == "tt.expand_dims") {
    auto it = c.rowTotals.find(src->def->operand(0));
    if (it != c.rowTotals.end() && it->second.shape == res->type.shape &&
        it->second.axis == src->def->intAttr("axis")) {
      c.bind(res, it->second.ids);
      return Status();
    }
  }
  // Register-only moves: every needed element is already in the same invocation.
  std::vector<uint32_t> moves = c.registerMove(src->type.shape, res->type.shape,
                                               [&](const std::vector<int64_t>& rc) {
    std::vector<int64_t> sc = rc;
    const std::vector<int64_t>& ss = src->type.shape;
    if (op.name == "tt.broadcast") {
      for (size_t i = 0; i < ss.size(); ++i)
        if (ss[i] == 1) sc[i] = 0;
    } else {
      const ir::Attribute* ord = op.attr("order");
      for (size_t i = 0; i < rc.size(); ++i) sc[static_cast<size_t>(ord->elems[i].i)] = rc[i];
    }
    return sc;
  });
  if (!moves.empty()) {
    for (uint32_t s : moves) out.push_back(c.at(src, s));
    c.bind(res, std::move(out));
    return Status();
  }
  auto rt = c.regTypeOf(src);
  if (!rt.ok()) return rt.status();
  auto base = c.smemBase(op);
  if (!base.ok()) return base.status();
  uint32_t words = c.b.scalarBits(*rt) == 64 ? 2 : 1;
  // tt.trans reads columns of the source: pad one element per source row (rows of >= 32
  // elements) so that a subgroup's reads fall in different banks.
  const int64_t last = src->type.shape.back();
  const uint32_t rowShift = op.name == "tt.trans" && last >= 32 ? log2u(last) : 0;
  auto padded = [&](Id lin) {
    if (!rowShift) return lin;
    return c.b.emit(spv::Op::OpIAdd, c.u32(),
                    {lin, c.b.emit(spv::Op::OpShiftRightLogical, c.u32(), {lin, c.c32(rowShift)})});
  };
  // barrier; owners write the source at its linear index; barrier; read mapped elements.
  c.barrier();
  Id owner = c.ownerCond(src->type.shape);
  TVK_RETURN_IF_ERROR(c.ifThen(owner, [&]() -> Status {
    for (uint32_t s = 0; s < c.slots(src); ++s) {
      Id lin = padded(c.slotLinear(src->type.shape, s));
      Id w = words == 1 ? lin : c.b.emit(spv::Op::OpIMul, c.u32(), {lin, c.c32(words)});
      w = c.b.emit(spv::Op::OpIAdd, c.u32(), {w, c.c32(*base)});
      TVK_RETURN_IF_ERROR(c.smemStore(w, *rt, c.at(src, s)));
    }
    return Status();
  }));
  c.barrier();
  for (uint32_t s = 0; s < c.slots(res); ++s) {
    std::vector<Id> sc = sourceCoords(c, op, c.slotCoords(res->type.shape, s));
    Id lin = padded(c.linearize(sc, src->type.shape));
    Id w = words == 1 ? lin : c.b.emit(spv::Op::OpIMul, c.u32(), {lin, c.c32(words)});
    w = c.b.emit(spv::Op::OpIAdd, c.u32(), {w, c.c32(*base)});
    auto v = c.smemLoad(w, *rt);
    if (!v.ok()) return v.status();
    out.push_back(*v);
  }
  c.bind(res, std::move(out));
  return Status();
}

}  // namespace

void registerTensorShapeOps(Registry& r) {
  registerLowering(r, "tt.make_range", makeRange);
  registerLowering(r, "tt.splat", splat);
  registerLowering(r, "tt.unsplat", unsplat);
  registerLowering(r, "tt.expand_dims", sameSlots);
  registerLowering(r, "tt.reshape", sameSlots);
  registerLowering(r, "tt.broadcast", moveData);
  registerLowering(r, "tt.trans", moveData);
}

}  // namespace tvk::lower
