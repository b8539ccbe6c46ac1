#include "lower/layout_indexer.h"

#include "support/bits.h"

namespace tvk::lower {

LayoutIndexer::LayoutIndexer(spirv::ModuleBuilder& builder, uint32_t invocations, uint32_t subgroupSize,
                             const analysis::VectorPlan& vectors, std::vector<Id>& interfaceVars)
    : b(builder), W(invocations), subgroupSize_(subgroupSize), vectors_(vectors), interfaceVars_(interfaceVars) {}

const analysis::Layout& LayoutIndexer::layout(const ir::Type& t) {
  auto it = layouts_.find(t.shape);
  if (it != layouts_.end()) return it->second;
  auto l = analysis::classLayout(t.shape, W, vectors_);
  analysis::Layout lay = l.ok() ? *l : analysis::Layout{};
  return layouts_.emplace(t.shape, lay).first->second;
}

const analysis::Layout& LayoutIndexer::layoutOf(const std::vector<int64_t>& shape) {
  ir::Type t;
  t.kind = ir::Type::Kind::Tensor;
  t.shape = shape;
  return layout(t);
}

uint32_t LayoutIndexer::slots(const ir::Value* v) {
  return v->type.isTensor() ? layout(v->type).slots : 1;
}

Id LayoutIndexer::invocation() {
  if (invocation_) return invocation_;
  const uint32_t S = subgroupSize_;
  if (S && W % S == 0 && S > 1) {
    // t = SubgroupId * S + SubgroupLocalInvocationId: the low log2(S) bits of t are the lane,
    // which subgroup shuffles rely on (LocalInvocationIndex gives no such guarantee).
    Id sg = subgroupIndex(), lane = subgroupLane();
    bool old = b.setPrologue(true);
    invocation_ = b.emit(spv::Op::OpIAdd, b.typeInt(32),
                         {b.emit(spv::Op::OpIMul, b.typeInt(32), {sg, b.u32(S)}), lane});
    b.setPrologue(old);
    return invocation_;
  }
  bool old = b.setPrologue(true);
  invocation_ = b.emit(spv::Op::OpLoad, b.typeInt(32), {localIndexVar});
  b.setPrologue(old);
  return invocation_;
}

Id LayoutIndexer::loadBuiltin(spv::BuiltIn which) {
  b.addCapability(spv::Capability::GroupNonUniform);
  Id v = b.globalVariable(b.typePointer(spv::StorageClass::Input, b.typeInt(32)),
                          spv::StorageClass::Input);
  b.decorate(v, spv::Decoration::BuiltIn, {static_cast<uint32_t>(which)});
  interfaceVars_.push_back(v);
  bool old = b.setPrologue(true);
  Id id = b.emit(spv::Op::OpLoad, b.typeInt(32), {v});
  b.setPrologue(old);
  return id;
}

Id LayoutIndexer::subgroupLane() {
  if (!lane_) lane_ = loadBuiltin(spv::BuiltIn::SubgroupLocalInvocationId);
  return lane_;
}

Id LayoutIndexer::subgroupIndex() {
  if (!subgroup_) subgroup_ = loadBuiltin(spv::BuiltIn::SubgroupId);
  return subgroup_;
}

Id LayoutIndexer::slotLinear(const std::vector<int64_t>& shape, uint32_t r) {
  auto key = std::make_pair(shape, r);
  auto it = linear_.find(key);
  if (it != linear_.end()) return it->second;
  const analysis::Layout& l = layoutOf(shape);
  Id tid = invocation();
  bool old = b.setPrologue(true);
  Id lin;
  Id& tv = invocationTimes_[l.vec];  // t v, made once per run length
  if (!tv) tv = l.vec == 1 ? tid : b.emit(spv::Op::OpIMul, b.typeInt(32), {tid, b.u32(l.vec)});
  if (l.repShift) {
    lin = b.emit(spv::Op::OpShiftRightLogical, b.typeInt(32), {tid, b.u32(l.repShift)});
  } else if (l.replicated) {
    Id x = r ? b.emit(spv::Op::OpIAdd, b.typeInt(32), {tv, b.u32(r)}) : tv;
    lin = b.emit(spv::Op::OpBitwiseAnd, b.typeInt(32), {x, b.u32(static_cast<uint32_t>(l.numel - 1))});
  } else {
    uint32_t base = (r / l.vec) * W * l.vec + r % l.vec;
    lin = base ? b.emit(spv::Op::OpIAdd, b.typeInt(32), {tv, b.u32(base)}) : tv;
  }
  b.setPrologue(old);
  linear_[key] = lin;
  return lin;
}

const std::vector<Id>& LayoutIndexer::slotCoords(const std::vector<int64_t>& shape, uint32_t r) {
  auto key = std::make_pair(shape, r);
  auto it = coords_.find(key);
  if (it != coords_.end()) return it->second;
  const analysis::Layout& l = layoutOf(shape);
  bool old = b.setPrologue(true);
  std::vector<Id> c;
  if (l.replicated) {
    c = delinearize(slotLinear(shape, r), shape);
  } else {
    // L = (r / v) W v + t v + r % v with t < W, v and W powers of 2: the bits of t v and of
    // K = (r / v) W v + r % v are disjoint. Per dimension the coordinate is a compile-time part
    // from K plus an invocation part from t (made once per shape and dimension), so equal
    // coordinates share one id and a run's coordinates differ by constants.
    const uint32_t w = log2Ceil(W), lv = log2Ceil(l.vec);
    const uint64_t K = (static_cast<uint64_t>(r / l.vec) << (w + lv)) | (r % l.vec);
    c.assign(shape.size(), 0);
    uint32_t shift = 0;
    for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
      uint32_t dbits = log2Ceil(shape[i]);
      uint64_t mask = static_cast<uint64_t>(shape[i]) - 1;
      uint64_t k = (K >> shift) & mask;
      Id tpart = 0;
      if (mask && shift < lv + w && shift + dbits > lv) {  // bits of t v fall in this dimension
        auto tk = std::make_pair(shape, static_cast<uint32_t>(i));
        auto ti = tparts_.find(tk);
        if (ti != tparts_.end()) {
          tpart = ti->second;
        } else {
          Id x = invocation();
          if (shift > lv) x = b.emit(spv::Op::OpShiftRightLogical, b.typeInt(32), {x, b.u32(shift - lv)});
          if (shift < lv) x = b.emit(spv::Op::OpShiftLeftLogical, b.typeInt(32), {x, b.u32(lv - shift)});
          if (lv + w - shift > dbits) x = b.emit(spv::Op::OpBitwiseAnd, b.typeInt(32), {x, b.u32(static_cast<uint32_t>(mask))});
          tparts_[tk] = x;
          tpart = x;
        }
      }
      if (!tpart) c[i] = b.u32(static_cast<uint32_t>(k));
      else if (!k) c[i] = tpart;
      else c[i] = b.emit(spv::Op::OpIAdd, b.typeInt(32), {tpart, b.u32(static_cast<uint32_t>(k))});  // disjoint bits
      shift += dbits;
    }
  }
  b.setPrologue(old);
  return coords_.emplace(key, c).first->second;
}

