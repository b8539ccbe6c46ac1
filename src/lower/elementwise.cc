// Float arithmetic, comparisons, select and constants.
#include <cstring>

#include <spirv/unified1/GLSL.std.450.h>

#include "lower/dot_coopmat.h"
#include "lower/float_emit.h"
#include "lower/fp8.h"
#include "lower/registry.h"
#include "support/narrow_float.h"
#include "support/parse_int.h"

namespace tvk::lower {

namespace {

const ir::Type& resultScalar(const ir::Operation& op) { return op.result()->type.scalar(); }

// A binary float op, rounded to the result type.
ScalarFn floatBinary(spv::Op opcode) {
  return [opcode](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    return c.roundTo(resultScalar(op), c.b.emit(opcode, *t, {a[0], a[1]}));
  };
}

// A GLSL.std.450 float op with any number of operands, rounded to the result type.
ScalarFn floatGlsl(uint32_t inst) {
  return [inst](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    return c.roundTo(resultScalar(op), c.b.glsl(inst, *t, a));
  };
}

// maximumf/minimumf: NaN-propagating max/min.
ScalarFn nanPropagating(uint32_t inst) {
  return [inst](Context& c, const ir::Operation& op, const std::vector<Id>& a) -> Result<Id> {
    auto t = c.regTypeOf(op.result());
    if (!t.ok()) return t;
    Id r = c.b.glsl(inst, *t, a);
    Id nb = c.b.emit(spv::Op::OpIsNan, c.boolean(), {a[1]});
    r = c.b.emit(spv::Op::OpSelect, *t, {nb, a[1], r});
    Id na = c.b.emit(spv::Op::OpIsNan, c.boolean(), {a[0]});
    return c.b.emit(spv::Op::OpSelect, *t, {na, a[0], r});
  };
}

Result<Id> cmpf(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  static const std::map<std::string, spv::Op> kOps = {
      {"oeq", spv::Op::OpFOrdEqual},         {"ogt", spv::Op::OpFOrdGreaterThan},
      {"oge", spv::Op::OpFOrdGreaterThanEqual}, {"olt", spv::Op::OpFOrdLessThan},
      {"ole", spv::Op::OpFOrdLessThanEqual}, {"one", spv::Op::OpFOrdNotEqual},
      {"ueq", spv::Op::OpFUnordEqual},       {"ugt", spv::Op::OpFUnordGreaterThan},
      {"uge", spv::Op::OpFUnordGreaterThanEqual}, {"ult", spv::Op::OpFUnordLessThan},
      {"ule", spv::Op::OpFUnordLessThanEqual}, {"une", spv::Op::OpFUnordNotEqual}};
  std::string p = op.strAttr("predicate");
  Id bt = c.boolean();
  auto it = kOps.find(p);
  if (it != kOps.end()) return c.b.emit(it->second, bt, {a[0], a[1]});
  if (p == "ord" || p == "uno") {
    Id n0 = c.b.emit(spv::Op::OpIsNan, bt, {a[0]});
    Id n1 = c.b.emit(spv::Op::OpIsNan, bt, {a[1]});
    Id any = c.b.emit(spv::Op::OpLogicalOr, bt, {n0, n1});
    return p == "uno" ? any : c.b.emit(spv::Op::OpLogicalNot, bt, {any});
  }
  if (p == "true") return c.b.constBool(true);
  if (p == "false") return c.b.constBool(false);
  return c.unsupported(op, "cmpf predicate " + p);
}

Result<Id> select(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  return c.b.emit(spv::Op::OpSelect, *t, {a[0], a[1], a[2]});
}

Result<Id> negf(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  return c.b.emit(spv::Op::OpFNegate, *t, {a[0]});
}

// Whether every value of float type `from` is a value of `to` (fp8 in f16, bf16 and wider;
// 16-bit floats in f32 and f64; f32 in f64): such a conversion needs no rounding.
bool widensExactly(const ir::Type& from, const ir::Type& to) {
  if (from.bits == 8) return to.bits >= 16;
  return to.bits > from.bits && to.bits >= 32;
}

// extf/truncf and tt.fp_to_fp between float types: registers are f32 for narrow types.
Result<Id> fconvert(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  auto s = c.regTypeOf(op.operand(0));
  if (!t.ok()) return t;
  if (!s.ok()) return s;
  const ir::Type& rt = resultScalar(op);
  std::string rounding = op.strAttr("rounding", "rtne");
  if (rounding != "rtne") return c.unsupported(op, "rounding mode " + rounding);
  Id v = *t == *s ? a[0] : c.b.emit(spv::Op::OpFConvert, *t, {a[0]});
  if (widensExactly(op.operand(0)->type.scalar(), rt)) return v;
  // Rounded here even when the result is only stored: the store's OpFConvert to the 16-bit
  // storage type need not round to nearest even, and NVIDIA's does not (a bias that doubled
  // the error of fp16 partial sums in Triton's layer-norm tutorial); it is exact after this.
  return c.roundTo(rt, v);
}

// Decodes a float attribute (hex text is the bit pattern of the attribute's type).
Result<double> floatAttrValue(const ir::Attribute& a, const ir::Type& t) {
  if (a.s.size() > 2 && a.s[0] == '0' && (a.s[1] == 'x' || a.s[1] == 'X')) {
    uint64_t max = t.bits >= 64 ? UINT64_MAX : (uint64_t{1} << t.bits) - 1;
    Result<uint64_t> parsed = parseUint64(std::string_view(a.s).substr(2), max, 16);
    if (!parsed.ok()) return Status::error("float constant " + a.s + " of type " + t.str() + ": " + parsed.status().message());
    uint64_t bits = *parsed;
    if (t.bits == 64) {
      double d;
      std::memcpy(&d, &bits, 8);
      return d;
    }
    if (t.bits == 8) return fp8Value(t, static_cast<uint32_t>(bits));
    if (t.name == "bf16") return bf16BitsToFloat(static_cast<uint16_t>(bits));
    if (t.name == "f16") return halfBitsToFloat(static_cast<uint16_t>(bits));
    uint32_t f32bits = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &f32bits, 4);
    return static_cast<double>(f);
  }
  // Decimal: MLIR prints the shortest text that reads back as the narrow value; the register
  // holds that value (as f32), so round to the type (1/3 in bf16 is 0.333984375, not 0.3333).
  if (t.name == "bf16") return bf16BitsToFloat(floatToBf16Bits(static_cast<float>(a.f)));
  if (t.name == "f16") return halfBitsToFloat(floatToHalfBits(static_cast<float>(a.f)));
  return a.f;
}

}  // namespace

