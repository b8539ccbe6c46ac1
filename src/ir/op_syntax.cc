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

/// Builds the table once.
std::unordered_map<std::string, OpSyntax> buildRegistry() {
  std::unordered_map<std::string, OpSyntax> r;
  // arith / math elementwise with one type.
  for (const char* n :
       {"arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui", "arith.remsi",
        "arith.remui", "arith.andi", "arith.ori", "arith.xori", "arith.shli", "arith.shrui",
        "arith.shrsi", "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.remf",
        "arith.maxnumf", "arith.minnumf", "arith.maximumf", "arith.minimumf", "arith.maxsi",
        "arith.maxui", "arith.minsi", "arith.minui", "arith.negf", "arith.ceildivsi",
        "arith.floordivsi", "arith.ceildivui", "arith.mulhisi", "arith.mulhiui",
        "math.exp", "math.exp2", "math.log", "math.log2", "math.log10", "math.log1p",
        "math.expm1", "math.sin", "math.cos", "math.tan", "math.tanh", "math.sqrt",
        "math.rsqrt", "math.absf", "math.absi", "math.floor", "math.ceil", "math.erf",
        "math.fma", "math.round", "math.roundeven", "math.trunc", "math.copysign",
        "math.powf", "math.atan", "math.atan2", "math.ctlz", "math.cttz", "math.ctpop",
        "math.sinh", "math.cosh", "math.asin", "math.acos", "math.cbrt", "math.fpowi",
        "math.ipowi", "tt.precise_sqrt", "tt.precise_divf", "tt.mulhiui"})
    r[n] = elementwise(Form::SameType);
  r["tt.clampf"] = with(elementwise(Form::SameType), {}, {"propagateNan"});
  r["arith.cmpi"] = with(elementwise(Form::Cmp), {"predicate"});
  r["arith.cmpf"] = with(elementwise(Form::Cmp), {"predicate"});
  r["arith.select"] = elementwise(Form::Select);
  for (const char* n :
       {"arith.extsi", "arith.extui", "arith.trunci", "arith.extf", "arith.truncf",
        "arith.sitofp", "arith.uitofp", "arith.fptosi", "arith.fptoui", "arith.bitcast",
        "arith.index_cast", "arith.index_castui"})
    r[n] = elementwise(Form::Cast);
  r["arith.constant"] = pure(Form::Constant);
  r["ub.poison"] = pure(Form::TypeOnly);
  r["tt.make_range"] = pure(Form::TypeOnly);
  r["tt.get_program_id"] = pure(Form::Axis);
  r["tt.get_num_programs"] = pure(Form::Axis);
  // tt shape / conversion ops with `: T1 -> T2`.
  for (const char* n : {"tt.splat", "tt.broadcast", "tt.expand_dims", "tt.trans", "tt.join",
                        "tt.cat", "tt.histogram"})
    r[n] = pure(Form::Arrow);
  r["tt.reshape"] = with(pure(Form::Arrow), {}, {}, {"allow_reorder", "efficient_layout"});
  r["tt.unsplat"] = pure(Form::Unsplat);
  r["tt.split"] = pure(Form::Arrow);
  r["tt.split"].numResults = 2;
  for (const char* n : {"tt.bitcast", "tt.int_to_ptr", "tt.ptr_to_int"})
    r[n] = elementwise(Form::Arrow);
  r["tt.fp_to_fp"] = with(elementwise(Form::Arrow), {}, {"rounding"});
  r["tt.addptr"] = elementwise(Form::AddPtr);
  r["tt.load"] = pure(Form::Load);
  r["tt.store"] = effect(Form::Store);
  r["tt.atomic_rmw"] = with(effect(Form::KwFunctional), {"atomic_rmw_op", "sem", "scope"});
  r["tt.atomic_cas"] = with(effect(Form::KwFunctional), {"sem", "scope"});
  r["tt.extern_elementwise"] = pure(Form::KwFunctional);
  r["tt.dot"] = with(pure(Form::Dot), {}, {"inputPrecision"});
  r["tt.call"] = effect(Form::Call);
  r["tt.func"] = effect(Form::Func);
  r["tt.return"] = terminator(Form::OperandsTypes);
  r["tt.reduce.return"] = terminator(Form::OperandsTypes);
  r["tt.scan.return"] = terminator(Form::OperandsTypes);
  r["tt.map_elementwise.return"] = terminator(Form::OperandsTypes);
  r["scf.yield"] = terminator(Form::OperandsTypes);
  r["scf.condition"] = terminator(Form::Condition);
  r["llvm.intr.assume"] = effect(Form::OperandsTypes);
  r["scf.for"] = effect(Form::For);
  r["scf.if"] = effect(Form::If);
  r["scf.while"] = effect(Form::While);
  r["tt.make_tensor_ptr"] = pure(Form::MakeTensorPtr);
  r["tt.advance"] = pure(Form::Advance);
  r["tt.gather"] = pure(Form::Gather);
  r["tt.print"] = effect(Form::Print);
  r["tt.assert"] = effect(Form::Assert);
  r["tt.elementwise_inline_asm"] = effect(Form::InlineAsm);
  r["gpu.barrier"] = effect(Form::Bare);
  r["tt.make_tensor_descriptor"] = pure(Form::MakeTensorDesc);
  r["tt.descriptor_load"] = pure(Form::DescLoad);
  r["tt.descriptor_store"] = effect(Form::DescStore);
  r["tt.descriptor_reduce"] = with(effect(Form::DescStore), {"kind"});
  r["cf.br"] = terminator(Form::Branch);
  r["cf.cond_br"] = terminator(Form::CondBranch);
  // Region ops printed in generic form.
  r["tt.reduce"] = pure(Form::Generic);
  r["tt.scan"] = pure(Form::Generic);
  r["tt.map_elementwise"] = pure(Form::Generic);
  return r;
}

}  // namespace

const OpSyntax* lookupOpSyntax(const std::string& name) {
  static const std::unordered_map<std::string, OpSyntax> registry = buildRegistry();
  auto it = registry.find(name);
  return it == registry.end() ? nullptr : &it->second;
}

}  // namespace tvk::ir
