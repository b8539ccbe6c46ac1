// tt.addptr, tt.load and tt.store. Masked elements never touch memory: each slot's access
// sits in a structured selection on its mask (loads yield `other` instead). Stores run only
// in the owner of a replicated element, and scalar stores only in invocation 0.
// Vector accesses: where the layout holds runs of v consecutive elements per invocation and
// axis info proves k | v of them consecutive and k-aligned (analysis::provenAccessWidth),
// each run of k slots is one k-vector access: under one branch on the run's first mask when
// axis info proves the mask constant on the run, else under the AND of the run's masks, with
// per-element masked accesses when some but not all of them hold.
#include <algorithm>

#include "analysis/vector_width.h"
#include "lower/registry.h"

namespace tvk::lower {

namespace {

const analysis::PointerInfo* ptrInfo(Context& c, const ir::Value* v) {
  auto it = c.prov.ptrs.find(v);
  return it == c.prov.ptrs.end() ? nullptr : &it->second;
}

Result<Id> addptr(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  auto pt = c.regTypeOf(op.operand(0));
  if (!t.ok()) return t;
  if (!pt.ok()) return pt;
  Id p = a[0], off = a[1];
  int offBits = op.operand(1)->type.scalar().bits;
  if (*pt != *t) p = c.b.emit(spv::Op::OpSConvert, *t, {p});
  if (c.b.scalarBits(*t) == 64 && offBits < 64) off = c.b.emit(spv::Op::OpSConvert, *t, {off});
  if (c.b.scalarBits(*t) == 32 && offBits == 64) off = c.b.emit(spv::Op::OpUConvert, *t, {off});
  return c.b.emit(spv::Op::OpIAdd, *t, {p, off});
}

// The scalar element type a pointer value points to.
const ir::Type& pointeeOf(const ir::Value* ptr) { return *ptr->type.scalar().elem; }

// Elements per vector access for a tensor access through `ptr` (1: scalar accesses).
uint32_t accessWidth(Context& c, const ir::Value* ptr, const ir::Value* mask,
                     const analysis::PointerInfo& pi) {
  if (!ptr->type.isTensor() || pi.wide) return 1;
  uint32_t v = c.layout(ptr->type).vec;
  if (c.layout(ptr->type).replicated) return 1;
  return std::min(v, analysis::provenAccessWidth(ptr, nullptr, c.axisInfo, c.opts.target.float16));
}

// The condition for the vector access of the run of k slots from s0: the first mask when
// the mask is provably constant on runs of k (`uniform`), else the AND of the run's masks.
Id runMask(Context& c, const ir::Value* ptr, const ir::Value* mask, uint32_t s0, uint32_t k,
           bool& uniform) {
  uniform = !mask || analysis::provenAccessWidth(ptr, mask, c.axisInfo, c.opts.target.float16) >= k;
  if (!mask) return 0;
  Id all = c.at(mask, s0);
  if (uniform) return all;
  for (uint32_t j = 1; j < k; ++j)
    all = c.b.emit(spv::Op::OpLogicalAnd, c.boolean(), {all, c.at(mask, s0 + j)});
  return all;
}

// How a run of k elements is moved: as one vector of the storage type, or (f16) as k/2
// 32-bit words, each split by a bitcast to f16vec2 (needs the Float16 capability).
struct RunView {
  /// The view type of one run.
  Id type = 0;
  /// True when the run is moved as 32-bit words.
  bool words = false;
};

RunView runView(Context& c, const ir::Type& pointee, Id st, uint32_t k) {
  if (pointee.bits != 16) return {c.b.typeVector(st, k), false};
  c.b.addCapability(spv::Capability::Float16);
  c.needFeature("float16");
  return {k == 2 ? c.u32() : c.b.typeVector(c.u32(), k / 2), true};
}

// The k storage values of a loaded run.
std::vector<Id> unpackRun(Context& c, const RunView& v, Id st, Id raw, uint32_t k) {
  std::vector<Id> out;
  if (!v.words) {
    for (uint32_t j = 0; j < k; ++j) out.push_back(c.b.emit(spv::Op::OpCompositeExtract, st, {raw, j}));
    return out;
  }
  Id pairT = c.b.typeVector(st, 2);
  for (uint32_t w = 0; w < k / 2; ++w) {
    Id word = k == 2 ? raw : c.b.emit(spv::Op::OpCompositeExtract, c.u32(), {raw, w});
    Id pair = c.b.emit(spv::Op::OpBitcast, pairT, {word});
    for (uint32_t j = 0; j < 2; ++j) out.push_back(c.b.emit(spv::Op::OpCompositeExtract, st, {pair, j}));
  }
  return out;
}

// The run to store from its k storage values.
Id packRun(Context& c, const RunView& v, Id st, const std::vector<Id>& parts) {
  if (!v.words) return c.b.emit(spv::Op::OpCompositeConstruct, v.type, parts);
  Id pairT = c.b.typeVector(st, 2);
  std::vector<Id> words;
  for (size_t w = 0; w + 1 < parts.size(); w += 2) {
    Id pair = c.b.emit(spv::Op::OpCompositeConstruct, pairT, {parts[w], parts[w + 1]});
    words.push_back(c.b.emit(spv::Op::OpBitcast, c.u32(), {pair}));
  }
  return words.size() == 1 ? words[0] : c.b.emit(spv::Op::OpCompositeConstruct, v.type, words);
}

Status lowerLoadVector(Context& c, const ir::Operation& op, uint32_t k, Id rt) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* mask = op.numOperands() > 1 ? op.operand(1) : nullptr;
  const ir::Value* other = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  const ir::Type& pointee = pointeeOf(ptr);
  auto st = c.storageType(pointee);
  if (!st.ok()) return c.unsupported(op, st.status().message());
  const RunView view = runView(c, pointee, *st, k);
  std::vector<Id> out;
  uint32_t n = c.slots(op.result());
  for (uint32_t s0 = 0; s0 < n; s0 += k) {
    bool uniform = true;
    Id m = runMask(c, ptr, mask, s0, k, uniform);
    // The raw run (zero when the mask fails), converted outside the branch.
    auto raw = c.ifValue(m, view.type, [&]() -> Result<Id> {
      auto p = c.vectorBufferPtr(pi->arg, pointee, c.at(ptr, s0), k, view.type);
      if (!p.ok()) return p;
      return c.b.emit(spv::Op::OpLoad, view.type, {*p});
    }, m ? c.b.constNull(view.type) : 0);
    if (!raw.ok()) return c.unsupported(op, raw.status().message());
    std::vector<Id> parts = unpackRun(c, view, *st, *raw, k);
    Id notAll = uniform ? 0 : c.b.emit(spv::Op::OpLogicalNot, c.boolean(), {m});
    for (uint32_t j = 0; j < k; ++j) {
      auto e = c.fromStorage(pointee, parts[j]);
      if (!e.ok()) return c.unsupported(op, e.status().message());
      Id v = *e;
      if (m) {
        Id otherId = other ? c.at(other, s0 + j) : c.b.constNull(rt);
        v = c.b.emit(spv::Op::OpSelect, rt, {m, v, otherId});
      }
      if (!uniform) {
        // Some but not all masks of the run hold: per-element loads (`v` holds `other`).
        Id off = c.at(ptr, s0 + j);
        auto se = c.ifValue(c.andCond(notAll, c.at(mask, s0 + j)), rt, [&]() -> Result<Id> {
          auto p = c.bufferPtr(pi->arg, pointee, off, false);
          if (!p.ok()) return p;
          return c.fromStorage(pointee, c.b.emit(spv::Op::OpLoad, *st, {*p}));
        }, v);
        if (!se.ok()) return c.unsupported(op, se.status().message());
        v = *se;
      }
      out.push_back(v);
    }
  }
  c.bind(op.result(), std::move(out));
  return Status();
}

Status lowerStoreVector(Context& c, const ir::Operation& op, uint32_t k) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* val = op.operand(1);
  const ir::Value* mask = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  const ir::Type& pointee = pointeeOf(ptr);
  auto st = c.storageType(pointee);
  if (!st.ok()) return c.unsupported(op, st.status().message());
  const RunView view = runView(c, pointee, *st, k);
  uint32_t n = c.slots(ptr);
  for (uint32_t s0 = 0; s0 < n; s0 += k) {
    bool uniform = true;
    Id m = runMask(c, ptr, mask, s0, k, uniform);
    Status st2 = c.ifThen(m, [&]() -> Status {
      std::vector<Id> parts;
      for (uint32_t j = 0; j < k; ++j) {
        auto sv = c.toStorage(pointee, c.at(val, s0 + j));
        if (!sv.ok()) return sv.status();
        parts.push_back(*sv);
      }
      auto p = c.vectorBufferPtr(pi->arg, pointee, c.at(ptr, s0), k, view.type);
      if (!p.ok()) return p.status();
      c.b.emitVoid(spv::Op::OpStore, {*p, packRun(c, view, *st, parts)});
      return Status();
    });
    if (!st2.ok()) return c.unsupported(op, st2.message());
    if (uniform) continue;
    // Some but not all masks of the run hold: per-element stores.
    Id notAll = c.b.emit(spv::Op::OpLogicalNot, c.boolean(), {m});
    st2 = c.ifThen(notAll, [&]() -> Status {
      for (uint32_t j = 0; j < k; ++j) {
        Id off = c.at(ptr, s0 + j), v = c.at(val, s0 + j);
        TVK_RETURN_IF_ERROR(c.ifThen(c.at(mask, s0 + j), [&]() -> Status {
          auto p = c.bufferPtr(pi->arg, pointee, off, false);
          if (!p.ok()) return p.status();
          auto sv = c.toStorage(pointee, v);
          if (!sv.ok()) return sv.status();
          c.b.emitVoid(spv::Op::OpStore, {*p, *sv});
          return Status();
        }));
      }
      return Status();
    });
    if (!st2.ok()) return c.unsupported(op, st2.message());
  }
  return Status();
}

