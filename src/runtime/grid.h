// Launch grids: the check against what program_id (i32) can hold, and the lazy split of a grid
// larger than maxComputeWorkGroupCount into dispatches (pure; no Vulkan calls).
//
// Example: grid {70000, 3, 1} with maxCount {65535, 2, 65535} gives 4 pieces, x fastest:
// base {0,0,0} count {65535,2,1}; base {65535,0,0} count {4465,2,1}; base {0,2,0} count
// {65535,1,1}; base {65535,2,0} count {4465,1,1}.
#pragma once

#include <cstdint>

#include "support/status.h"

namespace tvk {

/// Programs per grid dimension that tt.get_program_id (an i32) can number: 2^31 - 1.
constexpr uint32_t kMaxGridDim = 0x7fffffffu;

/// One vkCmdDispatch of a possibly split grid.
struct DispatchPiece {
  /// Program-id offset (pid_base).
  uint32_t base[3] = {0, 0, 0};
  /// Workgroup count of this dispatch.
  uint32_t count[3] = {0, 0, 0};
};

/// Rejects a grid dimension above kMaxGridDim and a device limit of 0 with a clear error.
Status checkGrid(const uint32_t grid[3], const uint32_t maxCount[3]);

/// The dispatches of `grid` in pieces of at most `maxCount` per dimension, produced one at a
/// time (a grid of 2^31 x 2^31 programs never materializes its pieces).
class GridSplitter {
 public:
  /// Splits `grid`; `maxCount` entries must be > 0 (checkGrid).
  GridSplitter(const uint32_t grid[3], const uint32_t maxCount[3]);
  /// Number of pieces in all (0 when a dimension is 0).
  uint64_t pieceCount() const;
  /// Writes the next piece; false once every piece was produced.
  bool next(DispatchPiece& piece);

 private:
  uint32_t grid_[3];
  uint32_t max_[3];
  uint32_t at_[3] = {0, 0, 0};
  bool done_ = false;
};

}  // namespace tvk
