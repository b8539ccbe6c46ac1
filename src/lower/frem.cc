// arith.remf: C's fmod, computed exactly in integer code.
//
// Triton lowers `%` on floats (also int % float, after converting the integer) to arith.remf
// = LLVM frem = fmod: the result is a - n*b with n = trunc(a/b) taken exactly, so it is exact,
// has the sign of a and |result| < |b|. SPIR-V's OpFRem has that meaning, but drivers compute
// it as a - b * trunc(a / b) in floating point (Mesa's NIR lowering; NVIDIA's driver likewise
// approximates): wrong by a whole |b| when a/b rounds up to an integer, and inexact once a/b
// needs more than the mantissa's bits. So the remainder is done on the operands' bits: the
// mantissas' long division, `step` quotient bits at a time, then the remainder scaled back.
#include <tuple>
#include <utility>

#include "lower/float_emit.h"

namespace tvk::lower {

Result<Id> exactRemainder(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto tr = c.regTypeOf(op.result());
  if (!tr.ok()) return tr;
  auto& b = c.b;
  const bool wide = b.scalarBits(*tr) == 64;
  Id ut = c.u32();
  if (wide) {
    auto it = c.regType(ir::Type::i(64));
    if (!it.ok()) return c.unsupported(op, "on f64 without 64-bit integers");
    ut = *it;
  }
  FloatEmit f{c, *tr, ut};
  using spv::Op;
  const uint32_t mb = wide ? 52 : 23;  // stored mantissa bits
  const uint64_t sign = 1ull << (wide ? 63 : 31), mag = sign - 1;
  const uint64_t inf = wide ? 0x7ff0000000000000ull : 0x7f800000ull;
  const uint64_t frac = (1ull << mb) - 1, implicit = 1ull << mb;
  const uint64_t biasMb = wide ? 1075 : 150;  // exponent bias + mb
  Id bt = c.boolean();

  Id ua = f.bits(a[0]), ub = f.bits(a[1]);
  Id sa = f.i(Op::OpBitwiseAnd, {ua, f.ku(sign)});
  Id ax = f.i(Op::OpBitwiseAnd, {ua, f.ku(mag)}), bx = f.i(Op::OpBitwiseAnd, {ub, f.ku(mag)});
  // NaN for b = 0, a = ±inf and NaN operands; a itself when |a| < |b| (b = ±inf included).
  Id nan = f.lor(b.emit(Op::OpIEqual, bt, {bx, f.ku(0)}),
                 b.emit(Op::OpUGreaterThanEqual, bt, {ax, f.ku(inf)}));
  nan = f.lor(nan, b.emit(Op::OpUGreaterThan, bt, {bx, f.ku(inf)}));
  Id keep = b.emit(Op::OpULessThan, bt, {ax, bx});
  Id trivial = f.lor(nan, keep);

  // Exponent fields (a subnormal counts as exponent 1 without the implicit bit) and mantissas:
  // |x| = m × 2^(e - biasMb).
  auto split = [&](Id x, Id& e, Id& m) {
    Id field = f.i(Op::OpShiftRightLogical, {x, f.ku(mb)});
    Id normal = b.emit(Op::OpINotEqual, bt, {field, f.ku(0)});
    m = f.i(Op::OpBitwiseOr, {f.i(Op::OpBitwiseAnd, {x, f.ku(frac)}),
                              f.sel(normal, f.ku(implicit), f.ku(0), ut)});
    e = f.sel(normal, field, f.ku(1), ut);
  };
  Id ea, ma, eb, mbits;
  split(ax, ea, ma);
  split(bx, eb, mbits);
  mbits = f.sel(trivial, f.ku(1), mbits, ut);  // no remainder by zero on the trivial paths
  // |a| >= |b| gives ea >= eb: r = (ma × 2^d) mod mb with d = ea - eb, `step` bits at a time in
  // integers of type `rt` (remainders are < 2^(mb+1), so r << step fits).
  Id d = f.i(Op::OpISub, {ea, eb});
  if (wide) d = b.emit(Op::OpUConvert, c.u32(), {d});
  d = f.sel(trivial, c.c32(0), d, c.u32());
  Id rt = ut;
  uint32_t step = wide ? 11 : 8;
  if (!wide) {
    if (auto i64 = c.regType(ir::Type::i(64)); i64.ok()) {
      rt = *i64;
      step = 40;
    }
  }
  Id ma64 = rt == ut ? ma : b.emit(Op::OpUConvert, rt, {ma});
  Id mb64 = rt == ut ? mbits : b.emit(Op::OpUConvert, rt, {mbits});
  auto reduce = [&](Id r, Id dd) -> std::pair<Id, Id> {
    Id few = b.emit(Op::OpULessThan, bt, {dd, c.c32(step)});
    Id s = f.sel(few, dd, c.c32(step), c.u32());
    r = b.emit(Op::OpUMod, rt, {b.emit(Op::OpShiftLeftLogical, rt, {r, s}), mb64});
    return {r, b.emit(Op::OpISub, c.u32(), {dd, s})};
  };
  Id r;
  if (wide) {
    // f64: up to 2098 quotient bits, one loop per element.
    Id count = b.emit(Op::OpUDiv, c.u32(),
                      {b.emit(Op::OpIAdd, c.u32(), {d, c.c32(step - 1)}), c.c32(step)});
    const uint32_t maxCount = (2098 + step - 1) / step;
    auto loop = c.flow.countedCarryDynamic(count, maxCount, {rt, c.u32()}, {b.emit(Op::OpUMod, rt, {ma64, mb64}), d},
                               [&](Id, const std::vector<Id>& v) -> Result<std::vector<Id>> {
                                 auto [r1, d1] = reduce(v[0], v[1]);
                                 return std::vector<Id>{r1, d1};
                               });
    if (!loop.ok()) return loop.status();
    r = (*loop)[0];
  } else {
    // f32: at most 253 quotient bits, straight-line steps (no loop: lavapipe's LLVM takes
    // seconds over one loop per register slot); the steps after the first only run for
    // quotients of more than `step` bits.
    auto [r1, d1] = reduce(b.emit(Op::OpUMod, rt, {ma64, mb64}), d);
    const uint32_t maxSteps = (253 + step - 1) / step;
    Id more = b.emit(Op::OpUGreaterThan, bt, {d1, c.c32(0)});
    auto rest = c.flow.ifValue(more, rt, [&, r1 = r1, d1 = d1]() -> Result<Id> {
      Id rr = r1, dd = d1;
      for (uint32_t k = 1; k < maxSteps; ++k) std::tie(rr, dd) = reduce(rr, dd);
      return rr;
    }, r1);
    if (!rest.ok()) return rest.status();
    r = rt == ut ? *rest : b.emit(Op::OpUConvert, ut, {*rest});
  }

  // r × 2^(eb - biasMb), exact. float(r) is exact (r < 2^(mb+1)); a normal result is float(r)
  // with eb - biasMb added to its exponent field, a subnormal one is r shifted into place.
  Id rb = f.bits(b.emit(Op::OpConvertUToF, *tr, {r}));
  Id expSum = f.i(Op::OpIAdd, {f.i(Op::OpShiftRightLogical, {rb, f.ku(mb)}), eb});
  Id zero = b.emit(Op::OpIEqual, bt, {r, f.ku(0)});
  Id subnormal = f.lor(zero, b.emit(Op::OpULessThanEqual, bt, {expSum, f.ku(biasMb)}));
  Id normalBits = f.i(Op::OpIAdd, {rb, f.i(Op::OpShiftLeftLogical,
                                           {f.i(Op::OpISub, {eb, f.ku(biasMb)}), f.ku(mb)})});
  Id subBits = f.i(Op::OpShiftLeftLogical, {r, f.i(Op::OpISub, {eb, f.ku(1)})});
  subBits = f.sel(zero, f.ku(0), subBits, ut);
  Id res = f.i(Op::OpBitwiseOr, {f.sel(subnormal, subBits, normalBits, ut), sa});
  Id out = f.sel(keep, a[0], f.fromBits(res));
  Id qnan = b.constFloatBits(*tr, wide ? 0x7ff8000000000000ull : 0x7fc00000ull);
  return c.roundTo(op.result()->type.scalar(), f.sel(nan, qnan, out));
}

}  // namespace tvk::lower
