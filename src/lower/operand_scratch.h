// Shared-memory scratch of an op's operands (reductions, scans): one region per operand, one
// after another from the op's allocation (analysis/smem_plan.h), `elemsPerOperand` elements
// each, 64-bit types taking two words per element.
#pragma once

#include <cstdint>
#include <vector>

#include "lower/context.h"

namespace tvk::lower {

/// The operands' register types and scratch regions.
struct OperandScratch {
  std::vector<Id> regT;
  std::vector<uint32_t> words, base;
  /// Word index of element `index` of operand `k`.
  Id word(Context& c, size_t k, Id index) const;
  /// Every operand's element `index`.
  Result<std::vector<Id>> load(Context& c, Id index) const;
  /// Stores `vals` (one per operand) at element `index`.
  Status store(Context& c, Id index, const std::vector<Id>& vals) const;
};

/// The scratch of `op`'s operands with `elemsPerOperand` elements each.
Result<OperandScratch> operandScratch(Context& c, const ir::Operation& op,
                                      uint32_t elemsPerOperand);

}  // namespace tvk::lower
