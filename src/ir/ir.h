// The compiler's own IR for Triton TTIR: types, values, attributes, operations, blocks,
// regions and modules. Parsed from TTIR text (parser/), printed back (ir/printer), verified
// (ir/verifier), analysed (analysis/) and lowered to SPIR-V (lower/).
//
// Example: `%x_5 = tt.load %x_4, %m_3 : tensor<1024x!tt.ptr<f32>> loc(#loc25)` becomes an
// Operation{name="tt.load", operands={%x_4, %m_3}, results={%x_5 : tensor<1024xf32>},
// loc={file="kernels.py", line=11, col=16, name="x"}}.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tvk::ir {

// ---------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------

/// Most elements of one tensor, as Triton caps them (TRITON_MAX_TENSOR_NUMEL); the parser and
/// the verifier reject larger tensor types.
constexpr int64_t kMaxTensorNumel = int64_t{1} << 20;
/// Most dimensions of one tensor type.
constexpr int kMaxTensorRank = 16;

/// A TTIR type: scalar (`i32`, `f16`, `bf16`, `f8E4M3FN`, `i1`, `index`), pointer
/// (`!tt.ptr<f32>` or `!tt.ptr<f32, 1>`), ranked tensor (`tensor<64x32xf16>`, elements may
/// be pointers), or an opaque type kept as text (`!tt.tensordesc<...>`, ...).
struct Type {
  /// What sort of type this is.
  enum class Kind { Int, Float, Index, Pointer, Tensor, Opaque, None };
  /// What sort of type this is.
  Kind kind = Kind::None;
  /// Bit width of Int/Float scalars (1 for i1, 16 for f16 and bf16, 8 for fp8...).
  int bits = 0;
  /// Exact scalar spelling for Int/Float (`f32`, `bf16`, `f8E4M3FN`, `f8E5M2`, `i1`...),
  /// the whole text for Opaque types.
  std::string name;
  /// Tensor shape (Tensor only).
  std::vector<int64_t> shape;
  /// Tensor element type or pointer pointee type (Tensor and Pointer only).
  std::shared_ptr<const Type> elem;
  /// Pointer address space (Pointer only; 1 = global, the default).
  int addressSpace = 1;

  /// `iN` scalar.
  static Type i(int bits);
  /// Float scalar by spelling (`f16`, `bf16`, `f32`, `f64`, `f8E4M3FN`, `f8E5M2`, ...).
  static Type f(const std::string& name);
  /// `!tt.ptr<pointee>`.
  static Type ptr(const Type& pointee, int addressSpace = 1);
  /// `tensor<shape x elem>`.
  static Type tensor(std::vector<int64_t> shape, const Type& elem);

  /// True for Int (including i1) and Index scalars.
  bool isInt() const { return kind == Kind::Int || kind == Kind::Index; }
  /// True for Float scalars.
  bool isFloat() const { return kind == Kind::Float; }
  /// True for a Pointer scalar.
  bool isPtr() const { return kind == Kind::Pointer; }
  /// True for a tensor.
  bool isTensor() const { return kind == Kind::Tensor; }
  /// The element type of a tensor, or the type itself for scalars.
  const Type& scalar() const { return isTensor() ? *elem : *this; }
  /// Number of elements (1 for scalars); saturates at INT64_MAX (never overflows) for shapes
  /// that did not come through the parser's or verifier's size checks.
  int64_t numel() const;
  /// Tensor rank (0 for scalars).
  int rank() const { return isTensor() ? static_cast<int>(shape.size()) : 0; }
  /// TTIR spelling, e.g. `tensor<1024x!tt.ptr<f32>>`.
  std::string str() const;
  /// Structural equality.
  bool operator==(const Type& o) const;
  /// Structural inequality.
  bool operator!=(const Type& o) const { return !(*this == o); }
};

// ---------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------

