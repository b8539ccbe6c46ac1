#include "lower/memory_runs.h"

#include <spirv/unified1/GLSL.std.450.h>

#include <cmath>
#include <string>
#include <vector>

#include "lower/fp8.h"

namespace tvk::lower {

namespace {

const ir::Type& pointeeOf(const ir::Value* ptr) { return *ptr->type.scalar().elem; }

// How a run of `k` elements of `pointee` moves: `type`, one vector (or scalar word) per run.
struct RunView {
  Id type = 0;
  Id storage = 0;      // the element's storage type (wide runs)
  uint32_t bytes = 0;  // element bytes
  uint32_t k = 0;      // elements per run
  bool words = false;  // narrow elements packed in 32-bit words
  uint32_t count() const { return words ? k * bytes / 4 : k; }
};

Result<RunView> runView(Context& c, const ir::Type& pointee, uint32_t k) {
  RunView v;
  v.bytes = static_cast<uint32_t>(Context::elementBytes(pointee));
  v.k = k;
  v.words = v.bytes < 4;
  if (v.words) {
    v.type = v.count() == 1 ? c.u32() : c.b.typeVector(c.u32(), v.count());
    return v;
  }
  auto st = c.storageType(pointee);
  if (!st.ok()) return st.status();
  v.storage = *st;
  v.type = c.b.typeVector(*st, k);
  return v;
}

Result<Id> runPointer(Context& c, const RunView& v, Id address) {
  c.b.usePhysicalStorageBuffer();
  c.needFeature("bufferDeviceAddress");
  return c.b.emit(spv::Op::OpConvertUToPtr,
                  c.b.typePointer(spv::StorageClass::PhysicalStorageBuffer, v.type), {address});
}

// Word `w` of a loaded run.
Id word(Context& c, const RunView& v, Id raw, uint32_t w) {
  return v.count() == 1 ? raw : c.b.emit(spv::Op::OpCompositeExtract, c.u32(), {raw, w});
}

// The register values of a loaded run.
Result<std::vector<Id>> unpackRun(Context& c, const ir::Type& t, const RunView& v, Id raw) {
  auto& b = c.b;
  std::vector<Id> out;
  if (!v.words) {
    for (uint32_t j = 0; j < v.k; ++j) {
      auto e = c.fromStorage(t, b.emit(spv::Op::OpCompositeExtract, v.storage, {raw, j}));
      if (!e.ok()) return e.status();
      out.push_back(*e);
    }
    return out;
  }
  const uint32_t per = 4 / v.bytes, bits = v.bytes * 8;
  for (uint32_t w = 0; w < v.count(); ++w) {
    Id x = word(c, v, raw, w);
    if (t.isFloat() && t.name == "f16") {
      Id pair = b.glsl(GLSLstd450UnpackHalf2x16, b.typeVector(c.f32(), 2), {x});
      for (uint32_t j = 0; j < 2; ++j) {
        out.push_back(b.emit(spv::Op::OpCompositeExtract, c.f32(), {pair, j}));
        c.lanes.note(out.back(), x, j, t);
      }
      continue;
    }
    for (uint32_t j = 0; j < per; ++j) {
      Id shift = c.c32(j * bits);
      if (t.isFloat() && t.name == "bf16") {
        Id hi = j == 1 ? b.emit(spv::Op::OpBitwiseAnd, c.u32(), {x, c.c32(0xffff0000u)})
                       : b.emit(spv::Op::OpShiftLeftLogical, c.u32(), {x, c.c32(16)});
        out.push_back(b.emit(spv::Op::OpBitcast, c.f32(), {hi}));
      } else if (t.isFloat()) {  // fp8
        Id code = b.emit(spv::Op::OpBitFieldUExtract, c.u32(), {x, shift, c.c32(bits)});
        auto e = decodeFp8(c, t, code);
        if (!e.ok()) return e.status();
        out.push_back(*e);
      } else {  // narrow integers sign-extend into their 32-bit register, as fromStorage does
        out.push_back(b.emit(spv::Op::OpBitFieldSExtract, c.u32(), {x, shift, c.c32(bits)}));
      }
      c.lanes.note(out.back(), x, j, t);
    }
  }
  return out;
}

// The run to store from the register values `vals`.
Result<Id> packRun(Context& c, const ir::Type& t, const RunView& v, const std::vector<Id>& vals) {
  auto& b = c.b;
  if (!v.words) {
    std::vector<Id> parts;
    for (Id x : vals) {
      auto s = c.toStorage(t, x);
      if (!s.ok()) return s.status();
      parts.push_back(*s);
    }
    return b.emit(spv::Op::OpCompositeConstruct, v.type, parts);
  }
  const uint32_t per = 4 / v.bytes, bits = v.bytes * 8;
  std::vector<Id> words;
  for (uint32_t w = 0; w < v.count(); ++w) {
    // Lanes of one unpacked word, in order: that word (the elements were only moved).
    if (Id same = c.lanes.wordOf({vals.begin() + w * per, vals.begin() + (w + 1) * per}, t)) {
      words.push_back(same);
      continue;
    }
    if (t.isFloat() && t.name == "f16") {
      Id pair = b.emit(spv::Op::OpCompositeConstruct, b.typeVector(c.f32(), 2),
                       {vals[2 * w], vals[2 * w + 1]});
      if (c.opts.target.roundingRTE16 && c.opts.target.float16) {
        // OpFConvert under RoundingModeRTE: rounds a result whose rounding was deferred to the
        // store (Context::defersF16Rounding); PackHalf2x16's rounding is the driver's.
        b.addCapability(spv::Capability::Float16);
        c.needFeature("float16");
        c.roundsF16ByMode = true;
        Id half2 = b.emit(spv::Op::OpFConvert, b.typeVector(b.typeFloat(16), 2), {pair});
        words.push_back(b.emit(spv::Op::OpBitcast, c.u32(), {half2}));
      } else {
        words.push_back(b.glsl(GLSLstd450PackHalf2x16, c.u32(), {pair}));
      }
      continue;
    }
    Id acc = 0;
    for (uint32_t j = 0; j < per; ++j) {
      Id x = vals[w * per + j], e;
      if (t.isFloat() && t.name == "bf16") {
        Id u = b.emit(spv::Op::OpBitcast, c.u32(), {x});
        e = j == 1 ? b.emit(spv::Op::OpBitwiseAnd, c.u32(), {u, c.c32(0xffff0000u)})
                   : b.emit(spv::Op::OpShiftRightLogical, c.u32(), {u, c.c32(16)});
      } else {
        if (t.isFloat()) {  // fp8
          auto code = encodeFp8(c, t, x);
          if (!code.ok()) return code.status();
          x = *code;
        }
        e = b.emit(spv::Op::OpBitwiseAnd, c.u32(), {x, c.c32((1u << bits) - 1)});
        if (j) e = b.emit(spv::Op::OpShiftLeftLogical, c.u32(), {e, c.c32(j * bits)});
      }
      acc = acc ? b.emit(spv::Op::OpBitwiseOr, c.u32(), {acc, e}) : e;
    }
    words.push_back(acc);
  }
  return words.size() == 1 ? words[0] : b.emit(spv::Op::OpCompositeConstruct, v.type, words);
}

// The condition of the run of k slots from s0: its first mask when the mask is constant on
// runs (`uniform`), else the AND of its masks; 0 without a mask.
Id runMask(Context& c, const std::vector<Id>& masks, uint32_t s0, uint32_t k, bool uniform) {
  if (!masks[s0]) return 0;
  Id all = masks[s0];
  for (uint32_t j = 1; j < k && !uniform; ++j)
    all = c.b.emit(spv::Op::OpLogicalAnd, c.boolean(), {all, masks[s0 + j]});
  return all;
}

// Per slot: the mask id of `mask` (0 without one).
std::vector<Id> slotMasks(Context& c, const ir::Value* mask, uint32_t slots) {
  std::vector<Id> out(slots, 0);
  if (mask)
    for (uint32_t s = 0; s < slots; ++s) out[s] = c.at(mask, s);
  return out;
}

}  // namespace

Result<Id> loadElement(Context& c, const ir::Type& t, int arg, Id offset, bool wide) {
  auto st = c.storageType(t);
  if (!st.ok()) return st;
  auto p = c.bufferPtr(arg, t, offset, wide);
  if (!p.ok()) return p;
  std::vector<Id> ops{*p};
  for (Id m : c.memoryOperands(t, false)) ops.push_back(m);
  return c.fromStorage(t, c.b.emit(spv::Op::OpLoad, *st, ops));
}

Status storeElement(Context& c, const ir::Type& t, int arg, Id offset, bool wide, Id v) {
  auto p = c.bufferPtr(arg, t, offset, wide);
  if (!p.ok()) return p.status();
  auto sv = c.toStorage(t, v);
  if (!sv.ok()) return sv.status();
  std::vector<Id> ops{*p, *sv};
  for (Id m : c.memoryOperands(t, true)) ops.push_back(m);
  c.b.emitVoid(spv::Op::OpStore, ops);
  return Status();
}

// True when `v` is a constant whose every element has all bits zero (0, false, +0.0): what
// the null raw run of a masked-off load unpacks to, so `other` = v needs no select.
static bool allZeroBits(const ir::Value* v) {
  if (!v || !v->def || v->def->name != "arith.constant") return false;
  const ir::Attribute* a = ir::constantValue(*v->def);
  if (!a) return false;
  switch (a->kind) {
    case ir::Attribute::Kind::Int:
    case ir::Attribute::Kind::Bool:
      return a->i == 0;
    case ir::Attribute::Kind::Float:
      // Written in hex (`0x8000 : f16` is -0.0): zero only when every digit is.
      if (a->s.size() > 2 && a->s[0] == '0' && (a->s[1] == 'x' || a->s[1] == 'X'))
        return a->s.find_first_not_of('0', 2) == std::string::npos;
      return a->f == 0.0 && !std::signbit(a->f);
    default:
      return false;
  }
}

Status lowerLoadRuns(Context& c, const ir::Operation& op, const analysis::AccessVector& a) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* mask = op.numOperands() > 1 ? op.operand(1) : nullptr;
  const ir::Value* given = op.numOperands() > 2 ? op.operand(2) : nullptr;
  // An all-zero `other` is what a masked-off run reads anyway.
  const ir::Value* other = allZeroBits(given) ? nullptr : given;
  const uint32_t n = c.layouts.slots(op.result());
  const std::vector<Id> masks = slotMasks(c, mask, n);
  auto out = loadRuns(c, op, a, [&](uint32_t s) { return c.at(ptr, s); }, masks,
                      [&](uint32_t s) { return other ? c.at(other, s) : Id(0); });
  if (!out.ok()) return out.status();
  c.bind(op.result(), std::move(*out));
  return Status();
}

