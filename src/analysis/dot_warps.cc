#include "analysis/dot_warps.h"

#include <algorithm>
#include <string>

#include "ir/walk.h"

namespace tvk::analysis {

namespace {

// 16x16 result fragments of a tt.dot that may take cooperative matrices (0 for others).
uint64_t coopFragments(const ir::Operation& dot) {
  if (dot.numOperands() < 2) return 0;
  const ir::Type& a = dot.operand(0)->type;
  const ir::Type& r = dot.result()->type;
  if (!a.isTensor() || !r.isTensor() || r.rank() < 2 || r.rank() > 3) return 0;
  const std::string t = a.scalar().str(), prec = dot.strAttr("inputPrecision");
  if (t != "f16" && t != "bf16" && t != "i8" && !(t == "f32" && (prec == "tf32" || prec == "bf16x3"))) return 0;
  return static_cast<uint64_t>(r.numel()) / 256;
}

}  // namespace

int dotWarps(const ir::Operation& func, int numWarps, uint32_t subgroupSize, uint32_t maxInvocations,
             uint32_t maxFragments) {
  uint64_t most = 0;
  ir::walk(func, [&](const ir::Operation& op) {
    if (op.name == "tt.dot") most = std::max(most, coopFragments(op));
  });
  int w = numWarps;
  while (most / static_cast<uint64_t>(w) > maxFragments &&
         static_cast<uint64_t>(2 * w) * subgroupSize <= maxInvocations)
    w *= 2;
  return w;
}

}  // namespace tvk::analysis
