#include "compiler/pipeline.h"

#include <algorithm>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "analysis/dot_prefetch.h"
#include "ir/block_pointers.h"
#include "ir/canonicalize.h"
#include "ir/early_loads.h"
#include "ir/pipeline_loads.h"
#include "ir/pointer_inductions.h"
#include "ir/pointer_selects.h"
#include "ir/scaled_dot.h"
#include "ir/inline.h"
#include "ir/structurize.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "lower/lower.h"
#include "parser/parser.h"
#include "support/switches.h"

namespace tvk {

namespace {

using Pass = std::function<Status(const std::string&, const CompileOptions&, PipelineState&)>;

Status parsePass(const std::string& ttir, const CompileOptions& o, PipelineState& s) {
  auto m = parser::parseTTIR(ttir, o.fileName);
  if (!m.ok()) return m.status();
  s.module = std::move(*m);
  return Status();
}

analysis::SmemOptions smemOptions(const CompileOptions& o) {
  analysis::SmemOptions so;
  so.limitBytes = o.target.sharedMemoryBytes;
  so.invocations = workgroupInvocations(o.target, o.numWarps);
  so.subgroupSize = o.target.subgroupSize;
  so.subgroupShuffle = (o.target.subgroupOps & 0x10u) != 0;  // VK_SUBGROUP_FEATURE_SHUFFLE_BIT
  so.subgroupExtendedTypes = o.target.subgroupExtendedTypes;
  so.cooperativeMatrix = !o.target.coopMatShapes.empty();
  so.uniformCasLoops = !o.target.casLoopAtomics;
  so.atomicFloat32Add = o.target.atomicFloat32Add;
  return so;
}

Status analysesPass(const std::string&, const CompileOptions& o, PipelineState& s) {
  s.kernel = s.module->kernel();
  if (!s.kernel) return Status::error("no public tt.func in the module");
  if (s.kernel->regions.empty() || s.kernel->regions[0]->blocks.empty())
    return Status::error("unsupported: kernel @" + ir::funcName(*s.kernel) + " has no body (a declaration)");
  uint32_t W = workgroupInvocations(o.target, o.numWarps);
  s.axisInfo = analysis::analyzeAxisInfo(*s.kernel);
  // Vector accesses need byte addresses (bindings index elements of one type).
  // TVK_SPLIT_ROWS=0 (a measurement switch): no split row layouts (no subgroup to split in).
  const bool splitRows = switchOn("TVK_SPLIT_ROWS");
  s.vectors = analysis::planVectors(*s.kernel, s.axisInfo, W,
                                    usesDeviceAddresses(o.target) ? o.maxVectorBytes : 0,
                                    splitRows ? o.target.subgroupSize : 0);
  auto layouts = analysis::analyzeLayouts(*s.kernel, W, &s.vectors);
  if (!layouts.ok()) return layouts.status();
  s.layouts = std::move(*layouts);
  auto prov = analysis::analyzeProvenance(*s.kernel, usesDeviceAddresses(o.target));
  if (!prov.ok()) return prov.status();
  s.provenance = std::move(*prov);
  s.accessBounds = analysis::analyzeAccessBounds(*s.kernel, s.provenance);
  analysis::SmemOptions so = smemOptions(o);
  so.axisInfo = &s.axisInfo;
  so.layouts = &s.layouts;
  auto smem = analysis::planSharedMemory(*s.kernel, so);
  if (!smem.ok()) return smem.status();
  s.smem = std::move(*smem);
  if (!o.target.coopMatShapes.empty() && usesDeviceAddresses(o.target)) {
    analysis::Remat remat;
    s.smem.directLoads = analysis::planDirectOperands(*s.kernel, s.axisInfo, remat);
    const std::vector<analysis::LoopAccumulator> accs = analysis::findLoopAccumulators(*s.kernel);
    s.smem.prefetchDots = analysis::planDotPrefetch(s.smem.directLoads, s.smem.allocs, accs, o.numStages);
    // TVK_CARRY_LOADS=0: a measurement switch (in the Python backend's cache key).
    s.smem.carriedLoads = analysis::planCarriedLoads(s.smem.directLoads, s.smem.prefetchDots, accs,
                                                     o.numStages, switchOn("TVK_CARRY_LOADS"));
    analysis::reserveDoubleBuffers(s.smem, 4, so.limitBytes);
  }
  s.smem.options.axisInfo = nullptr;  // decisions are in the plan; the maps may move
  s.smem.options.layouts = nullptr;
  return Status();
}

// The ordered pass list.
const std::vector<std::pair<std::string, Pass>>& passes() {
  static const std::vector<std::pair<std::string, Pass>> kPasses = {
      {"parse", parsePass},
      {"structurize", [](const std::string&, const CompileOptions&, PipelineState& s) {
         return ir::structurize(*s.module);
       }},
      {"inline", [](const std::string&, const CompileOptions&, PipelineState& s) {
         return ir::inlineCalls(*s.module);
       }},
      {"verify", [](const std::string&, const CompileOptions&, PipelineState& s) {
         return ir::verifyModule(*s.module);
       }},
      {"block-pointers", [](const std::string&, const CompileOptions&, PipelineState& s) {
         return ir::rewriteBlockPointers(*s.module);
       }},
      {"pointer-selects", [](const std::string&, const CompileOptions&, PipelineState& s) {
         return ir::sinkPointerSelects(*s.module);
       }},
      {"scaled-dots", [](const std::string&, const CompileOptions&, PipelineState& s) {
         return ir::rewriteScaledDots(*s.module);
       }},
      {"pointer-inductions", [](const std::string&, const CompileOptions&, PipelineState& s) {
         if (!ir::pointerInductionsEnabled() || !ir::rewritePointerInductions(*s.module)) return Status();
         return ir::verifyModule(*s.module);
       }},
      {"canonicalize", [](const std::string&, const CompileOptions&, PipelineState& s) {
         ir::canonicalize(*s.module);
         return Status();
       }},
      {"early-loads", [](const std::string&, const CompileOptions&, PipelineState& s) {
         if (ir::earlyLoadsEnabled()) ir::hoistLoads(*s.module);  // TVK_EARLY_LOADS=1
         return Status();
       }},
      {"pipeline-loads", [](const std::string&, const CompileOptions&, PipelineState& s) {
         if (ir::pipelineLoadsEnabled()) ir::pipelineLoads(*s.module);  // TVK_PIPELINE_LOADS=1
         return Status();
       }},
      {"analyses", analysesPass},
      {"lower", [](const std::string&, const CompileOptions& o, PipelineState& s) -> Status {
         auto k = lower::lowerKernel(*s.kernel, o, s.provenance, s.smem, s.vectors);
         if (!k.ok()) return k.status();
         s.compiled = std::move(*k);
         auto& args = s.compiled.reflection.args;
         for (size_t i = 0; i < args.size() && i < s.accessBounds.size(); ++i)
           if (args[i].kind == ArgInfo::Kind::Buffer) args[i].maxElemIndex = s.accessBounds[i];
         return Status();
       }},
      {"validate", [](const std::string&, const CompileOptions& o, PipelineState& s) {
         return o.validate ? validateSpirv(s.compiled.spirv, o.target) : Status();
       }},
  };
  return kPasses;
}

}  // namespace

Status checkCompileOptions(const CompileOptions& o) {
  int w = o.numWarps;
  if (w <= 0 || (w & (w - 1)) != 0)
    return Status::error("num_warps must be a positive power of two, got " + std::to_string(w));
  if (o.target.subgroupSize == 0) return Status::error("target " + o.target.name + " has subgroup size 0");
  uint64_t invocations = static_cast<uint64_t>(w) * o.target.subgroupSize;
  uint64_t limit = std::min<uint64_t>(o.target.maxWorkgroupInvocations, o.target.maxWorkgroupSize[0]);
  if (invocations > limit)
    return Status::error("num_warps " + std::to_string(w) + " x subgroup size " +
                         std::to_string(o.target.subgroupSize) + " = " + std::to_string(invocations) +
                         " invocations exceeds the workgroup limit of target " + o.target.name + " (" +
                         std::to_string(limit) + ")");
  return Status();
}

Status runPipeline(const std::string& ttir, const CompileOptions& options, PipelineState& state,
                   const std::string& stopAfter) {
  TVK_RETURN_IF_ERROR(checkCompileOptions(options));
  for (const auto& [name, pass] : passes()) {
    TVK_RETURN_IF_ERROR(pass(ttir, options, state));
    if (options.printAfterAll && state.module && name != "lower" && name != "validate")
      std::cerr << "// ----- after " << name << " -----\n" << ir::printModule(*state.module, false);
    if (name == stopAfter) break;
  }
  return Status();
}

}  // namespace tvk
