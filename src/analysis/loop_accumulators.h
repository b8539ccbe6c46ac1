// Loop accumulators: tt.dot accumulators carried by an scf.for that nothing but the dot and
// the loop's yield touches inside the loop. Lowering may keep such a value in a backend
// representation (cooperative-matrix fragments) across iterations and convert it to the
// blocked layout once, after the loop.
//
// Pattern, for iter_arg j of an scf.for (body argument j + 1, yield operand j, result j):
//   the body argument's only use is operand 2 (acc) of a rank-2 tt.dot in the loop body;
//   that dot's only use is operand j of the body's scf.yield; the init operand is a splat
//   arith.constant. The loop result may be used freely after the loop.
// Or the body argument's only use is `arith.mulf` by a row broadcast
//   (`tt.broadcast(tt.expand_dims(s, 1))` of a 1-D s, as flash attention's
//   `acc * alpha[:, None]`) whose only use is the dot's acc: `scale` is that mulf.
//
// Example (matmul): `%acc:3 = scf.for ... iter_args(..., %acc_35 = %cst)` with
//   `%acc_44 = tt.dot %a, %b, %acc_35` yielded as operand 2 prints
//   %acc#2 (scf.for iter_arg 2): tt.dot %acc_44 at kernels.py:30
#pragma once

#include <string>
#include <vector>

#include "ir/ir.h"

namespace tvk::analysis {

/// One loop-carried tt.dot accumulator.
struct LoopAccumulator {
  /// The scf.for carrying it.
  const ir::Operation* loop = nullptr;
  /// Iter-arg index (body argument iterArg + 1, yield operand and result iterArg).
  int iterArg = 0;
  /// The tt.dot that reads and produces it each iteration.
  const ir::Operation* dot = nullptr;
  /// The arith.mulf scaling the accumulator's rows before the dot, or null.
  const ir::Operation* scale = nullptr;
  /// Its 1-D row scale (the operand of the expand_dims), or null.
  const ir::Value* rowScale = nullptr;
  /// The init operand is a splat constant (else, with `chained`, another scf.for's result).
  bool splatInit = true;
};

/// Every loop accumulator of `func`, in program order. With `chained`, an accumulator may also
/// start from a result of another scf.for (flash attention's diagonal blocks continue the
/// accumulator of the blocks before them); the lowering then checks how that result is held.
std::vector<LoopAccumulator> findLoopAccumulators(const ir::Operation& func, bool chained = false);

/// Text form: one line per accumulator (`none` when there is none).
std::string printLoopAccumulators(const std::vector<LoopAccumulator>& accs);

}  // namespace tvk::analysis
