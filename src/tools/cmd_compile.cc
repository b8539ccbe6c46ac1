// `tvk compile`: TTIR → SPIR-V (or its disassembly) for a device or a target profile.
#include <cstdio>
#include <fstream>

#include "compiler/compiler.h"
#include "tools/command.h"
#include "tools/common.h"

namespace tvk::tools {
namespace {

int runCompile(const std::vector<std::string>& argv) {
  Result<CliArgs> args = parseCli(argv, {"device", "target", "num-warps", "num-stages", "vector-bytes", "o"},
                                  {"asm", "print-after-all", "reflection"});
  if (!args.ok()) return fail(args.status().message());
  if (args->positional.size() != 1) return fail("usage: tvk compile KERNEL.ttir -o OUT.spv");
  const std::string input = args->positional[0];
  Result<std::string> ttir = readTextFile(input);
  if (!ttir.ok()) return fail(ttir.status().message());
  Result<CompileOptions> opts = compileOptionsFromArgs(*args, input);
  if (!opts.ok()) return fail(opts.status().message());
  CompileOptions options = *opts;
  options.printAfterAll = args->has("print-after-all");
  Result<CompiledKernel> kernel = compileTTIR(*ttir, options);
  if (!kernel.ok()) return fail(kernel.status().message());
  const std::string out = args->get("o");
  if (args->has("asm")) {
    Result<std::string> text = disassembleSpirv(kernel->spirv);
    if (!text.ok()) return fail(text.status().message());
    if (out.empty()) {
      std::fwrite(text->data(), 1, text->size(), stdout);
    } else {
      std::ofstream f(out);
      f << *text;
      if (!f) return fail("cannot write " + out);
    }
  } else {
    if (out.empty()) return fail("-o OUT.spv is required (or --asm for text on stdout)");
    std::ofstream f(out, std::ios::binary);
    f.write(reinterpret_cast<const char*>(kernel->spirv.data()), kernel->spirv.size() * 4);
    if (!f) return fail("cannot write " + out);
  }
  if (args->has("reflection")) std::printf("%s\n", reflectionJson(kernel->reflection).c_str());
  return 0;
}

const bool kRegistered = registerCommand(
    {"compile",
     "KERNEL.ttir [--device N | --target PROFILE] [--num-warps N] [--num-stages S] [--vector-bytes B] -o OUT.spv [--asm] "
     "[--print-after-all] [--reflection]",
     "compile TTIR to SPIR-V", runCompile});

}  // namespace
}  // namespace tvk::tools
