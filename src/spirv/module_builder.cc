#include "spirv/module_builder.h"

#include <cstring>

#include "spirv/vulkan_memory_model.h"
#include "support/narrow_float.h"

namespace tvk::spirv {

namespace {
uint32_t u(spv::Op op) { return static_cast<uint32_t>(op); }

}  // namespace

void appendString(std::vector<uint32_t>& out, const std::string& s) {
  size_t words = s.size() / 4 + 1;
  size_t start = out.size();
  out.resize(start + words, 0);
  std::memcpy(&out[start], s.data(), s.size());
}

ModuleBuilder::ModuleBuilder(uint32_t version) : version_(version) {
  addCapability(spv::Capability::Shader);
}

void ModuleBuilder::put(Words& out, spv::Op op, const Words& operands) {
  out.push_back(static_cast<uint32_t>((operands.size() + 1) << 16) | u(op));
  out.insert(out.end(), operands.begin(), operands.end());
}

void ModuleBuilder::addCapability(spv::Capability cap) {
  if (!caps_.insert(static_cast<uint32_t>(cap)).second) return;
  put(capabilities_, spv::Op::OpCapability, {static_cast<uint32_t>(cap)});
  switch (cap) {
    case spv::Capability::StorageBuffer8BitAccess:
      if (version_ < 0x00010500) addExtension("SPV_KHR_8bit_storage");
      break;
    case spv::Capability::SignedZeroInfNanPreserve:
    case spv::Capability::RoundingModeRTE:
      if (version_ < 0x00010400) addExtension("SPV_KHR_float_controls");
      break;
    case spv::Capability::AtomicFloat32AddEXT:
      addExtension("SPV_EXT_shader_atomic_float_add");
      break;
#ifdef TVK_HAVE_COOPMAT
    case spv::Capability::CooperativeMatrixKHR:
      addExtension("SPV_KHR_cooperative_matrix");
      break;
#endif
    default:
      break;
  }
}

void ModuleBuilder::addExtension(const std::string& name) {
  if (!extNames_.insert(name).second) return;
  Words w;
  appendString(w, name);
  put(extensions_, spv::Op::OpExtension, w);
}

Id ModuleBuilder::glslImport() {
  if (glsl_) return glsl_;
  glsl_ = newId();
  Words w{glsl_};
  appendString(w, "GLSL.std.450");
  put(imports_, spv::Op::OpExtInstImport, w);
  return glsl_;
}

void ModuleBuilder::addEntryPoint(spv::ExecutionModel model, Id fn, const std::string& name,
                                  const std::vector<Id>& interface) {
  entries_.push_back({model, fn, name, interface});
}

void ModuleBuilder::addExecutionMode(Id fn, spv::ExecutionMode mode,
                                     const std::vector<uint32_t>& literals) {
  Words w{fn, static_cast<uint32_t>(mode)};
  w.insert(w.end(), literals.begin(), literals.end());
  put(execModes_, spv::Op::OpExecutionMode, w);
}

void ModuleBuilder::name(Id id, const std::string& text) {
  Words w{id};
  appendString(w, text);
  put(debug_, spv::Op::OpName, w);
}

void ModuleBuilder::decorate(Id id, spv::Decoration d, const std::vector<uint32_t>& literals) {
  Words w{id, static_cast<uint32_t>(d)};
  w.insert(w.end(), literals.begin(), literals.end());
  if (!decorations_.insert(w).second) return;
  put(annotations_, spv::Op::OpDecorate, w);
}

void ModuleBuilder::memberDecorate(Id structId, uint32_t member, spv::Decoration d,
                                   const std::vector<uint32_t>& literals) {
  Words w{structId, member, static_cast<uint32_t>(d)};
  w.insert(w.end(), literals.begin(), literals.end());
  put(annotations_, spv::Op::OpMemberDecorate, w);
}

Id ModuleBuilder::getOrAdd(spv::Op op, const Words& operands) {
  Words key{u(op)};
  key.insert(key.end(), operands.begin(), operands.end());
  auto it = dedup_.find(key);
  if (it != dedup_.end()) return it->second;
  Id id = newId();
  dedup_[key] = id;
  return id;
}

Id ModuleBuilder::typeVoid() {
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypeVoid, {});
  if (dedup_.size() != before) put(types_, spv::Op::OpTypeVoid, {id});
  return id;
}

Id ModuleBuilder::typeBool() {
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypeBool, {});
  if (dedup_.size() != before) put(types_, spv::Op::OpTypeBool, {id});
  return id;
}

