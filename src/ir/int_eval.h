// Exact evaluation of arith integer ops on constants at a given bit width, shared by constant
// folding (ir/canonicalize) and the access-bounds analysis (analysis/access_bounds).
#pragma once

#include <cstdint>
#include <string>

namespace tvk::ir {

/// Sign-extends `v` from `bits` (i1 stays 0/1).
int64_t wrapInt(int64_t v, int bits);
/// Unsigned view of `v` at `bits`.
uint64_t unsignedAt(int64_t v, int bits);
/// True for the binary integer ops evalIntBinary knows (`arith.addi`, `arith.shrui`, ...).
bool isIntBinary(const std::string& op);
/// Evaluates binary integer op `op` on `a`, `b` at width `bits` into `r` (not yet wrapped);
/// false for unknown ops and undefined cases (division by zero, oversized shifts).
bool evalIntBinary(const std::string& op, int64_t a, int64_t b, int bits, int64_t& r);
/// Evaluates an `arith.cmpi` predicate (`slt`, `uge`, ...); false for an unknown predicate.
bool evalCmpI(const std::string& pred, int64_t a, int64_t b, int bits, bool& r);

}  // namespace tvk::ir