Status lowerLoad(Context& c, const ir::Operation& op) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* mask = op.numOperands() > 1 ? op.operand(1) : nullptr;
  const ir::Value* other = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  if (!pi) return c.unsupported(op, "pointer without provenance");
  if (pointeeOf(ptr).isPtr()) return c.unsupported(op, "loading pointers");
  const ir::Type& pointee = pointeeOf(ptr);
  auto rt = c.regTypeOf(op.result());
  if (!rt.ok()) return c.unsupported(op, rt.status().message());
  auto st = c.storageType(pointee);
  if (!st.ok()) return c.unsupported(op, st.status().message());
  if (uint32_t k = accessWidth(c, ptr, mask, *pi); k > 1) return lowerLoadVector(c, op, k, *rt);
  std::vector<Id> out;
  uint32_t n = c.slots(op.result());
  for (uint32_t s = 0; s < n; ++s) {
    Id m = mask ? c.at(mask, s) : 0;
    Id otherId = other ? c.at(other, s) : c.b.constNull(*rt);
    Id off = c.at(ptr, s);
    auto v = c.ifValue(m, *rt, [&]() -> Result<Id> {
      auto p = c.bufferPtr(pi->arg, pointee, off, pi->wide);
      if (!p.ok()) return p;
      Id raw = c.b.emit(spv::Op::OpLoad, *st, {*p});
      return c.fromStorage(pointee, raw);
    }, otherId);
    if (!v.ok()) return c.unsupported(op, v.status().message());
    out.push_back(*v);
  }
  c.bind(op.result(), std::move(out));
  return Status();
}

