// Block pointers → tensors of pointers and masks (see block_pointers.h for the scheme).
#include "ir/block_pointers.h"

#include <cmath>
#include <set>
#include <unordered_map>
#include <utility>

#include "ir/verifier.h"
#include "ir/walk.h"

namespace tvk::ir {

bool isBlockPointerType(const Type& t) { return t.isPtr() && t.elem && t.elem->isTensor(); }

namespace {

/// Name suffixes of the components, in flat order.
const char* const kBase = "base";
const char* const kShape = "shape";
const char* const kStride = "stride";
const char* const kOff = "off";

/// The values a block pointer stands for.
struct BlockPtr {
  /// Scalar pointer to the first element of the tensor (`!tt.ptr<T>`).
  Value* base = nullptr;
  /// Extent of each dimension (i64), for boundary checks.
  std::vector<Value*> shape;
  /// Element stride of each dimension (i64).
  std::vector<Value*> strides;
  /// Offset of the block in each dimension (i32).
  std::vector<Value*> offsets;

  /// Rank of the block.
  int rank() const { return static_cast<int>(offsets.size()); }
  /// base, shape..., strides..., offsets...
  std::vector<Value*> flat() const {
    std::vector<Value*> v{base};
    v.insert(v.end(), shape.begin(), shape.end());
    v.insert(v.end(), strides.begin(), strides.end());
    v.insert(v.end(), offsets.begin(), offsets.end());
    return v;
  }
  /// Inverse of flat() for a block of `rank` dimensions.
  static BlockPtr fromFlat(const std::vector<Value*>& v, int rank) {
    BlockPtr b;
    b.base = v[0];
    b.shape.assign(v.begin() + 1, v.begin() + 1 + rank);
    b.strides.assign(v.begin() + 1 + rank, v.begin() + 1 + 2 * rank);
    b.offsets.assign(v.begin() + 1 + 2 * rank, v.begin() + 1 + 3 * rank);
    return b;
  }
};

/// Number of flat components of a block pointer of type `t`.
size_t componentCount(const Type& t) { return 1 + 3 * static_cast<size_t>(t.elem->rank()); }

/// Name suffix of flat component `k` of a rank-`r` block pointer.
std::string componentName(size_t k, int r) {
  if (k == 0) return kBase;
  size_t d = (k - 1) % r;
  const char* kind = k <= static_cast<size_t>(r) ? kShape : k <= 2u * r ? kStride : kOff;
  return std::string(kind) + std::to_string(d);
}

/// `name#i` groups print as `%name:n`; other names get a suffix.
std::string groupBase(const std::string& n) {
  size_t h = n.rfind('#');
  return h == std::string::npos ? "" : n.substr(0, h);
}

/// Inserts new ops into a block before position `pos` (advanced past each new op).
struct Builder {
  Block* block;
  size_t pos;
  Location loc;
  std::string name;

