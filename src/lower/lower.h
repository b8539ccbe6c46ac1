// TTIR → SPIR-V lowering of one kernel (tt.func): sets up the module (buffers, push
// constants, builtins, entry point, LocalSize (W,1,1)), then lowers the body op by op
// through the registry (lower/registry.h). The execution model is described in
// docs/lowering.md.
#pragma once

#include "analysis/provenance.h"
#include "analysis/smem_plan.h"
#include "analysis/vector_width.h"
#include "abi/compiled_kernel.h"
#include "ir/ir.h"

namespace tvk::lower {

/// Lowers `func` with the analyses' results; fills the SPIR-V words and the reflection.
Result<CompiledKernel> lowerKernel(const ir::Operation& func, const CompileOptions& opts,
                                   const analysis::Provenance& prov,
                                   const analysis::SmemPlan& smem,
                                   const analysis::VectorPlan& vectors);

}  // namespace tvk::lower
