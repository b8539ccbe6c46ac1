// Kernel setup: push-constant block (abi/reflection.h layout), storage buffers come
// lazily from Context::bufferPtr (address mode: pointer parameters are 64-bit push constants), builtins, the entry function and the reflection record.
#include "lower/lower.h"

#include <spirv/unified1/GLSL.std.450.h>

#include "lower/context.h"
#include "lower/registry.h"

namespace tvk::lower {

namespace {

// SignedZeroInfNanPreserve for each float width the kernel computes in and the target keeps
// (SPV_KHR_float_controls; Target::nanPreserve32): NaN, ±Inf and -0.0 then behave as IEEE 754
// says (isnan, NaN-propagating max, softmax's -inf) instead of being assumed away. RoundingModeRTE
// for 16-bit floats where f32 -> f16 conversions round (Context::roundsF16ByMode).
void declareFloatControls(spirv::ModuleBuilder& b, Id fn, const Target& tg, bool rte16) {
  if (rte16 && tg.roundingRTE16) {
    b.addCapability(spv::Capability::RoundingModeRTE);
    b.addExecutionMode(fn, spv::ExecutionMode::RoundingModeRTE, {16});
  }
  std::vector<uint32_t> widths;
  if (tg.nanPreserve32) widths.push_back(32);
  if (tg.nanPreserve16 && b.hasCapability(spv::Capability::Float16)) widths.push_back(16);
  if (widths.empty()) return;
  b.addCapability(spv::Capability::SignedZeroInfNanPreserve);
  for (uint32_t w : widths) b.addExecutionMode(fn, spv::ExecutionMode::SignedZeroInfNanPreserve, {w});
}

struct PushMember {
  Id type;
  uint32_t offset;
};

// Bytes a scalar parameter takes in push constants (i1/i8/i16 are widened to 4).
uint32_t scalarBytes(const ir::Type& t) { return t.bits == 64 ? 8 : 4; }

// Lays out the push-constant block and fills the parameter slots and reflection args.
Status layoutParams(Context& c, Reflection& refl) {
  const ir::Block& entry = c.func.body();
  std::vector<PushMember> members;
  for (int i = 0; i < 6; ++i) members.push_back({c.u32(), static_cast<uint32_t>(4 * i)});
  uint32_t off = 24;
  c.params.resize(entry.args.size());
  refl.args.resize(entry.args.size());
  // Buffers first (base_elems words), then scalars, each in parameter order.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < entry.args.size(); ++i) {
      const ir::Value* a = entry.arg(static_cast<int>(i));
      bool isBuf = a->type.isPtr();
      if ((pass == 0) != isBuf) continue;
      ArgInfo& ai = refl.args[i];
      ai.name = a->name;
      ai.type = a->type.str();
      if (a->type.isTensor()) return Status::error("unsupported: tensor kernel argument " + a->name);
      if (isBuf) {
        const ir::Type& pe = *a->type.elem;
        ai.kind = ArgInfo::Kind::Buffer;
        ai.size = static_cast<uint32_t>(Context::elementBytes(pe));
        ai.binding = c.addresses ? -1 : static_cast<int>(i);
        ai.read = c.prov.argRead[i];
        ai.written = c.prov.argWritten[i];
        if (i < c.func.argAttrs.size()) {
          auto it = c.func.argAttrs[i].find("tt.divisibility");
          if (it != c.func.argAttrs[i].end()) ai.alignment = static_cast<uint32_t>(it->second.i);
        }
        if (c.addresses) {  // the pointer's 64-bit device address
          off = (off + 7) / 8 * 8;
          members.push_back({c.b.typeInt(64), off});
          ai.pushOffset = static_cast<int>(off);
          off += 8;
        } else {
          members.push_back({c.u32(), off});
          ai.pushOffset = static_cast<int>(off);
          off += 4;
        }
      } else {
        const ir::Type& t = a->type;
        // f16/bf16 scalars: their bits in the low half of a 32-bit word (bindParams widens them).
        const bool half = t.isFloat() && (t.name == "f16" || t.name == "bf16");
        if (!(t.isInt() || half || (t.isFloat() && (t.bits == 32 || t.bits == 64))))
          return Status::error("unsupported: kernel argument " + a->name + " of type " + t.str());
        uint32_t bytes = scalarBytes(t);
        off = (off + bytes - 1) / bytes * bytes;
        Id mt;
        if (half) {
          mt = c.u32();
        } else if (t.isFloat()) {
          auto r = c.regType(t);
          if (!r.ok()) return r.status();
          mt = *r;
        } else {
          mt = bytes == 8 ? c.b.typeInt(64) : c.u32();
          if (bytes == 8 && !c.opts.target.int64)
            return Status::error("unsupported: i64 argument " + a->name + " (no int64)");
        }
        ai.kind = ArgInfo::Kind::Scalar;
        ai.size = bytes;
        ai.pushOffset = static_cast<int>(off);
        members.push_back({mt, off});
        off += bytes;
      }
      c.params[i] = ParamSlot{static_cast<uint32_t>(members.size() - 1),
                              static_cast<uint32_t>(ai.pushOffset), isBuf};
    }
  }
  refl.pushConstantBytes = (off + 3) / 4 * 4;
  refl.addresses = c.addresses;
  if (c.addresses) {
    c.needFeature("bufferDeviceAddress");
    c.needFeature("int64");
  }
  if (refl.pushConstantBytes > c.opts.target.pushConstantBytes)
    return Status::error("unsupported: kernel needs " + std::to_string(refl.pushConstantBytes) +
                         " bytes of push constants, the target allows " +
                         std::to_string(c.opts.target.pushConstantBytes));
  std::vector<Id> types;
  for (const PushMember& m : members) types.push_back(m.type);
  c.pushMemberTypes = types;
  Id st = c.b.typeStruct(types);
  c.b.decorate(st, spv::Decoration::Block);
  for (size_t i = 0; i < members.size(); ++i)
    c.b.memberDecorate(st, static_cast<uint32_t>(i), spv::Decoration::Offset, {members[i].offset});
  c.pushVar = c.b.globalVariable(c.b.typePointer(spv::StorageClass::PushConstant, st),
                                 spv::StorageClass::PushConstant);
  c.b.name(c.pushVar, "params");
  return Status();
}