  Value* op(const std::string& opName, std::vector<Value*> operands, const Type& type,
            AttrDict attrs = {}) {
    return insertOpWithResult(block, pos, opName, std::move(operands), type, std::move(attrs), name, loc);
  }
  Value* makeRange(int64_t n) {
    return op("tt.make_range", {}, Type::tensor({n}, Type::i(32)),
              {{"start", Attribute::integer(0, Type::i(32))}, {"end", Attribute::integer(n, Type::i(32))}});
  }
  Value* splat(Value* v, const std::vector<int64_t>& shape) {
    return op("tt.splat", {v}, Type::tensor(shape, v->type));
  }
  Value* broadcast(Value* v, const std::vector<int64_t>& shape) {
    if (v->type.shape == shape) return v;
    return op("tt.broadcast", {v}, Type::tensor(shape, v->type.scalar()));
  }
  Value* toI64(Value* v) {
    if (v->type.scalar().bits == 64) return v;
    return op("arith.extsi", {v}, v->type.isTensor() ? Type::tensor(v->type.shape, Type::i(64)) : Type::i(64));
  }
  Value* constant(const Attribute& elem, const Type& tensorType) {
    Attribute a;
    a.kind = Attribute::Kind::Dense;
    a.type = tensorType;
    a.elems = {elem};
    return op("arith.constant", {}, tensorType, {{"value", a}});
  }
  Value* cmp(const char* pred, Value* a, Value* b) {
    return op("arith.cmpi", {a, b}, Type::tensor(a->type.shape, Type::i(1)),
              {{"predicate", Attribute::keyword(pred)}});
  }
  Value* binary(const char* opName, Value* a, Value* b) { return op(opName, {a, b}, a->type); }
  /// `[n]` → `[1]*d + [n] + [1]*(rank-d-1)` by tt.expand_dims.
  Value* expandTo(Value* v, int d, int rank) {
    for (int k = 0; k < rank - 1; ++k) {
      int axis = k < d ? 0 : v->type.rank();
      std::vector<int64_t> s = v->type.shape;
      s.insert(s.begin() + axis, 1);
      v = op("tt.expand_dims", {v}, Type::tensor(s, v->type.scalar()),
             {{"axis", Attribute::integer(axis, Type::i(32))}});
    }
    return v;
  }
};

/// The NaN padding value of float type `t`, as MLIR spells it.
Result<Attribute> nanOf(const Type& t) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = std::nan("");
  if (t.name == "f32") a.s = "0x7FC00000";
  else if (t.name == "f16") a.s = "0x7E00";
  else if (t.name == "bf16") a.s = "0x7FC0";
  else if (t.name == "f64") a.s = "0x7FF8000000000000";
  else return Status::error("NaN padding for element type " + t.str());
  return a;
}

/// Does the rewrite in one tt.func.
class Rewriter {
 public:
  explicit Rewriter(Operation& func) : func_(func) {}

  Status run() {
    for (auto& r : func_.regions)
      for (auto& b : r->blocks) TVK_RETURN_IF_ERROR(block(*b));
    Status err;
    walk(func_, [&](Operation& o) {
      if (!err.ok()) return;
      for (Value* v : o.operands)
        if (isBlockPointerType(v->type)) err = unsupported(o, "block pointer operand " + v->type.str());
      for (auto& v : o.results)
        if (isBlockPointerType(v->type)) err = unsupported(o, "block pointer result " + v->type.str());
    });
    return err;
  }

  /// True when some block pointer was rewritten.
  bool changed() const { return changed_; }

 private:
  Operation& func_;
  std::unordered_map<const Value*, BlockPtr> bps_;
  // Replaced values and ops stay alive until the end (their addresses are map keys).
  std::vector<std::unique_ptr<Value>> deadValues_;
  std::vector<std::unique_ptr<Operation>> deadOps_;
  bool changed_ = false;

  static Status unsupported(const Operation& o, const std::string& why) {
    return Status::error("unsupported: " + o.where() + ": " + why);
  }

  Result<const BlockPtr*> lookup(const Operation& o, const Value* v) {
    auto it = bps_.find(v);
    if (it == bps_.end())
      return unsupported(o, "block pointer %" + v->name + " does not come from tt.make_tensor_ptr");
    return &it->second;
  }

  /// Moves op `i` of `b` out of the block.
  void erase(Block& b, size_t i) {
    deadOps_.push_back(std::move(b.ops[i]));
    b.ops.erase(b.ops.begin() + static_cast<long>(i));
  }

  static bool usesBlockPointers(const std::vector<Value*>& vs) {
    for (const Value* v : vs)
      if (isBlockPointerType(v->type)) return true;
    return false;
  }

  /// New block argument / op result with `v`'s identity.
  static std::unique_ptr<Value> newValue(const std::string& name, const Type& t, const Location& loc) {
    auto v = std::make_unique<Value>();
    v->name = name;
    v->type = t;
    v->loc = loc;
    return v;
  }

  Status block(Block& b) {
    for (size_t i = 0; i < b.ops.size();) TVK_RETURN_IF_ERROR(visit(b, i));
    return Status();
  }

