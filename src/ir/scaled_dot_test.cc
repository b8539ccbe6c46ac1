// Scaled-dot rewrite tests: tt.dot_scaled parses, verifies and prints back unchanged; the
// rewrite leaves an ordinary tt.dot on upcast operands (e2m1 unpacking, fp8 tt.fp_to_fp,
// e8m0 scales broadcast over 32 K-elements); fp8 tt.dot operands are upcast; bad shapes and
// 3-D operands are errors.
#include "ir/scaled_dot.h"

#include <gtest/gtest.h>

#include "ir/printer.h"
#include "ir/verifier.h"
#include "ir/walk.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

std::string kernel(const std::string& args, const std::string& body) {
  return "module {\n  tt.func public @k(" + args + ") {\n" + body + "    tt.return\n  }\n}\n";
}

std::unique_ptr<Module> parse(const std::string& text) {
  auto m = parser::parseTTIR(text, "c");
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return nullptr;
  return std::move(m.value());
}

int count(Module& m, const std::string& name) {
  int n = 0;
  walk(m, [&](Operation& o) { n += o.name == name; });
  return n;
}

Operation* find(Module& m, const std::string& name) {
  Operation* r = nullptr;
  walk(m, [&](Operation& o) {
    if (!r && o.name == name) r = &o;
  });
  return r;
}

const char* kArgs = "%a: tensor<16x32xi8>, %as: tensor<16x2xi8>, %b: tensor<64x16xbf16>, %bs: tensor<16x2xi8>, "
                    "%e4: tensor<64x16xf8E4M3FN>, %c: tensor<16x16xf32>";

TEST(ScaledDot, ParsesPrintsAndVerifies) {
  std::string line =
      "    %d = tt.dot_scaled %a scale %as, %b, %c lhs = e2m1 rhs = bf16 {fastMath = false} : "
      "tensor<16x32xi8>, tensor<16x2xi8> * tensor<64x16xbf16> -> tensor<16x16xf32>\n";
  auto m = parse(kernel(kArgs, line));
  ASSERT_TRUE(m);
  EXPECT_TRUE(verifyModule(*m).ok());
  EXPECT_NE(printModule(*m).find(line.substr(4, line.size() - 5)), std::string::npos) << printModule(*m);
  std::string rhsScaled =
      "    %d = tt.dot_scaled %e4, %a scale %bs, %c2 lhs = e4m3 rhs = e2m1 {fastMath = true} : "
      "tensor<64x16xf8E4M3FN> * tensor<16x32xi8>, tensor<16x2xi8> -> tensor<64x32xf32>\n";
  auto m2 = parse(kernel(std::string(kArgs) + ", %c2: tensor<64x32xf32>", rhsScaled));
  ASSERT_TRUE(m2);
  Status s = verifyModule(*m2);
  // e4m3 [64 x 16] needs K = 16 on both sides: the e2m1 rhs [16 x 32] unpacks to K = 32.
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("do not agree"), std::string::npos) << s.message();
}

