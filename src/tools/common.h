// Helpers shared by the `tvk` subcommands.
#pragma once

#include <string>

#include "compiler/compiler.h"
#include "abi/reflection.h"
#include "support/status.h"
#include "target/target.h"
#include "tools/cli.h"

namespace tvk::tools {

/// Reads a whole file.
Result<std::string> readTextFile(const std::string& path);
/// The target from `--target PROFILE`, else from `--device N` (or the default device).
Result<Target> targetFromArgs(const CliArgs& args);
/// Compile options from `--target`/`--device` and `--num-warps` (default 4, must be positive);
/// `fileName` names the input in error messages.
Result<CompileOptions> compileOptionsFromArgs(const CliArgs& args, const std::string& fileName);
/// The reflection record as indented JSON.
std::string reflectionJson(const Reflection& reflection);
/// Prints "error: <message>" to stderr and returns exit code 1.
int fail(const std::string& message);

}  // namespace tvk::tools
