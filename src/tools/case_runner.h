// Running a loaded conformance case with a compiled kernel on a device, and checking it.
#pragma once

#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "runtime/runtime.h"
#include "tools/case_compare.h"
#include "tools/test_case.h"

namespace tvk::tools {

/// The check of one buffer.
struct BufferReport {
  /// Parameter name.
  std::string name;
  /// Case dtype name.
  std::string dtype;
  /// True when the case has no expectation (the buffer must be unchanged).
  bool mustBeUnchanged = false;
  /// Comparison outcome.
  CompareResult result;
  /// The first values from the kernel's pointer on ("got ... / expected ..."), when asked for
  /// with `show` > 0 and the buffer has an expectation; empty otherwise.
  std::string sample;
};

/// The outcome of running a case.
struct CaseRunReport {
  /// One entry per buffer argument, in parameter order.
  std::vector<BufferReport> buffers;
  /// Fastest GPU time of the launch over the repeats, in milliseconds.
  double runMs = 0;
  /// True when no buffer has a mismatch.
  bool passed() const;
};

/// Uploads the case's inputs (whole storage), launches `kernel` with the case's grid
/// `repeat` times (each from fresh inputs), and compares every buffer after the last run.
/// `show` > 0 fills each expected buffer's `sample` with up to that many values.
Result<CaseRunReport> runTestCase(Device& device, const TestCase& testCase,
                                  const CompiledKernel& kernel, int repeat = 1, int show = 0);

/// "name dtype n=... max_abs_err=... mismatches=..." (plus the first mismatch and the sample).
std::string formatBufferReport(const BufferReport& report);

}  // namespace tvk::tools
