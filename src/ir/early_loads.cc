#include "ir/early_loads.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "ir/op_traits.h"
#include "ir/walk.h"
#include "support/switches.h"

namespace tvk::ir {

namespace {

// Ops no load may move above: those that order memory (ir/op_traits.h), external functions,
// other loads, and ops with regions other than combiners.
bool fence(const Operation& op) {
  const std::string& n = op.name;
  if (n == "tt.reduce" || n == "tt.scan") return false;
  if (!op.regions.empty()) return true;
  return ordersMemory(op) || n == "tt.extern_elementwise" || n == "tt.load";
}

// Whether `load` may move: not volatile, and no use of its result is a dot-operand path.
bool candidate(const Operation& load, const std::set<const Operation*>& dotPaths) {
  if (load.name != "tt.load" || load.results.empty()) return false;
  if (load.intAttr("isVolatile", 0)) return false;
  return !dotPaths.count(&load);
}

// Loads whose result reaches a tt.dot operand through tt.trans / tt.fp_to_fp / nothing.
std::set<const Operation*> dotOperandLoads(Operation& func) {
  std::set<const Operation*> out;
  walk(func, [&](Operation& op) {
    if (op.name != "tt.dot") return;
    for (int i = 0; i < 2 && i < op.numOperands(); ++i) {
      const Operation* d = op.operand(i)->def;
      while (d && (d->name == "tt.trans" || d->name == "tt.fp_to_fp") && d->numOperands() == 1)
        d = d->operand(0)->def;
      if (d && d->name == "tt.load") out.insert(d);
    }
  });
  return out;
}

int hoistIn(Block& blk, const std::set<const Operation*>& dotPaths) {
  int moved = 0;
  for (size_t i = 0; i < blk.ops.size(); ++i) {
    Operation* load = blk.ops[i].get();
    if (!candidate(*load, dotPaths)) continue;
    // Index of an op: its position in the block (a map rebuilt per load; blocks are short).
    std::vector<const Operation*> order;
    for (const auto& o : blk.ops) order.push_back(o.get());
    auto indexOf = [&](const Operation* o) {
      return static_cast<long>(std::find(order.begin(), order.end(), o) - order.begin());
    };
    // The last fence before the load.
    long target = -1;
    for (long j = static_cast<long>(i) - 1; j >= 0; --j)
      if (fence(*blk.ops[static_cast<size_t>(j)])) {
        target = j;
        break;
      }
    // The load's backward slice in this block; ops that cannot move bound the target.
    std::set<const Operation*> slice;
    std::vector<const Operation*> work{load};
    while (!work.empty()) {
      const Operation* o = work.back();
      work.pop_back();
      for (const Value* v : o->operands) {
        const Operation* d = v->def;
        if (!d || d->parentBlock != &blk || slice.count(d)) continue;
        slice.insert(d);
        if (!isRecomputable(*d)) target = std::max(target, indexOf(d));
        else work.push_back(d);
      }
    }
    if (target + 1 >= static_cast<long>(i)) continue;
    // Move the slice's ops after the target, and the load, right after the target in order.
    std::vector<std::unique_ptr<Operation>> moving, staying;
    for (size_t j = static_cast<size_t>(target + 1); j <= i; ++j) {
      std::unique_ptr<Operation>& o = blk.ops[j];
      (o.get() == load || slice.count(o.get()) ? moving : staying).push_back(std::move(o));
    }
    size_t at = static_cast<size_t>(target + 1);
    const bool changed = !staying.empty();  // else the load and its slice were already there
    for (auto& o : moving) blk.ops[at++] = std::move(o);
    for (auto& o : staying) blk.ops[at++] = std::move(o);
    moved += changed;
  }
  return moved;
}

}  // namespace

int hoistLoads(Module& m) {
  int moved = 0;
  for (auto& top : m.ops) {
    if (top->name != "tt.func") continue;
    const std::set<const Operation*> dotPaths = dotOperandLoads(*top);
    std::vector<Block*> blocks;
    walk(*top, [&](Operation& op) {
      for (auto& r : op.regions)
        for (auto& b : r->blocks) blocks.push_back(b.get());
    });
    for (Block* b : blocks) moved += hoistIn(*b, dotPaths);
  }
  return moved;
}

bool earlyLoadsEnabled() {
  return switchSet("TVK_EARLY_LOADS");
}

}  // namespace tvk::ir
