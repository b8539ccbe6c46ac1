// The fuzz oracle for one input: compile it for each target profile with the validator off,
// then run spirv-val on every module that compiled. A clean error Status is fine; a module
// that compiles but does not validate is a failure (the lowering emitted bad code).
#pragma once

#include <string>
#include <vector>

#include "target/target.h"

namespace tvk::fuzz {

/// The verdict on one input (crashes and hangs are seen by the sandbox, not here).
struct CheckResult {
  /// Which verdict; the ChildExit code of sandbox.h.
  int exitCode = 0;
  /// The error or validator message, `<profile>: ` first.
  std::string message;
};

/// Compiles `ttir` (as file `fileName`) for every target with `numWarps` and validates the
/// results: kExitCompiled when all compile and validate, kExitInvalid when one compiles but
/// does not validate, else kExitRejected (an error Status from the compiler).
CheckResult checkInput(const std::string& ttir, const std::string& fileName,
                       const std::vector<Target>& targets, int numWarps);

}  // namespace tvk::fuzz