Id LayoutIndexer::ownerCond(const std::vector<int64_t>& shape) {
  const analysis::Layout& l = layoutOf(shape);
  if (!l.replicated) return 0;
  auto it = owner_.find(shape);
  if (it != owner_.end()) return it->second;
  Id tid = invocation();
  bool old = b.setPrologue(true);
  Id c;
  if (l.repShift) {  // the first of each run of adjacent copies
    Id low = b.emit(spv::Op::OpBitwiseAnd, b.typeInt(32), {tid, b.u32((1u << l.repShift) - 1)});
    c = b.emit(spv::Op::OpIEqual, b.typeBool(), {low, b.u32(0)});
  } else {
    Id tv = l.vec == 1 ? tid : b.emit(spv::Op::OpIMul, b.typeInt(32), {tid, b.u32(l.vec)});
    c = b.emit(spv::Op::OpULessThan, b.typeBool(), {tv, b.u32(static_cast<uint32_t>(l.numel))});
  }
  b.setPrologue(old);
  owner_[shape] = c;
  return c;
}

std::vector<Id> LayoutIndexer::delinearize(Id linear, const std::vector<int64_t>& shape) {
  std::vector<Id> c(shape.size(), 0);
  uint32_t shift = 0;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] == 1) {
      c[i] = b.u32(0);
      continue;
    }
    Id x = shift ? b.emit(spv::Op::OpShiftRightLogical, b.typeInt(32), {linear, b.u32(shift)}) : linear;
    c[i] = i == 0 ? x
                  : b.emit(spv::Op::OpBitwiseAnd, b.typeInt(32),
                           {x, b.u32(static_cast<uint32_t>(shape[i] - 1))});
    shift += log2Ceil(shape[i]);
  }
  return c;
}

