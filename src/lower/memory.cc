// tt.addptr, tt.load, tt.store, tt.int_to_ptr and tt.ptr_to_int. Masked elements never touch
// memory: each slot's access sits in a structured selection on its mask (loads yield `other`
// instead). Stores run only in the owner of a replicated element, and scalar stores only in
// invocation 0. In address mode (Context::addresses) pointers are 64-bit byte addresses:
// tt.addptr adds offset × element size, accesses go through PhysicalStorageBuffer pointers,
// and pointers may be loaded, stored and converted to and from integers.
#include "lower/registry.h"

namespace tvk::lower {

namespace {

const analysis::PointerInfo* ptrInfo(Context& c, const ir::Value* v) {
  auto it = c.prov.ptrs.find(v);
  return it == c.prov.ptrs.end() ? nullptr : &it->second;
}


// The scalar element type a pointer value points to.
const ir::Type& pointeeOf(const ir::Value* ptr) { return *ptr->type.scalar().elem; }

const char* kRawAccess = "access through a tt.int_to_ptr address (a raw address has no buffer)";

Result<Id> addptr(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  auto pt = c.regTypeOf(op.operand(0));
  if (!t.ok()) return t;
  if (!pt.ok()) return pt;
  Id p = a[0], off = a[1];
  int offBits = op.operand(1)->type.scalar().bits;
  if (c.isAddress(op.operand(0))) {  // byte address + offset × element size
    if (offBits < 64) off = c.b.emit(spv::Op::OpSConvert, *t, {off});
    uint64_t bytes = static_cast<uint64_t>(Context::elementBytes(pointeeOf(op.result())));
    off = c.b.emit(spv::Op::OpIMul, *t, {off, c.b.constInt(*t, bytes)});
    return c.b.emit(spv::Op::OpIAdd, *t, {p, off});
  }
  if (*pt != *t) p = c.b.emit(spv::Op::OpSConvert, *t, {p});
  if (c.b.scalarBits(*t) == 64 && offBits < 64) off = c.b.emit(spv::Op::OpSConvert, *t, {off});
  if (c.b.scalarBits(*t) == 32 && offBits == 64) off = c.b.emit(spv::Op::OpUConvert, *t, {off});
  return c.b.emit(spv::Op::OpIAdd, *t, {p, off});
}

Status lowerLoad(Context& c, const ir::Operation& op) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* mask = op.numOperands() > 1 ? op.operand(1) : nullptr;
  const ir::Value* other = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  if (!pi) return c.unsupported(op, "pointer without provenance");
  if (pi->arg < 0 && !c.addresses) return c.unsupported(op, kRawAccess);
  if (pointeeOf(ptr).isPtr() && !c.addresses)
    return c.unsupported(op, "loading pointers (the target has no buffer device addresses)");
  const ir::Type& pointee = pointeeOf(ptr);
  auto rt = c.regTypeOf(op.result());
  if (!rt.ok()) return c.unsupported(op, rt.status().message());
  auto st = c.storageType(pointee);
  if (!st.ok()) return c.unsupported(op, st.status().message());
  std::vector<Id> out;
  uint32_t n = c.slots(op.result());
  for (uint32_t s = 0; s < n; ++s) {
    Id m = mask ? c.at(mask, s) : 0;
    Id otherId = other ? c.at(other, s) : c.b.constNull(*rt);
    Id off = c.at(ptr, s);
    auto v = c.ifValue(m, *rt, [&]() -> Result<Id> {
      auto p = c.bufferPtr(pi->arg, pointee, off, pi->wide);
      if (!p.ok()) return p;
      std::vector<Id> ops{*p};
      for (Id m : c.memoryOperands(pointee)) ops.push_back(m);
      Id raw = c.b.emit(spv::Op::OpLoad, *st, ops);
      return c.fromStorage(pointee, raw);
    }, otherId);
    if (!v.ok()) return c.unsupported(op, v.status().message());
    out.push_back(*v);
  }
  c.bind(op.result(), std::move(out));
  return Status();
}

Status lowerStore(Context& c, const ir::Operation& op) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* val = op.operand(1);
  const ir::Value* mask = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  if (!pi) return c.unsupported(op, "pointer without provenance");
  if (pi->arg < 0 && !c.addresses) return c.unsupported(op, kRawAccess);
  const ir::Type& pointee = pointeeOf(ptr);
  if (pointee.isPtr() && !c.addresses)
    return c.unsupported(op, "storing pointers (the target has no buffer device addresses)");
  auto st = c.storageType(pointee);
  if (!st.ok()) return c.unsupported(op, st.status().message());
  Id owner;
  if (ptr->type.isTensor()) {
    owner = c.ownerCond(ptr->type.shape);
  } else {
    owner = c.b.emit(spv::Op::OpIEqual, c.boolean(), {c.invocation(), c.c32(0)});
  }
  uint32_t n = c.slots(ptr);
  for (uint32_t s = 0; s < n; ++s) {
    Id cond = c.andCond(mask ? c.at(mask, s) : 0, owner);
    Id off = c.at(ptr, s), v = c.at(val, s);
    Status st2 = c.ifThen(cond, [&]() -> Status {
      auto p = c.bufferPtr(pi->arg, pointee, off, pi->wide);
      if (!p.ok()) return p.status();
      auto sv = c.toStorage(pointee, v);
      if (!sv.ok()) return sv.status();
      std::vector<Id> ops{*p, *sv};
      for (Id m : c.memoryOperands(pointee)) ops.push_back(m);
      c.b.emitVoid(spv::Op::OpStore, ops);
      return Status();
    });
    if (!st2.ok()) return c.unsupported(op, st2.message());
  }
  return Status();
}

// tt.int_to_ptr: the integer as a raw 64-bit address.
Result<Id> intToPtr(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  if (op.operand(0)->type.scalar().bits == 64) return a[0];
  return c.b.emit(spv::Op::OpUConvert, *t, {a[0]});
}

// tt.ptr_to_int: of addresses only (with bindings, an argument's buffer address is not visible).
Result<Id> ptrToInt(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  if (!c.isAddress(op.operand(0)))
    return c.unsupported(op, "of a kernel argument's pointer (its address is not visible to a "
                             "Vulkan kernel without buffer device addresses)");
  int bits = op.result()->type.scalar().bits;
  if (bits == 64) return a[0];
  Id v = c.b.emit(spv::Op::OpUConvert, c.u32(), {a[0]});
  if (bits >= 32) return v;
  return c.b.emit(spv::Op::OpBitFieldSExtract, c.u32(), {v, c.c32(0), c.c32(bits)});
}

}  // namespace

void registerMemoryOps(Registry& r) {
  registerElementwise(r, "tt.addptr", addptr);
  registerElementwise(r, "tt.int_to_ptr", intToPtr);
  registerElementwise(r, "tt.ptr_to_int", ptrToInt);
  registerLowering(r, "tt.load", lowerLoad);
  registerLowering(r, "tt.store", lowerStore);
}

}  // namespace tvk::lower
