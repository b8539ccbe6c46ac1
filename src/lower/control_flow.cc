// scf.for / scf.while / scf.if as structured SPIR-V (OpLoopMerge/OpSelectionMerge), with one
// OpPhi per loop-carried scalar and per slot of loop-carried tensors. All conditions are
// scalars, hence uniform, so barriers inside these regions stay legal. On targets with a loop
// limit, long loops run several copies of their body per pass (lower/loop_limit.h).
#include "lower/dot_coopmat.h"
#include "lower/for_loop.h"
#include "lower/fragment_rows.h"
#include "lower/fragments.h"
#include "lower/loop_limit.h"
#include "lower/registry.h"

namespace tvk::lower {

Id forInRange(Context& c, const ir::Operation& loop, Id iv) {
  Id ub = c.at(loop.operand(1), 0);
  const ir::Type& ivScalar = loop.operand(0)->type.scalar();
  const int ivBits = ivScalar.kind == ir::Type::Kind::Index ? 32 : ivScalar.bits;
  return loop.attr("unsignedCmp") ? c.b.emit(spv::Op::OpULessThan, c.boolean(), {iv, ub})
                                  : c.signedCompare(spv::Op::OpSLessThan, iv, ub, ivBits);
}

namespace {

// Flattened (type, id) list of the slots of `vals`.
struct Slots {
  std::vector<Id> types;
  std::vector<Id> ids;
};

Result<Slots> flatten(Context& c, const std::vector<ir::Value*>& vals) {
  Slots s;
  for (const ir::Value* v : vals) {
    if (const Context::Fragments* f = c.fragments(v)) {
      s.types.insert(s.types.end(), f->count, f->type);
      s.ids.insert(s.ids.end(), c.ids(v).begin(), c.ids(v).end());
      continue;
    }
    auto t = c.regTypeOf(v);
    if (!t.ok()) return t.status();
    uint32_t n = c.layouts.slots(v);
    for (uint32_t i = 0; i < n; ++i) {
      s.types.push_back(*t);
      s.ids.push_back(c.at(v, i));
    }
  }
  return s;
}

// Flattened slots of `vals` converted to the types and representations of `like` (pointer
// offsets may be i32 on one side and i64 on the other when provenance widened a
// loop-carried pointer; loop accumulators may be held in fragments, lower/fragments.h).
Result<Slots> flattenAs(Context& c, const std::vector<ir::Value*>& vals,
                        const std::vector<ir::Value*>& like) {
  Slots out;
  for (size_t i = 0; i < like.size() && i < vals.size(); ++i) {
    const Context::Fragments* lf = c.fragments(like[i]);
    if (lf || c.fragments(vals[i])) {
      auto ids = idsAs(c, vals[i], lf);
      if (!ids.ok()) return ids.status();
      Id t = lf ? lf->type : 0;
      if (!lf) {
        auto rt = c.regTypeOf(like[i]);
        if (!rt.ok()) return rt.status();
        t = *rt;
      }
      out.types.insert(out.types.end(), ids->size(), t);
      out.ids.insert(out.ids.end(), ids->begin(), ids->end());
      continue;
    }
    auto from = flatten(c, {vals[i]});
    if (!from.ok()) return from;
    auto t = c.regTypeOf(like[i]);
    if (!t.ok()) return t.status();
    uint32_t n = c.layouts.slots(like[i]);
    if (from->ids.size() < n)
      return Status::error("internal error: " + std::to_string(from->ids.size()) + " slots of %" + vals[i]->name +
                           " for " + std::to_string(n) + " of %" + like[i]->name);
    for (uint32_t s = 0; s < n; ++s) {
      Id v = from->ids[s];
      if (from->types[s] != *t) v = c.b.emit(spv::Op::OpSConvert, *t, {v});
      out.types.push_back(*t);
      out.ids.push_back(v);
    }
  }
  return out;
}

// Binds `vals` from a flat id list starting at `pos`.
void bindFlat(Context& c, const std::vector<ir::Value*>& vals, const std::vector<Id>& ids,
              size_t pos = 0) {
  for (const ir::Value* v : vals) {
    const Context::Fragments* f = c.fragments(v);
    uint32_t n = f ? f->count : c.layouts.slots(v);
    c.bind(v, std::vector<Id>(ids.begin() + pos, ids.begin() + pos + n));
    pos += n;
  }
}

std::vector<ir::Value*> argsOf(const ir::Block& b, size_t from = 0) {
  std::vector<ir::Value*> v;
  for (size_t i = from; i < b.args.size(); ++i) v.push_back(b.args[i].get());
  return v;
}

std::vector<ir::Value*> resultsOf(const ir::Operation& op) {
  std::vector<ir::Value*> v;
  for (const auto& r : op.results) v.push_back(r.get());
  return v;
}

std::vector<ir::Value*> operandsFrom(const ir::Operation* op, int from) {
  std::vector<ir::Value*> v;
  if (!op) return v;
  for (int i = from; i < op->numOperands(); ++i) v.push_back(op->operand(i));
  return v;
}

// The entries of `v` whose `keep` flag is set.
std::vector<ir::Value*> kept(const std::vector<ir::Value*>& v, const std::vector<bool>& keep) {
  std::vector<ir::Value*> out;
  for (size_t i = 0; i < v.size(); ++i)
    if (i >= keep.size() || keep[i]) out.push_back(v[i]);
  return out;
}

// Per iter_arg of scf.for `op`: false for a pointer the loop does not carry (the load it feeds
// is performed by its tt.dot from the pointer's induction, lower/dot_coopmat.h); its advance
// then emits nothing.
Result<std::vector<bool>> carriedArgs(Context& c, const ir::Operation& op) {
  const ir::Block& body = op.body();
  std::vector<bool> keep(body.args.size() > 0 ? body.args.size() - 1 : 0, true);
  for (size_t j = 0; j < keep.size(); ++j) {
    auto u = coopUncarried(c, body.arg(static_cast<int>(j + 1)));
    if (!u.ok()) return u.status();
    if (!*u) continue;
    keep[j] = false;
    c.skippedOps.insert(body.terminator()->operand(static_cast<int>(j))->def);
  }
  return keep;
}

// A loop exit: the block that branches to the merge and the carried slots it leaves with.
struct Exit {
  Id block;
  std::vector<Id> ids;
};

// The loop results at the merge: the only exit's slots, or one OpPhi per slot over the exits.
std::vector<Id> mergeExits(Context& c, const std::vector<Id>& types,
                           const std::vector<Exit>& exits, bool phiForOne) {
  if (exits.size() == 1 && !phiForOne) return exits[0].ids;
  std::vector<Id> res;
  for (size_t i = 0; i < types.size(); ++i) {
    std::vector<Id> ops;
    for (const Exit& e : exits) {
      ops.push_back(e.ids[i]);
      ops.push_back(e.block);
    }
    res.push_back(c.b.emit(spv::Op::OpPhi, types[i], ops));
  }
  return res;
}

// True when every use of loop result `v` is the init operand of a loop that lowers later
// (a chained accumulator or row value, lower/fragment_rows.h): fragments stay fragments and that
// loop's flattenAs converts them only where it holds the value otherwise.
bool handedOver(Context& c, const ir::Value* v) {
  if (!fragmentRowsOn(c)) return false;  // chained loops only there
  const auto& uses = c.usesOf(v);
  if (uses.empty()) return false;
  for (const auto& [user, idx] : uses)
    if (user->name != "scf.for" || idx < 3) return false;
  return true;
}

// Whether lowerFor tracks the loop-head barrier of `op`'s body (lower/scratch.h): a body with a
// tt.dot directly in it, on a target with cooperative matrices (whose staging may be the body's
// first scratch event).
bool loopHeads(const Context& c, const ir::Operation& op) {
  if (!barrierElision() || c.coherent || c.opts.target.coopMatShapes.empty()) return false;
  for (const auto& o : op.body().ops)
    if (o->name == "tt.dot") return true;
  return false;
}

// scf.for: header `iv < ub` → body → continue (iv += step) → header. On targets with a loop
// limit (lower/loop_limit.h) a long loop runs U copies of its body per pass; after each copy
// but the last, `iv += step; if !(iv < ub) break` (the same comparison chain as the loop
// makes, so signedness, 64-bit and overflow behave as without copies).
Status lowerFor(Context& c, const ir::Operation& op) {
  auto& b = c.b;
  const ir::Block& body = op.body();
  Id step = c.at(op.operand(2), 0);
  auto ivT = c.regTypeOf(op.operand(0));
  if (!ivT.ok()) return ivT.status();
  TVK_RETURN_IF_ERROR(chooseLoopRepresentations(c, op));
  auto keep = carriedArgs(c, op);
  if (!keep.ok()) return keep.status();
  const std::vector<ir::Value*> args = kept(argsOf(body, 1), *keep);
  auto init = flattenAs(c, kept(operandsFrom(&op, 3), *keep), args);
  if (!init.ok()) return init.status();
  TVK_RETURN_IF_ERROR(coopHoistRuns(c, op));
  // Direct loads carried across iterations: their runs' words follow the carried values.
  auto carriedLoads = coopCarriedLoads(c, op);
  if (!carriedLoads.ok()) return carriedLoads.status();
  const size_t plain = init->ids.size();
  for (const CarriedLoad& cl : *carriedLoads) {
    init->types.insert(init->types.end(), cl.init.size(), cl.type);
    init->ids.insert(init->ids.end(), cl.init.begin(), cl.init.end());
  }
  size_t n = init->ids.size();
  bool isUnsigned = op.attr("unsignedCmp") != nullptr;
  const ir::Type& ivScalar = op.operand(0)->type.scalar();
  int ivBits = ivScalar.kind == ir::Type::Kind::Index ? 32 : ivScalar.bits;
  auto inRange = [&](Id iv) { return forInRange(c, op, iv); };
  const uint64_t trips = forTripBound(op, ivBits, isUnsigned);
  const bool unroll = c.loopBudget.shouldUnroll(trips);
  Id pre = b.currentBlock();
  Id header = b.newId(), bodyL = b.newId(), cont = b.newId(), merge = b.newId();
  Id ivNext = b.newId();
  std::vector<Id> next(n), phis(n);
  for (size_t i = 0; i < n; ++i) next[i] = b.newId();
  // The barrier before the loop that may stand in for the body's head barrier.
  const bool heads = loopHeads(c, op) && b.emittingBody();
  const size_t preBarrier = heads ? b.bodyWords() : SIZE_MAX;
  if (heads) c.barrier();
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(header);
  Id iv = b.emit(spv::Op::OpPhi, *ivT, {c.at(op.operand(0), 0), pre, ivNext, cont});
  for (size_t i = 0; i < n; ++i)
    phis[i] = b.emit(spv::Op::OpPhi, init->types[i], {init->ids[i], pre, next[i], cont});
  Id cmp = inRange(iv);
  b.emitVoid(spv::Op::OpLoopMerge, {merge, cont, 0});
  b.emitVoid(spv::Op::OpBranchConditional, {cmp, bodyL, merge});
  std::vector<Exit> exits{{header, phis}};
  Id curIv = iv;
  std::vector<Id> cur = phis, yielded;
  uint32_t copies = 1;
  const size_t startWords = b.bodyWords();
  c.loopBudget.enterBody(trips);
  for (uint32_t k = 0;; ++k) {
    b.startBlock(bodyL);
    if (heads && k == 0) c.scratch.beginLoopBody(bodyL, b.loopDepth(), preBarrier);
    c.pushScope();
    c.bind(body.arg(0), {curIv});
    bindFlat(c, args, cur);
    size_t pos = plain;
    for (const CarriedLoad& cl : *carriedLoads) {
      Context::CarriedWords& w = c.carriedWords[cl.load];
      w.cur.assign(cur.begin() + pos, cur.begin() + pos + cl.init.size());
      w.next.clear();
      pos += cl.init.size();
    }
    Status s = c.lowerBlock(body);
    if (!s.ok()) return s;
    auto yields = flattenAs(c, kept(operandsFrom(body.terminator(), 0), *keep), args);
    c.popScope();
    if (!yields.ok()) return yields.status();
    if (yields->ids.size() != plain) return Status::error("internal error: loop yields do not match its carried values");
    yielded = std::move(yields->ids);
    for (const CarriedLoad& cl : *carriedLoads) {
      const std::vector<Id>& next = c.carriedWords[cl.load].next;
      if (next.size() != cl.init.size()) return Status::error("internal error: a carried load was not staged in its loop");
      yielded.insert(yielded.end(), next.begin(), next.end());
    }
    if (k == 0 && unroll) copies = c.loopBudget.unrollFactor(b.bodyWords() - startWords);
    if (k + 1 >= copies) break;
    curIv = b.emit(spv::Op::OpIAdd, *ivT, {curIv, step});
    Id more = inRange(curIv);
    exits.push_back({b.currentBlock(), yielded});
    bodyL = b.newId();
    b.emitVoid(spv::Op::OpBranchConditional, {more, bodyL, merge});
    cur = yielded;
  }
  if (heads) {
    const size_t drop = c.scratch.endLoopBody(copies == 1);
    if (drop != SIZE_MAX && !b.dropBarrier(drop)) return c.unsupported(op, "internal error: a loop barrier moved");
  }
  for (const CarriedLoad& cl : *carriedLoads) c.carriedWords.erase(cl.load);
  c.loopBudget.exitBody();
  c.loopBudget.addLoop(trips == kUnboundedTrips ? trips : trips / copies + 1);
  b.emitVoid(spv::Op::OpBranch, {cont});
  b.startBlock(cont);
  for (size_t i = 0; i < n; ++i)
    b.emitWithId(spv::Op::OpCopyObject, init->types[i], next[i], {yielded[i]});
  b.emitWithId(spv::Op::OpIAdd, *ivT, ivNext, {curIv, step});
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(merge);
  std::vector<Id> finals = mergeExits(c, init->types, exits, false);
  // Results take the body arguments' representation; fragments return to slots here.
  const std::vector<ir::Value*> results = kept(resultsOf(op), *keep);
  size_t pos = 0;
  for (size_t i = 0; i < results.size() && i < args.size(); ++i) {
    const Context::Fragments* f = c.fragments(args[i]);
    uint32_t cnt = f ? f->count : c.layouts.slots(results[i]);
    std::vector<Id> ids(finals.begin() + pos, finals.begin() + pos + cnt);
    pos += cnt;
    if (f && f->rows && c.usesOf(results[i]).empty()) {
      ids.clear();  // row fragments nobody reads after the loop (m_i) are not converted
    } else if (f && handedOver(c, results[i])) {
      c.setFragments(results[i], *f);  // another loop starts from them: it converts if it must
    } else if (f) {
      c.bind(args[i], ids);  // the final fragments, for the conversion
      auto slots = idsAs(c, args[i], nullptr);
      if (!slots.ok()) return slots.status();
      ids = std::move(*slots);
    }
    c.bind(results[i], std::move(ids));
  }
  return Status();
}

// scf.while: header → before (condition) → after → continue → header, leaving from `before`
// when the condition fails. With a loop limit (lower/loop_limit.h) a long loop runs U copies
// of before+after per pass, each copy's `before` leaving the loop when its condition fails.
Status lowerWhile(Context& c, const ir::Operation& op) {
  auto& b = c.b;
  const ir::Block& before = op.body(0);
  const ir::Block& after = op.body(1);
  auto init = flattenAs(c, operandsFrom(&op, 0), argsOf(before));
  if (!init.ok()) return init.status();
  size_t n = init->ids.size();
  const bool unroll = c.loopBudget.shouldUnroll(kUnboundedTrips);
  Id pre = b.currentBlock();
  Id header = b.newId(), beforeL = b.newId(), cont = b.newId(), merge = b.newId();
  std::vector<Id> next(n), phis(n);
  for (size_t i = 0; i < n; ++i) next[i] = b.newId();
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(header);
  for (size_t i = 0; i < n; ++i)
    phis[i] = b.emit(spv::Op::OpPhi, init->types[i], {init->ids[i], pre, next[i], cont});
  b.emitVoid(spv::Op::OpLoopMerge, {merge, cont, 0});
  b.emitVoid(spv::Op::OpBranch, {beforeL});
  std::vector<Exit> exits;
  std::vector<Id> cur = phis, carriedTypes;
  uint32_t copies = 1;
  const size_t startWords = b.bodyWords();
  c.loopBudget.enterBody(kUnboundedTrips);
  for (uint32_t k = 0;; ++k) {
    b.startBlock(beforeL);
    c.pushScope();
    bindFlat(c, argsOf(before), cur);
    TVK_RETURN_IF_ERROR(c.lowerBlock(before));
    const ir::Operation* cond = before.terminator();
    if (!cond || cond->name != "scf.condition") return c.unsupported(op, "missing scf.condition");
    Id condId = c.at(cond->operand(0), 0);
    auto carried = flattenAs(c, operandsFrom(cond, 1), resultsOf(op));
    c.popScope();
    if (!carried.ok()) return carried.status();
    carriedTypes = carried->types;
    exits.push_back({b.currentBlock(), carried->ids});
    Id afterL = b.newId();
    b.emitVoid(spv::Op::OpBranchConditional, {condId, afterL, merge});
    b.startBlock(afterL);
    c.pushScope();
    bindFlat(c, argsOf(after), carried->ids);
    TVK_RETURN_IF_ERROR(c.lowerBlock(after));
    auto yields = flattenAs(c, operandsFrom(after.terminator(), 0), argsOf(before));
    c.popScope();
    if (!yields.ok()) return yields.status();
    if (yields->ids.size() != n) return Status::error("internal error: loop yields do not match its carried values");
    cur = std::move(yields->ids);
    if (k == 0 && unroll) copies = c.loopBudget.unrollFactor(b.bodyWords() - startWords);
    if (k + 1 >= copies) break;
    beforeL = b.newId();
    b.emitVoid(spv::Op::OpBranch, {beforeL});
  }
  c.loopBudget.exitBody();
  c.loopBudget.addLoop(kUnboundedTrips);
  b.emitVoid(spv::Op::OpBranch, {cont});
  b.startBlock(cont);
  for (size_t i = 0; i < n; ++i)
    b.emitWithId(spv::Op::OpCopyObject, init->types[i], next[i], {cur[i]});
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(merge);
  bindFlat(c, resultsOf(op), mergeExits(c, carriedTypes, exits, true));
  return Status();
}

Status lowerIf(Context& c, const ir::Operation& op) {
  auto& b = c.b;
  Id cond = c.at(op.operand(0), 0);
  bool hasElse = op.regions.size() > 1 && !op.regions[1]->blocks.empty();
  Id thenL = b.newId(), elseL = hasElse ? b.newId() : 0, merge = b.newId();
  b.emitVoid(spv::Op::OpSelectionMerge, {merge, 0});
  b.emitVoid(spv::Op::OpBranchConditional, {cond, thenL, hasElse ? elseL : merge});
  auto arm = [&](const ir::Block& blk, Slots& out, Id& end) -> Status {
    c.pushScope();
    TVK_RETURN_IF_ERROR(c.lowerBlock(blk));
    auto y = flattenAs(c, operandsFrom(blk.terminator(), 0), resultsOf(op));
    c.popScope();
    if (!y.ok()) return y.status();
    out = *y;
    end = b.currentBlock();
    b.emitVoid(spv::Op::OpBranch, {merge});
    return Status();
  };
  Slots thenY, elseY;
  Id thenEnd = 0, elseEnd = 0;
  b.startBlock(thenL);
  TVK_RETURN_IF_ERROR(arm(op.body(0), thenY, thenEnd));
  if (hasElse) {
    b.startBlock(elseL);
    TVK_RETURN_IF_ERROR(arm(op.body(1), elseY, elseEnd));
  }
  b.startBlock(merge);
  if (op.results.empty()) return Status();
  if (!hasElse) return c.unsupported(op, "scf.if with results but no else");
  if (elseY.ids.size() != thenY.ids.size()) return Status::error("internal error: scf.if arms yield different slots");
  std::vector<Id> res;
  for (size_t i = 0; i < thenY.ids.size(); ++i)
    res.push_back(b.emit(spv::Op::OpPhi, thenY.types[i],
                         {thenY.ids[i], thenEnd, elseY.ids[i], elseEnd}));
  bindFlat(c, resultsOf(op), res);
  return Status();
}

Status noop(Context&, const ir::Operation&) { return Status(); }


Status lowerReturn(Context& c, const ir::Operation& op) {
  if (op.numOperands()) return c.unsupported(op, "return with values");
  if (c.loopBudget.needsCheck()) TVK_RETURN_IF_ERROR(emitLoopLimitCheck(c));
  c.b.emitVoid(spv::Op::OpReturn, {});
  return Status();
}



// gpu.barrier (tl.debug_barrier): a workgroup barrier (control flow is uniform).
Status lowerBarrier(Context& c, const ir::Operation&) {
  c.barrier();
  return Status();
}

}  // namespace

void registerControlFlowOps(Registry& r) {
  registerLowering(r, "gpu.barrier", lowerBarrier);
  // tl.assume: a hint for the optimizer; a false condition is undefined behaviour, so
  // emitting nothing is a correct lowering.
  registerLowering(r, "llvm.intr.assume", noop);
  registerLowering(r, "scf.for", lowerFor);
  registerLowering(r, "scf.while", lowerWhile);
  registerLowering(r, "scf.if", lowerIf);
  registerLowering(r, "scf.yield", noop);
  registerLowering(r, "scf.condition", noop);
  registerLowering(r, "tt.reduce.return", noop);
  registerLowering(r, "tt.scan.return", noop);
  registerLowering(r, "tt.return", lowerReturn);
}

}  // namespace tvk::lower
