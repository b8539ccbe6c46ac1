// A conformance case (tests/conformance/README.md): case.json plus its .npy buffers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/status.h"
#include "tools/case_compare.h"

namespace tvk::tools {

/// One argument of a case, in tt.func parameter order.
struct CaseArg {
  /// Parameter name.
  std::string name;
  /// True for buffers, false for scalars.
  bool isBuffer = false;
  /// TTIR type (`!tt.ptr<f32>`, `i32`, `f32`).
  std::string type;
  /// Buffer: element dtype.
  CaseDType dtype;
  /// Buffer: pointer offset in elements from the storage start.
  int64_t offset = 0;
  /// Buffer: input .npy path (absolute).
  std::string input;
  /// Buffer: expected .npy path ("" when the buffer must stay unchanged).
  std::string expected;
  /// Buffer: float tolerance.
  Tolerance tolerance;
  /// Scalar: value as integer (ints, bools).
  int64_t intValue = 0;
  /// Scalar: value as double (floats).
  double floatValue = 0;
  /// Scalar: the value is an integer (case.json: an integer or boolean); integer types need one.
  bool integral = true;
};

/// A loaded case.json.
struct TestCase {
  /// The case folder.
  std::string dir;
  /// Entry function name.
  std::string kernel;
  /// Launch grid.
  uint32_t grid[3] = {1, 1, 1};
  /// num_warps of the capture.
  int numWarps = 4;
  /// Arguments.
  std::vector<CaseArg> args;
};

/// Reads `dir`/case.json.
Result<TestCase> loadTestCase(const std::string& dir);

/// The `size` push-constant bytes of scalar `arg` (its TTIR type decides the encoding;
/// integers narrower than `size` are sign-extended, i1 becomes 0/1).
Result<std::vector<uint8_t>> scalarBytes(const CaseArg& arg, uint32_t size);

}  // namespace tvk::tools
