#include "analysis/loop_accumulators.h"

#include <map>
#include <utility>

#include "analysis/values.h"
#include "ir/walk.h"

namespace tvk::analysis {

namespace {

using Uses = std::map<const ir::Value*, std::vector<std::pair<const ir::Operation*, int>>>;

bool isSplatConstant(const ir::Value* v) {
  if (!v->def || v->def->name != "arith.constant") return false;
  const ir::Attribute* a = v->def->attr("value");
  return a && a->kind == ir::Attribute::Kind::Dense && a->isSplat();
}

// The 1-D s of `v` = tt.broadcast(tt.expand_dims(s, axis 1)) of rank 2, or null.
const ir::Value* rowBroadcastOf(const ir::Value* v) {
  const ir::Operation* bc = v->def;
  if (!bc || bc->name != "tt.broadcast" || v->type.rank() != 2) return nullptr;
  const ir::Operation* ex = bc->operand(0)->def;
  if (!ex || ex->name != "tt.expand_dims" || ex->intAttr("axis") != 1) return nullptr;
  const ir::Value* s = ex->operand(0);
  return s->type.isTensor() && s->type.rank() == 1 && s->type.shape[0] == v->type.shape[0] ? s : nullptr;
}

}  // namespace

std::vector<LoopAccumulator> findLoopAccumulators(const ir::Operation& func, bool chained) {
  Uses uses;
  ir::walk(func, [&](const ir::Operation& op) {
    for (int i = 0; i < op.numOperands(); ++i) uses[op.operand(i)].push_back({&op, i});
  });
  std::vector<LoopAccumulator> out;
  ir::walk(func, [&](const ir::Operation& op) {
    if (op.name != "scf.for" || op.regions.empty() || op.regions[0]->blocks.empty()) return;
    const ir::Block& body = op.body();
    const ir::Operation* yield = body.terminator();
    if (!yield || yield->name != "scf.yield") return;
    for (size_t j = 0; j + 1 < body.args.size() && 3 + j < op.operands.size(); ++j) {
      const ir::Value* arg = body.arg(static_cast<int>(j + 1));
      if (!arg->type.isTensor() || arg->type.rank() < 2 || arg->type.rank() > 3) continue;
      const ir::Value* init = op.operand(static_cast<int>(3 + j));
      const bool splat = isSplatConstant(init);
      if (!splat && !(chained && init->def && init->def->name == "scf.for")) continue;
      const auto& au = uses[arg];
      if (au.size() != 1) continue;
      // acc * s[:, None] before the dot.
      const ir::Operation* scale = nullptr;
      const ir::Value* rowScale = nullptr;
      const ir::Operation* user = au[0].first;
      if (user->name == "arith.mulf" && user->parentBlock == &body && user->numOperands() == 2) {
        rowScale = rowBroadcastOf(user->operand(1 - au[0].second));
        const auto& su = uses[user->result()];
        if (!rowScale || su.size() != 1) continue;
        scale = user;
        user = su[0].first;
        if (user->name != "tt.dot" || su[0].second != 2) continue;
      } else if (user->name != "tt.dot" || au[0].second != 2) {
        continue;
      }
      const ir::Operation* dot = user;
      if (dot->parentBlock != &body) continue;
      const auto& du = uses[dot->result()];
      if (du.size() != 1 || du[0].first != yield || du[0].second != static_cast<int>(j)) continue;
      out.push_back({&op, static_cast<int>(j), dot, scale, rowScale, splat});
    }
  });
  return out;
}

std::string printLoopAccumulators(const std::vector<LoopAccumulator>& accs) {
  if (accs.empty()) return "none\n";
  std::string s;
  for (const LoopAccumulator& a : accs) {
    s += valueName(a.loop->result(a.iterArg)) + " (scf.for iter_arg " + std::to_string(a.iterArg) +
         "): tt.dot " + valueName(a.dot->result()) + " at " + a.dot->loc.userStr() +
         (a.scale ? ", rows scaled by " + valueName(a.rowScale) : "") + "\n";
  }
  return s;
}

}  // namespace tvk::analysis
