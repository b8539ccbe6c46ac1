// Rematerializability: a tensor value whose def chain contains only constants, splats of
// uniform scalars, make_range, elementwise arith/math ops and expand_dims/reshape/broadcast/
// trans of such values can be recomputed at any coordinate, so data movement of it (broadcast,
// trans) needs no shared memory. Example: `rm[:, None] * stride + rn[None, :]`.
#pragma once

#include <map>
#include <string>

#include "ir/ir.h"

namespace tvk::analysis {

/// True for ops that apply a scalar function per element (arith.*, math.*, tt.addptr, ...).
bool isElementwiseOp(const std::string& name);

/// True for shape ops that only re-index (expand_dims, reshape, broadcast, trans, splat).
bool isReindexOp(const std::string& name);

/// Memoized rematerializability query.
class Remat {
 public:
  /// True when `v` is a scalar or a rematerializable tensor.
  bool operator()(const ir::Value* v);

 private:
  std::map<const ir::Value*, bool> cache_;
};

}  // namespace tvk::analysis
