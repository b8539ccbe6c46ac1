// `tvk opt`: print the compiler's intermediate views of a TTIR kernel.
#include <cstdio>

#include "compiler/inspect.h"
#include "tools/command.h"
#include "tools/common.h"

namespace tvk::tools {
namespace {

int runOpt(const std::vector<std::string>& argv) {
  Result<CliArgs> args = parseCli(argv, {"print", "device", "target", "num-warps"}, {});
  if (!args.ok()) return fail(args.status().message());
  if (args->positional.size() != 1 || !args->has("print"))
    return fail("usage: tvk opt KERNEL.ttir --print=ir|provenance|axis-info|layouts|smem|access-bounds|loop-accumulators");
  Result<std::string> ttir = readTextFile(args->positional[0]);
  if (!ttir.ok()) return fail(ttir.status().message());
  Result<Target> target = targetFromArgs(*args);
  if (!target.ok()) return fail(target.status().message());
  Result<int> warps = args->getInt("num-warps", 4);
  if (!warps.ok()) return fail(warps.status().message());
  if (*warps < 1) return fail("--num-warps needs a positive integer, got " + std::to_string(*warps));
  CompileOptions options;
  options.numWarps = *warps;
  options.target = *target;
  options.fileName = args->positional[0];
  Result<std::string> text = inspectTTIR(*ttir, options, args->get("print"));
  if (!text.ok()) return fail(text.status().message());
  std::fwrite(text->data(), 1, text->size(), stdout);
  return 0;
}

const bool kRegistered = registerCommand(
    {"opt",
     "KERNEL.ttir --print=ir|provenance|axis-info|layouts|smem|access-bounds|loop-accumulators [--target P | --device N] "
     "[--num-warps N]",
     "print analyses of a TTIR kernel", runOpt});

}  // namespace
}  // namespace tvk::tools