  /// Rewrites op `i` of `b`; leaves `i` at the next op to visit.
  Status visit(Block& b, size_t& i) {
    Operation& o = *b.ops[i];
    const std::string& n = o.name;
    if (n == "tt.make_tensor_ptr") return makeTensorPtr(b, i);
    if (n == "tt.advance") return advance(b, i);
    if ((n == "tt.load" || n == "tt.store") && !o.operands.empty() && isBlockPointerType(o.operand(0)->type))
      return access(b, i);
    if (n == "scf.for") return forOp(b, i);
    if (n == "scf.if") return ifOp(b, i);
    if (n == "scf.while") return whileOp(b, i);
    if (n == "scf.yield" || n == "scf.condition") {
      TVK_RETURN_IF_ERROR(expandOperands(o, n == "scf.condition" ? 1 : 0));
    } else if (usesBlockPointers(o.operands)) {
      return unsupported(o, "block pointer operand");
    }
    for (auto& r : o.regions)
      for (auto& blk : r->blocks) TVK_RETURN_IF_ERROR(block(*blk));
    ++i;
    return Status();
  }

  Status makeTensorPtr(Block& b, size_t& i) {
    Operation& o = *b.ops[i];
    int r = (o.numOperands() - 1) / 3;
    if (o.results.size() != 1 || !isBlockPointerType(o.result()->type) || o.numOperands() != 1 + 3 * r ||
        o.result()->type.elem->rank() != r)
      return unsupported(o, "malformed tt.make_tensor_ptr");
    const Type& base = o.operand(0)->type;
    if (!base.isPtr() || *base.elem != o.result()->type.elem->scalar())
      return unsupported(o, "base " + base.str() + " does not match " + o.result()->type.str());
    std::vector<Value*> flat(o.operands.begin(), o.operands.end());
    for (int k = 1; k <= 3 * r; ++k)
      if (!flat[k]->type.isInt() || flat[k]->type.isTensor())
        return unsupported(o, "non-integer shape, stride or offset");
    bps_[o.result()] = BlockPtr::fromFlat(flat, r);
    changed_ = true;
    erase(b, i);
    return Status();
  }

  Status advance(Block& b, size_t& i) {
    Operation& o = *b.ops[i];
    auto src = lookup(o, o.operand(0));
    if (!src.ok()) return src.status();
    BlockPtr bp = **src;
    if (o.numOperands() != 1 + bp.rank()) return unsupported(o, "tt.advance rank does not match");
    Builder B{&b, i, o.loc, o.result()->name};
    for (int d = 0; d < bp.rank(); ++d) {
      Value* delta = o.operand(1 + d);
      const Attribute* c = delta->def && delta->def->name == "arith.constant" ? delta->def->attr("value") : nullptr;
      if (c && c->kind == Attribute::Kind::Int && c->i == 0) continue;
      if (delta->type != bp.offsets[d]->type)
        return unsupported(o, "offset " + delta->type.str() + " does not match " + bp.offsets[d]->type.str());
      bp.offsets[d] = B.binary("arith.addi", bp.offsets[d], delta);
    }
    i = B.pos;
    bps_[o.result()] = bp;
    erase(b, i);
    return Status();
  }

