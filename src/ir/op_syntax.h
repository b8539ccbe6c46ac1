// The op registry shared by parser, printer, verifier and canonicalizer: for each op name,
// its custom syntax form and a few traits (elementwise, pure, terminator).
//
// Example: `arith.cmpi slt, %a, %b : tensor<8xi32>` is Form::Cmp with keywords {"predicate"};
// `tt.atomic_rmw fadd, acq_rel, gpu, %p, %v, %m : (...) -> T` is Form::KwFunctional with
// keywords {"atomic_rmw_op", "sem", "scope"}.
#pragma once

#include <string>
#include <vector>

namespace tvk::ir {

/// How an op is written in custom syntax.
enum class Form {
  Generic,        ///< always `"name"(%ops) <{props}> ({regions}) {attrs} : (T) -> T`
  SameType,       ///< `%a, %b [, k = kw]* attr-dict : T` (result T)
  Cmp,            ///< `pred, %a, %b : T` (result i1 of T's shape)
  Select,         ///< `%c, %a, %b : [Tc,] T`
  Cast,           ///< `%a : T1 to T2`
  AddPtr,         ///< `%p, %o attr-dict : Tp, To` (result Tp)
  Arrow,          ///< `%a [, %b]* [, k = kw]* [unit-kw]* attr-dict : T1 -> T2`
  Unsplat,        ///< `%t attr-dict : tensor<T>` (result: the element type)
  Constant,       ///< `attr-dict value`
  TypeOnly,       ///< `attr-dict : T` (tt.make_range, ub.poison)
  Axis,           ///< `x|y|z attr-dict : T` (axis attribute)
  Load,           ///< `%p [, %m [, %o]] [cacheModifier = k] [evictionPolicy = k] attr-dict : Tp`
  Store,          ///< `%p, %v [, %m] [cacheModifier = k] [evictionPolicy = k] attr-dict : Tp`
  KwFunctional,   ///< `kw, kw, %a, %b attr-dict : (T, T) -> T` (atomics, extern_elementwise)
  Dot,            ///< `%a, %b, %c [, inputPrecision = k] attr-dict : Ta * Tb -> Tc`
  DotScaled,      ///< `%a [scale %as], %b [scale %bs], %c lhs = k rhs = k attr-dict : Ta[, Ts] * Tb[, Ts] -> Tc`
  Call,           ///< `@callee(%a) attr-dict : (T) -> T`
  Func,           ///< tt.func header, arguments, body
  OperandsTypes,  ///< `[%a, %b] attr-dict [: T, T]` (returns, yields, llvm.intr.assume)
  Condition,      ///< `(%c) [%a : T]`
  For,            ///< scf.for
  If,             ///< scf.if
  While,          ///< scf.while
  MakeTensorPtr,  ///< `%base, [%s..], [%st..], [%o..] attr-dict : <tensor<..>>`
  Advance,        ///< `%p, [%o..] attr-dict : <tensor<..>>`
  Gather,         ///< `%src[%idx] attr-dict : (Ts, Ti) -> T`
  Print,          ///< `"prefix" attr-dict [: %a : T]`
  Assert,         ///< `%c, "msg" attr-dict : T`
  InlineAsm,      ///< `"asm" attr-dict [%a : T] -> T`
  Bare,           ///< `attr-dict` (gpu.barrier)
  MakeTensorDesc, ///< `%base, [%s..], [%st..] attr-dict : <T>, <tensor<..>>`
  DescLoad,       ///< `%d[%i..] attr-dict : Td -> T`
  DescStore,      ///< `[kw,] %d[%i..], %v attr-dict : Td, T`
  Branch,         ///< `^bb1[(%a : T)]` (cf.br)
  CondBranch,     ///< `%c, ^bb1[(%a : T)], ^bb2[(..)]` (cf.cond_br)
};

/// How many operands, results and regions an op has (checked by the verifier for every op,
/// whatever form it was written in); -1 as a maximum means any number.
struct Arity {
  /// Fewest operands.
  int minOperands = 0;
  /// Most operands (-1: any).
  int maxOperands = -1;
  /// Fewest results.
  int minResults = 0;
  /// Most results (-1: any).
  int maxResults = -1;
  /// Fewest regions.
  int minRegions = 0;
  /// Most regions.
  int maxRegions = 0;
};

/// Registry entry for one op.
struct OpSyntax {
  /// Custom syntax form.
  Form form = Form::Generic;
  /// Leading keywords stored as attributes, in order (`predicate`, `sem`, `scope`...).
  std::vector<std::string> keywords;
  /// `, name = keyword` attributes after the operands, with their printed names, in order
  /// (attribute name == printed name, e.g. `rounding`, `propagateNan`, `inputPrecision`).
  std::vector<std::string> namedKeywords;
  /// Unit keywords printed before the attr-dict (`allow_reorder`, `efficient_layout`).
  std::vector<std::string> unitKeywords;
  /// Number of results for forms that print one type for all of them (tt.split: 2).
  int numResults = 1;
  /// Elementwise op: all tensor operands and results share one shape.
  bool elementwise = false;
  /// No side effects: removable when unused.
  bool pure = false;
  /// Block terminator.
  bool terminator = false;
  /// Operand, result and region counts.
  Arity arity;
};

/// The registry entry for `name`, or null for ops with no custom form (generic only).
const OpSyntax* lookupOpSyntax(const std::string& name);

}  // namespace tvk::ir
