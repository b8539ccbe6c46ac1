#include "lower/structured_flow.h"

namespace tvk::lower {

Id StructuredFlow::andCond(Id a, Id c) {
  if (!a) return c;
  if (!c) return a;
  return b_.emit(spv::Op::OpLogicalAnd, b_.typeBool(), {a, c});
}

Status StructuredFlow::ifThen(Id cond, const std::function<Status()>& then) {
  if (!cond) return then();
  Id thenL = b_.newId(), merge = b_.newId();
  b_.emitVoid(spv::Op::OpSelectionMerge, {merge, 0});
  b_.emitVoid(spv::Op::OpBranchConditional, {cond, thenL, merge});
  b_.startBlock(thenL);
  enter_();
  Status s = then();
  exit_();
  TVK_RETURN_IF_ERROR(s);
  b_.emitVoid(spv::Op::OpBranch, {merge});
  b_.startBlock(merge);
  return Status();
}

Result<Id> StructuredFlow::ifValue(Id cond, Id type, const std::function<Result<Id>()>& then, Id other) {
  if (!cond) return then();
  Id pre = b_.currentBlock();
  Id thenL = b_.newId(), merge = b_.newId();
  b_.emitVoid(spv::Op::OpSelectionMerge, {merge, 0});
  b_.emitVoid(spv::Op::OpBranchConditional, {cond, thenL, merge});
  b_.startBlock(thenL);
  enter_();
  Result<Id> v = then();
  exit_();
  if (!v.ok()) return v;
  Id thenEnd = b_.currentBlock();
  b_.emitVoid(spv::Op::OpBranch, {merge});
  b_.startBlock(merge);
  return b_.emit(spv::Op::OpPhi, type, {*v, thenEnd, other, pre});
}

Status StructuredFlow::counted(uint32_t n, const std::function<Status(Id)>& body) {
  // A counted loop that carries nothing (no phis, no copies).
  auto r = countedCarry(n, {}, {}, [&](Id i, const std::vector<Id>&) -> Result<std::vector<Id>> {
    TVK_RETURN_IF_ERROR(body(i));
    return std::vector<Id>{};
  });
  return r.ok() ? Status() : r.status();
}

Result<std::vector<Id>> StructuredFlow::countedCarry(uint32_t n, const std::vector<Id>& types,
                                                     const std::vector<Id>& init, const CarryBody& body) {
  return countedCarryDynamic(b_.u32(n), n, types, init, body);
}

Result<std::vector<Id>> StructuredFlow::countedCarryDynamic(Id count, uint32_t n, const std::vector<Id>& types,
                                                            const std::vector<Id>& init, const CarryBody& body) {
  Id u = b_.typeInt(32);
  budget_.addLoop(addTrips(n, 1));
  Id pre = b_.currentBlock();
  Id header = b_.newId(), bodyL = b_.newId(), cont = b_.newId(), merge = b_.newId();
  Id next = b_.newId();
  std::vector<Id> nextVals(init.size()), phis(init.size());
  for (Id& v : nextVals) v = b_.newId();
  b_.emitVoid(spv::Op::OpBranch, {header});
  b_.startBlock(header);
  Id i = b_.emit(spv::Op::OpPhi, u, {b_.u32(0), pre, next, cont});
  for (size_t k = 0; k < init.size(); ++k)
    phis[k] = b_.emit(spv::Op::OpPhi, types[k], {init[k], pre, nextVals[k], cont});
  Id cmp = b_.emit(spv::Op::OpULessThan, b_.typeBool(), {i, count});
  b_.emitVoid(spv::Op::OpLoopMerge, {merge, cont, 0});
  b_.emitVoid(spv::Op::OpBranchConditional, {cmp, bodyL, merge});
  b_.startBlock(bodyL);
  enter_();
  budget_.enterBody(n);
  auto r = body(i, phis);
  budget_.exitBody();
  exit_();
  if (!r.ok()) return r;
  b_.emitVoid(spv::Op::OpBranch, {cont});
  b_.startBlock(cont);
  for (size_t k = 0; k < init.size(); ++k) b_.emitWithId(spv::Op::OpCopyObject, types[k], nextVals[k], {(*r)[k]});
  b_.emitWithId(spv::Op::OpIAdd, u, next, {i, b_.u32(1)});
  b_.emitVoid(spv::Op::OpBranch, {header});
  b_.startBlock(merge);
  return phis;
}

}  // namespace tvk::lower
