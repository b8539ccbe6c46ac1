#include "lower/scratch.h"

#include <algorithm>

namespace tvk::lower {

namespace {

// Whether byte ranges `a` and `b` share a byte.
bool overlap(Scratch::Region a, Scratch::Region b) { return a.first < b.second && b.first < a.second; }

}  // namespace

void Scratch::ensure() {
  if (var_) return;
  const uint32_t words = std::max<uint32_t>(1, (plan_.totalBytes + 3) / 4);
  Id arr = b_.typeArray(b_.typeInt(32), words);
  var_ = b_.globalVariable(b_.typePointer(spv::StorageClass::Workgroup, arr), spv::StorageClass::Workgroup);
  b_.name(var_, "scratch");
}

Id Scratch::wordPtr(Id word) {
  noteAccess();
  return b_.emit(spv::Op::OpAccessChain, b_.typePointer(spv::StorageClass::Workgroup, b_.typeInt(32)),
                 {var_, word});
}

Id Scratch::ptr(Id word) {
  ensure();
  return wordPtr(word);
}

Status Scratch::store(Id word, Id regT, Id v) {
  ensure();
  Id u = b_.typeInt(32);
  const int bits = b_.scalarBits(regT);
  if (regT == b_.typeBool()) {
    v = b_.emit(spv::Op::OpSelect, u, {v, b_.u32(1), b_.u32(0)});
  } else if (bits == 64) {
    Id u64 = b_.typeInt(64);
    Id x = b_.isFloatType(regT) ? b_.emit(spv::Op::OpBitcast, u64, {v}) : v;
    Id lo = b_.emit(spv::Op::OpUConvert, u, {x});
    Id hiw = b_.emit(spv::Op::OpShiftRightLogical, u64, {x, b_.constInt(u64, 32)});
    Id hi = b_.emit(spv::Op::OpUConvert, u, {hiw});
    Id w1 = b_.emit(spv::Op::OpIAdd, u, {word, b_.u32(1)});
    b_.emitVoid(spv::Op::OpStore, {wordPtr(word), lo});
    b_.emitVoid(spv::Op::OpStore, {wordPtr(w1), hi});
    return Status();
  } else if (b_.isFloatType(regT)) {
    v = b_.emit(spv::Op::OpBitcast, u, {v});
  }
  b_.emitVoid(spv::Op::OpStore, {wordPtr(word), v});
  return Status();
}

Result<Id> Scratch::load(Id word, Id regT) {
  if (!var_) return Status::error("internal: shared memory read before any write");
  Id u = b_.typeInt(32);
  if (b_.scalarBits(regT) == 64) {
    Id u64 = b_.typeInt(64);
    Id w1 = b_.emit(spv::Op::OpIAdd, u, {word, b_.u32(1)});
    Id lo = b_.emit(spv::Op::OpLoad, u, {wordPtr(word)});
    Id hi = b_.emit(spv::Op::OpLoad, u, {wordPtr(w1)});
    Id lo64 = b_.emit(spv::Op::OpUConvert, u64, {lo});
    Id hi64 = b_.emit(spv::Op::OpUConvert, u64, {hi});
    Id sh = b_.emit(spv::Op::OpShiftLeftLogical, u64, {hi64, b_.constInt(u64, 32)});
    Id x = b_.emit(spv::Op::OpBitwiseOr, u64, {sh, lo64});
    return b_.isFloatType(regT) ? b_.emit(spv::Op::OpBitcast, regT, {x}) : x;
  }
  Id w = b_.emit(spv::Op::OpLoad, u, {wordPtr(word)});
  if (regT == b_.typeBool()) return b_.emit(spv::Op::OpINotEqual, b_.typeBool(), {w, b_.u32(0)});
  if (b_.isFloatType(regT)) return b_.emit(spv::Op::OpBitcast, regT, {w});
  return w;
}

Id Scratch::word(uint32_t base, Id elem, uint32_t words) {
  Id scaled = words == 1 ? elem : b_.emit(spv::Op::OpIMul, b_.typeInt(32), {elem, b_.u32(words)});
  return b_.emit(spv::Op::OpIAdd, b_.typeInt(32), {scaled, b_.u32(base)});
}

Result<uint32_t> Scratch::base(const ir::Operation& op) const {
  auto it = plan_.allocs.find(&op);
  if (it == plan_.allocs.end()) return Status::error("internal: no shared-memory allocation for " + op.where());
  return it->second.offset / 4;
}

Scratch::Region Scratch::allocOf(const ir::Operation& op) const {
  auto it = plan_.allocs.find(&op);
  if (it == plan_.allocs.end()) return {0, 0};
  return {it->second.offset, it->second.offset + it->second.bytes};
}

void Scratch::noteAccess() {
  accessed_ = true;
  for (LoopHead& h : heads_) h.open = false;
  if (b_.inPrologue()) {
    prologueAccess_ = unknown_ = true;
  } else if (region_.second == 0) {
    unknown_ = true;
  } else if (std::find(touched_.begin(), touched_.end(), region_) == touched_.end()) {
    touched_.push_back(region_);
  }
}

void Scratch::atBarrier() {
  for (LoopHead& h : heads_) {
    h.open = false;
    if (h.head != SIZE_MAX && !h.checked) {  // the head barrier's window ends here
      h.checked = true;
      bool inside = !unknown_;
      for (const Region& r : touched_) inside = inside && h.staged.first <= r.first && r.second <= h.staged.second;
      if (!inside) h.failed = true;
    }
  }
  touched_.clear();
  unknown_ = false;
  clean_ = b_.currentBlock();
}

bool Scratch::barrierNeeded(Region a) const {
  // Nothing before this point accessed scratch and no loop repeats it: the first exchange.
  if (!accessed_ && b_.loopDepth() == 0) return false;
  if (unknown_ || clean_ == 0 || b_.currentBlock() != clean_) return true;
  if (a.second == 0) return true;
  for (const Region& r : touched_)
    if (overlap(r, a)) return true;
  return false;
}

void Scratch::barrierLeftOut() {
  // Left out on the strength of a head barrier that may go itself: keep that one.
  for (LoopHead& h : heads_)
    if (h.head != SIZE_MAX && !h.checked) h.failed = true;
}

void Scratch::beginLoopBody(Id block, size_t depth, size_t pre) {
  LoopHead h;
  h.block = block;
  h.depth = depth;
  h.pre = pre;
  heads_.push_back(h);
}

bool Scratch::loopHeadOpen() const {
  return !heads_.empty() && heads_.back().open && b_.currentBlock() == heads_.back().block &&
         b_.loopDepth() == heads_.back().depth;
}

void Scratch::loopHeadBarrier(size_t at, Region staged) {
  if (heads_.empty()) return;
  heads_.back().head = at;
  heads_.back().staged = staged;
}

size_t Scratch::endLoopBody(bool single) {
  if (heads_.empty()) return SIZE_MAX;
  const LoopHead h = heads_.back();
  heads_.pop_back();
  bool drop = single && h.head != SIZE_MAX && h.pre != SIZE_MAX && h.checked && !h.failed && !unknown_ &&
              clean_ != 0 && clean_ == b_.currentBlock();
  for (const Region& r : touched_) drop = drop && !overlap(r, h.staged);
  return drop ? h.head : h.pre;
}

void Scratch::enterRegion(const ir::Operation& op) { region_ = allocOf(op); }

}  // namespace tvk::lower
