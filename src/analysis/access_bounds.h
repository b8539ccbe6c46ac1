// Access bounds: for each pointer parameter, the largest element index that the kernel's
// loads, stores and atomics of it certainly touch, when that follows from constants alone.
// Integer values built from constants, tt.make_range and program-id-free arithmetic
// (splat, broadcast, expand_dims, reshape, trans, arith int ops, casts, cmpi/select) are
// evaluated exactly, element by element (no interval over-approximation: the bound is an
// index some access really reaches, so a launch can be rejected on it). A parameter gets -1
// (unknown) when any access of it is masked, sits inside a loop or branch, or has offsets
// depending on anything else (scalar arguments, program ids, loads, loop values), or when
// it is not accessed at all.
//
// Example: dot_i8's `tt.load %a_ptr + (rm[:, None] * 32 + rk[None, :])` with rm, rk =
// make_range(0, 32) gives maxElemIndex 1023 for a_ptr.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/provenance.h"
#include "ir/ir.h"

namespace tvk::analysis {

/// Per kernel parameter (tt.func order): the largest element index (relative to the
/// pointer argument, in its pointee elements) that some access certainly touches, or -1.
std::vector<int64_t> analyzeAccessBounds(const ir::Operation& func, const Provenance& prov);

/// One line per pointer parameter: `arg 0 %x_ptr: max index 1023` or `... unknown`.
std::string printAccessBounds(const ir::Operation& func, const std::vector<int64_t>& bounds);

}  // namespace tvk::analysis
