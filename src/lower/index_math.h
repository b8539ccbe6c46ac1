// Typed index arithmetic for the lowering: uint32 SPIR-V values with C++ operators, so that
// address and index computations read like the math they implement.
//
//   Index row = Index(b, q) >> log2RunsPerRow;      // OpShiftRightLogical
//   Index w = row * stride;                          // OpIMul
//   w = w + (Index(b, col) >> 1) + regionBase;       // OpIAdd, OpIAdd
//   Id inRange = w.lessThan(limit);                  // OpULessThan (bool)
//
// Every operator emits exactly one instruction at the builder's current point (no folding, so
// the SPIR-V is what the expression says); `times(k)`, `plus(k)` and `xorWith(k)` are the
// folding helpers (k = 1, 0, 0 emit nothing). Constants are uint32 literals. C++ leaves the order of the two operands of an
// operator unspecified, so an expression with two non-trivial operands may emit them in
// either order: the module means the same, but spell such steps out where the instruction
// order matters (a golden test).
#pragma once

#include <cstdint>

#include "spirv/module_builder.h"

namespace tvk::lower {

/// A uint32 SPIR-V value with arithmetic operators that emit into its builder.
class Index {
 public:
  Index(spirv::ModuleBuilder& b, spirv::Id id) : b_(&b), id_(id) {}
  /// A uint32 constant.
  static Index constant(spirv::ModuleBuilder& b, uint32_t v) { return Index(b, b.u32(v)); }

  spirv::Id id() const { return id_; }
  operator spirv::Id() const { return id_; }  // NOLINT: used where an Id is expected

  friend Index operator+(const Index& x, const Index& y) { return x.op(spv::Op::OpIAdd, y.id_); }
  friend Index operator+(const Index& x, uint32_t k) { return x.op(spv::Op::OpIAdd, x.b_->u32(k)); }
  friend Index operator-(const Index& x, const Index& y) { return x.op(spv::Op::OpISub, y.id_); }
  friend Index operator-(const Index& x, uint32_t k) { return x.op(spv::Op::OpISub, x.b_->u32(k)); }
  friend Index operator*(const Index& x, const Index& y) { return x.op(spv::Op::OpIMul, y.id_); }
  friend Index operator*(const Index& x, uint32_t k) { return x.op(spv::Op::OpIMul, x.b_->u32(k)); }
  friend Index operator/(const Index& x, uint32_t k) { return x.op(spv::Op::OpUDiv, x.b_->u32(k)); }
  friend Index operator%(const Index& x, uint32_t k) { return x.op(spv::Op::OpUMod, x.b_->u32(k)); }
  friend Index operator>>(const Index& x, uint32_t k) { return x.op(spv::Op::OpShiftRightLogical, x.b_->u32(k)); }
  friend Index operator<<(const Index& x, uint32_t k) { return x.op(spv::Op::OpShiftLeftLogical, x.b_->u32(k)); }
  friend Index operator&(const Index& x, uint32_t k) { return x.op(spv::Op::OpBitwiseAnd, x.b_->u32(k)); }
  friend Index operator|(const Index& x, const Index& y) { return x.op(spv::Op::OpBitwiseOr, y.id_); }
  friend Index operator^(const Index& x, const Index& y) { return x.op(spv::Op::OpBitwiseXor, y.id_); }
  friend Index operator^(const Index& x, uint32_t k) { return x.op(spv::Op::OpBitwiseXor, x.b_->u32(k)); }

  /// x * k, or x itself when k is 1 (no instruction).
  Index times(uint32_t k) const { return k == 1 ? *this : *this * k; }
  /// x + k, or x itself when k is 0 (no instruction).
  Index plus(uint32_t k) const { return k == 0 ? *this : *this + k; }
  /// x ^ k, or x itself when k is 0 (no instruction).
  Index xorWith(uint32_t k) const { return k == 0 ? *this : *this ^ k; }
  /// Bool: x < y (unsigned).
  spirv::Id lessThan(uint32_t k) const { return cmp(spv::Op::OpULessThan, b_->u32(k)); }
  spirv::Id lessThan(const Index& y) const { return cmp(spv::Op::OpULessThan, y.id_); }
  /// Bool: x == y.
  spirv::Id equals(uint32_t k) const { return cmp(spv::Op::OpIEqual, b_->u32(k)); }

 private:
  spirv::ModuleBuilder* b_;
  spirv::Id id_;
  Index op(spv::Op o, spirv::Id y) const { return Index(*b_, b_->emit(o, b_->typeInt(32), {id_, y})); }
  spirv::Id cmp(spv::Op o, spirv::Id y) const { return b_->emit(o, b_->typeBool(), {id_, y}); }
};

}  // namespace tvk::lower
