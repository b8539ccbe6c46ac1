// Axis info (as in Triton): for each integer or pointer value, per dimension, the
// contiguity (length of runs of consecutive values), divisibility (largest power of 2 dividing
// the first value of each run; bytes for pointers) and constancy (length of runs of equal
// values). Seeded by `tt.divisibility` argument attributes; the hints of tl.multiple_of /
// tl.max_contiguous / tl.max_constancy (tt.divisibility / tt.contiguity / tt.constancy on an op)
// replace what the rules find for its result, as Triton takes them; scf.for iter_args take the meet of
// their initial and yielded facts (iterated to a fixed point). Used for vector widths, the
// transposed-store choice and the direct dot operands (analysis/dot_operands.h), which rely on it for
// correctness: a claim must hold for every element.
//
// Example: `%offs = arith.addi (splat (pid * 1024)), (make_range 0..1024)` with
// tensor<1024xi32> gives contiguity=[1024] divisibility=[1024] constancy=[1].
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace tvk::analysis {

/// Axis info of one value (one entry per dimension; one entry for scalars).
struct AxisInfo {
  /// Runs of consecutive values per dimension.
  std::vector<int64_t> contiguity;
  /// Power-of-2 divisibility per dimension.
  std::vector<int64_t> divisibility;
  /// Runs of equal values per dimension.
  std::vector<int64_t> constancy;
};

/// Axis info per value.
using AxisInfoMap = std::map<const ir::Value*, AxisInfo>;

/// Computes axis info for the integer and pointer values of `func`.
AxisInfoMap analyzeAxisInfo(const ir::Operation& func);

/// `%name: contiguity=[..] divisibility=[..] constancy=[..]` per value in program order.
std::string printAxisInfo(const ir::Operation& func, const AxisInfoMap& info);

}  // namespace tvk::analysis
