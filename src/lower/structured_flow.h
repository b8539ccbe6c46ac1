// Structured control flow for the lowering: selections and counted loops in the forms SPIR-V's
// structured control flow rules ask for (SPIR-V 1.3 section 2.11: OpSelectionMerge /
// OpLoopMerge headers, one back edge from the continue target). Each construct's body runs in
// its own memo scope (values computed inside are not reused outside), and each counted loop's
// trips go to the kernel's loop budget (lower/loop_limit.h).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "lower/loop_limit.h"
#include "spirv/module_builder.h"
#include "support/status.h"

namespace tvk::lower {

using spirv::Id;

/// The structured-control-flow helpers of one kernel.
class StructuredFlow {
 public:
  /// `enterScope` / `exitScope` open and close a memo scope around each body.
  StructuredFlow(spirv::ModuleBuilder& b, LoopBudget& budget, std::function<void()> enterScope,
                 std::function<void()> exitScope)
      : b_(b), budget_(budget), enter_(std::move(enterScope)), exit_(std::move(exitScope)) {}

  /// `if (cond) then()` as a structured selection (`then()` inline when cond is 0: always).
  Status ifThen(Id cond, const std::function<Status()>& then);
  /// `cond ? then() : other` where then() runs only when `cond` holds.
  Result<Id> ifValue(Id cond, Id type, const std::function<Result<Id>()>& then, Id other);
  /// `for (i = 0; i < count; ++i) body(i)` with a uint32 counter (no carried values).
  Status counted(uint32_t count, const std::function<Status(Id)>& body);
  /// The loop body of countedCarry: (counter, carried values) -> next carried values.
  using CarryBody = std::function<Result<std::vector<Id>>(Id, const std::vector<Id>&)>;
  /// `for (i = 0; i < count; ++i) vals = body(i, vals)` carrying `init` (one OpPhi each);
  /// returns the final values.
  Result<std::vector<Id>> countedCarry(uint32_t count, const std::vector<Id>& types,
                                       const std::vector<Id>& init, const CarryBody& body);
  /// The same with a uint32 register `count` (it may differ between invocations) that is at
  /// most `maxCount` (the loop budget counts that many trips). A distinct name: an Id is an
  /// integer too, and passing one as the constant count compiled a wrong loop.
  Result<std::vector<Id>> countedCarryDynamic(Id count, uint32_t maxCount, const std::vector<Id>& types,
                                              const std::vector<Id>& init, const CarryBody& body);
  /// Bool AND of two conditions where either may be 0 (= true).
  Id andCond(Id a, Id c);

 private:
  spirv::ModuleBuilder& b_;
  LoopBudget& budget_;
  std::function<void()> enter_, exit_;
};

}  // namespace tvk::lower
