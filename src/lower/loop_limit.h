// Staying within the target's loop limit (Target::maxLoopIterations). Mesa's llvmpipe keeps ONE
// counter per invocation that every pass through the end of any loop decrements (each loop's
// exiting pass included, nested and sequential loops alike) and, once it reaches 0, ends every
// loop at its next pass without an error. Splitting a loop into nested loops does not help (the
// passes of both count); only fewer passes do. So, on targets with a limit:
//  - every loop the lowering emits adds an upper bound of its passes in one invocation to a
//    per-kernel total (`LoopBudget`): (trip bound / copies + 1) times the trip bounds of the
//    enclosing loops, unbounded when a trip count is not a compile-time constant;
//  - an scf.for or scf.while whose passes may exceed limit / kUnrollShare runs U copies of its
//    body per pass (each copy but the last leaves the loop when the loop's condition fails),
//    U from the body's code size (`unrollFactor`), so it makes trip / U + 1 passes;
//  - when the total may exceed the limit, the kernel ends with a check (`emitLoopLimitCheck`):
//    a loop that must make 2 passes, its count read from the runtime's status buffer (opaque to
//    the driver's compiler); an exhausted counter lets it make 1, and then the kernel sets the
//    status flag, which the runtime reports as an error (abi/reflection.h). False alarms
//    only when exactly limit - 1 or limit passes were used without ending a loop early.
// Targets without a limit see none of this: their SPIR-V is unchanged.
//
// Example (lavapipe, limit 65535): `for i in range(n): acc += 1` with n a kernel argument has
// no constant trip bound: its tiny body is copied 8 times (n up to about 8 × 65535 fits), the
// total is unbounded, so the kernel gets the check and Reflection::statusBinding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::lower {

class Context;

/// Trip or pass count that no compile-time bound limits.
constexpr uint64_t kUnboundedTrips = UINT64_MAX;
/// Loops whose passes may exceed limit / kUnrollShare are unrolled.
constexpr uint64_t kUnrollShare = 16;
/// Most body copies per pass.
constexpr uint32_t kMaxUnroll = 8;
/// SPIR-V words the copies of one loop body may take together (bounds the code growth).
constexpr size_t kUnrollWords = 4096;

/// Upper bound of the loop passes one invocation of the kernel makes (saturating arithmetic).
class LoopBudget {
 public:
  /// `limit` = Target::maxLoopIterations (0: no limit, every query answers "nothing to do").
  explicit LoopBudget(uint32_t limit) : limit_(limit) {}
  /// True when the target limits loop passes.
  bool active() const { return limit_ != 0; }
  /// Product of the trip bounds of the loops being lowered around the current point.
  uint64_t multiplier() const;
  /// Enters the body of a loop with at most `trips` iterations.
  void enterBody(uint64_t trips) { stack_.push_back(trips); }
  /// Leaves the innermost loop body.
  void exitBody() { stack_.pop_back(); }
  /// Adds a loop making at most `passes` passes each time it runs (× multiplier()).
  void addLoop(uint64_t passes);
  /// The kernel's total so far.
  uint64_t total() const { return total_; }
  /// True when a loop of at most `trips` iterations here should be unrolled.
  bool shouldUnroll(uint64_t trips) const;
  /// Body copies per pass for a body of `bodyWords` SPIR-V words (1 when not active).
  uint32_t unrollFactor(size_t bodyWords) const;
  /// True when the kernel needs the run-time check (its total may exceed the limit).
  bool needsCheck() const { return active() && total_ > limit_; }

 private:
  uint32_t limit_;
  std::vector<uint64_t> stack_;
  uint64_t total_ = 0;
};

/// a × b, saturating at kUnboundedTrips.
uint64_t mulTrips(uint64_t a, uint64_t b);
/// a + b, saturating at kUnboundedTrips.
uint64_t addTrips(uint64_t a, uint64_t b);

/// Iterations of `forOp` (scf.for) when its bounds and step are constants, else
/// kUnboundedTrips (also for a step <= 0). `ivBits` is the induction variable's width.
uint64_t forTripBound(const ir::Operation& forOp, int ivBits, bool isUnsigned);

/// Emits the end-of-kernel check described above and sets Context::statusBinding.
Status emitLoopLimitCheck(Context& c);

}  // namespace tvk::lower