/// A resolved source location: the innermost file:line:col of an op, with the Python
/// variable name Triton attached (`loc("x"(#loc7))`) and the call-site chain flattened to the
/// outermost user frame (`callsite(callee at caller)` keeps `caller`'s file:line too).
struct Location {
  /// Source file ("kernels.py"), empty when unknown.
  std::string file;
  /// 1-based line, 0 when unknown.
  int line = 0;
  /// 1-based column, 0 when unknown.
  int col = 0;
  /// Name attached by `loc("name"(...))`, empty if none.
  std::string name;
  /// For call sites: the caller frame (the user's kernel line), else null.
  std::shared_ptr<const Location> caller;
  /// Where the user's code is: the outermost caller's `file:line` (or "unknown").
  std::string userStr() const;
  /// Round-trippable MLIR spelling without aliases, e.g. `loc("x"("kernels.py":11:16))`.
  std::string mlir() const;
};

// ---------------------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------------------

struct Attribute;
/// Ordered attribute dictionary (ordered by name when printed, as MLIR does).
using AttrDict = std::map<std::string, Attribute>;

/// An MLIR attribute value.
struct Attribute {
  /// What sort of attribute this is.
  enum class Kind {
    Unit,      ///< present, no value (`{noinline}` style)
    Bool,      ///< `true` / `false`
    Int,       ///< `16 : i32`
    Float,     ///< `1.0 : f32`, `0xFF800000 : f32`
    String,    ///< `"text"`
    Keyword,   ///< bare enum keyword from a custom form (`slt`, `acq_rel`, `fadd`, `rtne`)
    Array,     ///< `[1, 2]`, `array<i32: 1, 0>`
    Dense,     ///< `dense<...> : tensor<...>`
    TypeAttr,  ///< a type used as an attribute (`function_type`)
    Dict,      ///< `{a = 1}`
    Opaque     ///< anything else, kept as text
  };
  /// What sort of attribute this is.
  Kind kind = Kind::Unit;
  /// Int value (Int, Bool as 0/1).
  int64_t i = 0;
  /// Float value (Float).
  double f = 0.0;
  /// String/Keyword/Opaque text; for Float, the exact text as written when it was hex.
  std::string s;
  /// Type of Int/Float/Dense/TypeAttr attributes (may be None for Array elements).
  Type type;
  /// Array elements, or Dense elements (one element when the dense value is a splat).
  std::vector<Attribute> elems;
  /// Dict entries.
  std::shared_ptr<AttrDict> dict;
  /// For Array: the `array<i32: ...>` form instead of `[...]`.
  bool denseArray = false;

  /// Integer attribute with a type.
  static Attribute integer(int64_t v, const Type& t);
  /// Keyword attribute.
  static Attribute keyword(const std::string& k);
  /// True when this Dense attribute holds one value for all elements.
  bool isSplat() const { return kind == Kind::Dense && elems.size() == 1; }
  /// MLIR spelling.
  std::string str() const;
};

// ---------------------------------------------------------------------------------------
// Values, operations, blocks, regions
// ---------------------------------------------------------------------------------------

struct Operation;
struct Block;
struct Region;

/// An SSA value: an op result or a block argument.
struct Value {
  /// Name as printed without `%` (`x_5`, `acc#1` is printed from `acc:2` results, `arg3`).
  std::string name;
  /// Static type.
  Type type;
  /// Defining op (null for block arguments).
  Operation* def = nullptr;
  /// Owning block (block arguments only).
  Block* ownerBlock = nullptr;
  /// Result number or block-argument number.
  int index = 0;
  /// Location (block arguments carry their own `loc(...)`).
  Location loc;
};

/// A generic operation.
struct Operation {
  /// Full op name (`tt.load`, `arith.addf`, `scf.for`, `tt.func`...).
  std::string name;
  /// Operands in order (optional operands such as tt.load's mask/other simply absent).
  std::vector<Value*> operands;
  /// Results (owned).
  std::vector<std::unique_ptr<Value>> results;
  /// Attributes, including those written in custom syntax (`predicate` = Keyword `slt` for
  /// arith.cmpi, `sem`/`scope`/`atomic_rmw_op` for atomics, `axis` for reduce...). Names follow
  /// TritonOps.td / the MLIR dialect definitions.
  AttrDict attrs;
  /// Names of attributes that the generic form printed inside `<{...}>` (properties).
  std::vector<std::string> propertyNames;
  /// Nested regions (owned): scf.for body, tt.reduce combiner, tt.func body...
  std::vector<std::unique_ptr<Region>> regions;
  /// Successor blocks of branch terminators (`cf.br`, `cf.cond_br`), in order; the operands
  /// passed to them follow the op's own operands (`cf.cond_br`: [cond, true args..., false
  /// args...] with attribute `operandSegmentSizes` = array<i32: 1, nTrue, nFalse>).
  std::vector<Block*> successors;
  /// Source location.
  Location loc;
  /// `<file>:<line>` of the op in the TTIR text (set by the parser; named by errors when the
  /// op has no source location).
  std::string textPos;
  /// Containing block (null for top-level ops).
  Block* parentBlock = nullptr;
  /// tt.func only: per-argument attribute dictionaries (`{tt.divisibility = 16 : i32}`),
  /// one per entry-block argument; the function name is attribute `sym_name` (String),
  /// visibility `sym_visibility`, and the results' types in `resultTypes`.
  std::vector<AttrDict> argAttrs;
  /// tt.func only: declared result types (empty for kernels).
  std::vector<Type> resultTypes;