  /// tt.load / tt.store through a block pointer → element pointers, mask, padding.
  Status access(Block& b, size_t& i) {
    Operation& o = *b.ops[i];
    bool load = o.name == "tt.load";
    auto found = lookup(o, o.operand(0));
    if (!found.ok()) return found.status();
    const BlockPtr& bp = **found;
    if (o.numOperands() != (load ? 1 : 2)) return unsupported(o, "mask or other with a block pointer");
    const Type& tensor = *o.operand(0)->type.elem;
    const std::vector<int64_t>& S = tensor.shape;
    int r = tensor.rank();
    if (bp.rank() != r) return unsupported(o, "block pointer rank does not match its type");
    std::set<int> checked;
    if (const Attribute* bc = o.attr("boundaryCheck")) {
      for (const Attribute& e : bc->elems) {
        if (e.i < 0 || e.i >= r) return unsupported(o, "boundaryCheck dimension " + std::to_string(e.i));
        checked.insert(static_cast<int>(e.i));
      }
    }
    bool nanPad = false;
    if (const Attribute* p = o.attr("padding")) {
      bool isInt = p->kind == Attribute::Kind::Int;
      bool isText = p->kind == Attribute::Kind::Keyword || p->kind == Attribute::Kind::String;
      if ((isInt && p->i == 2) || (isText && p->s == "nan")) nanPad = true;
      else if (!((isInt && p->i == 1) || (isText && p->s == "zero"))) return unsupported(o, "padding " + p->str());
    }
    Type i64 = Type::i(64);
    Builder B{&b, i, o.loc, ""};
    Value *offs = nullptr, *mask = nullptr;
    for (int d = 0; d < r; ++d) {
      std::vector<int64_t> one{S[d]}, e(r, 1), full = S;
      e[d] = S[d];
      B.name = "idx" + std::to_string(d);
      Value* range = B.toI64(B.makeRange(S[d]));
      Value* idx = B.binary("arith.addi", B.splat(B.toI64(bp.offsets[d]), one), range);
      idx = B.expandTo(idx, d, r);
      Value* term = B.binary("arith.muli", idx, B.splat(B.toI64(bp.strides[d]), e));
      B.name = "offs";
      term = B.broadcast(term, full);
      offs = offs ? B.binary("arith.addi", offs, term) : term;
      if (!checked.count(d)) continue;
      B.name = "mask";
      Value* ge = B.cmp("sge", idx, B.constant(Attribute::integer(0, Type()), Type::tensor(e, i64)));
      Value* lt = B.cmp("slt", idx, B.splat(B.toI64(bp.shape[d]), e));
      Value* in = B.broadcast(B.binary("arith.andi", ge, lt), full);
      mask = mask ? B.binary("arith.andi", mask, in) : in;
    }
    B.name = "ptrs";
    Value* ptrs = B.op("tt.addptr", {B.splat(bp.base, S), offs}, Type::tensor(S, bp.base->type));
    std::vector<Value*> operands{ptrs};
    if (!load) operands.push_back(o.operand(1));
    if (mask) operands.push_back(mask);
    if (load && mask && nanPad) {
      if (!tensor.scalar().isFloat()) return unsupported(o, "NaN padding of " + tensor.scalar().str() + " elements");
      B.name = "nan";
      auto nan = nanOf(tensor.scalar());
      if (!nan.ok()) return unsupported(o, nan.status().message());
      operands.push_back(B.constant(*nan, tensor));
    }
    i = B.pos;
    o.operands = std::move(operands);
    o.attrs.erase("boundaryCheck");
    o.attrs.erase("padding");
    o.attrs.erase("operandSegmentSizes");
    ++i;
    return Status();
  }

  /// Replaces each block-pointer operand from `from` on by its components.
  Status expandOperands(Operation& o, size_t from) {
    if (!usesBlockPointers(o.operands)) return Status();
    std::vector<Value*> out(o.operands.begin(), o.operands.begin() + static_cast<long>(from));
    for (size_t k = from; k < o.operands.size(); ++k) {
      Value* v = o.operands[k];
      if (!isBlockPointerType(v->type)) {
        out.push_back(v);
        continue;
      }
      auto bp = lookup(o, v);
      if (!bp.ok()) return bp.status();
      for (Value* c : (*bp)->flat()) out.push_back(c);
    }
    o.operands = std::move(out);
    return Status();
  }

