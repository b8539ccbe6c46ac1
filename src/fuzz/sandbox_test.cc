#include "fuzz/sandbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "fuzz/check.h"

namespace tvk::fuzz {
namespace {

TEST(Sandbox, ReportsVerdictsCrashesAndHangs) {
  SandboxLimits lim;
  lim.timeoutSeconds = 1;
  EXPECT_EQ(runSandboxed([] { return int{kExitCompiled}; }, lim).outcome, Outcome::Compiled);
  EXPECT_EQ(runSandboxed([] { return int{kExitRejected}; }, lim).outcome, Outcome::Rejected);
  EXPECT_EQ(runSandboxed([] { return int{kExitInvalid}; }, lim).outcome, Outcome::InvalidSpirv);
  SandboxResult other = runSandboxed([] { return 1; }, lim);  // a sanitizer's exit code
  EXPECT_EQ(other.outcome, Outcome::Crash);
  EXPECT_EQ(other.how, "exit 1");
  SandboxResult abrt = runSandboxed([] {
    std::fprintf(stderr, "about to abort\n");
    std::raise(SIGABRT);
    return 0;
  }, lim);
  EXPECT_EQ(abrt.outcome, Outcome::Crash);
  EXPECT_NE(abrt.log.find("about to abort"), std::string::npos);
  EXPECT_EQ(runSandboxed([] {
              for (;;) pause();
              return 0;
            }, lim).outcome,
            Outcome::Hang);
}

TEST(Check, ValidKernelCompilesAndGarbageIsRejected) {
  Result<Target> t = targetProfile("lavapipe");
  ASSERT_TRUE(t.ok());
  const char* kernel =
      "module {\n"
      "  tt.func public @k(%p: !tt.ptr<f32>) {\n"
      "    %0 = tt.make_range {end = 16 : i32, start = 0 : i32} : tensor<16xi32>\n"
      "    %1 = tt.splat %p : !tt.ptr<f32> -> tensor<16x!tt.ptr<f32>>\n"
      "    %2 = tt.addptr %1, %0 : tensor<16x!tt.ptr<f32>>, tensor<16xi32>\n"
      "    %3 = tt.load %2 : tensor<16x!tt.ptr<f32>>\n"
      "    tt.store %2, %3 : tensor<16x!tt.ptr<f32>>\n"
      "    tt.return\n"
      "  }\n"
      "}\n";
  EXPECT_EQ(checkInput(kernel, "k.ttir", {*t}, 4).exitCode, kExitCompiled);
  CheckResult bad = checkInput("module {\n  %0 = = =\n}\n", "g.ttir", {*t}, 4);
  EXPECT_EQ(bad.exitCode, kExitRejected);
  EXPECT_NE(bad.message.find("lavapipe: g.ttir:2"), std::string::npos) << bad.message;
}

}  // namespace
}  // namespace tvk::fuzz
