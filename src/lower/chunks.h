// Exchanges through shared memory in several passes (chunks), when a tensor's scratch exceeds
// the target's shared memory: which pass a slot's element belongs to, decided at compile time
// where the layout allows it.
#pragma once

#include <cstdint>
#include <functional>

#include "analysis/layout.h"

namespace tvk::lower {

/// The pass (chunk) of slot `r` of layout `l` that holds in every invocation (every owner
/// when `ownersOnly`: writers), given `chunkOf` (linear element index → pass), or -1 when the
/// pass depends on the invocation.
inline int64_t slotChunk(const analysis::Layout& l, uint32_t r, bool ownersOnly,
                         const std::function<int64_t(int64_t)>& chunkOf) {
  int64_t chunk = -2;
  for (uint32_t t = 0; t < l.invocations; ++t) {
    if (ownersOnly && !l.isOwner(t)) continue;
    int64_t k = chunkOf(l.linearIndex(t, r));
    if (chunk == -2) chunk = k;
    else if (chunk != k) return -1;
  }
  return chunk == -2 ? -1 : chunk;
}

}  // namespace tvk::lower
