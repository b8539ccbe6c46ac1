// The op registry: one line per op. See op_syntax.h for the forms.
#include "ir/op_syntax.h"

#include <unordered_map>

namespace tvk::ir {
namespace {

/// Builders for registry lines.
OpSyntax elementwise(Form f) {
  OpSyntax s;
  s.form = f;
  s.elementwise = true;
  s.pure = true;
  return s;
}
OpSyntax pure(Form f) {
  OpSyntax s;
  s.form = f;
  s.pure = true;
  return s;
}
OpSyntax effect(Form f) {
  OpSyntax s;
  s.form = f;
  return s;
}
OpSyntax terminator(Form f) {
  OpSyntax s;
  s.form = f;
  s.terminator = true;
  return s;
}
OpSyntax with(OpSyntax s, std::vector<std::string> kws, std::vector<std::string> named = {},
              std::vector<std::string> units = {}) {
  s.keywords = std::move(kws);
  s.namedKeywords = std::move(named);
  s.unitKeywords = std::move(units);
  return s;
}
/// Sets the operand range [lo, hi] (hi -1: any), the result range and the region range.
OpSyntax arity(OpSyntax s, int lo, int hi, int resLo, int resHi, int regLo = 0, int regHi = 0) {
  s.arity = Arity{lo, hi, resLo, resHi, regLo, regHi};
  return s;
}
/// `n` operands and one result.
OpSyntax nary(OpSyntax s, int n) { return arity(std::move(s), n, n, 1, 1); }

/// Builds the table once.
std::unordered_map<std::string, OpSyntax> buildRegistry() {
  std::unordered_map<std::string, OpSyntax> r;
  // arith / math elementwise with one type: unary, binary and ternary.
  for (const char* n :
       {"arith.negf", "math.exp", "math.exp2", "math.log", "math.log2", "math.log10",
        "math.log1p", "math.expm1", "math.sin", "math.cos", "math.tan", "math.tanh", "math.sqrt",
        "math.rsqrt", "math.absf", "math.absi", "math.floor", "math.ceil", "math.erf",
        "math.round", "math.roundeven", "math.trunc", "math.atan", "math.ctlz", "math.cttz",
        "math.ctpop", "math.sinh", "math.cosh", "math.asin", "math.acos", "math.cbrt",
        "tt.precise_sqrt"})
    r[n] = nary(elementwise(Form::SameType), 1);
  for (const char* n :
       {"arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui", "arith.remsi",
        "arith.remui", "arith.andi", "arith.ori", "arith.xori", "arith.shli", "arith.shrui",
        "arith.shrsi", "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.remf",
        "arith.maxnumf", "arith.minnumf", "arith.maximumf", "arith.minimumf", "arith.maxsi",
        "arith.maxui", "arith.minsi", "arith.minui", "arith.ceildivsi", "arith.floordivsi",
        "arith.ceildivui", "arith.mulhisi", "arith.mulhiui", "math.copysign", "math.powf",
        "math.atan2", "math.fpowi", "math.ipowi", "tt.precise_divf", "tt.mulhiui"})
    r[n] = nary(elementwise(Form::SameType), 2);
  r["math.fma"] = nary(elementwise(Form::SameType), 3);
  r["tt.clampf"] = nary(with(elementwise(Form::SameType), {}, {"propagateNan"}), 3);
  r["arith.cmpi"] = nary(with(elementwise(Form::Cmp), {"predicate"}), 2);
  r["arith.cmpf"] = nary(with(elementwise(Form::Cmp), {"predicate"}), 2);
  r["arith.select"] = nary(elementwise(Form::Select), 3);
  for (const char* n :
       {"arith.extsi", "arith.extui", "arith.trunci", "arith.extf", "arith.truncf",
        "arith.sitofp", "arith.uitofp", "arith.fptosi", "arith.fptoui", "arith.bitcast",
        "arith.index_cast", "arith.index_castui"})
    r[n] = nary(elementwise(Form::Cast), 1);
  r["arith.constant"] = nary(pure(Form::Constant), 0);
  r["ub.poison"] = nary(pure(Form::TypeOnly), 0);
  r["tt.make_range"] = nary(pure(Form::TypeOnly), 0);
  r["tt.get_program_id"] = nary(pure(Form::Axis), 0);
  r["tt.get_num_programs"] = nary(pure(Form::Axis), 0);
  // tt shape / conversion ops with `: T1 -> T2`.
  for (const char* n : {"tt.splat", "tt.broadcast", "tt.expand_dims", "tt.trans"})
    r[n] = nary(pure(Form::Arrow), 1);
  for (const char* n : {"tt.join", "tt.cat"}) r[n] = nary(pure(Form::Arrow), 2);
  r["tt.histogram"] = arity(pure(Form::Arrow), 1, 2, 1, 1);
  r["tt.reshape"] = nary(with(pure(Form::Arrow), {}, {}, {"allow_reorder", "efficient_layout"}), 1);
  r["tt.unsplat"] = nary(pure(Form::Unsplat), 1);
  r["tt.split"] = arity(pure(Form::Arrow), 1, 1, 2, 2);
  r["tt.split"].numResults = 2;
  for (const char* n : {"tt.bitcast", "tt.int_to_ptr", "tt.ptr_to_int"})
    r[n] = nary(elementwise(Form::Arrow), 1);
  r["tt.fp_to_fp"] = nary(with(elementwise(Form::Arrow), {}, {"rounding"}), 1);
  r["tt.addptr"] = nary(elementwise(Form::AddPtr), 2);
  r["tt.load"] = arity(pure(Form::Load), 1, 3, 1, 1);
  r["tt.store"] = arity(effect(Form::Store), 2, 3, 0, 0);
  r["tt.atomic_rmw"] = arity(with(effect(Form::KwFunctional), {"atomic_rmw_op", "sem", "scope"}), 2, 3, 1, 1);
  r["tt.atomic_cas"] = nary(with(effect(Form::KwFunctional), {"sem", "scope"}), 3);
  r["tt.extern_elementwise"] = arity(pure(Form::KwFunctional), 0, -1, 1, 1);
  r["tt.dot"] = nary(with(pure(Form::Dot), {}, {"inputPrecision"}), 3);
  // Operands [a, b, c, a_scale?, b_scale?]; `operandSegmentSizes` says which scales are present.
  r["tt.dot_scaled"] = arity(pure(Form::DotScaled), 3, 5, 1, 1);
  r["tt.call"] = arity(effect(Form::Call), 0, -1, 0, -1);
  r["tt.func"] = arity(effect(Form::Func), 0, 0, 0, 0, 0, 1);
  for (const char* n : {"tt.return", "tt.reduce.return", "tt.scan.return", "tt.map_elementwise.return",
                        "scf.yield"})
    r[n] = arity(terminator(Form::OperandsTypes), 0, -1, 0, 0);
  r["scf.condition"] = arity(terminator(Form::Condition), 1, -1, 0, 0);
  r["llvm.intr.assume"] = arity(effect(Form::OperandsTypes), 1, 1, 0, 0);
  r["scf.for"] = arity(effect(Form::For), 3, -1, 0, -1, 1, 1);
  r["scf.if"] = arity(effect(Form::If), 1, 1, 0, -1, 1, 2);
  r["scf.while"] = arity(effect(Form::While), 0, -1, 0, -1, 2, 2);
  r["tt.make_tensor_ptr"] = arity(pure(Form::MakeTensorPtr), 1, -1, 1, 1);
  r["tt.advance"] = arity(pure(Form::Advance), 1, -1, 1, 1);
  r["tt.gather"] = nary(pure(Form::Gather), 2);
  r["tt.print"] = arity(effect(Form::Print), 0, -1, 0, 0);
  r["tt.assert"] = arity(effect(Form::Assert), 1, 1, 0, 0);
  r["tt.elementwise_inline_asm"] = arity(effect(Form::InlineAsm), 0, -1, 0, -1);
  r["gpu.barrier"] = arity(effect(Form::Bare), 0, 0, 0, 0);
  r["tt.make_tensor_descriptor"] = arity(pure(Form::MakeTensorDesc), 1, -1, 1, 1);
  r["tt.descriptor_load"] = arity(pure(Form::DescLoad), 1, -1, 1, 1);
  r["tt.descriptor_store"] = arity(effect(Form::DescStore), 2, -1, 0, 0);
  r["tt.descriptor_reduce"] = arity(with(effect(Form::DescStore), {"kind"}), 2, -1, 0, 0);
  r["cf.br"] = arity(terminator(Form::Branch), 0, -1, 0, 0);
  r["cf.cond_br"] = arity(terminator(Form::CondBranch), 1, -1, 0, 0);
  // Region ops printed in generic form.
  r["tt.reduce"] = arity(pure(Form::Generic), 1, -1, 1, -1, 1, 1);
  r["tt.scan"] = arity(pure(Form::Generic), 1, -1, 1, -1, 1, 1);
  r["tt.map_elementwise"] = arity(pure(Form::Generic), 0, -1, 0, -1, 1, 1);
  return r;
}

}  // namespace

const OpSyntax* lookupOpSyntax(const std::string& name) {
  static const std::unordered_map<std::string, OpSyntax> registry = buildRegistry();
  auto it = registry.find(name);
  return it == registry.end() ? nullptr : &it->second;
}

}  // namespace tvk::ir