/// The register constant of scalar attribute `a` of IR type `t`.
Result<Id> constantOf(Context& c, const ir::Attribute& a, const ir::Type& t) {
  auto rt = c.regType(t);
  if (!rt.ok()) return rt;
  if (t.isInt()) {
    if (t.bits == 1) return c.b.constBool(a.kind == ir::Attribute::Kind::Bool ? a.i != 0 : (a.i & 1));
    uint64_t v = static_cast<uint64_t>(a.i);
    if (t.bits < 32) {  // sign-extend from the type's width (in unsigned arithmetic: no UB)
      uint64_t mask = (uint64_t{1} << t.bits) - 1;
      v &= mask;
      if (v >> (t.bits - 1)) v |= ~mask;
    }
    return c.b.constInt(*rt, v);
  }
  if (t.isFloat()) {
    // Registers hold fp8 values as exact f32 (lower/fp8.h); the attribute is the value itself
    // in decimal, or the 8-bit code in hex.
    if (t.bits == 8 && !isSupportedFp8(t)) return Status::error("constant of type " + t.str());
    Result<double> f = floatAttrValue(a, t);
    if (!f.ok()) return f.status();
    return c.b.constFloat(*rt, *f);
  }
  return Status::error("constant of type " + t.str());
}

namespace {

// A non-splat dense constant: a Private array initialized with the elements (booleans as
// 0/1 words); each slot loads its element by linear index.
Status lowerDenseConstant(Context& c, const ir::Operation& op, const ir::Attribute& v) {
  const ir::Value* res = op.result();
  const ir::Type& st = res->type.scalar();
  if (static_cast<int64_t>(v.elems.size()) != res->type.numel())
    return c.unsupported(op, "dense constant with " + std::to_string(v.elems.size()) + " elements");
  auto rt = c.regType(st);
  if (!rt.ok()) return rt.status();
  bool isBool = st.isInt() && st.bits == 1;
  Id elemT = isBool ? c.u32() : *rt;
  std::vector<Id> elems;
  for (const ir::Attribute& a : v.elems) {
    auto id = constantOf(c, a, st);
    if (!id.ok()) return c.unsupported(op, id.status().message());
    elems.push_back(isBool ? c.c32(a.i & 1) : *id);
  }
  auto& b = c.b;
  Id arrT = b.typeArray(elemT, static_cast<uint32_t>(elems.size()));
  Id var = b.globalVariable(b.typePointer(spv::StorageClass::Private, arrT),
                            spv::StorageClass::Private, b.constComposite(arrT, elems));
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.layouts.slots(res); ++s) {
    Id p = b.emit(spv::Op::OpAccessChain, b.typePointer(spv::StorageClass::Private, elemT),
                  {var, c.layouts.slotLinear(res->type.shape, s)});
    Id x = b.emit(spv::Op::OpLoad, elemT, {p});
    if (isBool) x = b.emit(spv::Op::OpINotEqual, c.boolean(), {x, c.c32(0)});
    out.push_back(x);
  }
  c.bind(res, std::move(out));
  return Status();
}

