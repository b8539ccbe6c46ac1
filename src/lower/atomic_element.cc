// One element's atomic by element type (see atomic_element.h).
#include "lower/atomic_element.h"

#include <spirv/unified1/GLSL.std.450.h>

#include <functional>
#include <map>

#include "lower/fp8.h"
#include "lower/loop_limit.h"

namespace tvk::lower {

namespace {

// The compare-and-swap loop of targets where divergent ones lose updates (llvmpipe: with
// several subgroups in a workgroup, a loop that some invocations leave early loses other
// invocations' exchanges; measured in target.h). Every invocation of the workgroup iterates
// until none has an exchange left: an invocation that is inactive (s.active false) or done
// skips the exchange, and each pass ORs "still working" into a workgroup word between
// barriers, so the exit is the same for all (the flag is the op's first scratch word, free
// until its old values are broadcast). The op runs in workgroup-uniform control flow (all scf
// conditions are scalars) and the caller does not wrap it in the element's mask.
Result<Id> casLoopUniform(Context& c, Id ptr, Id wordT, const AtomicSpec& s,
                          const std::function<Result<Id>(Id)>& step) {
  auto& b = c.b;
  Id u = c.u32();
  if (!s.flagWord) return Status::error("internal: a workgroup-uniform CAS loop without its flag word");
  Id header = b.newId(), bodyL = b.newId(), cont = b.newId(), merge = b.newId();
  Id casL = b.newId(), joined = b.newId();
  Id nextExpected = b.newId(), doneNext = b.newId();
  c.loopBudget.addLoop(kUnboundedTrips);  // retries until no other invocation interferes
  auto first = c.flow.ifValue(s.active, wordT, [&]() -> Result<Id> {
    return b.emit(spv::Op::OpAtomicLoad, wordT, {ptr, s.scope, c.c32(0)});
  }, b.constNull(wordT));
  if (!first.ok()) return first;
  Id done0 = s.active ? b.emit(spv::Op::OpLogicalNot, c.boolean(), {s.active}) : b.constBool(false);
  Id pre = b.currentBlock();
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(header);
  Id expected = b.emit(spv::Op::OpPhi, wordT, {*first, pre, nextExpected, cont});
  Id done = b.emit(spv::Op::OpPhi, c.boolean(), {done0, pre, doneNext, cont});
  b.emitVoid(spv::Op::OpLoopMerge, {merge, cont, 0});
  b.emitVoid(spv::Op::OpBranch, {bodyL});
  b.startBlock(bodyL);
  auto desired = step(expected);
  if (!desired.ok()) return desired;
  Id bodyEnd = b.currentBlock();
  b.emitVoid(spv::Op::OpSelectionMerge, {joined, 0});
  b.emitVoid(spv::Op::OpBranchConditional, {done, joined, casL});
  b.startBlock(casL);
  Id got = b.emit(spv::Op::OpAtomicCompareExchange, wordT,
                  {ptr, s.scope, s.sem, s.semUnequal, *desired, expected});
  b.emitVoid(spv::Op::OpBranch, {joined});
  b.startBlock(joined);
  Id seen = b.emit(spv::Op::OpPhi, wordT, {got, casL, expected, bodyEnd});
  b.emitWithId(spv::Op::OpLogicalOr, c.boolean(), doneNext,
               {done, b.emit(spv::Op::OpIEqual, c.boolean(), {seen, expected})});
  // Any invocation left? flag = 0 (invocation 0); OR in "not done"; read; the last barrier
  // keeps the next pass's reset after every read.
  c.barrier();
  TVK_RETURN_IF_ERROR(c.flow.ifThen(b.emit(spv::Op::OpIEqual, c.boolean(), {c.layouts.invocation(), c.c32(0)}),
                               [&]() -> Status {
                                 b.emitVoid(spv::Op::OpStore, {c.scratch.ptr(s.flagWord), c.c32(0)});
                                 return Status();
                               }));
  c.barrier();
  b.emit(spv::Op::OpAtomicOr, u, {c.scratch.ptr(s.flagWord), c.c32(2 /* Workgroup */), c.c32(0),
                                  b.emit(spv::Op::OpSelect, u, {doneNext, c.c32(0), c.c32(1)})});
  c.barrier();
  Id left = b.emit(spv::Op::OpINotEqual, c.boolean(), {b.emit(spv::Op::OpLoad, u, {c.scratch.ptr(s.flagWord)}), c.c32(0)});
  c.barrier();
  b.emitVoid(spv::Op::OpBranchConditional, {left, cont, merge});
  b.startBlock(cont);
  b.emitWithId(spv::Op::OpCopyObject, wordT, nextExpected, {seen});
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(merge);
  return expected;
}

// Compare-and-swap loop on the word at `ptr` (type `wordT`): new = step(old) until no other
// invocation changed the word in between. Returns the old word.
Result<Id> casLoop(Context& c, Id ptr, Id wordT, const AtomicSpec& s,
                   const std::function<Result<Id>(Id)>& step) {
  auto& b = c.b;
  if (!c.opts.target.casLoopAtomics) return casLoopUniform(c, ptr, wordT, s, step);
  Id header = b.newId(), bodyL = b.newId(), cont = b.newId(), merge = b.newId();
  Id nextExpected = b.newId();
  c.loopBudget.addLoop(kUnboundedTrips);  // retries until no other invocation interferes
  Id first = b.emit(spv::Op::OpAtomicLoad, wordT, {ptr, s.scope, c.c32(0)});
  Id pre = b.currentBlock();
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(header);
  Id expected = b.emit(spv::Op::OpPhi, wordT, {first, pre, nextExpected, cont});
  b.emitVoid(spv::Op::OpLoopMerge, {merge, cont, 0});
  b.emitVoid(spv::Op::OpBranch, {bodyL});
  b.startBlock(bodyL);
  auto desired = step(expected);
  if (!desired.ok()) return desired;
  Id got = b.emit(spv::Op::OpAtomicCompareExchange, wordT,
                  {ptr, s.scope, s.sem, s.semUnequal, *desired, expected});
  Id done = b.emit(spv::Op::OpIEqual, c.boolean(), {got, expected});
  b.emitVoid(spv::Op::OpBranchConditional, {done, merge, cont});
  b.startBlock(cont);
  b.emitWithId(spv::Op::OpCopyObject, wordT, nextExpected, {got});
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(merge);
  return expected;
}

// The register result of rmw `kind` on old register value `old` and operand `v` (types that
// go through a CAS loop). Narrow floats are rounded to their type.
Result<Id> combine(Context& c, const std::string& kind, const ir::Type& t, Id regT, Id old,
                   Id v) {
  auto& b = c.b;
  if (kind == "exch") return v;
  if (t.isFloat()) {
    if (kind != "fadd") return Status::error("atomic_rmw " + kind + " on " + t.str());
    Id sum = b.emit(spv::Op::OpFAdd, regT, {old, v});
    return c.roundTo(t, sum);
  }
  // 16-bit integers: registers hold the sign-extended value.
  Id u = c.u32();
  auto zext = [&](Id x) { return b.emit(spv::Op::OpBitwiseAnd, u, {x, c.c32(0xffff)}); };
  if (kind == "add") return b.emit(spv::Op::OpIAdd, regT, {old, v});
  if (kind == "and") return b.emit(spv::Op::OpBitwiseAnd, regT, {old, v});
  if (kind == "or") return b.emit(spv::Op::OpBitwiseOr, regT, {old, v});
  if (kind == "xor") return b.emit(spv::Op::OpBitwiseXor, regT, {old, v});
  if (kind == "max") return b.glsl(GLSLstd450SMax, regT, {old, v});
  if (kind == "min") return b.glsl(GLSLstd450SMin, regT, {old, v});
  if (kind == "umax") return b.glsl(GLSLstd450UMax, regT, {zext(old), zext(v)});
  if (kind == "umin") return b.glsl(GLSLstd450UMin, regT, {zext(old), zext(v)});
  return Status::error("atomic_rmw " + kind + " on " + t.str());
}

// 16-bit elements: register value ⇄ the 16 bits of the element (in the low bits of a uint32).
Result<Id> halfBits(Context& c, const ir::Type& t, Id v) {
  auto& b = c.b;
  if (t.name == "f16") return encodeFp8(c, t, v);
  if (t.name == "bf16") {
    auto r = c.roundTo(t, v);
    if (!r.ok()) return r;
    Id w = b.emit(spv::Op::OpBitcast, c.u32(), {*r});
    return b.emit(spv::Op::OpShiftRightLogical, c.u32(), {w, c.c32(16)});
  }
  return b.emit(spv::Op::OpBitwiseAnd, c.u32(), {v, c.c32(0xffff)});
}

Result<Id> halfValue(Context& c, const ir::Type& t, Id bits) {
  auto& b = c.b;
  if (t.name == "f16") return decodeFp8(c, t, bits);
  Id hi = b.emit(spv::Op::OpShiftLeftLogical, c.u32(), {bits, c.c32(16)});
  if (t.name == "bf16") return b.emit(spv::Op::OpBitcast, c.f32(), {hi});
  return b.emit(spv::Op::OpShiftRightArithmetic, c.u32(), {hi, c.c32(16)});
}

// The aligned uint32 word holding a 16-bit element, and the bit shift of the element in it.
struct HalfWord {
  Id word = 0;
  Id shift = 0;
};

// Address mode: `off` is the element's 64-bit byte address; the word is at addr & ~3 and the
// element is the upper half when bit 1 of the address is set.
// Binding mode: the word index is (base + off) / 2 where base is the parameter's element offset;
// bufferPtr adds base / 2 for a uint32 view, so the offset passed is (off + base % 2) / 2.
Result<HalfWord> halfWordOf(Context& c, int arg, bool wide, Id off) {
  auto& b = c.b;
  Id u = c.u32();
  if (c.addresses) {
    Id u64 = b.typeInt(64);
    Id word = b.emit(spv::Op::OpBitwiseAnd, u64, {off, b.constInt(u64, ~uint64_t{3})});
    Id half = b.emit(spv::Op::OpUConvert, u,
                     {b.emit(spv::Op::OpBitwiseAnd, u64, {off, b.constInt(u64, 2)})});
    auto p = c.bufferPtr(arg, ir::Type::i(32), word, true);
    if (!p.ok()) return p.status();
    return HalfWord{*p, b.emit(spv::Op::OpShiftLeftLogical, u, {half, c.c32(3)})};
  }
  const ir::Type& argPointee = *c.func.body().arg(arg)->type.elem;
  int argBits = argPointee.isInt() && argPointee.bits == 1 ? 8 : argPointee.bits;
  if (argBits < 16)
    return Status::error("16-bit atomic through a pointer to " + argPointee.str() +
                         " (the element's 32-bit word is unknown)");
  Id offT = wide ? b.typeInt(64) : u;
  Id idx = off;
  if (argBits == 16) {
    Id odd = b.emit(spv::Op::OpBitwiseAnd, u, {c.loadPush(c.params[arg].member), c.c32(1)});
    if (wide) odd = b.emit(spv::Op::OpUConvert, offT, {odd});
    idx = b.emit(spv::Op::OpIAdd, offT, {off, odd});
  }
  Id one = wide ? b.constInt(offT, 1) : c.c32(1);
  Id wordOff = b.emit(spv::Op::OpShiftRightLogical, offT, {idx, one});
  Id parity = b.emit(spv::Op::OpBitwiseAnd, offT, {idx, one});
  if (wide) parity = b.emit(spv::Op::OpUConvert, u, {parity});
  auto p = c.bufferPtr(arg, ir::Type::i(32), wordOff, wide);
  if (!p.ok()) return p.status();
  return HalfWord{*p, b.emit(spv::Op::OpShiftLeftLogical, u, {parity, c.c32(4)})};
}

// A 16-bit element through a CAS loop on the aligned uint32 word that contains it.
Result<Id> subWord(Context& c, const AtomicSpec& s, int arg, bool wide, const ir::Type& t,
                   Id off, const std::vector<Id>& vals) {
  auto& b = c.b;
  Id u = c.u32();
  auto hw = halfWordOf(c, arg, wide, off);
  if (!hw.ok()) return hw.status();
  Id shift = hw->shift;
  Id keep = b.emit(spv::Op::OpNot, u, {b.emit(spv::Op::OpShiftLeftLogical, u, {c.c32(0xffff), shift})});
  auto regT = c.regType(t);
  if (!regT.ok()) return regT;
  // Operand bits are computed once, outside the loop.
  Id cmpBits = 0, valBits = 0;
  if (s.kind == "cas") {
    auto cb = halfBits(c, t, vals[0]);
    if (!cb.ok()) return cb;
    auto vb = halfBits(c, t, vals[1]);
    if (!vb.ok()) return vb;
    cmpBits = *cb, valBits = *vb;
  }
  auto step = [&](Id word) -> Result<Id> {
    Id half = b.emit(spv::Op::OpBitwiseAnd, u,
                     {b.emit(spv::Op::OpShiftRightLogical, u, {word, shift}), c.c32(0xffff)});
    Id newHalf;
    if (s.kind == "cas") {
      Id eq = b.emit(spv::Op::OpIEqual, c.boolean(), {half, cmpBits});
      newHalf = b.emit(spv::Op::OpSelect, u, {eq, valBits, half});
    } else {
      auto old = halfValue(c, t, half);
      if (!old.ok()) return old;
      auto r = combine(c, s.kind, t, *regT, *old, vals[0]);
      if (!r.ok()) return r;
      auto nb = halfBits(c, t, *r);
      if (!nb.ok()) return nb;
      newHalf = *nb;
    }
    return b.emit(spv::Op::OpBitwiseOr, u,
                  {b.emit(spv::Op::OpBitwiseAnd, u, {word, keep}),
                   b.emit(spv::Op::OpShiftLeftLogical, u, {newHalf, shift})});
  };
  auto oldWord = casLoop(c, hw->word, u, s, step);
  if (!oldWord.ok()) return oldWord;
  Id oldHalf = b.emit(spv::Op::OpBitwiseAnd, u,
                      {b.emit(spv::Op::OpShiftRightLogical, u, {*oldWord, shift}), c.c32(0xffff)});
  return halfValue(c, t, oldHalf);
}

const std::map<std::string, spv::Op>& intOps() {
  static const std::map<std::string, spv::Op> kOps = {
      {"add", spv::Op::OpAtomicIAdd},   {"max", spv::Op::OpAtomicSMax},
      {"min", spv::Op::OpAtomicSMin},   {"umax", spv::Op::OpAtomicUMax},
      {"umin", spv::Op::OpAtomicUMin},  {"and", spv::Op::OpAtomicAnd},
      {"or", spv::Op::OpAtomicOr},      {"xor", spv::Op::OpAtomicXor},
      {"exch", spv::Op::OpAtomicExchange}};
  return kOps;
}

}  // namespace

Result<Id> atomicElement(Context& c, const AtomicSpec& s, int arg, bool wide,
                         const ir::Type& pointee, Id off, const std::vector<Id>& vals) {
  auto& b = c.b;
  const int bits = pointee.bits;
  if (bits == 16) return subWord(c, s, arg, wide, pointee, off, vals);
  if (bits != 32 && bits != 64)
    return Status::error("atomics on " + pointee.str() + " (16, 32 or 64 bits only)");
  if (bits == 64) {
    if (!c.opts.target.atomicInt64)
      return Status::error("64-bit atomics on " + pointee.str() +
                           " need shaderBufferInt64Atomics, which the target lacks");
    b.addCapability(spv::Capability::Int64Atomics);
    c.needFeature("atomicInt64");
  }
  const ir::Type it = ir::Type::i(bits);
  auto intT = c.regType(it);
  if (!intT.ok()) return intT;
  if (!pointee.isFloat()) {
    auto p = c.bufferPtr(arg, pointee, off, wide);
    if (!p.ok()) return p;
    if (s.kind == "cas")
      return b.emit(spv::Op::OpAtomicCompareExchange, *intT,
                    {*p, s.scope, s.sem, s.semUnequal, vals[1], vals[0]});
    auto op = intOps().find(s.kind);
    if (op == intOps().end() || s.kind == "fadd")
      return Status::error("atomic_rmw " + s.kind + " on " + pointee.str());
    return b.emit(op->second, *intT, {*p, s.scope, s.sem, vals[0]});
  }
  auto fT = c.regType(pointee);
  if (!fT.ok()) return fT;
  if (s.kind == "fadd" && bits == 32 && c.opts.target.atomicFloat32Add) {
    auto p = c.bufferPtr(arg, pointee, off, wide);
    if (!p.ok()) return p;
    c.needFeature("atomicFloat32Add");
    return b.emit(spv::Op::OpAtomicFAddEXT, *fT, {*p, s.scope, s.sem, vals[0]});
  }
  // Everything else on floats works on the integer view of the same element.
  auto p = c.bufferPtr(arg, it, off, wide);
  if (!p.ok()) return p;
  auto asInt = [&](Id v) { return b.emit(spv::Op::OpBitcast, *intT, {v}); };
  Id old;
  if (s.kind == "cas") {
    old = b.emit(spv::Op::OpAtomicCompareExchange, *intT,
                 {*p, s.scope, s.sem, s.semUnequal, asInt(vals[1]), asInt(vals[0])});
  } else if (s.kind == "exch") {
    old = b.emit(spv::Op::OpAtomicExchange, *intT, {*p, s.scope, s.sem, asInt(vals[0])});
  } else {
    auto w = casLoop(c, *p, *intT, s, [&](Id word) -> Result<Id> {
      Id f = b.emit(spv::Op::OpBitcast, *fT, {word});
      auto r = combine(c, s.kind, pointee, *fT, f, vals[0]);
      if (!r.ok()) return r;
      return asInt(*r);
    });
    if (!w.ok()) return w;
    old = *w;
  }
  return b.emit(spv::Op::OpBitcast, *fT, {old});
}

}  // namespace tvk::lower
