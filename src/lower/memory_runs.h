// Vector loads and stores (address mode): a tt.load/tt.store whose layout holds runs of
// consecutive elements and whose addresses axis info proves consecutive and aligned
// (analysis/vector_width.h) moves each run of `width` slots with one access. 32- and 64-bit
// elements move as a vector of their storage type; 8- and 16-bit elements as 32-bit words,
// taken apart and put together in integer code (f16 through UnpackHalf2x16, and stored through
// an f16vec2 OpFConvert under RoundingModeRTE where the target has both, else PackHalf2x16,
// exact for the values f16 registers hold), so that 16 bytes move at once (Vulkan vectors have
// at most 4 components).
//
// A run is one access when its address is aligned (axis info proves it; the check keeps a
// wrong proof from touching the wrong bytes: NVIDIA reads a misaligned 16-byte load from the
// aligned block below) and its masks hold (the first mask where the mask is provably constant
// on runs, else all of them); otherwise its elements are accessed one by one under their own
// masks, in one branch per run.
#pragma once

#include <functional>
#include <vector>

#include "analysis/vector_width.h"
#include "lower/context.h"

namespace tvk::lower {

/// One element of `t` at `offset` of parameter `arg`'s buffer (in address mode `offset` is the
/// byte address and `arg` unused: Context::bufferPtr), loaded into its register form; the
/// scalar path of tt.load and the fallback of a run.
Result<Id> loadElement(Context& c, const ir::Type& t, int arg, Id offset, bool wide);
/// Stores register value `v` as one element of `t` there.
Status storeElement(Context& c, const ir::Type& t, int arg, Id offset, bool wide, Id v);

/// Lowers tt.load `op` (address mode, a tensor pointer) with runs of `a.width` elements.
Status lowerLoadRuns(Context& c, const ir::Operation& op, const analysis::AccessVector& a);

/// Loads runs of `a.width` of the masks.size() slots of tt.load `op` given per slot its address
/// (`addr`), mask (0: none) and value where masked off (`otherAt`, 0: zero): the transposed
/// load (lower/memory.cc) passes them in its scratch order, where consecutive slots are
/// consecutive addresses along dimension 0. Returns the slots' register values.
Result<std::vector<Id>> loadRuns(Context& c, const ir::Operation& op, const analysis::AccessVector& a,
                                 const std::function<Id(uint32_t)>& addr, const std::vector<Id>& masks,
                                 const std::function<Id(uint32_t)>& otherAt);

/// Lowers tt.store `op` (address mode, a tensor pointer, not replicated) with runs of
/// `a.width` elements.
Status lowerStoreRuns(Context& c, const ir::Operation& op, const analysis::AccessVector& a);

/// Stores runs of `a.width` slots of tt.store `op` given per slot its address, value and
/// mask (0: none): the transposed store (lower/memory.cc) passes them in its scratch order,
/// where consecutive slots are consecutive addresses along dimension 0.
Status storeRuns(Context& c, const ir::Operation& op, const analysis::AccessVector& a,
                 const std::vector<Id>& addrs, const std::vector<Id>& vals,
                 const std::vector<Id>& masks);

}  // namespace tvk::lower