Status lowerConstant(Context& c, const ir::Operation& op) {
  const ir::Attribute* v = op.attr("value");
  const ir::Value* res = op.result();
  if (!v) return c.unsupported(op, "constant without value");
  const ir::Type& st = res->type.scalar();
  const ir::Attribute* scalar = v;
  if (v->kind == ir::Attribute::Kind::Dense) {
    if (!v->isSplat()) return lowerDenseConstant(c, op, *v);
    scalar = &v->elems[0];
  }
  auto id = constantOf(c, *scalar, st);
  if (!id.ok()) return c.unsupported(op, id.status().message());
  c.bind(res, std::vector<Id>(res->type.isTensor() ? c.layouts.slots(res) : 1, *id));
  return Status();
}
}  // namespace

void registerElementwiseOps(Registry& r) {
  registerLowering(r, "arith.constant", lowerConstant);
  registerElementwise(r, "arith.addf", floatBinary(spv::Op::OpFAdd));
  registerElementwise(r, "arith.subf", floatBinary(spv::Op::OpFSub));
  registerElementwise(r, "arith.mulf", floatBinary(spv::Op::OpFMul));
  registerElementwise(r, "arith.divf", floatBinary(spv::Op::OpFDiv));
  registerElementwise(r, "arith.remf", exactRemainder);
  registerElementwise(r, "arith.negf", negf);
  registerElementwise(r, "arith.maxnumf", floatGlsl(GLSLstd450NMax));
  registerElementwise(r, "arith.minnumf", floatGlsl(GLSLstd450NMin));
  registerElementwise(r, "arith.maximumf", nanPropagating(GLSLstd450NMax));
  registerElementwise(r, "arith.minimumf", nanPropagating(GLSLstd450NMin));
  registerElementwise(r, "arith.cmpf", cmpf);
  registerElementwise(r, "arith.select", select);
  registerElementwise(r, "arith.extf", fconvert);
  registerElementwise(r, "arith.truncf", fconvert);
  registerElementwise(r, "tt.fp_to_fp", fconvert);
  // The fp8 codes of a load its tt.dot performs, widened by the dot as it stages them.
  LowerFn perSlot = r.ops["tt.fp_to_fp"];
  registerLowering(r, "tt.fp_to_fp", [perSlot](Context& c, const ir::Operation& op) -> Status {
    auto widened = coopWidens(c, op);
    if (!widened.ok()) return widened.status();
    return *widened ? Status() : perSlot(c, op);
  });
}

}  // namespace tvk::lower
