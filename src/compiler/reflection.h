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
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tvk {

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
  /// Workgroup size (num_warps × subgroup size, 1, 1).
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
};

}  // namespace tvk
