// `tvk run CASE_DIR`: compile a conformance case's kernel for a device, launch it with the
// case's buffers and scalars, and compare every buffer with the case's expectation.
#include <chrono>
#include <cstdio>

#include "compiler/compiler.h"
#include "runtime/runtime.h"
#include "tools/case_runner.h"
#include "tools/command.h"
#include "tools/common.h"
#include "tools/test_case.h"

namespace tvk::tools {
namespace {

int runCase(const std::vector<std::string>& argv) {
  Result<CliArgs> args = parseCli(argv, {"device", "repeat", "show"}, {"source"});
  if (!args.ok()) return fail(args.status().message());
  if (args->positional.size() != 1)
    return fail("usage: tvk run CASE_DIR [--device N] [--source] [--repeat N] [--show N]");
  auto failed = [](const std::string& message) {
    std::printf("error: %s\nFAIL\n", message.c_str());
    return 1;
  };
  Result<int> deviceIndex = args->getInt("device", -1);
  Result<int> repeat = args->getInt("repeat", 1);
  if (!deviceIndex.ok()) return failed(deviceIndex.status().message());
  if (!repeat.ok() || *repeat < 1) return failed("--repeat needs a positive integer");
  Result<int> show = args->getInt("show", 0);
  if (!show.ok() || *show < 0) return failed("--show needs a non-negative integer");
  Result<TestCase> c = loadTestCase(args->positional[0]);
  if (!c.ok()) return failed(c.status().message());
  const std::string kernelPath =
      c->dir + (args->has("source") ? "/kernel.source.ttir" : "/kernel.ttir");
  Result<std::string> ttir = readTextFile(kernelPath);
  if (!ttir.ok()) return failed(ttir.status().message());
  Result<std::unique_ptr<Device>> device = openDevice(*deviceIndex);
  if (!device.ok()) return failed(device.status().message());
  Device& d = **device;

  CompileOptions options;
  options.numWarps = c->numWarps;
  options.target = d.target();
  options.fileName = kernelPath;
  auto t0 = std::chrono::steady_clock::now();
  Result<CompiledKernel> kernel = compileTTIR(*ttir, options);
  double compileMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!kernel.ok()) return failed(kernel.status().message());
  Result<CaseRunReport> report = runTestCase(d, *c, *kernel, *repeat, *show);
  if (!report.ok()) return failed(report.status().message());
  for (const BufferReport& b : report->buffers)
    std::printf("%s\n", formatBufferReport(b).c_str());
  const double bestMs = report->runMs;
  const bool passed = report->passed();
  std::printf("compile_ms=%.3f run_ms=%.3f\n", compileMs, bestMs);
  if (validationMessageCount() > 0) {
    std::printf("validation: %zu message(s) reported\nFAIL\n", validationMessageCount());
    return 1;
  }
  std::printf("%s\n", passed ? "PASS" : "FAIL");
  return passed ? 0 : 1;
}

const bool kRegistered = registerCommand(
    {"run", "CASE_DIR [--device N] [--source] [--repeat N] [--show N]",
     "run a conformance case on a device and compare every buffer (--show: print the first N "
     "values of each expected buffer)", runCase});

}  // namespace
}  // namespace tvk::tools
