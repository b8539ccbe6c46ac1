// `tvk run CASE_DIR`: compile a conformance case's kernel for a device, launch it with the
// case's buffers and scalars, and compare every buffer with the case's expectation.
#include <chrono>
#include <cstdio>
#include <cstring>

#include "compiler/compiler.h"
#include "runtime/runtime.h"
#include "tools/case_compare.h"
#include "tools/command.h"
#include "tools/common.h"
#include "tools/npy.h"
#include "tools/test_case.h"

namespace tvk::tools {
namespace {

// One buffer argument on the device.
struct LoadedBuffer {
  const CaseArg* arg = nullptr;
  NpyArray input;
  Buffer buffer;
};

Status checkStorage(const CaseArg& a, const NpyArray& array, const std::string& path) {
  Result<uint32_t> item = npyItemSize(array.descr);
  if (!item.ok()) return item.status();
  if (*item != a.dtype.size)
    return Status::error(path + ": " + array.descr + " storage does not hold " + a.dtype.name);
  return Status();
}

Result<std::vector<LoadedBuffer>> loadBuffers(const TestCase& c, Device& device) {
  std::vector<LoadedBuffer> out;
  for (const CaseArg& a : c.args) {
    if (!a.isBuffer) continue;
    LoadedBuffer b;
    b.arg = &a;
    Result<NpyArray> in = readNpy(a.input);
    if (!in.ok()) return in.status();
    TVK_RETURN_IF_ERROR(checkStorage(a, *in, a.input));
    b.input = std::move(*in);
    Result<Buffer> buf = device.allocate(std::max<size_t>(b.input.data.size(), 1));
    if (!buf.ok()) return buf.status();
    b.buffer = std::move(*buf);
    out.push_back(std::move(b));
  }
  return out;
}

Status uploadInputs(Device& device, std::vector<LoadedBuffer>& buffers) {
  for (LoadedBuffer& b : buffers)
    TVK_RETURN_IF_ERROR(
        device.upload(b.buffer, 0, b.input.data.data(), b.input.data.size()));
  return Status();
}

Result<std::vector<LaunchArg>> launchArgs(const TestCase& c, const Reflection& r,
                                          const std::vector<LoadedBuffer>& buffers) {
  if (r.args.size() != c.args.size())
    return Status::error("the kernel has " + std::to_string(r.args.size()) +
                         " parameters, the case passes " + std::to_string(c.args.size()));
  std::vector<LaunchArg> args;
  size_t next = 0;
  for (size_t i = 0; i < c.args.size(); ++i) {
    const CaseArg& a = c.args[i];
    if (a.isBuffer) {
      args.push_back(LaunchArg::ofBuffer(buffers[next++].buffer,
                                         static_cast<uint64_t>(a.offset) * a.dtype.size));
    } else {
      Result<std::vector<uint8_t>> bytes = scalarBytes(a, r.args[i].size);
      if (!bytes.ok()) return bytes.status();
      args.push_back(LaunchArg::ofBytes(bytes->data(), bytes->size()));
    }
  }
  return args;
}

// Compares every buffer and prints one line each; returns the number of failing buffers.
Result<int> compareAll(Device& device, const std::vector<LoadedBuffer>& buffers) {
  int failures = 0;
  for (const LoadedBuffer& b : buffers) {
    const CaseArg& a = *b.arg;
    std::vector<uint8_t> got(b.input.data.size());
    TVK_RETURN_IF_ERROR(device.download(b.buffer, 0, got.data(), got.size()));
    NpyArray expected;
    bool unchanged = a.expected.empty();
    if (unchanged) {
      expected = b.input;
    } else {
      Result<NpyArray> e = readNpy(a.expected);
      if (!e.ok()) return e.status();
      TVK_RETURN_IF_ERROR(checkStorage(a, *e, a.expected));
      if (e->data.size() != got.size())
        return Status::error(a.expected + ": " + std::to_string(e->data.size()) +
                             " bytes, the input has " + std::to_string(got.size()));
      expected = std::move(*e);
    }
    Result<CompareResult> r = compareBuffers(a.dtype, got.data(), expected.data.data(),
                                             got.size(), a.tolerance, unchanged);
    if (!r.ok()) return Status::error(a.name + ": " + r.status().message());
    std::printf("%s %s n=%zu max_abs_err=%g mismatches=%zu%s", a.name.c_str(),
                a.dtype.name.c_str(), r->elements, r->maxAbsError, r->mismatches,
                unchanged ? " (must be unchanged)" : "");
    if (r->mismatches)
      std::printf("  first at [%zu]: %s", r->firstMismatch, r->firstMismatchText.c_str());
    std::printf("\n");
    failures += r->mismatches != 0;
  }
  return failures;
}

int runCase(const std::vector<std::string>& argv) {
  Result<CliArgs> args = parseCli(argv, {"device", "repeat"}, {"source"});
  if (!args.ok()) return fail(args.status().message());
  if (args->positional.size() != 1)
    return fail("usage: tvk run CASE_DIR [--device N] [--source] [--repeat N]");
  auto failed = [](const std::string& message) {
    std::printf("error: %s\nFAIL\n", message.c_str());
    return 1;
  };
  Result<int> deviceIndex = args->getInt("device", -1);
  Result<int> repeat = args->getInt("repeat", 1);
  if (!deviceIndex.ok()) return failed(deviceIndex.status().message());
  if (!repeat.ok() || *repeat < 1) return failed("--repeat needs a positive integer");
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
  Result<std::shared_ptr<Pipeline>> pipeline = d.pipeline(*kernel);
  if (!pipeline.ok()) return failed(pipeline.status().message());
  Result<std::vector<LoadedBuffer>> buffers = loadBuffers(*c, d);
  if (!buffers.ok()) return failed(buffers.status().message());
  Result<std::vector<LaunchArg>> launch = launchArgs(*c, kernel->reflection, *buffers);
  if (!launch.ok()) return failed(launch.status().message());

  double bestMs = -1;
  for (int i = 0; i < *repeat; ++i) {  // every run starts from the inputs; the last is checked
    Status s = uploadInputs(d, *buffers);
    if (!s.ok()) return failed(s.message());
    Result<Event> start = d.recordEvent();
    if (!start.ok()) return failed(start.status().message());
    s = d.launch(**pipeline, c->grid, *launch);
    if (!s.ok()) return failed(s.message());
    Result<Event> end = d.recordEvent();
    if (!end.ok()) return failed(end.status().message());
    s = d.synchronize();
    if (!s.ok()) return failed(s.message());
    Result<double> ms = d.elapsedMs(*start, *end);
    if (!ms.ok()) return failed(ms.status().message());
    if (bestMs < 0 || *ms < bestMs) bestMs = *ms;
  }
  Result<int> failures = compareAll(d, *buffers);
  if (!failures.ok()) return failed(failures.status().message());
  std::printf("compile_ms=%.3f run_ms=%.3f\n", compileMs, bestMs);
  if (validationMessageCount() > 0) {
    std::printf("validation: %zu message(s) reported\nFAIL\n", validationMessageCount());
    return 1;
  }
  std::printf("%s\n", *failures ? "FAIL" : "PASS");
  return *failures ? 1 : 0;
}

const bool kRegistered = registerCommand(
    {"run", "CASE_DIR [--device N] [--source] [--repeat N]",
     "run a conformance case on a device and compare every buffer", runCase});

}  // namespace
}  // namespace tvk::tools
