// `tvk opt`: print the compiler's intermediate views of a TTIR kernel.
#include <cstdio>

#include "compiler/inspect.h"
#include "tools/command.h"
#include "tools/common.h"

namespace tvk::tools {
namespace {

int runOpt(const std::vector<std::string>& argv) {
  Result<CliArgs> args = parseCli(argv, {"print", "device", "target", "num-warps", "num-stages", "vector-bytes"}, {});
  if (!args.ok()) return fail(args.status().message());
  if (args->positional.size() != 1 || !args->has("print"))
    return fail("usage: tvk opt KERNEL.ttir --print=ir|provenance|axis-info|layouts|smem|access-bounds|loop-accumulators|dot-operands");
  Result<std::string> ttir = readTextFile(args->positional[0]);
  if (!ttir.ok()) return fail(ttir.status().message());
  Result<CompileOptions> options = compileOptionsFromArgs(*args, args->positional[0]);
  if (!options.ok()) return fail(options.status().message());
  Result<std::string> text = inspectTTIR(*ttir, *options, args->get("print"));
  if (!text.ok()) return fail(text.status().message());
  std::fwrite(text->data(), 1, text->size(), stdout);
  return 0;
}

const bool kRegistered = registerCommand(
    {"opt",
     "KERNEL.ttir --print=ir|provenance|axis-info|layouts|smem|access-bounds|loop-accumulators|dot-operands [--target P | --device N] "
     "[--num-warps N] [--num-stages S] [--vector-bytes B]",
     "print analyses of a TTIR kernel", runOpt});

}  // namespace
}  // namespace tvk::tools