Id ModuleBuilder::typeInt(int bits) {
  size_t before = dedup_.size();
  Words ops{static_cast<uint32_t>(bits), 0};
  Id id = getOrAdd(spv::Op::OpTypeInt, ops);
  if (dedup_.size() != before) {
    if (bits == 64) addCapability(spv::Capability::Int64);
    put(types_, spv::Op::OpTypeInt, {id, ops[0], ops[1]});
    scalarBits_[id] = bits;
  }
  return id;
}

Id ModuleBuilder::typeFloat(int bits) {
  size_t before = dedup_.size();
  Words ops{static_cast<uint32_t>(bits)};
  Id id = getOrAdd(spv::Op::OpTypeFloat, ops);
  if (dedup_.size() != before) {
    if (bits == 64) addCapability(spv::Capability::Float64);
    put(types_, spv::Op::OpTypeFloat, {id, ops[0]});
    scalarBits_[id] = bits;
    floatTypes_.insert(id);
  }
  return id;
}

Id ModuleBuilder::typeBFloat16() {
  size_t before = dedup_.size();
  Words ops{16u, 0u};  // width, FP encoding BFloat16KHR (SPV_KHR_bfloat16)
  Id id = getOrAdd(spv::Op::OpTypeFloat, ops);
  if (dedup_.size() != before) {
    addExtension("SPV_KHR_bfloat16");
    addCapability(static_cast<spv::Capability>(5116));  // BFloat16TypeKHR
    put(types_, spv::Op::OpTypeFloat, {id, ops[0], ops[1]});
    scalarBits_[id] = 16;
    floatTypes_.insert(id);
  }
  return id;
}

Id ModuleBuilder::typeVector(Id elem, uint32_t n) {
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypeVector, {elem, n});
  if (dedup_.size() != before) put(types_, spv::Op::OpTypeVector, {id, elem, n});
  return id;
}

Id ModuleBuilder::typeArray(Id elem, uint32_t length) {
  Id len = u32(length);
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypeArray, {elem, len});
  if (dedup_.size() != before) put(types_, spv::Op::OpTypeArray, {id, elem, len});
  return id;
}

Id ModuleBuilder::typeRuntimeArray(Id elem, uint32_t stride) {
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypeRuntimeArray, {elem, stride});
  if (dedup_.size() != before) {
    put(types_, spv::Op::OpTypeRuntimeArray, {id, elem});
    decorate(id, spv::Decoration::ArrayStride, {stride});
  }
  return id;
}

Id ModuleBuilder::typeStruct(const std::vector<Id>& members) {
  Id id = newId();
  Words w{id};
  w.insert(w.end(), members.begin(), members.end());
  put(types_, spv::Op::OpTypeStruct, w);
  return id;
}

Id ModuleBuilder::typeStructShared(const std::vector<Id>& members) {
  Words ops(members.begin(), members.end());
  ops.insert(ops.begin(), 0xffffffffu);  // keeps the key apart from decorated structs
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypeStruct, ops);
  if (dedup_.size() != before) {
    Words w{id};
    w.insert(w.end(), members.begin(), members.end());
    put(types_, spv::Op::OpTypeStruct, w);
  }
  return id;
}

Id ModuleBuilder::typePointer(spv::StorageClass sc, Id pointee) {
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypePointer, {static_cast<uint32_t>(sc), pointee});
  if (dedup_.size() != before)
    put(types_, spv::Op::OpTypePointer, {id, static_cast<uint32_t>(sc), pointee});
  return id;
}

Id ModuleBuilder::typeFunction(Id ret, const std::vector<Id>& params) {
  Words ops{ret};
  ops.insert(ops.end(), params.begin(), params.end());
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypeFunction, ops);
  if (dedup_.size() != before) {
    Words w{id};
    w.insert(w.end(), ops.begin(), ops.end());
    put(types_, spv::Op::OpTypeFunction, w);
  }
  return id;
}

Id ModuleBuilder::constInt(Id type, uint64_t value) {
  int bits = scalarBits(type);
  Words ops{type};
  if (bits == 64) {
    ops.push_back(static_cast<uint32_t>(value));
    ops.push_back(static_cast<uint32_t>(value >> 32));
  } else {
    uint64_t mask = bits >= 32 ? 0xffffffffull : ((1ull << bits) - 1);
    ops.push_back(static_cast<uint32_t>(value & mask));
  }
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpConstant, ops);
  if (dedup_.size() != before) {
    Words w{type, id};
    w.insert(w.end(), ops.begin() + 1, ops.end());
    put(types_, spv::Op::OpConstant, w);
  }
  return id;
}

