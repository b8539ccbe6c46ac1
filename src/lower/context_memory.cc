// Context: buffers, push constants, pointers and narrow-float rounding.
#include "lower/context.h"

#include <cstdlib>
#include <string>

#include "ir/walk.h"
#include "lower/fp8.h"
#include "support/switches.h"

namespace tvk::lower {

namespace {
constexpr uint32_t kScopeDevice = 1, kScopeWorkgroup = 2, kScopeSubgroup = 3;
constexpr uint32_t kSemAcqRel = 0x8;
constexpr uint32_t kSemUniformMemory = 0x40, kSemWorkgroupMemory = 0x100;

int storageBytes(const ir::Type& t) { return Context::elementBytes(t); }
}  // namespace

int Context::elementBytes(const ir::Type& pointee) {
  if (pointee.isPtr()) return 8;  // a 64-bit address (i64 in memory)
  if (pointee.isInt() && pointee.bits == 1) return 1;
  return (pointee.bits + 7) / 8;
}

Id Context::loadPush(uint32_t member) {
  Id type = pushMemberTypes[member];
  Id ptr = b.emit(spv::Op::OpAccessChain, b.typePointer(spv::StorageClass::PushConstant, type),
                  {pushVar, c32(member)});
  return b.emit(spv::Op::OpLoad, type, {ptr});
}

Result<Id> Context::storageType(const ir::Type& t) {
  const Target& tg = opts.target;
  if (t.isPtr()) {
    if (!addresses)
      return Status::error("pointers in memory need buffer device addresses (" + t.str() + ")");
    return b.typeInt(64);
  }
  if (t.isFloat() && t.bits == 32) return f32();
  if (t.isInt() && t.bits == 32) return u32();
  if (t.kind == ir::Type::Kind::Index) return u32();
  if (t.bits == 64) {
    auto r = regType(t);
    if (!r.ok()) return r;
    return *r;
  }
  if (t.bits == 16) {
    if (!tg.storage16) return Status::error("the target has no 16-bit storage (" + t.str() + ")");
    b.addCapability(spv::Capability::StorageBuffer16BitAccess);
    needFeature("storage16");
    return t.name == "f16" ? b.typeFloat(16) : b.typeInt(16);
  }
  if (t.bits == 8 || t.bits == 1) {
    if (!tg.storage8) return Status::error("the target has no 8-bit storage (" + t.str() + ")");
    b.addCapability(spv::Capability::StorageBuffer8BitAccess);
    needFeature("storage8");
    return b.typeInt(8);
  }
  return Status::error("no storage type for " + t.str());
}

Result<Id> Context::fromStorage(const ir::Type& t, Id v) {
  if (t.isFloat() && t.name == "f16") return b.emit(spv::Op::OpFConvert, f32(), {v});
  if (t.isFloat() && t.name == "bf16") {
    Id w = b.emit(spv::Op::OpUConvert, u32(), {v});
    Id s = b.emit(spv::Op::OpShiftLeftLogical, u32(), {w, c32(16)});
    return b.emit(spv::Op::OpBitcast, f32(), {s});
  }
  if (t.isFloat() && t.bits == 8) return decodeFp8(*this, t, b.emit(spv::Op::OpUConvert, u32(), {v}));
  if (t.isInt() && t.bits == 1) {
    Id w = b.emit(spv::Op::OpUConvert, u32(), {v});
    return b.emit(spv::Op::OpINotEqual, boolean(), {w, c32(0)});
  }
  if (t.isInt() && t.bits < 32) return b.emit(spv::Op::OpSConvert, u32(), {v});
  return v;
}

Result<Id> Context::toStorage(const ir::Type& t, Id v) {
  if (t.isFloat() && t.name == "f16") {
    roundsF16ByMode = true;  // exact for rounded values; rounds a deferred one (roundTo)
    return b.emit(spv::Op::OpFConvert, b.typeFloat(16), {v});
  }
  if (t.isFloat() && t.name == "bf16") {
    Id w = b.emit(spv::Op::OpBitcast, u32(), {v});
    Id s = b.emit(spv::Op::OpShiftRightLogical, u32(), {w, c32(16)});
    return b.emit(spv::Op::OpUConvert, b.typeInt(16), {s});
  }
  if (t.isFloat() && t.bits == 8) {
    auto code = encodeFp8(*this, t, v);
    if (!code.ok()) return code;
    return b.emit(spv::Op::OpUConvert, b.typeInt(8), {*code});
  }
  if (t.isInt() && t.bits == 1) {
    // 0/1 in a 32-bit register, then narrowed: 8-bit constants need the Int8 capability,
    // which 8-bit storage alone does not give (spirv-val).
    Id w = b.emit(spv::Op::OpSelect, u32(), {v, c32(1), c32(0)});
    return b.emit(spv::Op::OpUConvert, b.typeInt(8), {w});
  }
  if (t.isInt() && t.bits < 32) return b.emit(spv::Op::OpUConvert, b.typeInt(t.bits), {v});
  return v;
}

Result<Id> Context::bufferPtr(int arg, const ir::Type& pointee, Id offset, bool wide) {
  auto st = storageType(pointee);
  if (!st.ok()) return st;
  if (addresses) {
    b.usePhysicalStorageBuffer();
    needFeature("bufferDeviceAddress");
    return b.emit(spv::Op::OpConvertUToPtr,
                  b.typePointer(spv::StorageClass::PhysicalStorageBuffer, *st), {offset});
  }
  auto key = std::make_pair(arg, *st);
  Id var;
  auto it = bufferVars_.find(key);
  if (it != bufferVars_.end()) {
    var = it->second;
  } else {
    uint32_t bytes = static_cast<uint32_t>(storageBytes(pointee));
    Id arr = b.typeRuntimeArray(*st, bytes);
    Id s = b.typeStruct({arr});
    b.decorate(s, spv::Decoration::Block);
    b.memberDecorate(s, 0, spv::Decoration::Offset, {0});
    var = b.globalVariable(b.typePointer(spv::StorageClass::StorageBuffer, s),
                           spv::StorageClass::StorageBuffer);
    b.decorate(var, spv::Decoration::DescriptorSet, {0});
    b.decorate(var, spv::Decoration::Binding, {static_cast<uint32_t>(arg)});
    if (!prov.argWritten[arg]) b.decorate(var, spv::Decoration::NonWritable);
    if (coherent) b.decorate(var, spv::Decoration::Coherent);
    bool firstView = true;
    for (const auto& [k, v] : bufferVars_) firstView = firstView && k.first != arg;
    b.name(var, func.body().arg(arg)->name + (firstView ? "" : "_view"));
    bufferVars_[key] = var;
  }
  // Base element offset of the binding, rescaled from the parameter's element size.
  const ir::Type& argPointee = *func.body().arg(arg)->type.elem;
  int argBytes = storageBytes(argPointee), curBytes = storageBytes(pointee);
  Id base = loadPush(params[arg].member);
  if (argBytes > curBytes)
    base = b.emit(spv::Op::OpIMul, u32(), {base, c32(static_cast<uint32_t>(argBytes / curBytes))});
  else if (argBytes < curBytes)
    base = b.emit(spv::Op::OpUDiv, u32(), {base, c32(static_cast<uint32_t>(curBytes / argBytes))});
  Id idx;
  if (wide) {
    Id u64 = b.typeInt(64);
    Id base64 = b.emit(spv::Op::OpUConvert, u64, {base});
    idx = b.emit(spv::Op::OpIAdd, u64, {offset, base64});
  } else {
    idx = b.emit(spv::Op::OpIAdd, u32(), {offset, base});
  }
  return b.emit(spv::Op::OpAccessChain, b.typePointer(spv::StorageClass::StorageBuffer, *st),
                {var, c32(0), idx});
}

std::vector<Id> Context::memoryOperands(const ir::Type& pointee, bool store, uint32_t alignment) {
  if (!addresses) return {};
  const Id align = static_cast<Id>(alignment ? alignment : storageBytes(pointee));
  if (deviceVisible) {
    // Operands follow the mask bits in increasing order: Aligned's literal, then the scope of
    // MakePointerAvailable (0x8) or MakePointerVisible (0x10).
    auto mask = spv::MemoryAccessMask::Aligned | spv::MemoryAccessMask::NonPrivatePointer |
                (store ? spv::MemoryAccessMask::MakePointerAvailable
                       : spv::MemoryAccessMask::MakePointerVisible);
    return {static_cast<Id>(mask), align, c32(kScopeDevice)};
  }
  if (coherent)
    return {static_cast<Id>(spv::MemoryAccessMask::Volatile | spv::MemoryAccessMask::Aligned),
            align};
  return {static_cast<Id>(spv::MemoryAccessMask::Aligned),
          align};
}

bool Context::isAddress(const ir::Value* v) const {
  if (addresses) return true;
  auto it = prov.ptrs.find(v);
  return it != prov.ptrs.end() && it->second.arg == analysis::kRawAddress;
}

bool barrierElision() {
  static const bool elide = switchOn("TVK_BARRIER_ELISION");
  return elide;
}

namespace {

// The barrier, unless elision may leave it out (`needed`: Scratch::barrierNeeded's answer). With
// atomics, barriers also order global memory (below): every one is kept.
void barrierUnlessElided(Context& c, bool needed) {
  if (!barrierElision() || c.coherent || needed)
    c.barrier();
  else
    c.scratch.barrierLeftOut();
}

}  // namespace

void Context::scratchBarrier(const ir::Operation& op) {
  barrierUnlessElided(*this, scratch.barrierNeeded(op));
  scratch.enterRegion(op);
}

void Context::scratchBarrier(Scratch::Region r) {
  barrierUnlessElided(*this, scratch.barrierNeeded(r));
  scratch.declareRegion(r);
}

void Context::barrier() {
  scratch.atBarrier();
  // A kernel with atomics may guard plain global accesses with a lock taken by one invocation
  // (a spin on atomic_cas, released by atomic_xchg after tl.debug_barrier): its barriers also
  // order the workgroup's storage-buffer accesses at device scope, as GLSL's
  // memoryBarrierBuffer(); barrier() does, so the releasing invocation's atomic publishes the
  // other invocations' stores and their loads follow the acquiring invocation's atomic.
  if (coherent) {
    b.emitVoid(spv::Op::OpControlBarrier,
               {c32(kScopeWorkgroup), c32(kScopeDevice),
                c32(kSemAcqRel | kSemWorkgroupMemory | kSemUniformMemory)});
    return;
  }
  b.emitVoid(spv::Op::OpControlBarrier, {c32(kScopeWorkgroup), c32(kScopeWorkgroup),
                                         c32(kSemAcqRel | kSemWorkgroupMemory)});
}

void Context::subgroupBarrier() {
  if (coherent) return barrier();
  b.emitVoid(spv::Op::OpControlBarrier, {c32(kScopeSubgroup), c32(kScopeSubgroup),
                                         c32(kSemAcqRel | kSemWorkgroupMemory)});
}

Id Context::wordBufferVariable(uint32_t binding, const char* name) {
  Id s = b.typeStruct({b.typeRuntimeArray(u32(), 4)});
  b.decorate(s, spv::Decoration::Block);
  b.memberDecorate(s, 0, spv::Decoration::Offset, {0});
  Id var = b.globalVariable(b.typePointer(spv::StorageClass::StorageBuffer, s),
                            spv::StorageClass::StorageBuffer);
  b.decorate(var, spv::Decoration::DescriptorSet, {0});
  b.decorate(var, spv::Decoration::Binding, {binding});
  b.name(var, name);
  return var;
}

bool Context::defersF16Rounding(const ir::Operation& op) {
  const Target& tg = opts.target;
  if (!tg.roundingRTE16 || !tg.float16 || op.results.size() != 1) return false;
  const ir::Value* r = op.result();
  if (!r->type.scalar().isFloat() || r->type.scalar().name != "f16") return false;
  if (!storedOnlyDone_) {
    std::set<const ir::Value*> other;
    ir::walk(func, [&](const ir::Operation& o) {
      for (size_t i = 0; i < o.operands.size(); ++i) {
        if ((o.name == "tt.store" && i == 1) || (o.name == "tt.dot" && i < 2 && dotOperandsDeferF16()))
          storedOnly_.insert(o.operands[i]);
        else
          other.insert(o.operands[i]);
      }
    });
    for (const ir::Value* v : other) storedOnly_.erase(v);
    storedOnlyDone_ = true;
  }
  return storedOnly_.count(r) > 0;
}

bool Context::dotOperandsDeferF16() {
  static const bool on = switchOn("TVK_DOT_F16_DEFER");
  return on;
}

Result<Id> Context::operandRounded(const ir::Value* v, Id x) {
  if (!deferredF16_.count(v)) return x;
  return roundTo(v->type.scalar(), x);  // integer code: not inside a deferring lowering
}

Result<Id> Context::roundTo(const ir::Type& t, Id v) {
  if (!t.isFloat()) return v;
  if (t.name == "f16") return deferF16Rounding ? v : roundToF16(*this, v);
  if (t.name == "bf16") {
    // Round to nearest even on the upper 16 bits. A NaN becomes one canonical NaN, 0x7FFF
    // (NVIDIA's 16-bit canonical NaN): rounding its bits could carry it into an infinity or a
    // zero, and a constant costs less than quieting its payload.
    Id bits = b.emit(spv::Op::OpBitcast, u32(), {v});
    Id rounded = roundOffBits(*this, bits, 16);
    Id isNan = b.emit(spv::Op::OpIsNan, boolean(), {v});
    Id r = b.emit(spv::Op::OpSelect, u32(), {isNan, c32(0x7fff0000u), rounded});
    return b.emit(spv::Op::OpBitcast, f32(), {r});
  }
  if (t.bits == 8) return roundToFp8(*this, t, v);
  return v;
}

}  // namespace tvk::lower
