// The compiler's ordered pass list, in one place: parse → inline → verify → block-pointers →
// canonicalize → analyses (layouts, provenance, axis info, shared-memory plan, access bounds) →
// lower → validate.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analysis/access_bounds.h"
#include "analysis/axis_info.h"
#include "analysis/layout.h"
#include "analysis/provenance.h"
#include "analysis/smem_plan.h"
#include "compiler/compiler.h"
#include "ir/ir.h"

namespace tvk {

/// Everything the passes produce.
struct PipelineState {
  /// The parsed (then transformed) module.
  std::unique_ptr<ir::Module> module;
  /// The kernel function.
  const ir::Operation* kernel = nullptr;
  /// Layout analysis result.
  analysis::LayoutInfo layouts;
  /// Provenance analysis result.
  analysis::Provenance provenance;
  /// Axis-info analysis result.
  analysis::AxisInfoMap axisInfo;
  /// Vector widths of the layout classes and accesses.
  analysis::VectorPlan vectors;
  /// Shared-memory plan.
  analysis::SmemPlan smem;
  /// Per parameter: largest element index certainly accessed, or -1 (access bounds).
  std::vector<int64_t> accessBounds;
  /// The output (after `lower`).
  CompiledKernel compiled;
};

/// Runs the passes in order up to and including the pass named `stopAfter` ("" = all):
/// `parse`, `inline`, `verify`, `block-pointers`, `canonicalize`, `analyses`, `lower`,
/// `validate`. Fails first when the options are unusable (checkCompileOptions).
Status runPipeline(const std::string& ttir, const CompileOptions& options, PipelineState& state,
                   const std::string& stopAfter = "");

/// Checks the options before compiling: num_warps is a positive power of two, and
/// num_warps × target.subgroupSize fits target.maxWorkgroupInvocations (and the workgroup's
/// x extent, maxWorkgroupSize[0]).
Status checkCompileOptions(const CompileOptions& options);

}  // namespace tvk
