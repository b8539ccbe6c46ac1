// Inliner tests: .source.ttir files lose every tt.call and still verify and round-trip.
#include "ir/inline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ir/canonicalize.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::string readCase(const std::string& name) {
  std::ifstream f(std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int countCalls(Module& m) {
  int n = 0;
  walk(m, [&](Operation& o) { n += o.name == "tt.call"; });
  return n;
}

TEST(Inline, SourceTtirHasNoCallsLeft) {
  for (const char* c : {"argmax", "sort", "dropout", "softmax", "cumsum", "matmul_f16"}) {
    auto m = parser::parseTTIR(readCase(std::string(c) + "/kernel.source.ttir"), c);
    ASSERT_TRUE(m.ok()) << m.status().message();
    int before = countCalls(**m);
    Status s = inlineCalls(**m);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(countCalls(**m), 0) << c;
    EXPECT_EQ((*m)->ops.size(), 1u) << c << ": private helpers should be gone";
    canonicalize(**m);
    Status v = verifyModule(**m);
    EXPECT_TRUE(v.ok()) << c << ": " << v.message();
    std::string p1 = printModule(**m);
    auto m2 = parser::parseTTIR(p1, "printed");
    ASSERT_TRUE(m2.ok()) << m2.status().message();
    EXPECT_EQ(printModule(**m2), p1);
    if (std::string(c) == "argmax") {
      EXPECT_GT(before, 0);
    }
  }
}

TEST(Inline, InlinedOpsKeepTheCallersLine) {
  auto m = parser::parseTTIR(readCase("argmax/kernel.source.ttir"), "argmax");
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(inlineCalls(**m).ok());
  const Operation* reduce = nullptr;
  walk(**m, [&](Operation& o) { if (o.name == "tt.reduce" && !reduce) reduce = &o; });
  ASSERT_TRUE(reduce);
  EXPECT_EQ(reduce->loc.userStr().rfind("kernels.py:", 0), 0u) << reduce->loc.mlir();
  EXPECT_NE(reduce->loc.file, "kernels.py");  // the innermost frame is the library
}

TEST(Inline, RecursionIsAnError) {
  auto m = parser::parseTTIR(
      "module {\n  tt.func public @k(%a: i32) {\n    %0 = tt.call @f(%a) : (i32) -> i32\n    tt.return\n  }\n"
      "  tt.func private @f(%a: i32) -> i32 {\n    %0 = tt.call @f(%a) : (i32) -> i32\n    tt.return %0 : i32\n  }\n}\n",
      "r");
  ASSERT_TRUE(m.ok()) << m.status().message();
  Status s = inlineCalls(**m);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("recursive"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace tvk::ir
