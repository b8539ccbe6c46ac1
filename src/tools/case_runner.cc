// Case execution: buffers from .npy, launch, comparison.
#include "tools/case_runner.h"

#include <algorithm>
#include <cstdio>

#include "tools/npy.h"

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
    if (a.offset < 0 || static_cast<size_t>(a.offset) * a.dtype.size >= b.input.data.size())
      return Status::error("buffer '" + a.name + "': offset " + std::to_string(a.offset) +
                           " is outside its " + std::to_string(b.input.count()) + " elements");
    Result<Buffer> buf = device.allocate(b.input.data.size());
    if (!buf.ok()) return buf.status();
    b.buffer = std::move(*buf);
    out.push_back(std::move(b));
  }
  return out;
}

Status uploadInputs(Device& device, std::vector<LoadedBuffer>& buffers) {
  for (LoadedBuffer& b : buffers)
    TVK_RETURN_IF_ERROR(device.upload(b.buffer, 0, b.input.data.data(), b.input.data.size()));
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

// Up to `show` values of `data` from the kernel's pointer on, separated by spaces.
std::string sampleValues(const CaseArg& a, const std::vector<uint8_t>& data, int show) {
  const size_t count = data.size() / a.dtype.size;
  std::string out;
  for (size_t i = static_cast<size_t>(a.offset); i < count && i < a.offset + size_t(show); ++i) {
    char v[32];
    std::snprintf(v, sizeof(v), " %.6g", decodeElement(a.dtype, data.data(), i));
    out += v;
  }
  return out;
}

Result<BufferReport> compareOne(Device& device, const LoadedBuffer& b, int show) {
  const CaseArg& a = *b.arg;
  std::vector<uint8_t> got(b.input.data.size());
  TVK_RETURN_IF_ERROR(device.download(b.buffer, 0, got.data(), got.size()));
  BufferReport report;
  report.name = a.name;
  report.dtype = a.dtype.name;
  report.mustBeUnchanged = a.expected.empty();
  NpyArray expected;
  if (report.mustBeUnchanged) {
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
  Result<CompareResult> r = compareBuffers(a.dtype, got.data(), expected.data.data(), got.size(),
                                           a.tolerance, report.mustBeUnchanged);
  if (!r.ok()) return Status::error(a.name + ": " + r.status().message());
  report.result = *r;
  if (show > 0 && !report.mustBeUnchanged)
    report.sample = "got     " + sampleValues(a, got, show) + "\n    expected" +
                    sampleValues(a, expected.data, show);
  return report;
}

}  // namespace

bool CaseRunReport::passed() const {
  return std::all_of(buffers.begin(), buffers.end(),
                     [](const BufferReport& b) { return b.result.mismatches == 0; });
}

Result<CaseRunReport> runTestCase(Device& d, const TestCase& c, const CompiledKernel& kernel,
                                  int repeat, int show) {
  if (repeat < 1) return Status::error("repeat must be at least 1");
  Result<std::vector<LoadedBuffer>> buffers = loadBuffers(c, d);
  if (!buffers.ok()) return buffers.status();
  Result<std::vector<LaunchArg>> args = launchArgs(c, kernel.reflection, *buffers);
  if (!args.ok()) return args.status();
  Result<std::shared_ptr<Pipeline>> pipeline = d.pipeline(kernel);
  if (!pipeline.ok()) return pipeline.status();
  CaseRunReport report;
  report.runMs = -1;
  for (int i = 0; i < repeat; ++i) {
    TVK_RETURN_IF_ERROR(uploadInputs(d, *buffers));
    Result<Event> start = d.recordEvent();
    if (!start.ok()) return start.status();
    TVK_RETURN_IF_ERROR(d.launch(**pipeline, c.grid, *args));
    Result<Event> end = d.recordEvent();
    if (!end.ok()) return end.status();
    TVK_RETURN_IF_ERROR(d.synchronize());
    Result<double> ms = d.elapsedMs(*start, *end);
    if (!ms.ok()) return ms.status();
    if (report.runMs < 0 || *ms < report.runMs) report.runMs = *ms;
  }
  for (const LoadedBuffer& b : *buffers) {
    Result<BufferReport> r = compareOne(d, b, show);
    if (!r.ok()) return r.status();
    report.buffers.push_back(*r);
  }
  return report;
}

std::string formatBufferReport(const BufferReport& b) {
  char line[512];
  std::snprintf(line, sizeof(line), "%s %s n=%zu max_abs_err=%g mismatches=%zu%s",
                b.name.c_str(), b.dtype.c_str(), b.result.elements, b.result.maxAbsError,
                b.result.mismatches, b.mustBeUnchanged ? " (must be unchanged)" : "");
  std::string out = line;
  if (b.result.mismatches)
    out += "  first at [" + std::to_string(b.result.firstMismatch) +
           "]: " + b.result.firstMismatchText;
  if (!b.sample.empty()) out += "\n    " + b.sample;
  return out;
}

}  // namespace tvk::tools
