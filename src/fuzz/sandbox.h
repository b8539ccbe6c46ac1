// Runs one fuzz input in a forked child with a wall-clock and CPU alarm, so that a crash, an
// abort, a sanitizer report or a hang of the compiler is observed (and survived) by the driver.
//
// The child runs `body` and exits with its return value, which must be one of the
// ChildExit codes; any other exit (a signal, a sanitizer's exit code, an uncaught exception's
// abort) is a crash, and SIGALRM/SIGXCPU (the alarm) is a hang.
#pragma once

#include <functional>
#include <string>

namespace tvk::fuzz {

/// Exit codes that a child uses to report a normal verdict.
enum ChildExit : int {
  kExitCompiled = 70,  ///< compiled for every target, valid SPIR-V
  kExitRejected = 71,  ///< a clean error Status
  kExitInvalid = 72,   ///< compiled, but spirv-val rejects the module
};

/// What happened to one input.
enum class Outcome { Compiled, Rejected, InvalidSpirv, Crash, Hang };

/// Name of an outcome (`compiled`, `rejected`, `invalid-spirv`, `crash`, `hang`).
const char* outcomeName(Outcome o);

/// The outcome of one sandboxed run and what the child wrote to stdout/stderr (cut to
/// `maxLogBytes`).
struct SandboxResult {
  /// The verdict.
  Outcome outcome = Outcome::Crash;
  /// The child's output (sanitizer reports, messages).
  std::string log;
  /// How the child ended, in words (`exit 1`, `signal 11 (Segmentation fault)`).
  std::string how;
};

/// Limits of one sandboxed run.
struct SandboxLimits {
  /// Wall-clock and CPU seconds before the run counts as a hang.
  unsigned timeoutSeconds = 30;
  /// Address-space limit in MiB for builds without AddressSanitizer (0 = none); an allocation
  /// past it fails (std::bad_alloc → abort = crash), which catches runaway allocations.
  unsigned long memoryMiB = 4096;
  /// Most bytes of child output kept.
  size_t maxLogBytes = 16384;
};

/// Runs `body` in a forked child under `limits`.
SandboxResult runSandboxed(const std::function<int()>& body, const SandboxLimits& limits);

/// True when this build has AddressSanitizer (then no address-space limit is set).
bool builtWithAsan();

}  // namespace tvk::fuzz
