// Internal state of the TTIR parser (parser.h is the public entry point): a cursor over the
// text, the location-alias table, SSA scopes, and one parse function per grammar piece.
// Every parse function returns false after recording the first error (no exceptions).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/ir.h"
#include "ir/op_syntax.h"
#include "support/status.h"

namespace tvk::parser {

/// Recursive-descent parser over TTIR text.
class Parser {
 public:
  /// Prepares to parse `text`; `fileName` is used in error messages.
  Parser(const std::string& text, const std::string& fileName);
  /// Parses the whole text into a module.
  Result<std::unique_ptr<ir::Module>> run();

  // ----- cursor (parser.cc) -----
  /// Skips spaces, newlines and `//` comments.
  void skipWs();
  /// True at end of text (after skipping whitespace).
  bool atEnd();
  /// The next non-space character, or 0 at the end.
  char peek();
  /// Consumes `s` if the text continues with it (after whitespace).
  bool tryConsume(const char* s);
  /// Consumes the identifier `word` if it is next (whole word only).
  bool tryKeyword(const char* word);
  /// Like tryConsume, but records an error when `s` is absent.
  bool expect(const char* s);
  /// Reads a bare identifier (`[A-Za-z_][A-Za-z0-9_.$]*`).
  bool parseIdent(std::string& out);
  /// Reads a quoted string with MLIR escapes.
  bool parseString(std::string& out);
  /// Reads a signed decimal integer.
  bool parseInt(int64_t& out);
  /// Reads `@name` or `@"name"`.
  bool parseSymbol(std::string& out);
  /// Records an error at the current line and returns false.
  bool fail(const std::string& msg);
  /// 1-based line of text offset `p`.
  int lineOf(size_t p) const;

  // ----- types and attributes (types_attrs.cc) -----
  /// Parses a type.
  bool parseType(ir::Type& t);
  /// Parses `T` or `(T, T, ...)` (also `()`).
  bool parseTypeList(std::vector<ir::Type>& out);
  /// Parses `T, T, ...` (at least one).
  bool parseBareTypeList(std::vector<ir::Type>& out);
  /// Parses `(T, ...) -> T` or `(T, ...) -> (T, ...)`.
  bool parseFunctionalType(std::vector<ir::Type>& ins, std::vector<ir::Type>& outs);
  /// Parses `<T>`, the elided `!tt.ptr<T>` of tt ops' custom forms.
  bool parseAngleType(ir::Type& t);
  /// Parses one attribute value.
  bool parseAttr(ir::Attribute& a);
  /// Parses `{name = value, unitname, ...}`.
  bool parseAttrDict(ir::AttrDict& d);
  /// Parses an attr-dict when the next character is `{` (and not a region).
  bool parseOptionalAttrDict(ir::AttrDict& d);
  /// Skips a balanced `<...>` and returns its text (including the brackets).
  bool parseAngleText(std::string& out);

  // ----- locations (locations.cc) -----
  /// Records `#name = loc(...)` alias positions before parsing.
  void scanAliases();
  /// Parses an optional trailing `loc(...)`.
  bool parseOptionalLoc(ir::Location& l);
  /// Parses a location body (inside `loc(...)`).
  bool parseLocBody(ir::Location& l, int depth);
  /// Resolves alias `#name`.
  bool resolveAlias(const std::string& name, ir::Location& l, int depth);
  /// Best-effort location of the op on the current line (for `unsupported` errors).
  std::string lineUserLoc();