Id ModuleBuilder::constFloatBits(Id type, uint64_t bits) { return constInt(type, bits); }

Id ModuleBuilder::constFloat(Id type, double value) {
  int bits = scalarBits(type);
  if (bits == 64) {
    uint64_t b;
    std::memcpy(&b, &value, 8);
    return constFloatBits(type, b);
  }
  float f = static_cast<float>(value);
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if (bits == 16) return constFloatBits(type, floatToHalfBits(f));
  return constFloatBits(type, b);
}

Id ModuleBuilder::constBool(bool v) {
  Id t = typeBool();
  spv::Op op = v ? spv::Op::OpConstantTrue : spv::Op::OpConstantFalse;
  size_t before = dedup_.size();
  Id id = getOrAdd(op, {t});
  if (dedup_.size() != before) put(types_, op, {t, id});
  return id;
}

Id ModuleBuilder::constComposite(Id type, const std::vector<Id>& elems) {
  Words ops{type};
  ops.insert(ops.end(), elems.begin(), elems.end());
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpConstantComposite, ops);
  if (dedup_.size() != before) {
    Words w{type, id};
    w.insert(w.end(), elems.begin(), elems.end());
    put(types_, spv::Op::OpConstantComposite, w);
  }
  return id;
}

Id ModuleBuilder::constNull(Id type) {
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpConstantNull, {type});
  if (dedup_.size() != before) put(types_, spv::Op::OpConstantNull, {type, id});
  return id;
}

Id ModuleBuilder::globalVariable(Id ptrType, spv::StorageClass sc, Id init) {
  Id id = newId();
  Words w{ptrType, id, static_cast<uint32_t>(sc)};
  if (init) w.push_back(init);
  put(types_, spv::Op::OpVariable, w);
  globals_.push_back(id);
  return id;
}

int ModuleBuilder::scalarBits(Id type) const {
  auto it = scalarBits_.find(type);
  return it == scalarBits_.end() ? 0 : it->second;
}

bool ModuleBuilder::isFloatType(Id type) const { return floatTypes_.count(type) > 0; }

Id ModuleBuilder::beginFunction(Id fn, Id returnType, Id fnType) {
  put(fnHeader_, spv::Op::OpFunction, {returnType, fn, 0, fnType});
  currentBlock_ = newId();
  put(fnHeader_, spv::Op::OpLabel, {currentBlock_});
  ++blocks_;
  return currentBlock_;
}

Id ModuleBuilder::localVariable(Id ptrType) {
  Id id = newId();
  put(locals_, spv::Op::OpVariable,
      {ptrType, id, static_cast<uint32_t>(spv::StorageClass::Function)});
  return id;
}

Id ModuleBuilder::beginHelper(Id returnType, const std::vector<Id>& paramTypes, std::vector<Id>& params) {
  Id fn = newId();
  put(helpers_, spv::Op::OpFunction, {returnType, fn, 0, typeFunction(returnType, paramTypes)});
  params.clear();
  for (Id t : paramTypes) {
    params.push_back(newId());
    put(helpers_, spv::Op::OpFunctionParameter, {t, params.back()});
  }
  helperSavedBlock_ = currentBlock_;
  currentBlock_ = newId();
  put(helpers_, spv::Op::OpLabel, {currentBlock_});
  inHelper_ = true;
  return fn;
}

void ModuleBuilder::endHelper(Id value) {
  put(helpers_, spv::Op::OpReturnValue, {value});
  put(helpers_, spv::Op::OpFunctionEnd, {});
  inHelper_ = false;
  currentBlock_ = helperSavedBlock_;
}

void ModuleBuilder::endFunction() { put(body_, spv::Op::OpFunctionEnd, {}); }

bool ModuleBuilder::dropBarrier(size_t at) {
  if (at >= body_.size()) return false;
  const uint32_t count = body_[at] >> 16;
  if ((body_[at] & 0xffffu) != static_cast<uint32_t>(spv::Op::OpControlBarrier) || count == 0 ||
      at + count > body_.size())
    return false;
  for (uint32_t k = 0; k < count; ++k) body_[at + k] = (1u << 16) | static_cast<uint32_t>(spv::Op::OpNop);
  return true;
}

void ModuleBuilder::startBlock(Id label) {
  if (!openLoops_.empty() && openLoops_.back() == label) openLoops_.pop_back();
  put(body_, spv::Op::OpLabel, {label});
  currentBlock_ = label;
  ++blocks_;
}

