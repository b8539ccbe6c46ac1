// Small integer helpers shared by the analyses and lowerings.
#pragma once

#include <cstdint>

namespace tvk {

/// The smallest s with 2^s >= v (0 for v <= 1): log2 of a power of two, rounded up otherwise.
inline uint32_t log2Ceil(uint64_t v) {
  uint32_t s = 0;
  while (s < 63 && (uint64_t{1} << s) < v) ++s;
  return s;
}

}  // namespace tvk
