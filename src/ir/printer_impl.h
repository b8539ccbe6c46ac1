// Internal state of the TTIR printer (printer.h is the public entry point): output buffer,
// SSA name assignment with uniquing, and helpers shared by the per-form print functions.
#pragma once

#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/ir.h"
#include "ir/op_syntax.h"

namespace tvk::ir {

/// Prints ops, regions and values.
class Printer {
 public:
  /// `withLocations` appends ` loc(...)` to ops and block arguments.
  explicit Printer(bool withLocations) : locs(withLocations) {}

  /// Prints `op` (results, body, location, newline) at `indent` spaces.
  void op(const Operation& o, int indent);
  /// Prints a region's blocks; `entryArgs` prints `^bb0(...)` for the entry block when it has
  /// arguments; `terminators` false elides an operand-less scf.yield.
  void region(const Region& r, int indent, bool entryArgs, bool terminators);
  /// Prints the generic form (after the results).
  void generic(const Operation& o, int indent);
  /// Gives a value its printed name (unique among visible names) and returns it.
  std::string define(const Value* v);
  /// Like define, with a wanted name other than the value's own.
  std::string defineAs(const Value* v, const std::string& want);
  /// Printed `%name` of a defined value.
  std::string ref(const Value* v);
  /// `%a, %b` for operands [from, to).
  std::string refs(const Operation& o, size_t from, size_t to);
  /// `%a, %b` for all operands.
  std::string refs(const Operation& o) { return refs(o, 0, o.operands.size()); }
  /// ` {a = 1, b}` for the attributes not in `skip` ("" when none).
  std::string attrDict(const Operation& o, const std::set<std::string>& skip = {});
  /// `T1, T2` of values.
  static std::string types(const std::vector<Value*>& vs, size_t from = 0);
  /// `(T1, T2) -> T` of an op's operands and results.
  static std::string functionalType(const Operation& o);
  /// `T` or `(T1, T2)` of a type list (`()` when empty).
  static std::string typeList(const std::vector<Type>& ts, bool parenSingle = false);
  /// ` loc(...)` or "".
  std::string loc(const Location& l) const { return locs ? " " + l.mlir() : ""; }
  /// `%name: T loc(..)` block-argument list entries joined by ", ".
  std::string argList(const Block& b, size_t from = 0);
  /// `@name` with quotes when needed.
  static std::string symbol(const std::string& name);

  /// Output text.
  std::string out;
  /// Whether locations are printed.
  bool locs;
  /// Names in use per open region, innermost last.
  std::vector<std::set<std::string>> scopes{1};
  /// Printed names of values.
  std::unordered_map<const Value*, std::string> names;
  /// Next number for fresh numeric names.
  int nextNumber = 0;
};

/// Prints the custom form of `o` (after results, before the location); false when `o` has no
/// custom printer (then the generic form is used).
bool printCustom(Printer& p, const Operation& o, const OpSyntax& syn, int indent);

}  // namespace tvk::ir
