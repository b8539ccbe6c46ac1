// One atomic read-modify-write or compare-and-swap on one buffer element, by element type:
//   32-bit ints: OpAtomic*; 64-bit ints: OpAtomic* with Int64Atomics (target atomicInt64,
//   else an error naming the op: a compare-and-swap loop would need 64-bit atomics too);
//   f32 add: OpAtomicFAddEXT where the target has it, else a CAS loop on the uint32 view;
//   f64 add: a CAS loop on the uint64 view; float exchange/CAS: the integer op on the bit
//   pattern (Triton compares bit patterns: -0.0 != 0.0, NaN == the same NaN);
//   f16/bf16: a CAS loop on the aligned 32-bit word that contains the element.
// Where divergent CAS loops lose updates (Target::casLoopAtomics false: llvmpipe), every CAS
// loop is workgroup-uniform: all invocations iterate until none has an unfinished exchange.
#pragma once

#include <string>
#include <vector>

#include "lower/context.h"

namespace tvk::lower {

/// What one element's atomic does.
struct AtomicSpec {
  /// The tt.atomic_rmw kind (`add`, `fadd`, `max`, `umin`, `exch`, ...), or `cas`.
  std::string kind;
  /// SPIR-V scope constant id.
  Id scope = 0;
  /// SPIR-V memory-semantics constant id (the Equal semantics for a CAS).
  Id sem = 0;
  /// Memory semantics of a CAS that fails (no release part).
  Id semUnequal = 0;
  /// Workgroup-uniform compare-and-swap loops only (Target::casLoopAtomics false): whether
  /// this invocation's element takes part (mask and ownership; 0 = always). The caller then
  /// runs atomicElement unconditionally, and the loop keeps inactive invocations out.
  Id active = 0;
  /// Workgroup-uniform compare-and-swap loops only: the scratch word (index id) of the loop's
  /// exit flag (the op's scratch, analysis/smem_plan.cc).
  Id flagWord = 0;
};


/// Runs the atomic on element `off` of parameter `arg` viewed as `pointee` elements; `vals`
/// are the register operands (rmw: the value; cas: compare, then new value). Returns the old
/// element in register form.
Result<Id> atomicElement(Context& c, const AtomicSpec& s, int arg, bool wide,
                         const ir::Type& pointee, Id off, const std::vector<Id>& vals);

}  // namespace tvk::lower
