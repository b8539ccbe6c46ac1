// compileTTIR, validateSpirv, disassembleSpirv, compilerVersion and inspectTTIR.
#include "compiler/compiler.h"

#include <spirv-tools/libspirv.hpp>

#include "analysis/axis_info.h"
#include "analysis/layout.h"
#include "analysis/loop_accumulators.h"
#include "analysis/provenance.h"
#include "analysis/smem_plan.h"
#include "compiler/inspect.h"
#include "compiler/pipeline.h"
#include "ir/printer.h"

#ifndef TVK_VERSION
#define TVK_VERSION "0.0.0"
#endif

namespace tvk {

namespace {
spv_target_env envFor(const Target& t) {
  uint32_t minor = (t.vulkanVersion >> 12) & 0x3ff;
  if (minor >= 3) return SPV_ENV_VULKAN_1_3;
  if (minor == 2) return SPV_ENV_VULKAN_1_2;
  return SPV_ENV_VULKAN_1_1;
}
}  // namespace

Result<CompiledKernel> compileTTIR(const std::string& ttir, const CompileOptions& options) {
  PipelineState state;
  TVK_RETURN_IF_ERROR(runPipeline(ttir, options, state));
  return std::move(state.compiled);
}

// The validator's friendly-name table (names for ids) is left out: it took a fifth of an
// in-process compile (median over the conformance cases 6.1-6.5 -> 5.0-5.2 ms on lavapipe), and
// the validator's messages show the same names without it.
Status validateSpirv(const std::vector<uint32_t>& words, const Target& target) {
  spvtools::SpirvTools tools(envFor(target));
  std::string msgs;
  tools.SetMessageConsumer([&](spv_message_level_t, const char*, const spv_position_t& pos,
                               const char* m) {
    msgs += std::string(m) + " (word " + std::to_string(pos.index) + ")\n";
  });
  spvtools::ValidatorOptions vo;
  vo.SetFriendlyNames(false);
  if (!tools.Validate(words.data(), words.size(), vo))
    return Status::error("spirv-val: " + (msgs.empty() ? std::string("invalid module") : msgs));
  return Status();
}

Result<std::string> disassembleSpirv(const std::vector<uint32_t>& words) {
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_1);
  std::string msgs, text;
  tools.SetMessageConsumer([&](spv_message_level_t, const char*, const spv_position_t&,
                               const char* m) { msgs += std::string(m) + "\n"; });
  if (!tools.Disassemble(words, &text, SPV_BINARY_TO_TEXT_OPTION_FRIENDLY_NAMES |
                                            SPV_BINARY_TO_TEXT_OPTION_INDENT))
    return Status::error("spirv-dis: " + msgs);
  return text;
}

const char* compilerVersion() { return TVK_VERSION; }

Result<std::string> inspectTTIR(const std::string& ttir, const CompileOptions& options,
                                const std::string& what) {
  PipelineState s;
  TVK_RETURN_IF_ERROR(runPipeline(ttir, options, s, "analyses"));
  if (what == "ir") return ir::printModule(*s.module, false);
  if (what == "provenance") return analysis::printProvenance(*s.kernel, s.provenance);
  if (what == "axis-info") return analysis::printAxisInfo(*s.kernel, s.axisInfo);
  if (what == "layouts") return analysis::printLayouts(*s.kernel, s.layouts);
  if (what == "smem") return analysis::printSmemPlan(s.smem);
  if (what == "access-bounds") return analysis::printAccessBounds(*s.kernel, s.accessBounds);
  if (what == "loop-accumulators")
    return analysis::printLoopAccumulators(analysis::findLoopAccumulators(*s.kernel));
  if (what == "dot-operands") return analysis::printDirectOperands(s.smem.directLoads, s.smem.prefetchDots, s.smem.carriedLoads);
  return Status::error("inspect: unknown view '" + what +
                       "' (ir, provenance, axis-info, layouts, smem, access-bounds, loop-accumulators, dot-operands)");
}

}  // namespace tvk
