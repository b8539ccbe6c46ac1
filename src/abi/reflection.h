// What a compiled kernel needs from its launcher: the reflection record that travels with
// the SPIR-V words. The runtime checks it against the device and packs arguments by it.
//
// Push-constant block layout (std430-like, offsets in bytes):
//   0: uint pid_base[3]      program-id offset of this dispatch (grids are split)
//  12: uint num_programs[3]  the full grid
//  24: for each buffer parameter, in parameter order: uint base_elems, the pointer's distance
//      in pointee elements from the start of the bound descriptor range (the runtime binds a
//      buffer at an offset aligned down to minStorageBufferOffsetAlignment and passes the rest
//      here; the kernel adds it to every index into that buffer)
//   then: scalar kernel arguments in parameter order, each aligned to its own size
// Buffers: descriptor set 0, binding = the parameter's index in the tt.func signature.
// Address mode (Reflection::addresses, targets with bufferDeviceAddress): instead of the
// base_elems word, each buffer parameter takes a uint64 at an 8-aligned offset holding the
// device address of the pointer (buffer address + byte offset); buffers have no bindings
// (ArgInfo::binding is -1) and the kernel reads them through PhysicalStorageBuffer pointers.
// Status buffer (only when Reflection::statusBinding >= 0): set 0, binding statusBinding (one
// past the last parameter), the runtime's buffer of two uint32 words: word 0 starts at 0 and
// the kernel sets it to non-zero when the device's loop limit (Target::maxLoopIterations) may
// have ended one of its loops early; word 1 holds 2 (the count of the check's own loop).
// Debug record buffer (only when Reflection::debugBinding >= 0: kernels with tt.print or
// tt.assert): set 0, binding debugBinding (two past the last parameter), the runtime's buffer of
// uint32 words: a header of kDebugHeaderWords (word 0: records claimed, word 1: capacity C in
// records, word 2: failed assertion elements, word 3: unused), then C + 1 records of
// kDebugRecordWords words: kernel id (Reflection::debugKernelId, never 0), site (index into
// Reflection::debugSites), program id x, y, z, element index (row-major linear index into the
// operand's tensor; 0 for scalars), value bits low, value bits high. An invocation claims its
// records with one atomic add on word 0; record min(slot, C) is written, so claims past the
// capacity all land in the spare record C and count as dropped (word 0 - C). A failing
// tt.assert element also adds 1 to word 2. The runtime reads the records after the kernel's
// batch finished and resets words 0 and 2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tvk {

/// Words of the debug record buffer's header (see the top of this file).
constexpr uint32_t kDebugHeaderWords = 4;
/// Words of one debug record (see the top of this file).
constexpr uint32_t kDebugRecordWords = 8;

/// One place in a kernel that writes debug records: one operand of a tt.print (or a tt.print
/// without operands), or one tt.assert.
struct DebugSite {
  /// What the records of this site mean.
  enum class Kind { Print, Assert };
  /// Print or assert.
  Kind kind = Kind::Print;
  /// Print: the prefix as Triton's frontend made it (` x: `); assert: the message.
  std::string text;
  /// Print: the operand's index (0-based), -1 for a print without operands.
  int operand = -1;
  /// Print: the op's number of operands ("(operand i) " is printed when > 1).
  int numOperands = 0;
  /// Print: hexadecimal output (tl.device_print(..., hex=True)).
  bool hex = false;
  /// Print: integers are signed (isSigned of the op, per operand).
  bool isSigned = true;
  /// Element type spelling of the operand (`i32`, `f16`, `!tt.ptr<f32>`; `i1` for asserts);
  /// empty for a print without operands.
  std::string type;
  /// Print of a pointer in binding mode: the kernel parameter it points into (the value
  /// bits are an element offset from it); empty for device addresses and other types.
  std::string pointerArg;
  /// Shape of the operand, empty for a scalar.
  std::vector<int64_t> shape;
  /// Source file of the op (`kernels.py`), empty when unknown.
  std::string file;
  /// Source line of the op, 0 when unknown.
  int line = 0;
};

/// One kernel parameter (in tt.func order).
struct ArgInfo {
  /// What the launcher passes for it.
  enum class Kind { Buffer, Scalar };
  /// Buffer or scalar.
  Kind kind = Kind::Scalar;
  /// Parameter name (`x_ptr`).
  std::string name;
  /// TTIR type spelling (`!tt.ptr<f32>`, `i32`, `f32`, `i1`, `i64`).
  std::string type;
  /// Buffer: element size in bytes of the pointee; Scalar: size in bytes in push constants.
  uint32_t size = 0;
  /// Buffer: descriptor binding in set 0. Scalar, or any parameter in address mode: -1.
  int binding = -1;
  /// Scalar: byte offset of its value in the push-constant block. Buffer: byte offset of its
  /// uint32 base_elems word (address mode: of its uint64 device address).
  int pushOffset = -1;
  /// Buffer: the kernel may read it.
  bool read = false;
  /// Buffer: the kernel may write it (stores, atomics).
  bool written = false;
  /// Buffer: divisibility in bytes the kernel assumed for the pointer (tt.divisibility).
  uint32_t alignment = 1;
  /// Buffer: the largest element index (from the pointer, in pointee elements) that some
  /// load/store/atomic certainly touches, known from constants alone
  /// (analysis/access_bounds.h); -1 when unknown. A launch needs a buffer of at least
  /// (maxElemIndex + 1) × size bytes from the pointer.
  int64_t maxElemIndex = -1;
};

/// The reflection record of one compiled kernel.
struct Reflection {
  /// Entry point name (the tt.func name).
  std::string entry;
  /// Parameters in order.
  std::vector<ArgInfo> args;
  /// Bytes of push constants used (header + scalars).
  uint32_t pushConstantBytes = 24;
  /// Workgroup size (workgroupInvocations(target, num_warps), 1, 1).
  uint32_t workgroupSize[3] = {1, 1, 1};
  /// Subgroup size the code was compiled for; the runtime must guarantee it.
  uint32_t subgroupSize = 0;
  /// num_warps the kernel was compiled with.
  uint32_t numWarps = 4;
  /// Workgroup (shared) memory bytes used.
  uint32_t sharedBytes = 0;
  /// Device features the module needs (`int64`, `float16`, `storage16`, `storage8`,
  /// `int8`, `atomicFloat32Add`, `subgroupShuffle`, ...).
  std::vector<std::string> features;
  /// Binding of the runtime's status buffer (see the top of this file), or -1 when the kernel
  /// does not use it (every kernel on targets without a loop limit).
  int statusBinding = -1;
  /// Pointer parameters are passed as 64-bit device addresses (see the top of this file).
  bool addresses = false;
  /// Binding of the runtime's debug record buffer (see the top of this file), or -1 when the
  /// kernel has no tt.print/tt.assert.
  int debugBinding = -1;
  /// Identifies this kernel's site table in the records (a hash of entry and sites, never 0).
  uint32_t debugKernelId = 0;
  /// The kernel's print and assert sites, indexed by a record's site word.
  std::vector<DebugSite> debugSites;
};

}  // namespace tvk
