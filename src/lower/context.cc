#include "lower/context.h"

#include "spirv/vulkan_memory_model.h"

#include <algorithm>

#include "analysis/values.h"
#include "ir/walk.h"
#include "lower/dot_coopmat.h"
#include "lower/fragment_rows.h"
#include "lower/registry.h"
#include "support/bits.h"

namespace tvk::lower {

Context::Context(spirv::ModuleBuilder& builder, const ir::Operation& f,
                 const CompileOptions& o, const analysis::Provenance& p,
                 const analysis::SmemPlan& s, const analysis::VectorPlan& v)
    : b(builder),
      func(f),
      opts(o),
      W(workgroupInvocations(o.target, o.numWarps)),
      prov(p),
      smem(s),
      vectors(v),
      loopBudget(o.target.maxLoopIterations),
      scratch(builder, s),
      flow(builder, loopBudget, [this]() { pushScope(); }, [this]() { popScope(); }),
      layouts(builder, W, o.target.subgroupSize, v, interfaceVars) {
  addresses = usesDeviceAddresses(o.target);
  ir::walk(f, [&](const ir::Operation& op) {
    coherent = coherent || op.name == "tt.atomic_rmw" || op.name == "tt.atomic_cas";
  });
  deviceVisible = coherent && addresses && o.target.vulkanMemoryModel &&
                  spirv::vulkanMemoryModelAvailable();
  if (deviceVisible) b.useVulkanMemoryModel();
  memo_.emplace_back();
}

// --- values ------------------------------------------------------------------------------

void Context::bind(const ir::Value* v, std::vector<Id> ids) { values_[v] = std::move(ids); }

const std::vector<Id>& Context::ids(const ir::Value* v) const {
  static const std::vector<Id> kEmpty;
  auto it = values_.find(v);
  return it == values_.end() ? kEmpty : it->second;
}

Id Context::at(const ir::Value* v, uint32_t r) const {
  const std::vector<Id>& ids = this->ids(v);
  if (ids.empty() || (ids.size() > 1 && r >= ids.size())) {
    // A broken invariant (a value not lowered yet, a slot past its layout): recorded and
    // reported by lowerOp as an error instead of reading out of bounds.
    if (broken_.empty())
      broken_ = "internal error: " + std::string(ids.empty() ? "value %" + v->name + " has no lowered ids"
                                                              : "slot " + std::to_string(r) + " of %" + v->name +
                                                                    " past its " + std::to_string(ids.size()) + " slots");
    return 0;
  }
  return ids.size() == 1 ? ids[0] : ids[r];
}

const std::vector<std::pair<const ir::Operation*, int>>& Context::usesOf(const ir::Value* v) {
  if (!usesBuilt_) {
    usesBuilt_ = true;
    ir::walk(func, [&](const ir::Operation& op) {
      for (int i = 0; i < op.numOperands(); ++i) uses_[op.operand(i)].push_back({&op, i});
    });
  }
  static const std::vector<std::pair<const ir::Operation*, int>> kNone;
  auto it = uses_.find(v);
  return it == uses_.end() ? kNone : it->second;
}

const Context::Fragments* Context::fragments(const ir::Value* v) const {
  auto it = fragments_.find(v);
  return it == fragments_.end() ? nullptr : &it->second;
}

const std::vector<analysis::LoopAccumulator>& Context::loopAccumulators() {
  if (!loopAccsBuilt_) {
    loopAccsBuilt_ = true;
    // Accumulators chained from another loop's result: with the fragment softmax
    // (lower/fragment_rows.h), which hands them over in fragments.
    loopAccs_ = analysis::findLoopAccumulators(func, fragmentRowsOn(*this));
  }
  return loopAccs_;
}

std::string Context::printRepresentations() const {
  std::string s;
  analysis::forEachValue(func, [&](const ir::Value* v) {
    const Fragments* f = fragments(v);
    if (!f) return;
    s += analysis::valueName(v) + ": " + std::to_string(f->count) +
         (f->rows ? " row fragments of " : " cooperative-matrix fragments of ") + f->dot->where() + "\n";
  });
  return s;
}

// --- types -------------------------------------------------------------------------------

Result<Id> Context::regType(const ir::Type& t, bool wide) {
  const Target& tg = opts.target;
  switch (t.kind) {
    case ir::Type::Kind::Index:
      return u32();
    case ir::Type::Kind::Int:
      if (t.bits == 1) return boolean();
      if (t.bits <= 32) return u32();
      if (t.bits == 64) {
        if (!tg.int64) return Status::error("the target has no 64-bit integers (i64)");
        needFeature("int64");
        return b.typeInt(64);
      }
      break;
    case ir::Type::Kind::Float:
      if (t.bits <= 32) return f32();
      if (t.bits == 64) {
        if (!tg.float64) return Status::error("the target has no 64-bit floats (f64)");
        needFeature("float64");
        return b.typeFloat(64);
      }
      break;
    case ir::Type::Kind::Pointer:
      if (wide || addresses) {
        if (!tg.int64) return Status::error("the target has no 64-bit integers (i64 offsets)");
        needFeature("int64");
        return b.typeInt(64);
      }
      return u32();
    default:
      break;
  }
  return Status::error("no register type for " + t.str());
}

Result<Id> Context::regTypeOf(const ir::Value* v) {
  const ir::Type& s = v->type.scalar();
  bool wide = false;
  if (s.isPtr()) {
    auto it = prov.ptrs.find(v);
    if (it != prov.ptrs.end()) wide = it->second.wide;
  }
  return regType(s, wide);
}

void Context::needFeature(const std::string& f) {
  if (std::find(features.begin(), features.end(), f) == features.end()) features.push_back(f);
}

// --- layout and coordinates --------------------------------------------------------------

// --- rematerialization --------------------------------------------------------------------

void Context::pushScope() { memo_.emplace_back(); }
void Context::popScope() { memo_.pop_back(); }

void Context::memoSlots(const ir::Value* v) {
  if (!v->type.isTensor() || !remat(v)) return;
  const std::vector<Id>& ids = this->ids(v);
  for (uint32_t r = 0; r < ids.size(); ++r)
    memo_.back()[{v, layouts.slotCoords(v->type.shape, r)}] = ids[r];
}

Result<Id> Context::emitAt(const ir::Value* v, const std::vector<Id>& coords) {
  return emitAtIn(v, coords, nullptr);
}

Result<Id> Context::emitAt(const ir::Value* v, const std::vector<Id>& coords, Iteration& it) {
  return emitAtIn(v, coords, &it);
}

// A value of iteration `it`'s loop body (or, outside it, the bound value) that is not a
// tensor: the induction variable, or an elementwise op recomputed from such values.
Result<Id> Context::scalarAt(const ir::Value* v, Iteration* it) {
  const ir::Operation* op = v->def;
  if (!it || !analysis::isInside(v, it->loop)) {
    if (ids(v).empty()) return Status::error("internal: unbound " + (op ? op->where() : v->name));
    return ids(v)[0];
  }
  const ir::Block& body = it->loop->body();
  if (v == body.arg(0)) return it->iv;
  if (!op && v->ownerBlock == &body) {  // a scalar iter_arg
    const int j = v->index - 1;
    if (it->first) return scalarAt(it->loop->operand(3 + j), nullptr);
    return currentAt(body.terminator()->operand(j), *it);
  }
  if (!op || !analysis::isElementwiseOp(op->name))
    return Status::error("internal: " + (op ? op->where() : v->name) + " in another iteration");
  auto key = std::make_pair(v, std::vector<Id>{});
  auto f = it->memo.find(key);
  if (f != it->memo.end()) return f->second;
  auto r = scalarOpOf(*op, [&](const ir::Value* o) { return scalarAt(o, it); });
  if (r.ok()) it->memo[key] = *r;
  return r;
}

// Elementwise `op` on its operands as `operand` gives them.
Result<Id> Context::scalarOpOf(const ir::Operation& op,
                               const std::function<Result<Id>(const ir::Value*)>& operand) {
  std::vector<Id> args;
  for (const ir::Value* o : op.operands) {
    auto a = operand(o);
    if (!a.ok()) return a;
    args.push_back(*a);
  }
  return scalarOp(op, args);
}

// Scalar `v` in the current iteration of `it`'s loop, recomputed from the iteration's block
// arguments (bound) where the body defines it (its ops may not be lowered yet).
Result<Id> Context::currentAt(const ir::Value* v, Iteration& it) {
  const ir::Operation* op = v->def;
  if (!analysis::isInside(v, it.loop) || !op) return scalarAt(v, nullptr);
  auto f = it.current.find(v);
  if (f != it.current.end()) return f->second;
  if (!analysis::isElementwiseOp(op->name))
    return Status::error("internal: " + op->where() + " recomputed in its iteration");
  auto r = scalarOpOf(*op, [&](const ir::Value* o) { return currentAt(o, it); });
  if (r.ok()) it.current[v] = *r;
  return r;
}

Result<Id> Context::emitAtIn(const ir::Value* v, const std::vector<Id>& coords, Iteration* iter) {
  if (!v->type.isTensor()) return scalarAt(v, iter);
  auto key = std::make_pair(v, coords);
  if (iter) {
    auto f = iter->memo.find(key);
    if (f != iter->memo.end()) return f->second;
  }
  for (auto it = memo_.rbegin(); !iter && it != memo_.rend(); ++it) {
    auto f = it->find(key);
    if (f != it->end()) return f->second;
  }
  auto remember = [&](Id id) {
    if (iter) iter->memo[key] = id;
    else memo_.back()[key] = id;
  };
  const ir::Operation* op = v->def;
  analysis::TensorInduction ind;
  if (!op && analysis::tensorInduction(v, ind)) {
    Result<Id> r = Status::error("");
    if (iter && ind.loop == iter->loop) {
      auto init = emitAt(ind.init, coords);
      r = init.ok() ? inductionFrom(ind, *init, iter->iv) : init;
    } else {
      r = inductionAt(ind, coords);
    }
    if (r.ok()) remember(*r);
    return r;
  }
  if (!op) return Status::error("internal: emitAt of a block argument " + v->name);
  const std::string& n = op->name;
  const std::vector<int64_t>& shape = v->type.shape;
  Result<Id> res = Status::error("internal: cannot rematerialize " + op->where());
  if (n == "tt.splat" && iter) {
    res = scalarAt(op->operand(0), iter);
  } else if (n == "arith.constant" || n == "tt.splat") {
    // Constants and splats are the same in every slot.
    if (ids(v).empty()) return Status::error("internal: unbound " + op->where());
    res = ids(v)[0];
  } else if (n == "tt.make_range") {
    res = b.emit(spv::Op::OpIAdd, u32(),
                 {coords[0], c32(static_cast<uint32_t>(op->intAttr("start")))});
  } else if (n == "tt.expand_dims") {
    std::vector<Id> c = coords;
    c.erase(c.begin() + op->intAttr("axis"));
    res = emitAtIn(op->operand(0), c, iter);
  } else if (n == "tt.reshape") {
    Id lin = layouts.linearize(coords, shape);
    res = emitAtIn(op->operand(0), layouts.delinearize(lin, op->operand(0)->type.shape), iter);
  } else if (n == "tt.broadcast") {
    const std::vector<int64_t>& ss = op->operand(0)->type.shape;
    std::vector<Id> c = coords;
    for (size_t i = 0; i < ss.size(); ++i)
      if (ss[i] == 1) c[i] = c32(0);
    res = emitAtIn(op->operand(0), c, iter);
  } else if (n == "tt.trans") {
    const ir::Attribute* ord = op->attr("order");
    std::vector<Id> c(coords.size());
    for (size_t i = 0; i < coords.size(); ++i)
      c[static_cast<size_t>(ord->elems[i].i)] = coords[i];
    res = emitAtIn(op->operand(0), c, iter);
  } else if (analysis::isElementwiseOp(n)) {
    std::vector<Id> args;
    for (const ir::Value* o : op->operands) {
      auto a = emitAtIn(o, coords, iter);
      if (!a.ok()) return a;
      args.push_back(*a);
    }
    res = scalarOp(*op, args);
  }
  if (res.ok()) remember(*res);
  return res;
}

// init + i × step at `coords`, i = (iv - lb) / step of the loop. In address mode the offset
// is taken in 64 bits, as the repeated 64-bit additions would; integer inductions wrap in
// their own type, as repeated additions do.
Result<Id> Context::inductionAt(const analysis::TensorInduction& ind, const std::vector<Id>& coords) {
  auto init = emitAt(ind.init, coords);
  if (!init.ok()) return init;
  return inductionFrom(ind, *init);
}

Result<Id> Context::inductionFrom(const analysis::TensorInduction& ind, Id initAt, Id ivAt) {
  const ir::Operation& loop = *ind.loop;
  const ir::Value* ivV = loop.body().arg(0);
  if ((!ivAt && ids(ivV).empty()) || ids(loop.operand(0)).empty() || ids(loop.operand(2)).empty() ||
      ids(ind.step).empty())
    return Status::error("internal: induction of " + loop.where() + " outside its loop");
  const int ivBits = ivV->type.scalar().bits;
  Id ivT = ivBits == 64 ? b.typeInt(64) : u32();
  Id iv = ivAt ? ivAt : ids(ivV)[0], lb = ids(loop.operand(0))[0], st = ids(loop.operand(2))[0];
  Id i = b.emit(spv::Op::OpSDiv, ivT, {b.emit(spv::Op::OpISub, ivT, {iv, lb}), st});
  Id s = ids(ind.step)[0];
  const int sBits = ind.step->type.scalar().bits;
  if (ind.advance->name == "tt.addptr" && isAddress(ind.advance->result())) {
    Id u64 = b.typeInt(64);
    Id i64 = ivBits == 64 ? i : b.emit(spv::Op::OpSConvert, u64, {i});
    Id s64 = sBits == 64 ? s : b.emit(spv::Op::OpSConvert, u64, {s});
    const uint64_t bytes = static_cast<uint64_t>(elementBytes(*ind.advance->result()->type.scalar().elem));
    Id off = b.emit(spv::Op::OpIMul, u64, {b.emit(spv::Op::OpIMul, u64, {i64, s64}), b.constInt(u64, bytes)});
    return b.emit(spv::Op::OpIAdd, u64, {initAt, off});
  }
  Id sT = sBits == 64 ? b.typeInt(64) : u32();
  Id iS = ivBits == sBits ? i : b.emit(sBits == 64 ? spv::Op::OpSConvert : spv::Op::OpUConvert, sT, {i});
  Id off = b.emit(spv::Op::OpIMul, sT, {iS, s});
  return scalarOp(*ind.advance, {initAt, off});
}

// --- lowering ----------------------------------------------------------------------------

Status Context::unsupported(const ir::Operation& op, const std::string& why) const {
  if (why.rfind("unsupported: ", 0) == 0) return Status::error(why);
  return Status::error("unsupported: " + op.where() + (why.empty() ? "" : ": " + why));
}

Status Context::lowerBlock(const ir::Block& block) {
  for (const auto& op : block.ops) TVK_RETURN_IF_ERROR(lowerOp(*op));
  return Status();
}

Status Context::lowerOp(const ir::Operation& op) {
  if (skippedOps.count(&op)) return Status();
  // An op's scratch accesses are its own (Context::scratchBarrier).
  Scratch::RegionScope region(scratch);
  if (auto sc = rowScaledFragments.find(&op); sc != rowScaledFragments.end()) return coopScaleRows(*this, op, sc->second);
  if (fragmentOps.count(&op)) return lowerFragmentOp(*this, op);
  const Registry& r = registry();
  auto it = r.ops.find(op.name);
  if (it == r.ops.end()) return unsupported(op);
  Status s = it->second(*this, op);
  if (s.ok() && scratch.prologueAccess())
    return Status::error("internal: a shared-memory access in the prologue (lowering " + op.where() + ")");
  if (!s.ok() && s.message().rfind("unsupported: ", 0) != 0 &&
      s.message().find(" at ") == std::string::npos)
    return unsupported(op, s.message());
  if (s.ok() && !broken_.empty()) return Status::error(broken_ + " (lowering " + op.where() + ")");
  if (s.ok()) return checkBudget(op);
  return s;
}

Status Context::checkBudget(const ir::Operation& op) const {
  if (b.blockCount() <= kMaxBlocks && b.functionWords() <= kMaxFunctionWords) return Status();
  return Status::error("kernel too large: after " + op.where() + " the SPIR-V function has " +
                       std::to_string(b.blockCount()) + " basic blocks and " + std::to_string(b.functionWords()) +
                       " words (limits " + std::to_string(kMaxBlocks) + " and " + std::to_string(kMaxFunctionWords) +
                       ", so that validation stays fast); masked accesses and exchanges branch once per element "
                       "an invocation holds: use smaller blocks or more warps");
}

Result<Id> Context::scalarOp(const ir::Operation& op, const std::vector<Id>& args) {
  const Registry& r = registry();
  auto it = r.scalar.find(op.name);
  if (it == r.scalar.end()) return unsupported(op);
  return it->second(*this, op, args);
}

// --- integer helpers ---------------------------------------------------------------------

Id Context::signedCompare(spv::Op op, Id x, Id y, int bits) {
  if (bits != 64) return b.emit(op, boolean(), {x, y});
  spv::Op u = op == spv::Op::OpSLessThan          ? spv::Op::OpULessThan
              : op == spv::Op::OpSLessThanEqual   ? spv::Op::OpULessThanEqual
              : op == spv::Op::OpSGreaterThan     ? spv::Op::OpUGreaterThan
                                                  : spv::Op::OpUGreaterThanEqual;
  Id t = b.typeInt(64);
  Id sign = b.constInt(t, 1ull << 63);
  return b.emit(u, boolean(), {b.emit(spv::Op::OpBitwiseXor, t, {x, sign}),
                               b.emit(spv::Op::OpBitwiseXor, t, {y, sign})});
}

}  // namespace tvk::lower
