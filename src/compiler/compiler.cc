// Placeholder until the pipeline lands (replaced by the lowering work).
#include "compiler/compiler.h"
#include "compiler/inspect.h"

namespace tvk {

Result<CompiledKernel> compileTTIR(const std::string&, const CompileOptions&) {
  return Status::error("compiler pipeline not built yet");
}
Result<std::string> disassembleSpirv(const std::vector<uint32_t>&) {
  return Status::error("not built yet");
}
Status validateSpirv(const std::vector<uint32_t>&, const Target&) {
  return Status::error("not built yet");
}
const char* compilerVersion() { return "0.1.0"; }
Result<std::string> inspectTTIR(const std::string&, const CompileOptions&, const std::string&) {
  return Status::error("not built yet");
}

}  // namespace tvk
