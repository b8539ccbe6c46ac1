// Pointer provenance: maps every pointer value (scalar or tensor of pointers) to the kernel
// argument it points into, through tt.addptr/splat/broadcast/expand_dims/reshape/trans,
// tt.bitcast of pointers, arith.select between pointers of the same argument, and the
// iter args / results of scf.for/while/if. A pointer is lowered as an element offset
// relative to its argument's buffer, in units of its own pointee type; `wide` says the offset
// needs 64 bits because the IR adds i64 offsets. tt.int_to_ptr makes a raw address
// (kRawAddress: 64-bit, never accessed). Anything else (select between arguments that
// ir/pointer_selects.h could not rewrite, raw addresses mixed with arguments, pointers loaded
// from memory) is an error naming the op, except in address mode (buffer device addresses),
// where such pointers are raw addresses too and are accessed like any other.
//
// Example: for `%x_4 = tt.addptr %x, %offs : tensor<1024x!tt.ptr<f32>>, tensor<1024xi32>`
// with `%x = tt.splat %x_ptr`, printProvenance gives `%x_4 -> arg 0 (%x_ptr) i32 read`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::analysis {

/// `PointerInfo::arg` of a pointer made by tt.int_to_ptr: a raw 64-bit address, not an offset
/// into a kernel argument's buffer; it may be selected, offset and turned back into an integer
/// (tt.ptr_to_int), but not accessed.
constexpr int kRawAddress = -2;

/// Where one pointer value points.
struct PointerInfo {
  /// Index of the kernel parameter (tt.func argument), or kRawAddress.
  int arg = -1;
  /// The offset needs 64 bits (some tt.addptr on the chain adds an i64 offset).
  bool wide = false;
};

/// Result of the provenance analysis of one kernel.
struct Provenance {
  /// Per pointer value.
  std::map<const ir::Value*, PointerInfo> ptrs;
  /// Per kernel parameter: some load/atomic may read through it.
  std::vector<bool> argRead;
  /// Per kernel parameter: some store/atomic may write through it.
  std::vector<bool> argWritten;
  /// Address mode only: some pointer does not derive from one known kernel argument (loaded
  /// from memory, tt.int_to_ptr, or mixed); its accesses mark every pointer parameter read
  /// and written.
  bool opaque = false;
};

/// Analyses `func` (a tt.func); fails on unresolved provenance unless `addresses` (pointers
/// are 64-bit device addresses, lower/pointer_model.h): then unresolved or mixed pointers
/// become kRawAddress and set Provenance::opaque.
Result<Provenance> analyzeProvenance(const ir::Operation& func, bool addresses = false);

/// One line per pointer value: `%v -> arg N (%name) i32|i64`, then one line per parameter
/// with its access (`arg 0 %x_ptr: read`).
std::string printProvenance(const ir::Operation& func, const Provenance& p);

}  // namespace tvk::analysis
