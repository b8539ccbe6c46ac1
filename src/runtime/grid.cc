// Grid checks and the lazy grid split.
#include "runtime/grid.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace tvk {

Status checkGrid(const uint32_t grid[3], const uint32_t maxCount[3]) {
  static const char* kAxis = "xyz";
  for (int i = 0; i < 3; ++i) {
    if (grid[i] > kMaxGridDim)
      return Status::error("grid dimension " + std::string(1, kAxis[i]) + " = " +
                           std::to_string(grid[i]) + " exceeds " + std::to_string(kMaxGridDim) +
                           ", the most programs tt.get_program_id (i32) can number");
    if (maxCount[i] == 0)
      return Status::error("the device reports maxComputeWorkGroupCount[" + std::to_string(i) +
                           "] = 0");
  }
  return Status();
}

GridSplitter::GridSplitter(const uint32_t grid[3], const uint32_t maxCount[3]) {
  for (int i = 0; i < 3; ++i) {
    grid_[i] = grid[i];
    max_[i] = std::max<uint32_t>(maxCount[i], 1);
  }
  done_ = grid[0] == 0 || grid[1] == 0 || grid[2] == 0;
}

uint64_t GridSplitter::pieceCount() const {
  if (grid_[0] == 0 || grid_[1] == 0 || grid_[2] == 0) return 0;
  uint64_t n = 1;
  for (int i = 0; i < 3; ++i) {
    uint64_t k = (uint64_t(grid_[i]) + max_[i] - 1) / max_[i];
    n = n > UINT64_MAX / k ? UINT64_MAX : n * k;  // saturates (only for limits of 1)
  }
  return n;
}

bool GridSplitter::next(DispatchPiece& piece) {
  if (done_) return false;
  for (int i = 0; i < 3; ++i) {
    piece.base[i] = at_[i];
    piece.count[i] = std::min(grid_[i] - at_[i], max_[i]);
  }
  // Advance x fastest, carrying into y and z.
  for (int i = 0; i < 3; ++i) {
    at_[i] += piece.count[i];
    if (at_[i] < grid_[i]) return true;
    at_[i] = 0;
  }
  done_ = true;
  return true;
}

}  // namespace tvk
