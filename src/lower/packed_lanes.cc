#include "lower/packed_lanes.h"

namespace tvk::lower {

void PackedLanes::note(spirv::Id element, spirv::Id word, uint32_t lane, const ir::Type& t) {
  lanes_[element] = Lane{word, lane, t.name};
}

spirv::Id PackedLanes::wordOf(const std::vector<spirv::Id>& vals, const ir::Type& t) const {
  if (t.bits <= 0 || vals.size() * static_cast<size_t>(t.bits) != 32) return 0;
  spirv::Id word = 0;
  for (uint32_t j = 0; j < vals.size(); ++j) {
    auto it = lanes_.find(vals[j]);
    if (it == lanes_.end() || it->second.lane != j || it->second.type != t.name) return 0;
    if (j == 0) word = it->second.word;
    if (it->second.word != word) return 0;
  }
  return word;
}

}  // namespace tvk::lower
