// SPIR-V module builder: hands out ids, keeps the spec's logical section order, and dedupes
// types, constants, capabilities, extensions and extended-instruction imports (GetOrAdd).
// Lowering code never writes OpType*/OpConstant words by hand: it asks the builder.
//
// Example:
//   ModuleBuilder b;
//   Id f32 = b.typeFloat(32);
//   Id one = b.constFloat(f32, 1.0);          // same id on every call
//   b.beginFunction(...); Id s = b.emit(spv::Op::OpFAdd, f32, {x, one});
//   std::vector<uint32_t> words = b.finish();
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <spirv/unified1/spirv.hpp11>

namespace tvk::spirv {

/// A SPIR-V result id (0 = none).
using Id = uint32_t;

/// Builds one SPIR-V module with a single entry-point function.
class ModuleBuilder {
 public:
  /// Creates an empty module (SPIR-V version `version`, e.g. 0x00010300 for 1.3) with
  /// capability Shader and memory model Logical GLSL450.
  explicit ModuleBuilder(uint32_t version = 0x00010300);

  /// A fresh id.
  Id newId() { return nextId_++; }

  /// Declares a capability (once); also adds the extension it needs at this SPIR-V version.
  void addCapability(spv::Capability cap);
  /// Declares an extension (once).
  void addExtension(const std::string& name);
  /// True when `cap` was declared.
  bool hasCapability(spv::Capability cap) const { return caps_.count(static_cast<uint32_t>(cap)); }
  /// The `GLSL.std.450` import id (added on first use).
  Id glslImport();

  /// Adds an OpEntryPoint.
  void addEntryPoint(spv::ExecutionModel model, Id fn, const std::string& name,
                     const std::vector<Id>& interface);
  /// Adds an OpExecutionMode.
  void addExecutionMode(Id fn, spv::ExecutionMode mode, const std::vector<uint32_t>& literals);
  /// Adds an OpName.
  void name(Id id, const std::string& text);
  /// Adds an OpDecorate (deduplicated).
  void decorate(Id id, spv::Decoration d, const std::vector<uint32_t>& literals = {});
  /// Adds an OpMemberDecorate.
  void memberDecorate(Id structId, uint32_t member, spv::Decoration d,
                      const std::vector<uint32_t>& literals = {});

  /// OpTypeVoid.
  Id typeVoid();
  /// OpTypeBool.
  Id typeBool();
  /// OpTypeInt (signedness 0 for every width; opcodes carry the signedness). Adds Int64 for 64.
  Id typeInt(int bits);
  /// OpTypeFloat. Adds Float64 for 64 (16-bit capabilities are the caller's choice).
  Id typeFloat(int bits);
  /// OpTypeFloat 16 with the BFloat16KHR encoding (SPV_KHR_bfloat16); adds the extension and
  /// BFloat16TypeKHR.
  Id typeBFloat16();
  /// OpTypeVector.
  Id typeVector(Id elem, uint32_t n);
  /// OpTypeArray with a uint32 constant length.
  Id typeArray(Id elem, uint32_t length);
  /// OpTypeRuntimeArray decorated with ArrayStride `stride` (deduplicated per (elem, stride)).
  Id typeRuntimeArray(Id elem, uint32_t stride);
  /// OpTypeStruct: always a new type (structs carry their own decorations).
  Id typeStruct(const std::vector<Id>& members);
  /// OpTypeStruct without decorations, deduplicated (e.g. OpUMulExtended results).
  Id typeStructShared(const std::vector<Id>& members);
  /// OpTypePointer.
  Id typePointer(spv::StorageClass sc, Id pointee);
  /// OpTypeFunction.
  Id typeFunction(Id ret, const std::vector<Id>& params);

  /// Integer constant of integer type `type` (64-bit types take two words).
  Id constInt(Id type, uint64_t value);
  /// Float constant of float type `type` from its bit pattern.
  Id constFloatBits(Id type, uint64_t bits);
  /// Float constant of float type `type` (rounded to its width).
  Id constFloat(Id type, double value);
  /// OpConstantTrue/False.
  Id constBool(bool v);
  /// OpConstantComposite of `type` from constant ids (deduplicated).
  Id constComposite(Id type, const std::vector<Id>& elems);
  /// OpConstantNull.
  Id constNull(Id type);
  /// Convenience: uint32 constant.
  Id u32(uint32_t v) { return constInt(typeInt(32), v); }
#ifdef TVK_HAVE_COOPMAT
  /// OpTypeCooperativeMatrixKHR of Subgroup scope (`use`: A, B or Accumulator); declares the
  /// capability and extension and switches the module to the Vulkan memory model.
  Id typeCooperativeMatrix(Id component, uint32_t rows, uint32_t cols, spv::CooperativeMatrixUse use);
#endif
  /// Makes finish() emit the module under the Vulkan memory model (spirv/vulkan_memory_model.h).
  void useVulkanMemoryModel() { vulkanMemoryModel_ = true; }
  /// Uses the PhysicalStorageBuffer64 addressing model (SPV_KHR_physical_storage_buffer).
  void usePhysicalStorageBuffer() {
    if (physicalAddressing_) return;
    physicalAddressing_ = true;
    addCapability(spv::Capability::PhysicalStorageBufferAddresses);
    addExtension("SPV_KHR_physical_storage_buffer");
  }

