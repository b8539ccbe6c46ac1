// Verifier tests: the corpus verifies; shape, terminator and dominance errors are caught.
#include "ir/verifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::string kernel(const std::string& args, const std::string& body) {
  return "module {\n  tt.func public @k(" + args + ") {\n" + body + "    tt.return\n  }\n}\n";
}

Status verifyText(const std::string& text) {
  auto m = parser::parseTTIR(text, "v.ttir");
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return m.status();
  return verifyModule(**m);
}

TEST(Verifier, CorpusVerifies) {
  int n = 0;
  for (const auto& d : std::filesystem::directory_iterator(std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases"))
    for (const char* f : {"kernel.ttir", "kernel.source.ttir"}) {
      std::ifstream in(d.path() / f);
      if (!in) continue;
      std::stringstream ss;
      ss << in.rdbuf();
      auto m = parser::parseTTIR(ss.str(), (d.path() / f).string());
      ASSERT_TRUE(m.ok()) << m.status().message();
      Status s = verifyModule(**m);
      EXPECT_TRUE(s.ok()) << d.path() << ": " << s.message();
      ++n;
    }
  EXPECT_GE(n, 48);
}

TEST(Verifier, CatchesShapeMismatch) {
  // The parser accepts it (types are as written); the verifier rejects the broadcast.
  Status s = verifyText(kernel("%a: tensor<4x1xf32>",
                               "    %b = tt.broadcast %a : tensor<4x1xf32> -> tensor<8x8xf32> loc(#l)\n") +
                        "#l = loc(\"kernels.py\":12:3)\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tt.broadcast at kernels.py:12"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("cannot broadcast"), std::string::npos) << s.message();

  s = verifyText(kernel("%a: tensor<4xi32>, %b: tensor<8xi32>",
                        "    %c = \"arith.addi\"(%a, %b) : (tensor<4xi32>, tensor<8xi32>) -> tensor<4xi32>\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("arith.addi"), std::string::npos) << s.message();

  s = verifyText(kernel("%p: tensor<4x!tt.ptr<f32>>, %m: tensor<8xi1>",
                        "    %v = tt.load %p, %m : tensor<4x!tt.ptr<f32>>\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("mask"), std::string::npos) << s.message();

  s = verifyText(kernel("%a: tensor<4x8xf16>, %b: tensor<4x8xf16>, %c: tensor<4x8xf32>",
                        "    %d = tt.dot %a, %b, %c : tensor<4x8xf16> * tensor<4x8xf16> -> tensor<4x8xf32>\n"));
  EXPECT_FALSE(s.ok());
}

TEST(Verifier, CatchesBadCastsAndAtomics) {
  Status s = verifyText(kernel("%a: i64", "    %b = arith.extsi %a : i64 to i32\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot convert i64 to i32"), std::string::npos) << s.message();
  s = verifyText(kernel("%p: !tt.ptr<f32>, %v: i32, %m: i1",
                        "    %r = tt.atomic_rmw add, acq_rel, gpu, %p, %v, %m : (!tt.ptr<f32>, i32, i1) -> i32\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tt.atomic_rmw"), std::string::npos) << s.message();
}

TEST(Verifier, CatchesRegionAndYieldMismatch) {
  Status s = verifyText(kernel(
      "%n: i32, %f: f32",
      "    %c0 = arith.constant 0 : i32\n"
      "    %r = scf.for %i = %c0 to %n step %n iter_args(%a = %c0) -> (i32)  : i32 {\n"
      "      scf.yield %f : f32\n"
      "    }\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("scf.for"), std::string::npos) << s.message();

  s = verifyText(kernel(
      "%x: tensor<8xf32>",
      "    %r = \"tt.reduce\"(%x) <{axis = 0 : i32}> ({\n"
      "    ^bb0(%a: f32):\n"
      "      tt.reduce.return %a : f32\n"
      "    }) : (tensor<8xf32>) -> f32\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("combiner has 1 arguments"), std::string::npos) << s.message();
}

TEST(Verifier, CatchesUseBeforeDefinition) {
  auto m = parser::parseTTIR(kernel("%a: i32", "    %b = arith.addi %a, %a : i32\n    %c = arith.addi %b, %b : i32\n"), "v");
  ASSERT_TRUE(m.ok());
  Block& body = (*m)->kernel()->body();
  std::swap(body.ops[0], body.ops[1]);  // %c now uses %b before it is defined
  Status s = verifyModule(**m);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("before its definition"), std::string::npos) << s.message();
}

TEST(Verifier, CatchesMissingTerminator) {
  auto m = parser::parseTTIR(kernel("%a: i32", ""), "v");
  ASSERT_TRUE(m.ok());
  (*m)->kernel()->body().ops.clear();
  Status s = verifyModule(**m);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("terminator"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace tvk::ir
