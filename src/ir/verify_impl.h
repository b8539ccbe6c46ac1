// Internal pieces of the verifier (verifier.h is the public entry): error helpers, type and
// attribute checks, and the per-op check table, filled by one function per op family
// (verify_elementwise.cc, verify_shapes.cc, verify_memory.cc, verify_control.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::ir::verify {

/// `verify: <op> at <file:line>: <msg>`.
Status err(const Operation& op, const std::string& msg);
/// Shape of a tensor type, empty for scalars.
std::vector<int64_t> shapeOf(const Type& t);
/// `(T, T, ...)`.
std::string typesStr(const std::vector<Type>& ts);
/// Operand count in [lo, hi].
Status needOperands(const Operation& op, size_t lo, size_t hi);
/// Exactly `n` results.
Status needResults(const Operation& op, size_t n);
/// Region `i` exists, has exactly one block, and that block ends with `term`.
Status needRegion(const Operation& op, size_t i, const std::string& term);
/// Integer attribute `name` is present (Int kind) and in [lo, hi]; its value goes to `out`.
Status needIntAttr(const Operation& op, const std::string& name, int64_t lo, int64_t hi, int64_t& out);
/// Keyword/String attribute `name`, when present, is one of `allowed`; `required` makes its
/// absence an error too.
Status needKeyword(const Operation& op, const std::string& name, const std::vector<std::string>& allowed,
                   bool required);
/// Types of the results, of a block's arguments (from `from`), of a terminator's operands.
std::vector<Type> resultTypes(const Operation& op);
std::vector<Type> argTypes(const Block& b, size_t from = 0);
std::vector<Type> termTypes(const Block& b);
/// Pointee of a (tensor of) pointer type with the pointer's shape, or None.
Type loadedType(const Type& p);
/// True for a scalar or tensor of `i1`.
bool isBool(const Type& t);

/// Why `t` cannot be the type of a value (empty when it can): integer widths 1/8/16/32/64,
/// known float types, tensors of rank 1..kMaxTensorRank with power-of-two dimensions and at
/// most kMaxTensorNumel elements of scalar or pointer type, pointers to such types.
std::string typeProblem(const Type& t);

/// A per-op check (operand/result types, attributes).
using Check = Status (*)(const Operation&);
/// Op name → its check.
using CheckTable = std::map<std::string, Check>;

/// arith/math/casts/compare/select/constants (verify_elementwise.cc).
void addElementwiseChecks(CheckTable& t);
/// make_range, splat, broadcast, expand_dims, reshape, trans, join, split, cat, gather,
/// histogram, unsplat, reduce, scan, dot (verify_shapes.cc).
void addShapeChecks(CheckTable& t);
/// addptr, load, store, atomics, block pointers, program ids (verify_memory.cc).
void addMemoryChecks(CheckTable& t);
/// func, return, scf.for/if/while/yield/condition, cf branches, call (verify_control.cc).
void addControlChecks(CheckTable& t);

}  // namespace tvk::ir::verify