  // ----- values, ops and regions (ops.cc) -----
  /// Parses `%name` or `%name#N` and looks it up.
  bool parseOperand(ir::Value*& v);
  /// Parses `%a, %b, ...` (at least one when `required`).
  bool parseOperandList(std::vector<ir::Value*>& out, bool required = true);
  /// Parses operands, then `, key = keyword` pairs, into op.
  bool parseOperandsAndNamed(ir::Operation& op);
  /// Parses one operation and appends it to `blk`.
  bool parseOp(ir::Block& blk);
  /// Parses the generic op form after the name.
  bool parseGeneric(ir::Operation& op, std::vector<ir::Type>& results);
  /// Parses `{ ... }` into `r`; `entryArgs` (may be empty) become the entry block's arguments
  /// unless the region starts with a labelled block.
  bool parseRegion(ir::Region& r, std::vector<std::unique_ptr<ir::Value>> entryArgs,
                   bool isolated = false);
  /// Parses `^bb0(%a: T loc(..), ...):` block-argument lists.
  bool parseBlockArgs(std::vector<std::unique_ptr<ir::Value>>& args);
  /// Makes a value with the given name and type (block argument style).
  std::unique_ptr<ir::Value> makeArg(const std::string& name, const ir::Type& t);
  /// Defines `%name` in the innermost scope.
  bool define(ir::Value* v);
  /// The block labelled `label` in the innermost region (created ahead for forward uses).
  ir::Block* blockRef(const std::string& label);
  /// Parses a successor `^bb1` or `^bb1(%a, %b : T, T)`: appends it and its operands to
  /// `op`; `count` receives the number of operands passed.
  bool parseSuccessor(ir::Operation& op, int& count);
  /// Adds an implicit `scf.yield` when `r`'s block has no terminator.
  void ensureYield(ir::Region& r, const ir::Location& loc);

  // ----- custom forms (forms.cc) -----
  /// Parses the custom form of `op` (after its name) and fills the result types.
  bool parseCustom(ir::Operation& op, const ir::OpSyntax& syn, std::vector<ir::Type>& results,
                   const std::vector<std::string>& resultNames);

  /// The source text.
  const std::string& text;
  /// File name for messages.
  std::string file;
  /// Current offset.
  size_t pos = 0;
  /// Offsets where lines start.
  std::vector<size_t> lineStarts;
  /// First error, if any.
  std::string error;
  /// Alias name (`#loc12`) → offset of its value (`loc(...)`).
  std::unordered_map<std::string, size_t> aliasPos;
  /// Resolved aliases.
  std::unordered_map<std::string, ir::Location> aliasCache;
  /// Aliases being resolved (cycle detection).
  std::set<std::string> resolving;
  /// SSA name scopes, innermost last.
  std::vector<std::unordered_map<std::string, ir::Value*>> scopes;
  /// Index of the first scope visible from the innermost (isolated regions).
  std::vector<size_t> visibleFrom;
  /// Block labels of each open region (innermost last).
  std::vector<std::unordered_map<std::string, ir::Block*>> blockLabels;
  /// Blocks referenced by a branch before their label was seen, per open region.
  std::vector<std::unordered_map<std::string, std::unique_ptr<ir::Block>>> pendingBlocks;
  /// Region nesting depth (guards against runaway recursion on garbage).
  int depth = 0;
  /// Type nesting depth.
  int typeDepth = 0;
  /// Attribute nesting depth.
  int attrDepth = 0;
};

/// Arguments of a custom-form parser function.
struct Ctx {
  Parser& p;                              ///< the parser
  ir::Operation& op;                      ///< op being filled
  const ir::OpSyntax& syn;                ///< its registry entry
  std::vector<ir::Type>& results;         ///< result types to fill
  const std::vector<std::string>& names;  ///< result names
};

/// tt.func: `[visibility] @name(%a: T {attrs} loc(..), ...) [-> T] [attributes {..}] {body}`.
bool funcForm(Ctx& c);
/// scf.for: `%iv = %lb to %ub step %s [iter_args(%a = %i, ..) -> (T, ..)] [: T] {body} [attrs]`.
bool forForm(Ctx& c);
/// scf.if: `%c [-> (T, ..)] {then} [else {else}] [attrs]`.
bool ifForm(Ctx& c);
/// scf.while: `[(%a = %i, ..)] : (T..) -> (T..) {before} do {after} [attrs]`.
bool whileForm(Ctx& c);

/// Identifier characters after the first (`[A-Za-z0-9_.$]`).
inline bool identChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '$';
}

/// Reads the name after `%` or `^` (letters, digits, `_`, `$`, `.`, `-`); "" if none.
std::string readValueName(Parser& p);

/// Result type of `tt.load` from its pointer type (tensor of pointers, block pointer, pointer).
ir::Type pointeeType(const ir::Type& ptrType);
/// `i1` with `like`'s shape.
ir::Type boolLike(const ir::Type& like);

}  // namespace tvk::parser