bool ModuleBuilder::setPrologue(bool on) {
  bool old = inPrologue_;
  inPrologue_ = on;
  return old;
}

void ModuleBuilder::deriveCapabilities(spv::Op op) {
  switch (op) {
    case spv::Op::OpGroupNonUniformShuffleXor:
    case spv::Op::OpGroupNonUniformShuffle:
      addCapability(spv::Capability::GroupNonUniform);
      addCapability(spv::Capability::GroupNonUniformShuffle);
      break;
    case spv::Op::OpGroupNonUniformElect:
    case spv::Op::OpGroupNonUniformBroadcastFirst:
      addCapability(spv::Capability::GroupNonUniform);
      break;
    case spv::Op::OpAtomicFAddEXT:
      addCapability(spv::Capability::AtomicFloat32AddEXT);
      break;
    default:
      break;
  }
}

Id ModuleBuilder::emit(spv::Op op, Id resultType, const std::vector<uint32_t>& operands) {
  deriveCapabilities(op);
  Id id = newId();
  Words w{resultType, id};
  w.insert(w.end(), operands.begin(), operands.end());
  put(sink(), op, w);
  return id;
}

void ModuleBuilder::emitWithId(spv::Op op, Id resultType, Id result,
                               const std::vector<uint32_t>& operands) {
  deriveCapabilities(op);
  Words w{resultType, result};
  w.insert(w.end(), operands.begin(), operands.end());
  put(sink(), op, w);
}

void ModuleBuilder::emitVoid(spv::Op op, const std::vector<uint32_t>& operands) {
  deriveCapabilities(op);
  if (op == spv::Op::OpLoopMerge && !operands.empty()) openLoops_.push_back(operands[0]);
  put(sink(), op, operands);
}

Id ModuleBuilder::glsl(uint32_t inst, Id resultType, const std::vector<Id>& args) {
  Words w{glslImport(), inst};
  w.insert(w.end(), args.begin(), args.end());
  return emit(spv::Op::OpExtInst, resultType, w);
}

std::vector<uint32_t> ModuleBuilder::finish() const {
  Words out{spv::MagicNumber, version_, 0, nextId_, 0};
  auto add = [&](const Words& w) { out.insert(out.end(), w.begin(), w.end()); };
  add(capabilities_);
  add(extensions_);
  add(imports_);
  Words mm;
  put(mm, spv::Op::OpMemoryModel,
      {static_cast<uint32_t>(physicalAddressing_ ? spv::AddressingModel::PhysicalStorageBuffer64
                                                 : spv::AddressingModel::Logical),
       static_cast<uint32_t>(spv::MemoryModel::GLSL450)});
  add(mm);
  // From SPIR-V 1.4 on (section 2.16.1, OpEntryPoint) the interface lists every global variable
  // the entry point uses, not only Input and Output ones: the module's globals are appended.
  for (const Entry& e : entries_) {
    Words w{static_cast<uint32_t>(e.model), e.fn};
    appendString(w, e.name);
    w.insert(w.end(), e.interface.begin(), e.interface.end());
    if (version_ >= 0x00010400)
      for (Id g : globals_)
        if (std::find(e.interface.begin(), e.interface.end(), g) == e.interface.end()) w.push_back(g);
    put(out, spv::Op::OpEntryPoint, w);
  }
  add(execModes_);
  add(debug_);
  add(annotations_);
  add(types_);
  add(fnHeader_);
  add(locals_);
  add(prologue_);
  add(body_);
  add(helpers_);
  return vulkanMemoryModel_ ? toVulkanMemoryModel(out) : out;
}

#ifdef TVK_HAVE_COOPMAT
Id ModuleBuilder::typeCooperativeMatrix(Id component, uint32_t rows, uint32_t cols,
                                        spv::CooperativeMatrixUse use) {
  addCapability(spv::Capability::CooperativeMatrixKHR);
  useVulkanMemoryModel();
  Words ops{component, u32(static_cast<uint32_t>(spv::Scope::Subgroup)), u32(rows), u32(cols),
            u32(static_cast<uint32_t>(use))};
  size_t before = dedup_.size();
  Id id = getOrAdd(spv::Op::OpTypeCooperativeMatrixKHR, ops);
  if (dedup_.size() != before) {
    Words w{id};
    w.insert(w.end(), ops.begin(), ops.end());
    put(types_, spv::Op::OpTypeCooperativeMatrixKHR, w);
  }
  return id;
}
#endif

}  // namespace tvk::spirv
