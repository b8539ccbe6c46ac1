// The compiler's public entry: TTIR text in, validated SPIR-V words and a reflection record
// out (the option and result structs are in abi/compiled_kernel.h). The ordered pass list
// lives in compiler/pipeline.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "abi/compiled_kernel.h"
#include "support/status.h"
#include "target/target.h"

namespace tvk {

/// Compiles TTIR text for `options.target`.
Result<CompiledKernel> compileTTIR(const std::string& ttir, const CompileOptions& options);

/// Disassembles SPIR-V to text (for `tvk compile --asm`).
Result<std::string> disassembleSpirv(const std::vector<uint32_t>& words);

/// Validates SPIR-V for the target's Vulkan environment.
Status validateSpirv(const std::vector<uint32_t>& words, const Target& target);

/// Compiler version string, part of every cache key.
const char* compilerVersion();

}  // namespace tvk
