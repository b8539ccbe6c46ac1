// analysis/dot_warps.h: the workgroup is widened only for big tensor-core dots.
#include "analysis/dot_warps.h"

#include <gtest/gtest.h>

#include <string>

#include "parser/parser.h"

namespace tvk::analysis {
namespace {

// A kernel with one tt.dot of `m` x `k` times `k` x `n` elements of type `t`.
std::string dotKernel(int m, int n, int k, const std::string& t, const std::string& acc) {
  auto tensor = [](int r, int c, const std::string& e) {
    return "tensor<" + std::to_string(r) + "x" + std::to_string(c) + "x" + e + ">";
  };
  return "module {\n  tt.func public @k() {\n"
         "    %a = arith.constant dense<0.0> : " + tensor(m, k, t) + "\n"
         "    %b = arith.constant dense<0.0> : " + tensor(k, n, t) + "\n"
         "    %c = arith.constant dense<0.0> : " + tensor(m, n, acc) + "\n"
         "    %d = tt.dot %a, %b, %c, inputPrecision = tf32 : " + tensor(m, k, t) + " * " + tensor(k, n, t) +
         " -> " + tensor(m, n, acc) + "\n    tt.return\n  }\n}\n";
}

int warpsFor(const std::string& ttir, int numWarps, uint32_t maxInvocations = 1024) {
  auto m = parser::parseTTIR(ttir, "k.ttir");
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? dotWarps(*(*m)->kernel(), numWarps, 32, maxInvocations) : -1;
}

TEST(DotWarps, WidensBigTensorCoreDotsOnly) {
  // 128x128: 64 fragments, 16 per subgroup at 4 warps -> 8 warps.
  EXPECT_EQ(warpsFor(dotKernel(128, 128, 64, "f16", "f32"), 4), 8);
  // 256x128 at 4 warps: 128 fragments -> 16 warps.
  EXPECT_EQ(warpsFor(dotKernel(256, 128, 64, "f16", "f32"), 4), 16);
  // ... but never past the workgroup limit.
  EXPECT_EQ(warpsFor(dotKernel(256, 128, 64, "f16", "f32"), 4, 256), 8);
  // 128x64 (attention's tiles): 8 per subgroup already.
  EXPECT_EQ(warpsFor(dotKernel(128, 64, 64, "f16", "f32"), 4), 4);
  // Already 8 warps for 128x128.
  EXPECT_EQ(warpsFor(dotKernel(128, 128, 64, "f16", "f32"), 8), 8);
  // f32 at tf32 is split onto tensor cores; f64 never is.
  EXPECT_EQ(warpsFor(dotKernel(128, 128, 32, "f32", "f32"), 4), 8);
  EXPECT_EQ(warpsFor(dotKernel(128, 128, 32, "f64", "f64"), 4), 4);
}

}  // namespace
}  // namespace tvk::analysis