Id builtin(Context& c, Id type, spv::BuiltIn which) {
  Id v = c.b.globalVariable(c.b.typePointer(spv::StorageClass::Input, type),
                            spv::StorageClass::Input);
  c.b.decorate(v, spv::Decoration::BuiltIn, {static_cast<uint32_t>(which)});
  c.interfaceVars.push_back(v);
  return v;
}

// Binds the kernel parameters: pointers to offset 0, scalars to their push-constant value.
Status bindParams(Context& c) {
  const ir::Block& entry = c.func.body();
  for (size_t i = 0; i < entry.args.size(); ++i) {
    const ir::Value* a = entry.arg(static_cast<int>(i));
    if (c.params[i].isBuffer && c.addresses) {
      c.bind(a, {c.loadPush(c.params[i].member)});
      continue;
    }
    if (c.params[i].isBuffer) {
      auto t = c.regTypeOf(a);
      if (!t.ok()) return t.status();
      c.bind(a, {c.b.constInt(*t, 0)});
      continue;
    }
    Id v = c.loadPush(c.params[i].member);
    const ir::Type& t = a->type;
    if (t.isFloat() && t.name == "f16") {
      Id pair = c.b.glsl(GLSLstd450UnpackHalf2x16, c.b.typeVector(c.f32(), 2), {v});
      v = c.b.emit(spv::Op::OpCompositeExtract, c.f32(), {pair, 0});
    } else if (t.isFloat() && t.name == "bf16") {
      v = c.b.emit(spv::Op::OpBitcast, c.f32(), {c.b.emit(spv::Op::OpShiftLeftLogical, c.u32(), {v, c.c32(16)})});
    } else if (t.isInt() && t.bits == 1) v = c.b.emit(spv::Op::OpINotEqual, c.boolean(), {v, c.c32(0)});
    else if (t.isInt() && t.bits < 32)
      v = c.b.emit(spv::Op::OpBitFieldSExtract, c.u32(), {v, c.c32(0), c.c32(t.bits)});
    c.bind(a, {v});
  }
  return Status();
}

}  // namespace

Result<CompiledKernel> lowerKernel(const ir::Operation& func, const CompileOptions& opts,
                                   const analysis::Provenance& prov,
                                   const analysis::SmemPlan& smem,
                                   const analysis::VectorPlan& vectors) {
  const Target& tg = opts.target;
  uint32_t W = workgroupInvocations(tg, opts.numWarps);
  if (opts.numWarps <= 0 || W == 0 || (W & (W - 1)))
    return Status::error("unsupported: workgroup size " + std::to_string(W) +
                         " (it must be a power of 2)");
  if (W > tg.maxWorkgroupInvocations)
    return Status::error("unsupported: workgroup size " + std::to_string(W) +
                         " exceeds the target's " + std::to_string(tg.maxWorkgroupInvocations));
  spirv::ModuleBuilder b(0x00010300);
  Context c(b, func, opts, prov, smem, vectors);
  CompiledKernel out;
  Reflection& refl = out.reflection;
  refl.entry = ir::funcName(func);
  TVK_RETURN_IF_ERROR(layoutParams(c, refl));
  Id v3 = b.typeVector(c.u32(), 3);
  c.workgroupIdVar = builtin(c, v3, spv::BuiltIn::WorkgroupId);
  c.layouts.localIndexVar = builtin(c, c.u32(), spv::BuiltIn::LocalInvocationIndex);
  Id vd = b.typeVoid();
  Id fn = b.newId();
  c.scratch.functionEntry(b.beginFunction(fn, vd, b.typeFunction(vd, {})));
  TVK_RETURN_IF_ERROR(bindParams(c));
  TVK_RETURN_IF_ERROR(c.lowerBlock(func.body()));
  b.endFunction();
  b.addEntryPoint(spv::ExecutionModel::GLCompute, fn, refl.entry, c.interfaceVars);
  b.addExecutionMode(fn, spv::ExecutionMode::LocalSize, {W, 1, 1});
  declareFloatControls(b, fn, tg, c.roundsF16ByMode);
  b.name(fn, refl.entry);
  out.spirv = b.finish();
  refl.workgroupSize[0] = W;
  refl.subgroupSize = tg.subgroupSize;
  refl.numWarps = static_cast<uint32_t>(opts.numWarps);
  refl.sharedBytes = smem.totalBytes;
  refl.features = c.features;
  refl.statusBinding = c.statusBinding;
  if (c.debug.binding >= 0) {
    refl.debugBinding = c.debug.binding;
    refl.debugKernelId = c.debug.kernelId;
    refl.debugSites = c.debug.sites;
  }
  return out;
}

}  // namespace tvk::lower