TEST(ScaledDot, RejectsBadScalesAndFormats) {
  auto m = parse(kernel(kArgs,
                        "    %d = tt.dot_scaled %a scale %as, %b scale %as, %c lhs = e2m1 rhs = bf16 {fastMath = "
                        "false} : tensor<16x32xi8>, tensor<16x2xi8> * tensor<64x16xbf16>, tensor<16x2xi8> -> "
                        "tensor<16x16xf32>\n"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(verifyModule(*m).ok());  // rhs scale [N=16, K/32=2]: fine
  auto bad = parse(kernel(kArgs,
                          "    %d = tt.dot_scaled %a scale %as, %b, %c lhs = e4m3 rhs = bf16 {fastMath = false} : "
                          "tensor<16x32xi8>, tensor<16x2xi8> * tensor<64x16xbf16> -> tensor<16x16xf32>\n"));
  ASSERT_TRUE(bad);
  Status s = verifyModule(*bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("do not match formats"), std::string::npos) << s.message();
}

TEST(ScaledDot, RewritesE2m1LhsWithScale) {
  auto m = parse(kernel(kArgs,
                        "    %d = tt.dot_scaled %a scale %as, %b, %c lhs = e2m1 rhs = bf16 {fastMath = false} : "
                        "tensor<16x32xi8>, tensor<16x2xi8> * tensor<64x16xbf16> -> tensor<16x16xf32>\n"));
  ASSERT_TRUE(m);
  Status s = rewriteScaledDots(*m);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(count(*m, "tt.dot_scaled"), 0);
  Operation* dot = find(*m, "tt.dot");
  ASSERT_TRUE(dot);
  EXPECT_EQ(dot->operand(0)->type.str(), "tensor<16x64xbf16>");
  EXPECT_EQ(dot->operand(1)->type.str(), "tensor<64x16xbf16>");
  EXPECT_EQ(dot->operand(0)->def->name, "arith.mulf");  // scaled
  EXPECT_EQ(count(*m, "tt.join"), 0);                   // bytes broadcast to both nibble positions
  EXPECT_EQ(count(*m, "tt.make_range"), 1);             // the positions' parity
  EXPECT_EQ(count(*m, "arith.select"), 3);              // e2m1 normal / 0.5, scale NaN
  EXPECT_TRUE(verifyModule(*m).ok());
  // The result prints and parses back.
  auto again = parser::parseTTIR(printModule(*m), "c");
  EXPECT_TRUE(again.ok()) << again.status().message();
}

TEST(ScaledDot, RewritesRhsScaleFastMathAndFp16) {
  auto m = parse(kernel("%h: tensor<16x64xf16>, %b: tensor<64x16xf8E5M2>, %bs: tensor<16x2xi8>, %c: tensor<16x16xf32>",
                        "    %d = tt.dot_scaled %h, %b scale %bs, %c lhs = fp16 rhs = e5m2 {fastMath = true} : "
                        "tensor<16x64xf16> * tensor<64x16xf8E5M2>, tensor<16x2xi8> -> tensor<16x16xf32>\n"));
  ASSERT_TRUE(m);
  ASSERT_TRUE(rewriteScaledDots(*m).ok());
  Operation* dot = find(*m, "tt.dot");
  ASSERT_TRUE(dot);
  EXPECT_EQ(dot->operand(0)->type.str(), "tensor<16x64xf16>");
  EXPECT_EQ(dot->operand(1)->type.str(), "tensor<64x16xf16>");
  EXPECT_EQ(count(*m, "tt.fp_to_fp"), 1);
  EXPECT_EQ(count(*m, "arith.truncf"), 1);  // 2^(s-127) as f32, then f16
  EXPECT_EQ(count(*m, "arith.select"), 0);  // fastMath: no NaN select
  EXPECT_EQ(count(*m, "tt.trans"), 1);      // [N, K/32] scale → [K/32, N]
}

TEST(ScaledDot, Fp8DotOperandsAreUpcast) {
  auto m = parse(kernel("%a: tensor<16x32xf8E4M3FN>, %b: tensor<32x16xf8E5M2>, %c: tensor<16x16xf32>",
                        "    %d = tt.dot %a, %b, %c : tensor<16x32xf8E4M3FN> * tensor<32x16xf8E5M2> -> "
                        "tensor<16x16xf32>\n"));
  ASSERT_TRUE(m);
  ASSERT_TRUE(rewriteScaledDots(*m).ok());
  Operation* dot = find(*m, "tt.dot");
  EXPECT_EQ(dot->operand(0)->type.str(), "tensor<16x32xf16>");
  EXPECT_EQ(dot->operand(1)->type.str(), "tensor<32x16xf16>");
  EXPECT_EQ(count(*m, "tt.fp_to_fp"), 2);
}

TEST(ScaledDot, BatchedIsUnsupported) {
  auto m = parse(kernel("%a: tensor<2x16x64xbf16>, %b: tensor<2x64x16xbf16>, %c: tensor<2x16x16xf32>",
                        "    %d = tt.dot_scaled %a, %b, %c lhs = bf16 rhs = bf16 {fastMath = false} : "
                        "tensor<2x16x64xbf16> * tensor<2x64x16xbf16> -> tensor<2x16x16xf32>\n"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(verifyModule(*m).ok());
  Status s = rewriteScaledDots(*m);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("unsupported: tt.dot_scaled at", 0), 0u) << s.message();
}

}  // namespace
}  // namespace tvk::ir
