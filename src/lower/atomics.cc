// tt.atomic_rmw and tt.atomic_cas. Tensor atomics run per slot under mask AND ownership;
// scalar atomics run in invocation 0 and their result is broadcast through shared memory.
// Float add uses SPV_EXT_shader_atomic_float_add where the target has it, else a
// compare-and-swap loop on a uint32 view of the same binding.
#include "lower/registry.h"

namespace tvk::lower {

namespace {

constexpr uint32_t kUniformMemory = 0x40;

uint32_t scopeOf(const ir::Operation& op) {
  std::string s = op.strAttr("scope", "gpu");
  return s == "cta" ? 2u : 1u;  // Workgroup : Device (gpu, sys)
}

uint32_t semanticsOf(const ir::Operation& op) {
  std::string s = op.strAttr("sem", "acq_rel");
  if (s == "relaxed") return 0;
  if (s == "acquire") return 0x2 | kUniformMemory;
  if (s == "release") return 0x4 | kUniformMemory;
  return 0x8 | kUniformMemory;
}

const analysis::PointerInfo* ptrInfo(Context& c, const ir::Value* v) {
  auto it = c.prov.ptrs.find(v);
  return it == c.prov.ptrs.end() ? nullptr : &it->second;
}

// Float add through a compare-and-swap loop; returns the old value.
Result<Id> casFloatAdd(Context& c, int arg, Id off, bool wide, Id val, Id scope, Id sem) {
  auto& b = c.b;
  auto p = c.bufferPtr(arg, ir::Type::i(32), off, wide);
  if (!p.ok()) return p;
  Id u = c.u32();
  Id pre = b.currentBlock();
  Id header = b.newId(), bodyL = b.newId(), cont = b.newId(), merge = b.newId();
  Id nextExpected = b.newId();
  c.loopBudget.addLoop(kUnboundedTrips);  // retries until no other invocation interferes
  Id first = b.emit(spv::Op::OpAtomicLoad, u, {*p, scope, c.c32(0)});
  pre = b.currentBlock();
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(header);
  Id expected = b.emit(spv::Op::OpPhi, u, {first, pre, nextExpected, cont});
  b.emitVoid(spv::Op::OpLoopMerge, {merge, cont, 0});
  b.emitVoid(spv::Op::OpBranch, {bodyL});
  b.startBlock(bodyL);
  Id oldF = b.emit(spv::Op::OpBitcast, c.f32(), {expected});
  Id sum = b.emit(spv::Op::OpFAdd, c.f32(), {oldF, val});
  Id desired = b.emit(spv::Op::OpBitcast, u, {sum});
  Id got = b.emit(spv::Op::OpAtomicCompareExchange, u,
                  {*p, scope, sem, c.c32(0), desired, expected});
  Id done = b.emit(spv::Op::OpIEqual, c.boolean(), {got, expected});
  b.emitVoid(spv::Op::OpBranchConditional, {done, merge, cont});
  b.startBlock(cont);
  b.emitWithId(spv::Op::OpCopyObject, u, nextExpected, {got});
  b.emitVoid(spv::Op::OpBranch, {header});
  b.startBlock(merge);
  return b.emit(spv::Op::OpBitcast, c.f32(), {expected});
}

// One atomic on one element; returns the old value in register form.
Result<Id> atomicOne(Context& c, const ir::Operation& op, int arg, bool wide,
                     const ir::Type& pointee, Id off, const std::vector<Id>& vals) {
  auto& b = c.b;
  if (pointee.bits != 32) return Status::error("atomics on " + pointee.str() + " (only 32-bit)");
  Id scope = c.c32(scopeOf(op)), sem = c.c32(semanticsOf(op));
  auto st = c.storageType(pointee);
  if (!st.ok()) return st;
  if (op.name == "tt.atomic_cas") {
    uint32_t semU = semanticsOf(op);
    uint32_t unequal = (semU & 0x2) || (semU & 0x8) ? (0x2 | kUniformMemory) : 0;
    auto p = c.bufferPtr(arg, pointee, off, wide);
    if (!p.ok()) return p;
    if (pointee.isFloat()) return Status::error("atomic_cas on floats");
    return b.emit(spv::Op::OpAtomicCompareExchange, *st,
                  {*p, scope, sem, c.c32(unequal), vals[1], vals[0]});
  }
  std::string kind = op.strAttr("atomic_rmw_op");
  Id v = vals[0];
  if (kind == "fadd") {
    if (!pointee.isFloat()) return Status::error("fadd on integers");
    if (c.opts.target.atomicFloat32Add) {
      auto p = c.bufferPtr(arg, pointee, off, wide);
      if (!p.ok()) return p;
      c.needFeature("atomicFloat32Add");
      return b.emit(spv::Op::OpAtomicFAddEXT, *st, {*p, scope, sem, v});
    }
    return casFloatAdd(c, arg, off, wide, v, scope, sem);
  }
  static const std::map<std::string, spv::Op> kOps = {
      {"add", spv::Op::OpAtomicIAdd},   {"max", spv::Op::OpAtomicSMax},
      {"min", spv::Op::OpAtomicSMin},   {"umax", spv::Op::OpAtomicUMax},
      {"umin", spv::Op::OpAtomicUMin},  {"and", spv::Op::OpAtomicAnd},
      {"or", spv::Op::OpAtomicOr},      {"xor", spv::Op::OpAtomicXor},
      {"exch", spv::Op::OpAtomicExchange}};
  auto it = kOps.find(kind);
  if (it == kOps.end()) return Status::error("atomic_rmw " + kind);
  if (pointee.isFloat() && kind != "exch") return Status::error("atomic " + kind + " on floats");
  auto p = c.bufferPtr(arg, pointee, off, wide);
  if (!p.ok()) return p;
  return b.emit(it->second, *st, {*p, scope, sem, v});
}

Status lowerAtomic(Context& c, const ir::Operation& op) {
  bool isCas = op.name == "tt.atomic_cas";
  const ir::Value* ptr = op.operand(0);
  int nVals = isCas ? 2 : 1;
  const ir::Value* mask = !isCas && op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  if (!pi) return c.unsupported(op, "pointer without provenance");
  if (pi->arg < 0 && !c.addresses) return c.unsupported(op, "access through a tt.int_to_ptr address (a raw address has no buffer)");
  const ir::Type& pointee = *ptr->type.scalar().elem;
  const ir::Value* res = op.result();
  auto rt = c.regTypeOf(res);
  if (!rt.ok()) return c.unsupported(op, rt.status().message());
  bool tensor = ptr->type.isTensor();
  Id owner = tensor ? c.ownerCond(ptr->type.shape)
                    : c.b.emit(spv::Op::OpIEqual, c.boolean(), {c.invocation(), c.c32(0)});
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.slots(ptr); ++s) {
    Id cond = c.andCond(mask ? c.at(mask, s) : 0, owner);
    std::vector<Id> vals;
    for (int i = 0; i < nVals; ++i) vals.push_back(c.at(op.operand(1 + i), s));
    Id off = c.at(ptr, s);
    auto v = c.ifValue(cond, *rt, [&]() -> Result<Id> {
      return atomicOne(c, op, pi->arg, pi->wide, pointee, off, vals);
    }, c.b.constNull(*rt));
    if (!v.ok()) return c.unsupported(op, v.status().message());
    out.push_back(*v);
  }
  if (!tensor) {
    // Broadcast invocation 0's old value to everyone (only when the result is used).
    auto base = c.smemBase(op);
    if (!base.ok()) return base.status();
    c.barrier();
    TVK_RETURN_IF_ERROR(c.ifThen(owner, [&]() { return c.smemStore(c.c32(*base), *rt, out[0]); }));
    c.barrier();
    auto v = c.smemLoad(c.c32(*base), *rt);
    if (!v.ok()) return v.status();
    out = {*v};
  }
  c.bind(res, std::move(out));
  return Status();
}

}  // namespace

void registerAtomicOps(Registry& r) {
  registerLowering(r, "tt.atomic_rmw", lowerAtomic);
  registerLowering(r, "tt.atomic_cas", lowerAtomic);
}

}  // namespace tvk::lower
