// Reading and writing NumPy .npy files (format 1.0-3.0, little-endian, C order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/status.h"

namespace tvk::tools {

/// An array loaded from or written to a .npy file.
struct NpyArray {
  /// Type descriptor (`<f4`, `<f2`, `<i4`, `<i8`, `<i2`, `|i1`, `|u1`, `<u2`, `<u4`, `<u8`,
  /// `|b1`, `<f8`).
  std::string descr;
  /// Shape (empty for a 0-d array).
  std::vector<int64_t> shape;
  /// Raw little-endian element bytes, C order.
  std::vector<uint8_t> data;

  /// Number of elements (product of shape).
  int64_t count() const;
};

/// Bytes per element of a supported descr; error for anything else.
Result<uint32_t> npyItemSize(const std::string& descr);

/// Parses .npy bytes.
Result<NpyArray> parseNpy(const std::vector<uint8_t>& bytes);
/// Serializes to .npy bytes (format 1.0, or 2.0 when the header needs it).
Result<std::vector<uint8_t>> serializeNpy(const NpyArray& array);

/// Loads a .npy file.
Result<NpyArray> readNpy(const std::string& path);
/// Writes a .npy file.
Status writeNpy(const std::string& path, const NpyArray& array);

}  // namespace tvk::tools