  /// Result `i`.
  Value* result(int i = 0) const { return results[i].get(); }
  /// Operand `i`.
  Value* operand(int i) const { return operands[i]; }
  /// Number of operands.
  int numOperands() const { return static_cast<int>(operands.size()); }
  /// Attribute lookup (null when absent).
  const Attribute* attr(const std::string& n) const;
  /// Integer attribute value or `dflt`.
  int64_t intAttr(const std::string& n, int64_t dflt = 0) const;
  /// Keyword/String attribute text or `dflt`.
  std::string strAttr(const std::string& n, const std::string& dflt = "") const;
  /// Region `i`'s single block.
  Block& body(int i = 0) const;
  /// `name at python-file:line` for error messages, e.g. `tt.dot at kernels.py:42` (the TTIR
  /// `file:line` when the op has no source location).
  std::string where() const;
};

/// A basic block: arguments and an op list (the last op is the terminator).
struct Block {
  /// Block arguments (owned).
  std::vector<std::unique_ptr<Value>> args;
  /// Operations (owned), in order.
  std::vector<std::unique_ptr<Operation>> ops;
  /// Containing region.
  Region* parentRegion = nullptr;
  /// Label as printed (`bb0`), empty for an unlabeled entry block.
  std::string label;

  /// Argument `i`.
  Value* arg(int i) const { return args[i].get(); }
  /// The terminator (last op), or null.
  Operation* terminator() const { return ops.empty() ? nullptr : ops.back().get(); }
};

/// A region: a list of blocks (TTIR kernels use one block per region).
struct Region {
  /// Blocks (owned).
  std::vector<std::unique_ptr<Block>> blocks;
  /// Op that owns this region.
  Operation* parentOp = nullptr;
};

/// A parsed TTIR module: its top-level ops (tt.func, ...) in order.
struct Module {
  /// Top-level operations (tt.func public @kernel ...).
  std::vector<std::unique_ptr<Operation>> ops;
  /// Module attributes (`module attributes {...}`), if any.
  AttrDict attrs;
  /// Location of the module op itself (`} loc(#loc)`).
  Location loc;
  /// The first public tt.func, or null.
  Operation* kernel() const;
};

/// An attribute-dictionary key as MLIR prints it (quoted unless a bare identifier).
std::string attrKey(const std::string& key);

/// The value of arith.constant `constant`: its `value` attribute, or a dense splat's one
/// element (a dense attribute that is not a splat comes back as is; null without `value`).
const Attribute* constantValue(const Operation& constant);

/// Kernel (tt.func) helper: the function name (`sym_name`).
std::string funcName(const Operation& func);

/// Index of `op` in its parent block's op list (the block's size when it is not there).
size_t indexInBlock(const Operation& op);

/// Appends a loop-carried value of type `t` to scf.for `forOp`: initial value `init`, a body
/// argument named `name` and a result named `name` + "r". Returns the body argument; the caller
/// appends the value the body's scf.yield hands to the next iteration.
Value* appendIterArg(Operation& forOp, const Type& t, Value* init, const std::string& name, const Location& loc);

/// Inserts a new op with one result (named `valueName`, of `type`, at `loc`) into `block`
/// before position `pos`, and advances `pos` past it. Used by the IR rewrites.
Value* insertOpWithResult(Block* block, size_t& pos, const std::string& name, std::vector<Value*> operands,
                          const Type& type, AttrDict attrs, const std::string& valueName, const Location& loc);

}  // namespace tvk::ir
