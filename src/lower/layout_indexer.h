// The layout indexer: where each element of a tensor lives in the workgroup (analysis/layout.h)
// and the SPIR-V that names it. It hands out each shape's layout (with the vector width of its
// class, analysis/vector_width.h), this invocation's builtins (invocation index, subgroup lane
// and index), and per register slot the row-major linear index and coordinates of the element
// held there, all computed once in the function's prologue. It also decides register-only
// moves between two shapes' layouts.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "analysis/layout.h"
#include "analysis/vector_width.h"
#include "ir/ir.h"
#include "spirv/module_builder.h"

namespace tvk::lower {

using spirv::Id;

/// Layouts and slot indexing of one kernel.
class LayoutIndexer {
 public:
  /// `invocations` = W; `subgroupSize` from the target (0: unknown); builtin variables the
  /// indexer declares are appended to `interfaceVars` (the entry point's interface).
  LayoutIndexer(spirv::ModuleBuilder& b, uint32_t invocations, uint32_t subgroupSize,
                const analysis::VectorPlan& vectors, std::vector<Id>& interfaceVars);

  /// The LocalInvocationIndex builtin variable (set by the kernel setup).
  Id localIndexVar = 0;

  /// The layout of tensor type `t`.
  const analysis::Layout& layout(const ir::Type& t);
  /// The layout of a tensor of shape `shape`.
  const analysis::Layout& layoutOf(const std::vector<int64_t>& shape);
  /// Number of slots of `v` (1 for scalars).
  uint32_t slots(const ir::Value* v);
  /// This invocation's index in the workgroup (computed in the prologue).
  Id invocation();
  /// SubgroupLocalInvocationId (prologue).
  Id subgroupLane();
  /// SubgroupId (prologue).
  Id subgroupIndex();
  /// Linear index held in slot `r` of shape `shape` (prologue).
  Id slotLinear(const std::vector<int64_t>& shape, uint32_t r);
  /// Coordinates (uint32 ids) of slot `r` of shape `shape` (prologue).
  const std::vector<Id>& slotCoords(const std::vector<int64_t>& shape, uint32_t r);
  /// Bool id "this invocation owns its slots of `shape`", or 0 when every invocation does.
  Id ownerCond(const std::vector<int64_t>& shape);
  /// Coordinates of a linear index (emitted in the current block).
  std::vector<Id> delinearize(Id linear, const std::vector<int64_t>& shape);
  /// Row-major linear index of coordinates (emitted in the current block).
  Id linearize(const std::vector<Id>& coords, const std::vector<int64_t>& shape);

  /// Maps the coordinates of a result element to those of the source element it needs.
  using CoordMap = std::function<std::vector<int64_t>(const std::vector<int64_t>&)>;
  /// For each slot of `resShape`, the slot of `srcShape` that holds the needed source element
  /// in the same invocation, when that holds for every invocation (a register-only move);
  /// empty otherwise (replicated layouts, or elements held by other invocations).
  std::vector<uint32_t> registerMove(const std::vector<int64_t>& srcShape,
                                     const std::vector<int64_t>& resShape, const CoordMap& f);

 private:
  spirv::ModuleBuilder& b;
  const uint32_t W;
  const uint32_t subgroupSize_;
  const analysis::VectorPlan& vectors_;
  std::vector<Id>& interfaceVars_;
  std::map<std::vector<int64_t>, analysis::Layout> layouts_;
  std::map<std::pair<std::vector<int64_t>, uint32_t>, std::vector<Id>> coords_;
  std::map<std::pair<std::vector<int64_t>, uint32_t>, Id> linear_;
  std::map<std::vector<int64_t>, Id> owner_;
  std::map<std::pair<std::vector<int64_t>, uint32_t>, Id> tparts_;
  std::map<uint32_t, Id> invocationTimes_;  // run length v -> invocation index times v
  Id invocation_ = 0;
  Id lane_ = 0;
  Id subgroup_ = 0;
  Id loadBuiltin(spv::BuiltIn which);
};

}  // namespace tvk::lower
