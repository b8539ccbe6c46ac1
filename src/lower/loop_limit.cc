// Loop-pass accounting, unroll factors and the end-of-kernel loop-limit check (loop_limit.h).
#include "lower/loop_limit.h"

#include <algorithm>

#include "ir/int_eval.h"
#include "lower/context.h"

namespace tvk::lower {

namespace {

constexpr uint32_t kScopeDevice = 1;
constexpr uint32_t kSemRelaxed = 0;

// The value of a scalar integer constant, if `v` is one.
bool constantOf(const ir::Value* v, int bits, int64_t& out) {
  const ir::Operation* d = v ? v->def : nullptr;
  if (!d || d->name != "arith.constant") return false;
  const ir::Attribute* a = d->attr("value");
  if (!a || a->kind != ir::Attribute::Kind::Int) return false;
  out = ir::wrapInt(a->i, bits);
  return true;
}

}  // namespace

uint64_t mulTrips(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a == kUnboundedTrips || b == kUnboundedTrips || a > kUnboundedTrips / b)
    return kUnboundedTrips;
  return a * b;
}

uint64_t addTrips(uint64_t a, uint64_t b) {
  return a > kUnboundedTrips - b ? kUnboundedTrips : a + b;
}

uint64_t LoopBudget::multiplier() const {
  uint64_t m = 1;
  for (uint64_t t : stack_) m = mulTrips(m, t);
  return m;
}

void LoopBudget::addLoop(uint64_t passes) {
  if (active()) total_ = addTrips(total_, mulTrips(multiplier(), passes));
}

bool LoopBudget::shouldUnroll(uint64_t trips) const {
  if (!active()) return false;
  return mulTrips(multiplier(), addTrips(trips, 1)) > limit_ / kUnrollShare;
}

uint32_t LoopBudget::unrollFactor(size_t bodyWords) const {
  if (!active()) return 1;
  size_t u = kUnrollWords / std::max<size_t>(bodyWords, 1);
  return static_cast<uint32_t>(std::clamp<size_t>(u, 1, kMaxUnroll));
}

uint64_t forTripBound(const ir::Operation& forOp, int ivBits, bool isUnsigned) {
  int64_t lb = 0, ub = 0, step = 0;
  if (!constantOf(forOp.operand(0), ivBits, lb) || !constantOf(forOp.operand(1), ivBits, ub) ||
      !constantOf(forOp.operand(2), ivBits, step))
    return kUnboundedTrips;
  if (isUnsigned) {
    uint64_t l = ir::unsignedAt(lb, ivBits), u = ir::unsignedAt(ub, ivBits);
    uint64_t s = ir::unsignedAt(step, ivBits);
    if (u <= l) return 0;
    if (s == 0) return kUnboundedTrips;
    return (u - l - 1) / s + 1;
  }
  if (ub <= lb) return 0;
  if (step <= 0) return kUnboundedTrips;
  // ub - lb fits in uint64 for any two signed 64-bit values.
  uint64_t span = static_cast<uint64_t>(ub) - static_cast<uint64_t>(lb);
  return (span - 1) / static_cast<uint64_t>(step) + 1;
}

Status emitLoopLimitCheck(Context& c) {
  auto& b = c.b;
  const uint32_t binding = static_cast<uint32_t>(c.func.body().args.size());
  Id u = c.u32();
  Id var = c.wordBufferVariable(binding, "tvk_status");
  Id wordPtr = b.typePointer(spv::StorageClass::StorageBuffer, u);
  Id flagPtr = b.emit(spv::Op::OpAccessChain, wordPtr, {var, c.c32(0), c.c32(0)});
  Id countPtr = b.emit(spv::Op::OpAccessChain, wordPtr, {var, c.c32(0), c.c32(1)});
  // The count (2) comes from memory so that the driver's compiler cannot unroll this loop.
  Id count = b.emit(spv::Op::OpLoad, u, {countPtr});
  Id pre = b.currentBlock();
  Id header = b.newId(), bodyL = b.newId(), cont = b.newId(), merge = b.newId();
  Id next = b.newId();
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(header);
  Id passes = b.emit(spv::Op::OpPhi, u, {c.c32(0), pre, next, cont});
  Id more = b.emit(spv::Op::OpULessThan, c.boolean(), {passes, count});
  b.emitVoid(spv::Op::OpLoopMerge, {merge, cont, 0});
  b.emitVoid(spv::Op::OpBranchConditional, {more, bodyL, merge});
  b.startBlock(bodyL);
  b.emitVoid(spv::Op::OpBranch, {cont});
  b.startBlock(cont);
  b.emitWithId(spv::Op::OpIAdd, u, next, {passes, c.c32(1)});
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(merge);
  // Fewer passes than `count`: the driver ended the loop early, so the counter was exhausted.
  Id cut = b.emit(spv::Op::OpINotEqual, c.boolean(), {passes, count});
  TVK_RETURN_IF_ERROR(c.flow.ifThen(cut, [&]() -> Status {
    b.emit(spv::Op::OpAtomicOr, u, {flagPtr, c.c32(kScopeDevice), c.c32(kSemRelaxed), c.c32(1)});
    return Status();
  }));
  c.statusBinding = static_cast<int>(binding);
  return Status();
}

}  // namespace tvk::lower