Status lowerStore(Context& c, const ir::Operation& op) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* val = op.operand(1);
  const ir::Value* mask = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  if (!pi) return c.unsupported(op, "pointer without provenance");
  const ir::Type& pointee = pointeeOf(ptr);
  if (pointee.isPtr()) return c.unsupported(op, "storing pointers");
  auto st = c.storageType(pointee);
  if (!st.ok()) return c.unsupported(op, st.status().message());
  if (uint32_t k = accessWidth(c, ptr, mask, *pi); k > 1) return lowerStoreVector(c, op, k);
  Id owner;
  if (ptr->type.isTensor()) {
    owner = c.ownerCond(ptr->type.shape);
  } else {
    owner = c.b.emit(spv::Op::OpIEqual, c.boolean(), {c.invocation(), c.c32(0)});
  }
  uint32_t n = c.slots(ptr);
  for (uint32_t s = 0; s < n; ++s) {
    Id cond = c.andCond(mask ? c.at(mask, s) : 0, owner);
    Id off = c.at(ptr, s), v = c.at(val, s);
    Status st2 = c.ifThen(cond, [&]() -> Status {
      auto p = c.bufferPtr(pi->arg, pointee, off, pi->wide);
      if (!p.ok()) return p.status();
      auto sv = c.toStorage(pointee, v);
      if (!sv.ok()) return sv.status();
      c.b.emitVoid(spv::Op::OpStore, {*p, *sv});
      return Status();
    });
    if (!st2.ok()) return c.unsupported(op, st2.message());
  }
  return Status();
}

}  // namespace

void registerMemoryOps(Registry& r) {
  registerElementwise(r, "tt.addptr", addptr);
  registerLowering(r, "tt.load", lowerLoad);
  registerLowering(r, "tt.store", lowerStore);
}

}  // namespace tvk::lower
