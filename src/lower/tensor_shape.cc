// make_range, splat, unsplat, expand_dims, reshape, broadcast and trans. Same-numel tensors share the
// linear slot mapping, so expand_dims/reshape are free and splat is the scalar in every slot.
// broadcast/trans recompute a rematerializable source at the mapped coordinates, else
// exchange the source through shared memory (in several passes when it does not fit).
#include "lower/chunks.h"
#include "lower/dot_coopmat.h"
#include "lower/registry.h"
#include "lower/transpose_packed.h"
#include "support/bits.h"

namespace tvk::lower {

namespace {

Status makeRange(Context& c, const ir::Operation& op) {
  const ir::Value* res = op.result();
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
    auto v = c.emitAt(res, c.layouts.slotCoords(res->type.shape, s));
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
  c.bind(op.result(), std::vector<Id>(c.layouts.slots(op.result()), src[0]));
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
  if (op.name == "tt.trans" && src->def) {
    // The trans of a load that a cooperative-matrix tt.dot performs itself, transposed
    // (analysis/dot_operands.h): the dot reads the loaded rows column-major; nothing to move.
    auto direct = coopReadsLoad(c, *src->def);
    if (!direct.ok()) return direct.status();
    if (*direct) return Status();
  }
  std::vector<Id> out;
  if (c.remat(res)) {
    for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
      auto v = c.emitAt(res, c.layouts.slotCoords(res->type.shape, s));
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
  std::vector<uint32_t> moves = c.layouts.registerMove(src->type.shape, res->type.shape,
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
  auto base = c.scratch.base(op);
  if (!base.ok()) return base.status();
  uint32_t words = c.b.scalarBits(*rt) == 64 ? 2 : 1;
  // tt.trans reads columns of the source: pad one element per source row (rows of >= 32
  // elements) so that a subgroup's reads fall in different banks.
  const int64_t last = src->type.shape.back();
  const uint32_t rowShift = op.name == "tt.trans" && last >= 32 ? log2Ceil(last) : 0;
  auto padded = [&](Id lin) {
    if (!rowShift) return lin;
    return Id(c.ix(lin) + (c.ix(lin) >> rowShift));
  };
  // Per pass (one pass when the source fits in shared memory, else chunks of C source
  // elements): barrier; owners write their elements of the chunk at its local index;
  // barrier; every result slot whose source element is in the chunk reads it.
  const uint64_t numel = static_cast<uint64_t>(src->type.numel());
  const uint64_t C = analysis::exchangeChunkElems(op, c.smem.options.limitBytes);
  if (C == 0) return c.unsupported(op, "no element of the exchange fits in shared memory");
  const uint64_t passes = (numel + C - 1) / C;
  // The transpose of a 2-D tile of 8- or 16-bit elements: packed words (lower/transpose_packed.h),
  // where the scratch plan reserved them (the same decision).
  if (analysis::transTakesPacked(op, c.layouts.layout(src->type), packedTransposeTarget(c), C)) {
    auto packed = transposePacked(c, op, src, out);
    if (!packed.ok()) return packed.status();
    if (!*packed) return Status::error("internal: packed tt.trans not taken at " + op.where());
    c.bind(res, std::move(out));
    return Status();
  }
  // Otherwise the plan reserved the padded chunk.
  if ((C + analysis::transPadding(op, C)) * words * 4 > c.scratch.bytes(op))
    return Status::error("internal: " + op.name + "'s scratch smaller than its chunk at " + op.where());
  auto& b = c.b;
  Id u = c.u32();
  auto wordAt = [&](Id lin) { return c.scratch.word(*base, padded(lin), words); };
  const analysis::Layout& sl = c.layouts.layout(src->type);
  const analysis::Layout& rl = c.layouts.layout(res->type);
  auto chunkOf = [&](int64_t L) { return L / static_cast<int64_t>(C); };
  std::vector<Id> srcLin(c.layouts.slots(res), 0);
  out.assign(c.layouts.slots(res), 0);
  Id owner = c.layouts.ownerCond(src->type.shape);
  for (uint64_t pass = 0; pass < passes; ++pass) {
    const uint32_t first = static_cast<uint32_t>(pass * C);
    c.scratchBarrier(op);
    TVK_RETURN_IF_ERROR(c.flow.ifThen(owner, [&]() -> Status {
      for (uint32_t s = 0; s < c.layouts.slots(src); ++s) {
        int64_t ch = passes == 1 ? 0 : slotChunk(sl, s, true, chunkOf);
        if (ch >= 0 && ch != static_cast<int64_t>(pass)) continue;
        Id lin = c.ix(c.layouts.slotLinear(src->type.shape, s)) - first;
        auto store = [&]() { return c.scratch.store(wordAt(lin), *rt, c.at(src, s)); };
        if (ch >= 0) {
          TVK_RETURN_IF_ERROR(store());
        } else {
          Id in = b.emit(spv::Op::OpULessThan, c.boolean(), {lin, c.c32(static_cast<uint32_t>(C))});
          TVK_RETURN_IF_ERROR(c.flow.ifThen(in, store));
        }
      }
      return Status();
    }));
    c.scratchBarrier(op);
    for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
      if (!srcLin[s]) {
        std::vector<Id> sc = sourceCoords(c, op, c.layouts.slotCoords(res->type.shape, s));
        srcLin[s] = c.layouts.linearize(sc, src->type.shape);
      }
      Id lin = c.ix(srcLin[s]) - first;
      Id in = 0;
      if (passes > 1) {
        // The pass of a result slot's source element, when it is the same in every invocation.
        int64_t ch = -1;
        if (!rl.replicated) {
          ch = -2;
          for (uint32_t t = 0; t < rl.invocations && ch != -1; ++t) {
            std::vector<int64_t> rc(res->type.shape.size());
            int64_t L = rl.linearIndex(t, s);
            for (int i = static_cast<int>(rc.size()) - 1; i >= 0; --i) {
              rc[i] = L % res->type.shape[i];
              L /= res->type.shape[i];
            }
            std::vector<int64_t> sc = rc;
            if (op.name == "tt.broadcast") {
              for (size_t i = 0; i < sc.size(); ++i)
                if (src->type.shape[i] == 1) sc[i] = 0;
            } else {
              const ir::Attribute* ord = op.attr("order");
              for (size_t i = 0; i < rc.size(); ++i) sc[static_cast<size_t>(ord->elems[i].i)] = rc[i];
            }
            int64_t sl2 = 0;
            for (size_t i = 0; i < sc.size(); ++i) sl2 = sl2 * src->type.shape[i] + sc[i];
            int64_t k = chunkOf(sl2);
            ch = ch == -2 || ch == k ? k : -1;
          }
        }
        if (ch >= 0 && ch != static_cast<int64_t>(pass)) continue;
        if (ch < 0) {
          in = b.emit(spv::Op::OpULessThan, c.boolean(), {lin, c.c32(static_cast<uint32_t>(C))});
          lin = b.emit(spv::Op::OpSelect, u, {in, lin, c.c32(0)});
        }
      }
      auto v = c.scratch.load(wordAt(lin), *rt);
      if (!v.ok()) return v.status();
      out[s] = in ? b.emit(spv::Op::OpSelect, *rt, {in, *v, out[s] ? out[s] : b.constNull(*rt)}) : *v;
    }
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
