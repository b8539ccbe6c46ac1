#include "analysis/layout.h"

#include "analysis/values.h"

namespace tvk::analysis {

int64_t Layout::linearIndex(uint32_t t, uint32_t r) const {
  if (replicated && repShift) return static_cast<int64_t>(t >> repShift);
  if (replicated) return (static_cast<int64_t>(t) * vec + r) % numel;
  return static_cast<int64_t>(r / vec) * invocations * vec + static_cast<int64_t>(t) * vec +
         r % vec;
}

bool Layout::isOwner(uint32_t t) const {
  if (replicated && repShift) return (t & ((1u << repShift) - 1)) == 0;
  return !replicated || static_cast<int64_t>(t) * vec < numel;
}

std::string Layout::str() const {
  std::string s = "blocked<";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  s += "> W=" + std::to_string(invocations) + " v=" + std::to_string(vec) +
       " R=" + std::to_string(slots);
  if (replicated) s += " replicated";
  if (repShift) s += " x" + std::to_string(1u << repShift) + " adjacent";
  return s;
}

Result<Layout> blockedLayout(const std::vector<int64_t>& shape, uint32_t invocations,
                             uint32_t vec, uint32_t repShift) {
  if (invocations == 0 || (invocations & (invocations - 1)))
    return Status::error("layout: workgroup size " + std::to_string(invocations) +
                         " is not a power of 2");
  if (vec == 0 || (vec & (vec - 1)))
    return Status::error("layout: vector width " + std::to_string(vec) + " is not a power of 2");
  Layout l;
  l.shape = shape;
  l.invocations = invocations;
  l.vec = vec;
  for (int64_t d : shape) {
    if (d <= 0 || (d & (d - 1)))
      return Status::error("layout: tensor dimension " + std::to_string(d) +
                           " is not a power of 2");
    l.numel *= d;
  }
  int64_t block = static_cast<int64_t>(invocations) * l.vec;
  l.replicated = l.numel < block;
  l.slots = l.replicated ? l.vec : static_cast<uint32_t>((l.numel + block - 1) / block * l.vec);
  if (l.replicated && l.vec == 1 && repShift && (l.numel << repShift) == static_cast<int64_t>(invocations))
    l.repShift = repShift;
  return l;
}

Result<Layout> classLayout(const std::vector<int64_t>& shape, uint32_t invocations,
                           const VectorPlan& vectors) {
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  return blockedLayout(shape, invocations, vectors.widthOf(numel), vectors.repShiftOf(numel));
}

Result<LayoutInfo> analyzeLayouts(const ir::Operation& func, uint32_t invocations,
                                  const VectorPlan* vectors) {
  LayoutInfo info;
  info.invocations = invocations;
  Status err;
  forEachValue(func, [&](const ir::Value* v) {
    if (!err.ok() || !v->type.isTensor()) return;
    auto l = vectors ? classLayout(v->type.shape, invocations, *vectors)
                     : blockedLayout(v->type.shape, invocations);
    if (!l.ok()) {
      err = Status::error(l.status().message() + " (" +
                          (v->def ? v->def->where() : valueName(v)) + ")");
      return;
    }
    info.layouts.emplace(v, *l);
  });
  if (!err.ok()) return err;
  return info;
}

std::string printLayouts(const ir::Operation& func, const LayoutInfo& info) {
  std::string out;
  forEachValue(func, [&](const ir::Value* v) {
    auto it = info.layouts.find(v);
    if (it == info.layouts.end()) return;
    out += valueName(v) + " : " + v->type.str() + " -> " + it->second.str() + "\n";
  });
  return out;
}

}  // namespace tvk::analysis