  /// Replaces block arguments `from..` of `blk` that are block pointers by component
  /// arguments typed like `like[k]` (the block pointer each one receives).
  Status expandArgs(Operation& o, Block& blk, size_t from, const std::vector<Value*>& like) {
    std::vector<std::unique_ptr<Value>> out;
    for (size_t k = 0; k < blk.args.size(); ++k) {
      if (k < from || !isBlockPointerType(blk.args[k]->type)) {
        out.push_back(std::move(blk.args[k]));
        continue;
      }
      auto src = lookup(o, like[k - from]);
      if (!src.ok()) return src.status();
      std::vector<Value*> flat = (*src)->flat(), comps;
      Value* old = blk.args[k].get();
      for (size_t c = 0; c < flat.size(); ++c) {
        out.push_back(newValue(old->name + "_" + componentName(c, (*src)->rank()), flat[c]->type, old->loc));
        out.back()->ownerBlock = &blk;
        comps.push_back(out.back().get());
      }
      bps_[old] = BlockPtr::fromFlat(comps, (*src)->rank());
      deadValues_.push_back(std::move(blk.args[k]));
    }
    blk.args = std::move(out);
    for (size_t k = 0; k < blk.args.size(); ++k) blk.args[k]->index = static_cast<int>(k);
    return Status();
  }

  /// Replaces block-pointer results of `o` by component results. `outer[k]`, per flat
  /// position of the new result list, is the value to use instead of a new result (a
  /// component the op does not change) or null. `like[j]` is a block pointer of result j's shape.
  Status expandResults(Operation& o, const std::vector<Value*>& like, const std::vector<Value*>& outer) {
    std::string group = groupBase(o.results.empty() ? "" : o.results[0]->name);
    std::vector<std::unique_ptr<Value>> out;
    size_t pos = 0;
    for (size_t j = 0; j < o.results.size(); ++j) {
      Value* old = o.results[j].get();
      if (!isBlockPointerType(old->type)) {
        if (!outer[pos]) out.push_back(std::move(o.results[j]));
        ++pos;
        continue;
      }
      auto src = lookup(o, like[j]);
      if (!src.ok()) return src.status();
      std::vector<Value*> flat = (*src)->flat(), comps;
      for (size_t c = 0; c < flat.size(); ++c, ++pos) {
        if (outer[pos]) {
          comps.push_back(outer[pos]);
          continue;
        }
        out.push_back(newValue(group.empty() ? old->name + "_" + componentName(c, (*src)->rank()) : "",
                               flat[c]->type, old->loc));
        out.back()->def = &o;
        comps.push_back(out.back().get());
      }
      bps_[old] = BlockPtr::fromFlat(comps, (*src)->rank());
      deadValues_.push_back(std::move(o.results[j]));
    }
    o.results = std::move(out);
    for (size_t k = 0; k < o.results.size(); ++k) {
      o.results[k]->index = static_cast<int>(k);
      if (!group.empty()) o.results[k]->name = group + "#" + std::to_string(k);
    }
    return Status();
  }

  /// Flat positions (after expansion) taken by the block-pointer entries of `vs`.
  static std::vector<bool> expandedPositions(const std::vector<Value*>& vs) {
    std::vector<bool> out;
    for (const Value* v : vs) {
      size_t n = isBlockPointerType(v->type) ? componentCount(v->type) : 1;
      out.insert(out.end(), n, isBlockPointerType(v->type));
    }
    return out;
  }

  Status forOp(Block& b, size_t& i) {
    Operation& f = *b.ops[i];
    Block& body = f.body();
    std::vector<Value*> inits(f.operands.begin() + 3, f.operands.end());
    if (!usesBlockPointers(inits)) {
      TVK_RETURN_IF_ERROR(block(body));
      ++i;
      return Status();
    }
    std::vector<bool> created = expandedPositions(inits);
    TVK_RETURN_IF_ERROR(expandArgs(f, body, 1, inits));
    TVK_RETURN_IF_ERROR(expandOperands(f, 3));
    TVK_RETURN_IF_ERROR(block(body));
    // Components the loop does not change are not carried.
    Operation* y = body.terminator();
    if (!y || y->operands.size() != created.size()) return unsupported(f, "scf.yield does not match the iter args");
    std::vector<Value*> outer(created.size(), nullptr);
    for (size_t p = created.size(); p-- > 0;) {
      Value* arg = body.args[1 + p].get();
      Value* init = f.operands[3 + p];
      if (!created[p] || (y->operands[p] != arg && y->operands[p] != init)) continue;
      outer[p] = init;
      replaceAllUses(arg, init, f);
      deadValues_.push_back(std::move(body.args[1 + p]));
      body.args.erase(body.args.begin() + 1 + static_cast<long>(p));
      f.operands.erase(f.operands.begin() + 3 + static_cast<long>(p));
      y->operands.erase(y->operands.begin() + static_cast<long>(p));
    }
    for (size_t k = 0; k < body.args.size(); ++k) body.args[k]->index = static_cast<int>(k);
    TVK_RETURN_IF_ERROR(expandResults(f, inits, outer));
    ++i;
    return Status();
  }

