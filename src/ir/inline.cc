// Inliner for tt.call of functions defined in the same module.
#include "ir/inline.h"

#include <functional>
#include <map>
#include <set>

#include "ir/clone.h"
#include "ir/walk.h"

namespace tvk::ir {
namespace {

/// The top-level op (tt.func) that contains `op`.
Operation* topLevel(Operation* op) {
  while (op->parentBlock && op->parentBlock->parentRegion && op->parentBlock->parentRegion->parentOp)
    op = op->parentBlock->parentRegion->parentOp;
  return op;
}

/// Sets the location of `op` and everything nested in it to `callsite(loc at caller)`.
void relocate(Operation& op, const Location& caller) {
  walk(op, [&](Operation& o) {
    o.loc = withCaller(o.loc, caller);
    for (auto& r : o.regions)
      for (auto& b : r->blocks)
        for (auto& a : b->args) a->loc = withCaller(a->loc, caller);
  });
}

/// Most operations the module may grow to by inlining (nested calls multiply: a chain of
/// functions each calling the next twice doubles per level).
constexpr size_t kMaxInlinedOps = 200000;

/// Operations in `op` (itself included).
size_t countOps(const Operation& op) {
  size_t n = 0;
  walk(op, [&](const Operation&) { ++n; });
  return n;
}

/// Inlines one call; `callee` has a body whose entry block ends with tt.return. Runs before
/// the verifier: the call's operand and result types must match the callee here.
Status inlineOne(Operation* call, const Operation& callee) {
  const Block& entry = callee.body(0);
  const Operation* ret = entry.terminator();
  if (!ret || ret->name != "tt.return")
    return Status::error("inline: " + funcName(callee) + ": entry block does not end with tt.return");
  if (entry.args.size() != call->operands.size() || ret->operands.size() != call->results.size())
    return Status::error("inline: " + call->where() + ": call does not match @" + funcName(callee));
  for (size_t i = 0; i < entry.args.size(); ++i)
    if (!call->operands[i] || call->operands[i]->type != entry.args[i]->type)
      return Status::error("inline: " + call->where() + ": argument " + std::to_string(i) + " does not match @" +
                           funcName(callee));
  for (size_t i = 0; i < ret->operands.size(); ++i)
    if (!ret->operands[i] || ret->operands[i]->type != call->results[i]->type)
      return Status::error("inline: " + call->where() + ": result " + std::to_string(i) + " does not match @" +
                           funcName(callee));
  ValueMap map;
  for (size_t i = 0; i < entry.args.size(); ++i) map[entry.args[i].get()] = call->operands[i];
  Block* blk = call->parentBlock;
  auto pos = blk->ops.begin();
  while (pos->get() != call) ++pos;
  std::vector<std::unique_ptr<Operation>> clones;
  for (size_t k = 0; k + 1 < entry.ops.size(); ++k) {
    auto c = cloneOp(*entry.ops[k], map);
    c->parentBlock = blk;
    relocate(*c, call->loc);
    clones.push_back(std::move(c));
  }
  Operation* scope = topLevel(call);
  for (size_t i = 0; i < call->results.size(); ++i) {
    Value* from = call->results[i].get();
    auto it = map.find(ret->operands[i]);
    Value* to = it == map.end() ? ret->operands[i] : it->second;
    replaceAllUses(from, to, *scope);
  }
  size_t idx = pos - blk->ops.begin();
  blk->ops.erase(blk->ops.begin() + idx);
  blk->ops.insert(blk->ops.begin() + idx, std::make_move_iterator(clones.begin()),
                  std::make_move_iterator(clones.end()));
  return Status();
}

/// Fails when the call graph among `funcs` has a cycle (recursion cannot be inlined).
Status checkAcyclic(const std::map<std::string, Operation*>& funcs) {
  std::map<std::string, int> state;  // 0 new, 1 on stack, 2 done
  std::function<Status(const std::string&)> visit = [&](const std::string& f) -> Status {
    state[f] = 1;
    std::vector<const Operation*> calls;
    walk(static_cast<const Operation&>(*funcs.at(f)), [&](const Operation& o) {
      if (o.name == "tt.call" && funcs.count(o.strAttr("callee"))) calls.push_back(&o);
    });
    for (const Operation* c : calls) {
      std::string g = c->strAttr("callee");
      if (state[g] == 1)
        return Status::error("inline: recursive call of @" + g + " at " + c->loc.userStr());
      if (state[g] == 0) TVK_RETURN_IF_ERROR(visit(g));
    }
    state[f] = 2;
    return Status();
  };
  for (const auto& [name, op] : funcs)
    if (state[name] == 0) TVK_RETURN_IF_ERROR(visit(name));
  return Status();
}

}  // namespace

Status inlineCalls(Module& m) {
  std::map<std::string, Operation*> funcs;
  for (auto& op : m.ops)
    if (op->name == "tt.func") funcs[funcName(*op)] = op.get();
  TVK_RETURN_IF_ERROR(checkAcyclic(funcs));
  size_t total = 0;
  for (auto& op : m.ops) total += countOps(*op);
  for (int round = 0;; ++round) {
    std::vector<Operation*> calls;
    walk(m, [&](Operation& o) {
      if (o.name == "tt.call" && funcs.count(o.strAttr("callee"))) calls.push_back(&o);
    });
    if (calls.empty()) break;
    if (round > 64) return Status::error("inline: recursive calls (" + calls[0]->where() + " calls @" + calls[0]->strAttr("callee") + ")");
    for (Operation* call : calls) {
      const Operation* callee = funcs[call->strAttr("callee")];
      if (callee->regions.empty() || callee->regions[0]->blocks.empty())
        return Status::error("unsupported: call of external function @" + funcName(*callee) + " at " + call->loc.userStr());
      bool branches = false;
      walk(*callee, [&](const Operation& o) { branches |= o.name.rfind("cf.", 0) == 0; });
      if (branches) return Status::error("unsupported: inlining @" + funcName(*callee) + " with branches at " + call->loc.userStr());
      total += countOps(*callee);
      if (total > kMaxInlinedOps)
        return Status::error("inline: " + call->where() + ": inlining makes the module larger than " +
                             std::to_string(kMaxInlinedOps) + " operations");
      TVK_RETURN_IF_ERROR(inlineOne(call, *callee));
    }
  }
  // Drop private functions that nothing calls any more.
  std::set<std::string> called;
  walk(m, [&](Operation& o) {
    if (o.name == "tt.call") called.insert(o.strAttr("callee"));
  });
  std::vector<std::unique_ptr<Operation>> kept;
  for (auto& op : m.ops)
    if (!(op->name == "tt.func" && op->strAttr("sym_visibility") == "private" && !called.count(funcName(*op))))
      kept.push_back(std::move(op));
  m.ops = std::move(kept);
  return Status();
}

}  // namespace tvk::ir
