// Multi-block regions → one block of nested scf.if (see structurize.h).
//
// Path copying: the block at the end of a branch is emitted again inside each arm that reaches
// it, so every value a block uses (defined in a dominator) was emitted earlier on the same path,
// in an enclosing scope. An exit terminator becomes `scf.yield` of its operands inside an arm;
// the region's single block ends with the original exit kind applied to the outermost
// scf.if's results.
#include "ir/structurize.h"

#include <set>
#include <unordered_set>

#include "ir/clone.h"
#include "ir/walk.h"

namespace tvk::ir {
namespace {

bool isBranch(const Operation& o) { return o.name == "cf.br" || o.name == "cf.cond_br"; }

Status unsupported(const Operation& o, const std::string& why) {
  return Status::error("unsupported: " + o.where() + ": " + why);
}

class Structurizer {
 public:
  Structurizer(Region& r, const Operation& exit) : region_(r), exit_(exit) {
    for (const auto& b : r.blocks) budget_ += b->ops.size();
    budget_ = std::max<size_t>(4096, budget_ * 16);
  }

  Status run() {
    auto block = std::make_unique<Block>();
    Block* entry = region_.blocks[0].get();
    block->parentRegion = &region_;
    block->label = entry->label;
    ValueMap map;
    // The entry block's arguments (function / region arguments) stay the same values.
    for (auto& a : entry->args) {
      a->ownerBlock = block.get();
      block->args.push_back(std::move(a));
    }
    std::vector<const Block*> path;
    Status emitted = emit(*entry, map, *block, path, /*top=*/true);
    if (!emitted.ok()) {  // leave the region as it was (its arguments back in the entry block)
      for (size_t i = 0; i < entry->args.size(); ++i) {
        entry->args[i] = std::move(block->args[i]);
        entry->args[i]->ownerBlock = entry;
      }
      return emitted;
    }
    // Every operand must be a value of the new block tree or from outside the region.
    std::unordered_set<const Value*> old;
    for (const auto& b : region_.blocks)
      for (const auto& o : b->ops) walk(*o, [&](const Operation& x) {
          for (const auto& r : x.results) old.insert(r.get());
          for (const auto& rg : x.regions)
            for (const auto& ib : rg->blocks)
              for (const auto& a : ib->args) old.insert(a.get());
        });
    for (const auto& b : region_.blocks)
      for (const auto& a : b->args) old.insert(a.get());
    Status bad;
    for (const auto& o : block->ops) walk(*o, [&](const Operation& x) {
        for (const Value* v : x.operands)
          if (bad.ok() && old.count(v))
            bad = unsupported(x, "uses %" + v->name + " on a path where it is not defined");
      });
    if (!bad.ok()) {
      for (size_t i = 0; i < entry->args.size(); ++i) {
        entry->args[i] = std::move(block->args[i]);
        entry->args[i]->ownerBlock = entry;
      }
      return bad;
    }
    dead_.push_back(std::move(region_.blocks));
    region_.blocks.clear();
    region_.blocks.push_back(std::move(block));
    return Status();
  }

  /// Keeps the old blocks alive (their values are keys of maps elsewhere) until the pass ends.
  std::vector<std::vector<std::unique_ptr<Block>>> dead_;

 private:
  Value* mapped(const ValueMap& map, Value* v) {
    auto it = map.find(v);
    return it == map.end() ? v : it->second;
  }

  void append(Block& dst, std::unique_ptr<Operation> op) {
    op->parentBlock = &dst;
    for (auto& r : op->regions)
      for (auto& b : r->blocks) b->parentRegion = r.get();
    dst.ops.push_back(std::move(op));
  }

  /// Ends `dst`: the exit kind at the top, scf.yield inside an arm.
  void finish(Block& dst, std::vector<Value*> vals, const Location& loc, bool top) {
    auto t = std::make_unique<Operation>();
    t->name = top ? exit_.name : "scf.yield";
    if (top) t->attrs = exit_.attrs;
    t->operands = std::move(vals);
    t->loc = loc;
    append(dst, std::move(t));
  }