  Status ifOp(Block& b, size_t& i) {
    Operation& f = *b.ops[i];
    std::vector<Operation*> yields;
    std::vector<Value*> like;  // per result: the then-branch's yielded value
    for (auto& r : f.regions)
      for (auto& blk : r->blocks) {
        if (Operation* y = blk->terminator(); y && y->name == "scf.yield") {
          if (yields.empty()) like = y->operands;
          yields.push_back(y);
        }
        TVK_RETURN_IF_ERROR(block(*blk));
      }
    bool bpResults = false;
    for (auto& r : f.results) bpResults |= isBlockPointerType(r->type);
    if (!bpResults) {
      ++i;
      return Status();
    }
    if (yields.size() != 2 || like.size() != f.results.size()) return unsupported(f, "scf.if with block pointer results needs both branches");
    std::vector<Value*> resultTypes;
    for (auto& r : f.results) resultTypes.push_back(r.get());
    std::vector<bool> created = expandedPositions(resultTypes);
    if (yields[0]->operands.size() != created.size() || yields[1]->operands.size() != created.size())
      return unsupported(f, "scf.yield does not match the results");
    // Components both branches yield unchanged are used directly.
    std::vector<Value*> outer(created.size(), nullptr);
    for (size_t p = created.size(); p-- > 0;) {
      if (!created[p] || yields[0]->operands[p] != yields[1]->operands[p]) continue;
      outer[p] = yields[0]->operands[p];
      for (Operation* y : yields) y->operands.erase(y->operands.begin() + static_cast<long>(p));
    }
    TVK_RETURN_IF_ERROR(expandResults(f, like, outer));
    ++i;
    return Status();
  }

  Status whileOp(Block& b, size_t& i) {
    Operation& w = *b.ops[i];
    if (w.regions.size() != 2) return unsupported(w, "malformed scf.while");
    Block& before = w.body(0);
    Block& after = w.body(1);
    Operation* cond = before.terminator();
    if (!cond) return unsupported(w, "scf.while without scf.condition");
    std::vector<Value*> inits = w.operands;
    std::vector<Value*> forwarded(cond->operands.begin() + (cond->operands.empty() ? 0 : 1), cond->operands.end());
    TVK_RETURN_IF_ERROR(expandArgs(w, before, 0, inits));
    TVK_RETURN_IF_ERROR(expandOperands(w, 0));
    TVK_RETURN_IF_ERROR(block(before));
    TVK_RETURN_IF_ERROR(expandArgs(w, after, 0, forwarded));
    TVK_RETURN_IF_ERROR(block(after));
    std::vector<Value*> outer;
    size_t n = 0;
    for (Value* v : forwarded) n += isBlockPointerType(v->type) ? componentCount(v->type) : 1;
    outer.assign(n, nullptr);
    TVK_RETURN_IF_ERROR(expandResults(w, forwarded, outer));
    ++i;
    return Status();
  }
};

}  // namespace

Status rewriteBlockPointers(Module& m) {
  bool changed = false;
  for (auto& top : m.ops) {
    if (top->name != "tt.func") continue;
    Rewriter r(*top);
    TVK_RETURN_IF_ERROR(r.run());
    changed |= r.changed();
  }
  return changed ? verifyModule(m) : Status();
}

}  // namespace tvk::ir
