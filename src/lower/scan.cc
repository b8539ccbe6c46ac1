// tt.scan (inclusive, any combine region, any number of operands, any axis, reverse):
// Hillis–Steele steps with distances 1, 2, 4, ... < extent. Each step: barrier, owners write
// the current values to shared memory, barrier, every slot combines the element `d` before it
// along the axis (after it when reversed) with its own value: combine(partner, mine), which
// keeps the combine order of the sequential scan for associative, non-commutative regions.
#include "lower/registry.h"

namespace tvk::lower {

namespace {

Status lowerScan(Context& c, const ir::Operation& op) {
  const std::vector<int64_t>& shape = op.operand(0)->type.shape;
  int axis = static_cast<int>(op.intAttr("axis"));
  if (axis < 0 || axis >= static_cast<int>(shape.size())) return c.unsupported(op, "bad axis");
  const ir::Attribute* rev = op.attr("reverse");
  bool reverse = rev && rev->i != 0;
  size_t K = op.operands.size();
  uint32_t A = static_cast<uint32_t>(shape[axis]);
  uint32_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i)
    inner *= static_cast<uint32_t>(shape[i]);
  auto base = c.smemBase(op);
  if (!base.ok()) return base.status();
  std::vector<Id> regT;
  std::vector<uint32_t> words, opBase;
  uint32_t next = *base;
  for (const ir::Value* v : op.operands) {
    auto t = c.regTypeOf(v);
    if (!t.ok()) return t.status();
    regT.push_back(*t);
    words.push_back(c.b.scalarBits(*t) == 64 ? 2 : 1);
    opBase.push_back(next);
    next += static_cast<uint32_t>(v->type.numel()) * words.back();
  }
  uint32_t R = c.slots(op.operand(0));
  std::vector<std::vector<Id>> vals(R, std::vector<Id>(K));
  for (uint32_t s = 0; s < R; ++s)
    for (size_t k = 0; k < K; ++k) vals[s][k] = c.at(op.operand(k), s);
  auto& b = c.b;
  auto wordAt = [&](size_t k, Id lin) {
    Id w = words[k] == 1 ? lin : b.emit(spv::Op::OpIMul, c.u32(), {lin, c.c32(words[k])});
    return b.emit(spv::Op::OpIAdd, c.u32(), {w, c.c32(opBase[k])});
  };
  for (uint32_t d = 1; d < A; d *= 2) {
    c.barrier();
    TVK_RETURN_IF_ERROR(c.ifThen(c.ownerCond(shape), [&]() -> Status {
      for (uint32_t s = 0; s < R; ++s)
        for (size_t k = 0; k < K; ++k)
          TVK_RETURN_IF_ERROR(c.smemStore(wordAt(k, c.slotLinear(shape, s)), regT[k], vals[s][k]));
      return Status();
    }));
    c.barrier();
    for (uint32_t s = 0; s < R; ++s) {
      Id ka = c.slotCoords(shape, s)[axis];
      Id lin = c.slotLinear(shape, s);
      Id has, partner;
      if (!reverse) {
        has = b.emit(spv::Op::OpUGreaterThanEqual, c.boolean(), {ka, c.c32(d)});
        partner = b.emit(spv::Op::OpISub, c.u32(), {lin, c.c32(d * inner)});
      } else {
        has = b.emit(spv::Op::OpULessThan, c.boolean(), {ka, c.c32(A - d)});
        partner = b.emit(spv::Op::OpIAdd, c.u32(), {lin, c.c32(d * inner)});
      }
      partner = b.emit(spv::Op::OpSelect, c.u32(), {has, partner, lin});
      std::vector<Id> p;
      for (size_t k = 0; k < K; ++k) {
        auto v = c.smemLoad(wordAt(k, partner), regT[k]);
        if (!v.ok()) return v.status();
        p.push_back(*v);
      }
      auto r = inlineCombine(c, op, p, vals[s]);
      if (!r.ok()) return r.status();
      for (size_t k = 0; k < K; ++k)
        vals[s][k] = b.emit(spv::Op::OpSelect, regT[k], {has, (*r)[k], vals[s][k]});
    }
  }
  for (size_t k = 0; k < K; ++k) {
    std::vector<Id> out(R);
    for (uint32_t s = 0; s < R; ++s) out[s] = vals[s][k];
    c.bind(op.result(static_cast<int>(k)), std::move(out));
  }
  return Status();
}

}  // namespace

void registerScanOps(Registry& r) { registerLowering(r, "tt.scan", lowerScan); }

}  // namespace tvk::lower
