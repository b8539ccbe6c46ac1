// Pointer provenance: maps every pointer value (scalar or tensor of pointers) to the kernel
// argument it points into, through tt.addptr/splat/broadcast/expand_dims/reshape/trans,
// tt.bitcast of pointers, arith.select between pointers of the same argument, and the
// iter args / results of scf.for/while/if. A pointer is lowered as an element offset
// relative to its argument's buffer, in units of its own pointee type; `wide` says the offset
// needs 64 bits because the IR adds i64 offsets. Anything else (select between arguments,
// int_to_ptr, pointers loaded from memory) is an error naming the op.
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

/// Where one pointer value points.
struct PointerInfo {
  /// Index of the kernel parameter (tt.func argument).
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
};

/// Analyses `func` (a tt.func); fails on unresolved provenance.
Result<Provenance> analyzeProvenance(const ir::Operation& func);

/// One line per pointer value: `%v -> arg N (%name) i32|i64`, then one line per parameter
/// with its access (`arg 0 %x_ptr: read`).
std::string printProvenance(const ir::Operation& func, const Provenance& p);

}  // namespace tvk::analysis