  /// A module-scope OpVariable of pointer type `ptrType` (with constant initializer `init`
  /// when non-zero).
  Id globalVariable(Id ptrType, spv::StorageClass sc, Id init = 0);
  /// Width in bits of a type made by typeInt/typeFloat (0 otherwise).
  int scalarBits(Id type) const;
  /// True when `type` was made by typeFloat.
  bool isFloatType(Id type) const;

  /// Starts the (single) function: OpFunction, its entry OpLabel. Returns the entry label.
  Id beginFunction(Id fn, Id returnType, Id fnType);
  /// A function-scope OpVariable (placed at the start of the entry block).
  Id localVariable(Id ptrType);
  /// Ends the function (OpFunctionEnd).
  void endFunction();
  /// Starts a block with OpLabel `label` (the previous block must be terminated).
  void startBlock(Id label);
  /// The label of the block being written.
  Id currentBlock() const { return currentBlock_; }
  /// Words of function body code emitted so far (not the prologue; measures code size).
  size_t bodyWords() const { return body_.size(); }
  /// True when instructions go to the function body (not the prologue or a helper function):
  /// then bodyWords() is where the next one starts.
  bool emittingBody() const { return !inPrologue_ && !inHelper_; }
  /// Replaces the OpControlBarrier that starts at body word `at` by OpNops of the same size
  /// (a barrier found unnecessary after the code behind it was emitted; nothing refers to a
  /// barrier, so no word moves). False, nothing changed, when no barrier starts there.
  bool dropBarrier(size_t at);
  /// Redirects emission to the prologue of the entry block (code that dominates everything),
  /// or back to the body. Returns the previous setting.
  bool setPrologue(bool on);
  /// Loops whose body is being written (an OpLoopMerge emitted, its merge block not started).
  size_t loopDepth() const { return openLoops_.size(); }
  /// True while emission goes to the prologue.
  bool inPrologue() const { return inPrologue_; }
  /// Raises the module's SPIR-V version to at least `version` (an extension that requires a
  /// newer one). From 1.4 on, finish() lists every global variable in the entry point's interface,
  /// as those versions require.
  void requireVersion(uint32_t version) { version_ = std::max(version_, version); }
  /// Starts a helper function (one block, no locals), placed after the entry function: the
  /// callee of a per-element or reduction instruction (SPV_NV_cooperative_matrix2). Emission
  /// goes to it until endHelper. `params` receives the parameter ids. Returns the function id.
  Id beginHelper(Id returnType, const std::vector<Id>& paramTypes, std::vector<Id>& params);
  /// Returns `value` and ends the helper function; emission goes back where it was.
  void endHelper(Id value);

  /// Emits an instruction with a result type and result id; returns the new id.
  Id emit(spv::Op op, Id resultType, const std::vector<uint32_t>& operands);
  /// Emits an instruction whose result id `result` was allocated earlier with newId() (for
  /// forward references such as loop back-edge values used by OpPhi).
  void emitWithId(spv::Op op, Id resultType, Id result, const std::vector<uint32_t>& operands);
  /// Emits an instruction without result (stores, branches, barriers...).
  void emitVoid(spv::Op op, const std::vector<uint32_t>& operands);
  /// Emits a GLSL.std.450 extended instruction.
  Id glsl(uint32_t inst, Id resultType, const std::vector<Id>& args);

  /// Assembles the module in section order.
  std::vector<uint32_t> finish() const;

  /// Words of the function emitted so far (locals, prologue, body): with blockCount(), what
  /// the lowering's size budget is checked against.
  size_t functionWords() const { return locals_.size() + prologue_.size() + body_.size(); }
  /// Basic blocks (OpLabel) of the function so far.
  size_t blockCount() const { return blocks_; }

 private:
  using Words = std::vector<uint32_t>;
  static void put(Words& out, spv::Op op, const Words& operands);
  Id getOrAdd(spv::Op op, const Words& operandsAfterResult);
  void deriveCapabilities(spv::Op op);

  uint32_t version_;
  Id nextId_ = 1;
  std::set<uint32_t> caps_;
  std::set<std::string> extNames_;
  Words capabilities_, extensions_, imports_, execModes_, debug_, annotations_,
      types_, fnHeader_, locals_, prologue_, body_, helpers_;
  struct Entry {
    spv::ExecutionModel model;
    Id fn;
    std::string name;
    std::vector<Id> interface;
  };
  std::vector<Entry> entries_;  // written by finish(), with the globals from SPIR-V 1.4 on
  std::vector<Id> globals_;     // module-scope variables (globalVariable)
  std::map<Words, Id> dedup_;
  std::set<Words> decorations_;
  std::map<Id, int> scalarBits_;
  std::set<Id> floatTypes_;
  Id glsl_ = 0;
  Id currentBlock_ = 0;
  std::vector<Id> openLoops_;  // merge blocks of the open loops, innermost last
  size_t blocks_ = 0;
  bool inPrologue_ = false;
  bool inHelper_ = false;
  Id helperSavedBlock_ = 0;
  // Where emitted instructions go: a helper function, the entry block's prologue, or the body.
  Words& sink() { return inHelper_ ? helpers_ : inPrologue_ ? prologue_ : body_; }
  bool vulkanMemoryModel_ = false;
  bool physicalAddressing_ = false;
};

/// Appends a string literal (nul-terminated, padded to words) to `out`.
void appendString(std::vector<uint32_t>& out, const std::string& s);

}  // namespace tvk::spirv