Id LayoutIndexer::linearize(const std::vector<Id>& coords, const std::vector<int64_t>& shape) {
  Id acc = 0;
  uint32_t shift = 0;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    Id term = shift ? b.emit(spv::Op::OpShiftLeftLogical, b.typeInt(32), {coords[i], b.u32(shift)})
                    : coords[i];
    acc = acc ? b.emit(spv::Op::OpBitwiseOr, b.typeInt(32), {acc, term}) : term;
    shift += log2Ceil(shape[i]);
  }
  return acc ? acc : b.u32(0);
}

std::vector<uint32_t> LayoutIndexer::registerMove(const std::vector<int64_t>& srcShape,
                                            const std::vector<int64_t>& resShape,
                                            const CoordMap& f) {
  const analysis::Layout ls = layoutOf(srcShape), lr = layoutOf(resShape);
  // Replicated layouts take part only with adjacent copies (Layout::repShift: t holds t >> k).
  if ((ls.replicated && !ls.repShift) || (lr.replicated && !lr.repShift) || ls.numel == 0 || lr.numel == 0)
    return {};
  auto unflat = [](int64_t L, const std::vector<int64_t>& shape) {
    std::vector<int64_t> c(shape.size());
    for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
      c[i] = L % shape[i];
      L /= shape[i];
    }
    return c;
  };
  auto flat = [](const std::vector<int64_t>& c, const std::vector<int64_t>& shape) {
    int64_t L = 0;
    for (size_t i = 0; i < shape.size(); ++i) L = L * shape[i] + c[i];
    return L;
  };
  // The slot of invocation t that holds source element S, or -1 (analysis/layout.h:
  // S = (s / v) W v + t v + s % v; with adjacent copies S = t >> k in slot 0).
  const int64_t vs = ls.vec, block = static_cast<int64_t>(W) * vs;
  auto slotIn = [&](uint32_t t, int64_t S) -> int64_t {
    if (ls.repShift) return static_cast<int64_t>(t >> ls.repShift) == S ? 0 : -1;
    const int64_t rem = S % block;
    return rem / vs == static_cast<int64_t>(t) ? S / block * vs + rem % vs : -1;
  };
  std::vector<uint32_t> out;
  for (uint32_t r = 0; r < lr.slots; ++r) {
    // Result slot r of every invocation t must read one source slot s of the same t. With
    // power-of-2 shapes, W and v, coordinates are bit fields of the linear indices and the
    // maps select or clear whole fields, so invocation 0 and each single bit of t decide it.
    int64_t s0 = -1;
    for (uint32_t t = 0; t < W; t = t ? t * 2 : 1) {
      const int64_t s = slotIn(t, flat(f(unflat(lr.linearIndex(t, r), resShape)), srcShape));
      if (s < 0 || (t && s != s0)) return {};
      s0 = s;
    }
    out.push_back(static_cast<uint32_t>(s0));
  }
  return out;
}

}  // namespace tvk::lower
