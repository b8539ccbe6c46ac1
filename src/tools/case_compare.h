// Comparing a buffer a kernel produced with a conformance case's expectation
// (tests/conformance/README.md): integers and bools exactly; floats elementwise within
// atol + rtol * |expected| with NaN matching NaN, bf16/fp8 decoded from their raw bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "support/status.h"

namespace tvk::tools {

/// A case dtype (`float32`, `bfloat16`, `float8_e4m3fn`, `int64`, `bool`, ...).
struct CaseDType {
  /// The case's spelling.
  std::string name;
  /// Bytes per element in storage.
  uint32_t size = 0;
  /// Compared with a tolerance (floating types, including bf16 and fp8).
  bool isFloat = false;
  /// The .npy descr its storage uses (`<i2` for bfloat16, `|u1` for float8).
  std::string npyDescr;
};

/// Looks up a case dtype; error naming it when unknown.
Result<CaseDType> caseDType(const std::string& name);

/// Decodes IEEE half bits.
float halfToFloat(uint16_t bits);
/// Encodes a float as IEEE half bits (round to nearest even).
uint16_t floatToHalf(float value);
/// Decodes bfloat16 bits.
float bf16ToFloat(uint16_t bits);
/// Decodes float8_e4m3fn bits (no infinities; S.1111.111 is NaN).
float fp8e4m3fnToFloat(uint8_t bits);
/// Decodes float8_e5m2 bits (IEEE-like, with infinities and NaNs).
float fp8e5m2ToFloat(uint8_t bits);
/// Element `index` of raw storage of `dtype` as a double (bools as 0/1).
double decodeElement(const CaseDType& dtype, const void* data, size_t index);

/// Tolerance of a float comparison.
struct Tolerance {
  /// Relative tolerance.
  double rtol = 0;
  /// Absolute tolerance.
  double atol = 0;
};

/// The outcome of comparing one buffer.
struct CompareResult {
  /// Elements compared.
  size_t elements = 0;
  /// Largest |got - expected| over elements that are not both NaN (inf-inf of equal infs is 0).
  double maxAbsError = 0;
  /// Elements outside tolerance (or different, for exact comparisons).
  size_t mismatches = 0;
  /// Index of the first mismatch (valid when mismatches > 0).
  size_t firstMismatch = 0;
  /// "got X expected Y" of the first mismatch.
  std::string firstMismatchText;
};

/// Compares `bytes` of storage. `exact` forces bitwise-equal elements (buffers that must be
/// unchanged); otherwise floats use `tol` and other types compare exactly.
Result<CompareResult> compareBuffers(const CaseDType& dtype, const void* got, const void* expected,
                                     size_t bytes, const Tolerance& tol, bool exact);

}  // namespace tvk::tools
