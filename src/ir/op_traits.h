// Facts about op kinds shared by the IR rewrites.
#pragma once

#include "ir/ir.h"

namespace tvk::ir {

/// True for ops without memory effects and without regions whose results follow from their
/// operands alone (and the program id): arith.*, math.*, tt.splat, tt.make_range, tt.addptr,
/// tt.broadcast, tt.expand_dims, tt.reshape, tt.bitcast, tt.int_to_ptr, tt.ptr_to_int,
/// tt.get_program_id, tt.get_num_programs. Such an op may move, or be recomputed elsewhere
/// (ir/early_loads.h, ir/pipeline_loads.h).
bool isRecomputable(const Operation& op);

/// True for ops that write memory or order accesses around them: tt.store, atomics,
/// tt.descriptor_store, tt.call, gpu.barrier, inline assembly, and asserts and prints (an
/// assert may guard an access). No load moves across one (ir/early_loads.h), and a loop holding
/// one keeps its loads in their iteration (ir/pipeline_loads.h).
bool ordersMemory(const Operation& op);

}  // namespace tvk::ir
