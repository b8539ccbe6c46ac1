#include "analysis/values.h"

namespace tvk::analysis {

namespace {
void visitBlock(const ir::Block& b, const std::function<void(const ir::Value*)>& fn) {
  for (const auto& a : b.args) fn(a.get());
  for (const auto& op : b.ops) {
    for (const auto& r : op->results) fn(r.get());
    for (const auto& reg : op->regions)
      for (const auto& blk : reg->blocks) visitBlock(*blk, fn);
  }
}
}  // namespace

void forEachValue(const ir::Operation& func, const std::function<void(const ir::Value*)>& fn) {
  for (const auto& reg : func.regions)
    for (const auto& blk : reg->blocks) visitBlock(*blk, fn);
}

std::string valueName(const ir::Value* v) { return "%" + v->name; }

}  // namespace tvk::analysis
