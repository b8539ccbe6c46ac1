// Test helper of the IR rewrites' tests: a kernel from its parameters and body.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ir/verifier.h"
#include "parser/parser.h"

namespace tvk::ir::testing {

/// `module { tt.func public @k(<params>) { <body> tt.return } }` parsed and verified (null, with a
/// test failure, when it does not parse).
inline std::unique_ptr<Module> parseKernel(const std::string& params, const std::string& body) {
  auto m = parser::parseTTIR("module {\n  tt.func public @k(" + params + ") {\n" + body + "    tt.return\n  }\n}\n", "c");
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return nullptr;
  EXPECT_TRUE(verifyModule(**m).ok());
  return std::move(m.value());
}

}  // namespace tvk::ir::testing
