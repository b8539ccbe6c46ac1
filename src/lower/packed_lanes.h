// Where a narrow element's register came from, so that packing it back is free.
//
// 8- and 16-bit elements travel in 32-bit words (loaded runs, lower/memory_runs.h; scratch words
// of the packed transposes, lower/transpose_packed.h) but live in registers one per element: an
// f16 as an f32, a bf16 as an f32 with zero low bits, a narrow integer sign-extended. Each
// unpacking notes here which lane of which word an element register is. Packing registers that
// are lanes 0 .. P - 1 of one word, in order and of the same element type, gives back that word
// instead of converting and shifting each element: a tile that is only moved (a transpose, a
// copy, a gather) keeps its bits. The word dominates its lanes (they are computed from it), so
// it is available wherever they are.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "ir/ir.h"
#include "spirv/module_builder.h"

namespace tvk::lower {

class PackedLanes {
 public:
  /// Register `element` is lane `lane` of the 32-bit word `word`, unpacked as element type `t`.
  void note(spirv::Id element, spirv::Id word, uint32_t lane, const ir::Type& t);
  /// The word whose lanes 0 .. vals.size() - 1 are `vals` in order, all unpacked as `t` (the
  /// word holds exactly 32 / bits(t) of them); 0 when there is none.
  spirv::Id wordOf(const std::vector<spirv::Id>& vals, const ir::Type& t) const;

 private:
  struct Lane {
    spirv::Id word;
    uint32_t lane;
    std::string type;  // the element type's spelling (f16, bf16, i8, ...)
  };
  std::unordered_map<spirv::Id, Lane> lanes_;
};

}  // namespace tvk::lower
