// The compiler's ABI with everything that uses its output: the options of a compilation and
// the compiled kernel (SPIR-V words and the reflection record, abi/reflection.h). A leaf of the
// layering (docs/architecture.md): lower/ and runtime/ include it, never compiler/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "abi/reflection.h"
#include "target/target.h"

namespace tvk {

/// Options of one compilation.
struct CompileOptions {
  /// Subgroups per workgroup (Triton's num_warps).
  int numWarps = 4;
  /// Most bytes one invocation moves per vector load or store (analysis/vector_width.h);
  /// 0 keeps one access per element.
  uint32_t maxVectorBytes = 16;
  /// Triton's num_stages: from 2 on, a cooperative-matrix tt.dot in a loop loads the next
  /// iteration's operand tiles while it multiplies (analysis/dot_prefetch.h). 3 is the CUDA
  /// backend's default.
  int numStages = 3;
  /// The device the code is for.
  Target target;
  /// Run spirv-val on the result (on by default; an invalid module is an error).
  bool validate = true;
  /// Print the IR after each pass to stderr.
  bool printAfterAll = false;
  /// Source file name used in error messages (`kernel.ttir`).
  std::string fileName = "<ttir>";
};

/// A compiled kernel.
struct CompiledKernel {
  /// SPIR-V binary.
  std::vector<uint32_t> spirv;
  /// What the launcher needs.
  Reflection reflection;
};

}  // namespace tvk
