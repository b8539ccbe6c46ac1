// TTIR text parser: reads the MLIR text that Triton 3.6 prints (`str(module)` with `#loc`
// aliases and inline `loc(...)`, or `mod.str_nodebug()` without locations) into an ir::Module.
//
// Example:
//   auto m = parseTTIR(text, "kernel.ttir");
//   if (!m.ok()) return m.status();   // "kernel.ttir:12: expected ':' ..."
#pragma once

#include <memory>
#include <string>

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::parser {

/// Parses TTIR text. `fileName` names the text in error messages. Custom op forms come from
/// the op-syntax registry (parser/op_syntax.h); unknown ops in generic form are accepted, an
/// unknown op in custom form gives `unsupported: <op> at <file>:<line>`.
Result<std::unique_ptr<ir::Module>> parseTTIR(const std::string& text,
                                              const std::string& fileName);

}  // namespace tvk::parser
