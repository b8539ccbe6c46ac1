// Rematerializability: a tensor value whose def chain contains only constants, splats of
// uniform scalars, make_range, elementwise arith/math ops and expand_dims/reshape/broadcast/
// trans of such values can be recomputed at any coordinate, so data movement of it (broadcast,
// trans) needs no shared memory. Example: `rm[:, None] * stride + rn[None, :]`. So can a
// tensor induction (below) whose initial value can: in iteration i it is init + i × step.
#pragma once

#include <map>
#include <string>

#include "ir/ir.h"

namespace tvk::analysis {

/// True for ops that apply a scalar function per element (arith.*, math.*, tt.addptr, ...).
bool isElementwiseOp(const std::string& name);

/// True for shape ops that only re-index (expand_dims, reshape, broadcast, trans, splat).
bool isReindexOp(const std::string& name);

/// True when `op` / block `blk` / value `v` (op result or block argument) lies in a region of
/// `loop`, at any depth.
bool isInside(const ir::Operation* op, const ir::Operation* loop);
bool isInside(const ir::Block* blk, const ir::Operation* loop);
bool isInside(const ir::Value* v, const ir::Operation* loop);

/// True for a value equal in every element: a scalar, a tt.splat, or a splat dense constant.
bool isUniformSplat(const ir::Value* v);

/// A loop-carried tensor that every iteration advances by the same amount in every element:
/// scf.for iter_arg `v` whose yielded value is `tt.addptr(v, S)` or `arith.addi(v, S)` with S a
/// splat (or splat constant) defined outside the loop. Example: tutorial 03's
/// `a_ptrs += BLOCK_K * stride_ak`.
struct TensorInduction {
  const ir::Operation* loop = nullptr;  ///< the scf.for
  const ir::Value* init = nullptr;      ///< its initial value (the loop's operand)
  const ir::Operation* advance = nullptr;  ///< the tt.addptr / arith.addi yielded
  const ir::Value* step = nullptr;      ///< S
};

/// The induction `v` is, if it is one.
bool tensorInduction(const ir::Value* v, TensorInduction& out);

/// Memoized rematerializability query.
class Remat {
 public:
  /// True when `v` is a scalar or a rematerializable tensor.
  bool operator()(const ir::Value* v);

 private:
  std::map<const ir::Value*, bool> cache_;
};

}  // namespace tvk::analysis