Result<std::vector<Id>> loadRuns(Context& c, const ir::Operation& op, const analysis::AccessVector& a,
                                 const std::function<Id(uint32_t)>& addr, const std::vector<Id>& masks,
                                 const std::function<Id(uint32_t)>& otherAt) {
  const ir::Type& t = pointeeOf(op.operand(0));
  const uint32_t k = a.width;
  auto& b = c.b;
  auto rt = c.regTypeOf(op.result());
  if (!rt.ok()) return c.unsupported(op, rt.status().message());
  auto view = runView(c, t, k);
  if (!view.ok()) return c.unsupported(op, view.status().message());
  const Id runT = b.typeArray(*rt, k);
  std::vector<Id> out;
  const uint32_t n = static_cast<uint32_t>(masks.size());
  for (uint32_t s0 = 0; s0 < n; s0 += k) {
    // One vector access where the run's masks hold. Axis info proves every run aligned to
    // its size (analysis/vector_width.h), as Triton's backends take it: a run-time check
    // and an element-wise fallback cost 0.2-0.6 of the bandwidth on the H200 (session 10).
    Id m = runMask(c, masks, s0, k, a.maskUniform);
    auto raw = c.flow.ifValue(m, view->type, [&]() -> Result<Id> {
      auto p = runPointer(c, *view, addr(s0));
      if (!p.ok()) return p;
      std::vector<Id> ops{*p};
      for (Id mo : c.memoryOperands(t, false, k * view->bytes)) ops.push_back(mo);
      return b.emit(spv::Op::OpLoad, view->type, ops);
    }, m ? b.constNull(view->type) : 0);
    if (!raw.ok()) return c.unsupported(op, raw.status().message());
    auto parts = unpackRun(c, t, *view, *raw);
    if (!parts.ok()) return c.unsupported(op, parts.status().message());
    // A run whose masks differ (not proven constant on runs) and do not all hold: element
    // by element, each under its own mask, in one branch.
    Id notAll = a.maskUniform || !m ? 0 : b.emit(spv::Op::OpLogicalNot, c.boolean(), {m});
    Id slow = 0;
    if (notAll) {
      auto sl = c.flow.ifValue(notAll, runT, [&]() -> Result<Id> {
        std::vector<Id> vals;
        for (uint32_t j = 0; j < k; ++j) {
          Id address = addr(s0 + j);
          Id other = otherAt(s0 + j);
          Id dflt = other ? other : b.constNull(*rt);
          auto e = c.flow.ifValue(masks[s0 + j], *rt,
                             [&]() { return loadElement(c, t, -1, address, false); }, dflt);
          if (!e.ok()) return e;
          vals.push_back(*e);
        }
        return b.emit(spv::Op::OpCompositeConstruct, runT, vals);
      }, b.constNull(runT));
      if (!sl.ok()) return c.unsupported(op, sl.status().message());
      slow = *sl;
    }
    for (uint32_t j = 0; j < k; ++j) {
      Id v = (*parts)[j];
      // Without `other` (or with an all-zero one), a masked-off run already reads as zeros (the
      // null raw run unpacks to the null register of every element type, fp8's code 0 included).
      if (m) {
        if (Id other = otherAt(s0 + j)) v = b.emit(spv::Op::OpSelect, *rt, {m, v, other});
      }
      if (slow) v = b.emit(spv::Op::OpSelect, *rt, {notAll, b.emit(spv::Op::OpCompositeExtract, *rt, {slow, j}), v});
      out.push_back(v);
    }
  }
  return out;
}

