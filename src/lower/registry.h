// The per-op lowering registry. Each op family registers its lowerings in its own file
// (lower/elementwise.cc, lower/memory.cc, ...); an op without one is
// `unsupported: <op> at <file>:<line>`.
//
// Example (in lower/elementwise.cc):
//   registerElementwise(r, "arith.addf", [](Context& c, const ir::Operation& op,
//                                           const std::vector<Id>& a) -> Result<Id> {...});
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lower/context.h"

namespace tvk::lower {

/// Lowers a whole op (binds its results in the context).
using LowerFn = std::function<Status(Context&, const ir::Operation&)>;
/// Computes one element of an elementwise op from one id per operand.
using ScalarFn = std::function<Result<Id>(Context&, const ir::Operation&, const std::vector<Id>&)>;

/// All lowerings.
struct Registry {
  /// Whole-op lowerings by op name.
  std::map<std::string, LowerFn> ops;
  /// Per-element functions of elementwise ops by op name.
  std::map<std::string, ScalarFn> scalar;
};

/// Registers a whole-op lowering.
void registerLowering(Registry& r, const std::string& name, LowerFn fn);
/// Registers an elementwise op: its scalar function and the per-slot whole-op lowering.
void registerElementwise(Registry& r, const std::string& name, ScalarFn fn);

/// The register constant of scalar attribute `a` of IR type `t` (lower/elementwise.cc).
Result<Id> constantOf(Context& c, const ir::Attribute& a, const ir::Type& t);

/// Inlines the combine region of tt.reduce/tt.scan `op` for one pair of operand tuples
/// (lower/reduce.cc); returns the region's results.
Result<std::vector<Id>> inlineCombine(Context& c, const ir::Operation& op,
                                      const std::vector<Id>& lhs, const std::vector<Id>& rhs);

/// The registry with every family registered (built once).
const Registry& registry();

/// Family registration functions (one per lower/*.cc file).
void registerElementwiseOps(Registry& r);
/// Integer and conversion ops (lower/int_ops.cc).
void registerIntOps(Registry& r);
/// Math ops (lower/math_ops.cc).
void registerMathOps(Registry& r);
/// tt.extern_elementwise with CUDA libdevice symbols (lower/libdevice.cc).
void registerLibdeviceOps(Registry& r);
/// Loads and stores (lower/memory.cc).
void registerMemoryOps(Registry& r);
/// make_range, splat, expand_dims, reshape, broadcast, trans (lower/tensor_shape.cc).
void registerTensorShapeOps(Registry& r);
/// tt.reduce (lower/reduce.cc).
void registerReduceOps(Registry& r);
/// scf.for/while/if, terminators (lower/control_flow.cc).
void registerControlFlowOps(Registry& r);
/// Atomics (lower/atomics.cc).
void registerAtomicOps(Registry& r);
/// tt.scan (lower/scan.cc).
void registerScanOps(Registry& r);
/// tt.join/split/gather/histogram (lower/exchange.cc).
void registerExchangeOps(Registry& r);
/// tt.dot (lower/dot.cc).
void registerDotOps(Registry& r);
/// Program ids (lower/program_id.cc).
void registerProgramIdOps(Registry& r);
/// llvm.intr.assume, ub.poison (lower/hints.cc).
void registerHintOps(Registry& r);
/// tt.map_elementwise (lower/map_elementwise.cc).
void registerMapElementwiseOps(Registry& r);
/// tt.print, tt.assert (lower/debug_ops.cc).
void registerDebugOps(Registry& r);

}  // namespace tvk::lower