  /// Emits `src` and everything after it into `dst`.
  Status emit(const Block& src, ValueMap& map, Block& dst, std::vector<const Block*>& path, bool top) {
    for (const Block* b : path)
      if (b == &src) {
        const Operation* t = path.back()->terminator();
        return unsupported(*t, "a loop built from branches (only scf loops are supported)");
      }
    path.push_back(&src);
    const Operation* term = src.terminator();
    if (!term) return Status::error("block ^" + src.label + " has no terminator");
    copied_ += src.ops.size();
    if (copied_ > budget_)
      return unsupported(*term, "too many paths to structure (over " + std::to_string(budget_) + " ops copied)");
    for (const auto& o : src.ops) {
      if (o.get() == term) break;
      append(dst, cloneOp(*o, map));
    }
    if (term->name == "cf.br") {
      if (term->successors.size() != 1 || term->operands.size() != term->successors[0]->args.size())
        return unsupported(*term, "malformed branch");
      const Block& next = *term->successors[0];
      for (size_t i = 0; i < next.args.size(); ++i) map[next.args[i].get()] = mapped(map, term->operands[i]);
      TVK_RETURN_IF_ERROR(emit(next, map, dst, path, top));
    } else if (term->name == "cf.cond_br") {
      if (term->successors.size() != 2 || term->operands.empty() ||
          term->operands.size() != 1 + term->successors[0]->args.size() + term->successors[1]->args.size())
        return unsupported(*term, "malformed conditional branch");
      auto ifOp = std::make_unique<Operation>();
      ifOp->name = "scf.if";
      ifOp->loc = term->loc;
      ifOp->textPos = term->textPos;
      ifOp->operands.push_back(mapped(map, term->operands[0]));
      for (const Value* v : exit_.operands) {
        auto r = std::make_unique<Value>();
        r->name = "ret" + std::to_string(counter_++);
        r->type = v->type;
        r->def = ifOp.get();
        r->index = static_cast<int>(ifOp->results.size());
        r->loc = term->loc;
        ifOp->results.push_back(std::move(r));
      }
      size_t pos = 1;
      for (int arm = 0; arm < 2; ++arm) {
        auto region = std::make_unique<Region>();
        region->parentOp = ifOp.get();
        auto body = std::make_unique<Block>();
        body->parentRegion = region.get();
        const Block& next = *term->successors[arm];
        ValueMap armMap = map;
        for (size_t i = 0; i < next.args.size(); ++i)
          armMap[next.args[i].get()] = mapped(map, term->operands[pos++]);
        TVK_RETURN_IF_ERROR(emit(next, armMap, *body, path, /*top=*/false));
        region->blocks.push_back(std::move(body));
        ifOp->regions.push_back(std::move(region));
      }
      std::vector<Value*> res;
      for (auto& r : ifOp->results) res.push_back(r.get());
      Location loc = term->loc;
      append(dst, std::move(ifOp));
      finish(dst, std::move(res), loc, top);
    } else {
      if (term->name != exit_.name || term->operands.size() != exit_.operands.size())
        return unsupported(*term, "exits of different kinds in one region (" + exit_.name + ")");
      for (size_t i = 0; i < term->operands.size(); ++i)
        if (term->operands[i]->type != exit_.operands[i]->type)
          return unsupported(*term, "exits returning different types");
      std::vector<Value*> vals;
      for (Value* v : term->operands) vals.push_back(mapped(map, v));
      finish(dst, std::move(vals), term->loc, top);
    }
    path.pop_back();
    return Status();
  }

  Region& region_;
  const Operation& exit_;
  size_t budget_ = 0;
  size_t copied_ = 0;
  int counter_ = 0;
};

/// The first non-branch terminator reachable from the entry block.
const Operation* findExit(const Region& r) {
  std::set<const Block*> seen{r.blocks[0].get()};
  std::vector<const Block*> work{r.blocks[0].get()};
  while (!work.empty()) {
    const Block* b = work.back();
    work.pop_back();
    const Operation* t = b->terminator();
    if (!t) return nullptr;
    if (!isBranch(*t)) return t;
    for (const Block* s : t->successors)
      if (seen.insert(s).second) work.push_back(s);
  }
  return nullptr;
}

}  // namespace

Status structurize(Module& m) {
  std::vector<std::vector<std::unique_ptr<Block>>> dead;
  Status st;
  // Innermost regions first is not needed: copying a block copies its nested regions as they
  // are, so outer regions go first and nested multi-block regions are handled after.
  for (int round = 0; round < 64 && st.ok(); ++round) {
    Region* target = nullptr;
    walk(m, [&](Operation& o) {
      for (auto& r : o.regions)
        if (!target && r->blocks.size() > 1) target = r.get();
    });
    if (!target) return Status();
    const Operation* exit = findExit(*target);
    const Operation* first = target->blocks[0]->terminator();
    if (!exit)
      return first ? unsupported(*first, "no path reaches a return") : Status::error("empty block");
    Structurizer s(*target, *exit);
    st = s.run();
    for (auto& d : s.dead_) dead.push_back(std::move(d));
  }
  if (st.ok()) return Status::error("internal error: structurizer did not converge");
  return st;
}

}  // namespace tvk::ir
