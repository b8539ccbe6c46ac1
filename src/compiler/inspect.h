// Printable views of the compiler's intermediate results, for tests and `tvk opt`.
#pragma once

#include <string>

#include "compiler/compiler.h"

namespace tvk {

/// Parses, verifies and analyses `ttir`, then prints what `what` names: `ir` (the IR after
/// canonicalization), `provenance`, `axis-info`, `layouts`, `smem` (shared-memory plan),
/// `access-bounds` (largest element index per buffer), `loop-accumulators` (tt.dot
/// accumulators kept in cooperative-matrix fragments across loops), `dot-operands` (loads
/// that their cooperative-matrix tt.dot performs, analysis/dot_operands.h).
Result<std::string> inspectTTIR(const std::string& ttir, const CompileOptions& options,
                                const std::string& what);

}  // namespace tvk
