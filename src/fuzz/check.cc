// The fuzz oracle (see check.h).
#include "fuzz/check.h"

#include "compiler/compiler.h"
#include "fuzz/sandbox.h"

namespace tvk::fuzz {

CheckResult checkInput(const std::string& ttir, const std::string& fileName,
                       const std::vector<Target>& targets, int numWarps) {
  CheckResult r;
  r.exitCode = kExitCompiled;
  for (const Target& t : targets) {
    CompileOptions o;
    o.target = t;
    o.numWarps = numWarps;
    o.validate = false;
    o.fileName = fileName;
    Result<CompiledKernel> k = compileTTIR(ttir, o);
    if (!k.ok()) {
      if (r.exitCode == kExitCompiled) {
        r.exitCode = kExitRejected;
        r.message = t.name + ": " + k.status().message();
      }
      continue;
    }
    Status v = validateSpirv(k->spirv, t);
    if (!v.ok()) return {kExitInvalid, t.name + ": " + v.message()};
  }
  return r;
}

}  // namespace tvk::fuzz