Status storeRuns(Context& c, const ir::Operation& op, const analysis::AccessVector& a,
                 const std::vector<Id>& addrs, const std::vector<Id>& vals,
                 const std::vector<Id>& masks) {
  const ir::Type& t = pointeeOf(op.operand(0));
  const uint32_t k = a.width;
  auto view = runView(c, t, k);
  if (!view.ok()) return c.unsupported(op, view.status().message());
  const uint32_t n = static_cast<uint32_t>(addrs.size());
  for (uint32_t s0 = 0; s0 < n; s0 += k) {
    // One vector access where the run's masks hold (aligned: see lowerLoadRuns).
    Id m = runMask(c, masks, s0, k, a.maskUniform);
    Status st = c.flow.ifThen(m, [&]() -> Status {
      auto run = packRun(c, t, *view, std::vector<Id>(vals.begin() + s0, vals.begin() + s0 + k));
      if (!run.ok()) return run.status();
      auto p = runPointer(c, *view, addrs[s0]);
      if (!p.ok()) return p.status();
      std::vector<Id> ops{*p, *run};
      for (Id mo : c.memoryOperands(t, true, k * view->bytes)) ops.push_back(mo);
      c.b.emitVoid(spv::Op::OpStore, ops);
      return Status();
    });
    if (!st.ok()) return c.unsupported(op, st.message());
    if (a.maskUniform || !m) continue;
    // Masks that differ within the run: element by element, each under its own mask.
    Id notAll = c.b.emit(spv::Op::OpLogicalNot, c.boolean(), {m});
    st = c.flow.ifThen(notAll, [&]() -> Status {
      for (uint32_t j = s0; j < s0 + k; ++j)
        TVK_RETURN_IF_ERROR(
            c.flow.ifThen(masks[j], [&]() { return storeElement(c, t, -1, addrs[j], false, vals[j]); }));
      return Status();
    });
    if (!st.ok()) return c.unsupported(op, st.message());
  }
  return Status();
}

Status lowerStoreRuns(Context& c, const ir::Operation& op, const analysis::AccessVector& a) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* val = op.operand(1);
  const ir::Value* mask = op.numOperands() > 2 ? op.operand(2) : nullptr;
  std::vector<Id> addrs, vals;
  for (uint32_t s = 0; s < c.layouts.slots(ptr); ++s) {
    addrs.push_back(c.at(ptr, s));
    vals.push_back(c.at(val, s));
  }
  return storeRuns(c, op, a, addrs, vals, slotMasks(c, mask, c.layouts.slots(ptr)));
}

}  // namespace tvk::lower
