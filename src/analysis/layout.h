// Layout analysis: how each tensor value is distributed over the invocations of a workgroup.
//
// One blocked, row-major layout per shape. With W invocations and `vec` = v contiguous
// elements per run, the element with row-major linear index L is held by invocation t in
// register slot r where L = (r / v) * (W * v) + t * v + (r % v); there are
// R = ceil(numel / (W v)) * v slots. A tensor with numel < W * v is replicated: invocation t
// holds L = (t * v + r) % numel and only the first copy (t * v < numel) is the owner that may
// perform side effects. A replicated class may instead repeat each element over 2^k
// consecutive invocations (`repShift` k, with v = 1 and numel * 2^k = W: invocation t holds
// L = t >> k, owners are t with the low k bits 0): the rows of a split row layout
// (analysis/vector_width.h), whose row r lies in invocations r * 2^k .. r * 2^k + 2^k - 1,
// then hold their row's statistics in place. All tensors with the same numel share the linear
// mapping, so elementwise ops are per slot and expand_dims/reshape are free.
//
// v is 1 unless analysis/vector_width.h proves vector accesses for the shape's numel.
// Example (W = 128):
//   tensor<1024xf32>   -> blocked<1024> W=128 v=1 R=8
//   tensor<1024xf16>   -> blocked<1024> W=128 v=8 R=8 (16-byte loads and stores)
//   tensor<16x1xi32>   -> blocked<16x1> R=1 replicated
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analysis/vector_width.h"
#include "ir/ir.h"
#include "support/status.h"

namespace tvk::analysis {

/// The v1 blocked layout of one tensor shape.
struct Layout {
  /// Tensor shape.
  std::vector<int64_t> shape;
  /// Number of elements.
  int64_t numel = 1;
  /// Invocations per workgroup (W).
  uint32_t invocations = 1;
  /// Contiguous elements per run held by one invocation (v).
  uint32_t vec = 1;
  /// Register slots per invocation (R).
  uint32_t slots = 1;
  /// True when numel < W * v (several invocations hold each element).
  bool replicated = false;
  /// Replicated layouts: each element lies in 2^repShift consecutive invocations (0: the
  /// copies are numel apart).
  uint32_t repShift = 0;
  /// Row-major linear index held by invocation `t` in slot `r`.
  int64_t linearIndex(uint32_t t, uint32_t r) const;
  /// True when invocation `t` is the owner of its slots.
  bool isOwner(uint32_t t) const;
  /// Text form, e.g. `blocked<16x128> W=128 v=1 R=16`.
  std::string str() const;
};

/// The layout of a tensor shape for W invocations and `vec` contiguous elements per run (a
/// power of 2); error when a dimension is not a power of 2. `repShift` (replicated shapes with
/// vec 1 and numel * 2^repShift = W only; ignored otherwise): see Layout::repShift.
Result<Layout> blockedLayout(const std::vector<int64_t>& shape, uint32_t invocations,
                             uint32_t vec = 1, uint32_t repShift = 0);

/// The layout of `shape`'s numel class under `vectors`: its v and Layout::repShift.
Result<Layout> classLayout(const std::vector<int64_t>& shape, uint32_t invocations,
                           const VectorPlan& vectors);

/// Layouts of every tensor value of a function.
struct LayoutInfo {
  /// Invocations per workgroup.
  uint32_t invocations = 1;
  /// Layout per tensor value.
  std::map<const ir::Value*, Layout> layouts;
};

/// Assigns layouts to every tensor value in `func` (a tt.func), v per numel from `vectors`
/// (analysis/vector_width.h; null: v = 1).
Result<LayoutInfo> analyzeLayouts(const ir::Operation& func, uint32_t invocations,
                                  const VectorPlan* vectors = nullptr);

/// Prints `%name : type -> layout` per tensor value, in program order.
std::string printLayouts(const ir::Operation& func, const LayoutInfo& info);

}  // namespace tvk::analysis
