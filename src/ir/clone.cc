// Deep copy of operations with value remapping.
#include "ir/clone.h"

namespace tvk::ir {

/// Copies a value's identity (name, type, location).
static std::unique_ptr<Value> copyValue(const Value& v) {
  auto n = std::make_unique<Value>();
  n->name = v.name;
  n->type = v.type;
  n->index = v.index;
  n->loc = v.loc;
  return n;
}

/// Old block → new block, for successors.
using BlockMap = std::unordered_map<const Block*, Block*>;

static std::unique_ptr<Operation> cloneImpl(const Operation& op, ValueMap& map, BlockMap& bmap);

std::unique_ptr<Operation> cloneOp(const Operation& op, ValueMap& map) {
  BlockMap bmap;
  return cloneImpl(op, map, bmap);
}

static std::unique_ptr<Operation> cloneImpl(const Operation& op, ValueMap& map, BlockMap& bmap) {
  auto c = std::make_unique<Operation>();
  c->name = op.name;
  c->attrs = op.attrs;
  c->propertyNames = op.propertyNames;
  c->argAttrs = op.argAttrs;
  c->resultTypes = op.resultTypes;
  c->loc = op.loc;
  c->textPos = op.textPos;
  for (Value* v : op.operands) {
    auto it = map.find(v);
    c->operands.push_back(it == map.end() ? v : it->second);
  }
  for (Block* b : op.successors) {
    auto it = bmap.find(b);
    c->successors.push_back(it == bmap.end() ? b : it->second);
  }
  for (const auto& r : op.regions) {
    auto nr = std::make_unique<Region>();
    nr->parentOp = c.get();
    for (const auto& b : r->blocks) {
      nr->blocks.push_back(std::make_unique<Block>());
      bmap[b.get()] = nr->blocks.back().get();
    }
    for (size_t bi = 0; bi < r->blocks.size(); ++bi) {
      const auto& b = r->blocks[bi];
      Block* nb = nr->blocks[bi].get();
      nb->parentRegion = nr.get();
      nb->label = b->label;
      for (const auto& a : b->args) {
        auto na = copyValue(*a);
        na->ownerBlock = nb;
        map[a.get()] = na.get();
        nb->args.push_back(std::move(na));
      }
      for (const auto& o : b->ops) {
        auto no = cloneImpl(*o, map, bmap);
        no->parentBlock = nb;
        nb->ops.push_back(std::move(no));
      }
    }
    c->regions.push_back(std::move(nr));
  }
  for (const auto& r : op.results) {
    auto nr = copyValue(*r);
    nr->def = c.get();
    map[r.get()] = nr.get();
    c->results.push_back(std::move(nr));
  }
  return c;
}

Location withCaller(const Location& l, const Location& caller) {
  Location out = l;
  out.caller = std::make_shared<const Location>(l.caller ? withCaller(*l.caller, caller) : caller);
  return out;
}

}  // namespace tvk::ir
