// Runs real conformance cases with hand-written GLSL kernels that follow the compiler's
// launch layout (abi/reflection.h), so `tvk run`'s logic is checked before the compiler.
#include "tools/case_runner.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "runtime/glsl_testing.h"
#include "runtime/device_testing.h"

namespace tvk::tools {
namespace {

using tvk::testing::bufferArg;
using tvk::testing::compileGlsl;
using tvk::testing::scalarArg;

const std::string kCases = std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases";
using tvk::testing::device;
using tvk::testing::kValidationOn;

// Replaces every "WG" in `glsl` by the workgroup size.
std::string withWorkgroup(std::string glsl, uint32_t wg) {
  for (size_t p; (p = glsl.find("WG")) != std::string::npos;) glsl.replace(p, 2, std::to_string(wg));
  return glsl;
}

// Triton's add_kernel (BLOCK 1024) with `op` as the operation, for `type` (float or
// float16_t) elements.
CompiledKernel addKernel(const std::string& op, const std::string& type, uint32_t elemSize) {
  const Target& t = device().target();
  const uint32_t wg = 4 * t.subgroupSize;
  std::string glsl = withWorkgroup(R"(#version 450
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout(local_size_x = WG) in;
layout(push_constant) uniform PC { uint pid_base[3]; uint num_programs[3];
  uint x_base; uint y_base; uint out_base; int n; } pc;
layout(set = 0, binding = 0) buffer X { T x[]; };
layout(set = 0, binding = 1) buffer Y { T y[]; };
layout(set = 0, binding = 2) buffer O { T o[]; };
void main() {
  uint pid = gl_WorkGroupID.x + pc.pid_base[0];
  for (uint j = gl_LocalInvocationID.x; j < 1024u; j += WG) {
    uint i = pid * 1024u + j;
    if (int(i) < pc.n) o[pc.out_base + i] = x[pc.x_base + i] OP y[pc.y_base + i];
  }
}
)", wg);
  glsl.replace(glsl.find("OP"), 2, op);
  for (size_t p; (p = glsl.find(" T ")) != std::string::npos;) glsl.replace(p, 3, " " + type + " ");
  Result<std::vector<uint32_t>> words = compileGlsl(glsl);
  EXPECT_TRUE(words.ok()) << words.status().message();
  CompiledKernel k;
  if (words.ok()) k.spirv = *words;
  k.reflection.entry = "main";
  k.reflection.args = {bufferArg("x_ptr", 0, elemSize, 24), bufferArg("y_ptr", 1, elemSize, 28),
                       bufferArg("out_ptr", 2, elemSize, 32), scalarArg("n", "i32", 4, 36)};
  k.reflection.args[0].alignment = k.reflection.args[1].alignment =
      k.reflection.args[2].alignment = 16;
  k.reflection.pushConstantBytes = 40;
  k.reflection.workgroupSize[0] = wg;
  k.reflection.subgroupSize = t.subgroupSize;
  if (elemSize == 2) k.reflection.features = {"storage16", "float16"};
  return k;
}

// strided_kernel: y[r] = sum_n x[r + n * sxn]^2 for rows r < M of 16-row programs.
CompiledKernel stridedKernel() {
  std::string glsl = R"(#version 450
layout(local_size_x = 16) in;
layout(push_constant) uniform PC { uint pid_base[3]; uint num_programs[3];
  uint x_base; uint y_base; int M; int N; int sxn; } pc;
layout(set = 0, binding = 0) buffer X { float x[]; };
layout(set = 0, binding = 1) buffer Y { float y[]; };
void main() {
  int r = int((gl_WorkGroupID.x + pc.pid_base[0]) * 16u + gl_LocalInvocationID.x);
  if (r >= pc.M) return;
  float s = 0.0;
  for (int n = 0; n < pc.N; ++n) { float v = x[pc.x_base + uint(r + n * pc.sxn)]; s += v * v; }
  y[pc.y_base + uint(r)] = s;
}
)";
  Result<std::vector<uint32_t>> words = compileGlsl(glsl);
  EXPECT_TRUE(words.ok()) << words.status().message();
  CompiledKernel k;
  if (words.ok()) k.spirv = *words;
  k.reflection.entry = "main";
  k.reflection.args = {bufferArg("x_ptr", 0, 4, 24), bufferArg("y_ptr", 1, 4, 28),
                       scalarArg("M", "i32", 4, 32), scalarArg("N", "i32", 4, 36),
                       scalarArg("sxn", "i32", 4, 40)};
  k.reflection.pushConstantBytes = 44;
  k.reflection.workgroupSize[0] = 16;
  return k;
}

Result<CaseRunReport> run(const std::string& name, const CompiledKernel& k, int repeat = 1) {
  Result<TestCase> c = loadTestCase(kCases + "/" + name);
  if (!c.ok()) return c.status();
  return runTestCase(device(), *c, k, repeat);
}

TEST(CaseRunner, AddF32Passes) {
  ASSERT_TRUE(kValidationOn);
  size_t before = validationMessageCount();
  Result<CaseRunReport> r = run("add_f32", addKernel("+", "float", 4), 3);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->buffers.size(), 3u);
  for (const BufferReport& b : r->buffers) EXPECT_EQ(b.result.mismatches, 0u) << formatBufferReport(b);
  EXPECT_TRUE(r->buffers[0].mustBeUnchanged);
  EXPECT_FALSE(r->buffers[2].mustBeUnchanged);
  EXPECT_TRUE(r->passed());
  EXPECT_GT(r->runMs, 0.0);
  EXPECT_EQ(validationMessageCount(), before);
}

TEST(CaseRunner, WrongKernelFails) {
  Result<CaseRunReport> r = run("add_f32", addKernel("-", "float", 4));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->passed());
  EXPECT_GT(r->buffers[2].result.mismatches, 0u);
  std::string line = formatBufferReport(r->buffers[2]);
  EXPECT_NE(line.find("out_ptr float32"), std::string::npos) << line;
  EXPECT_NE(line.find("first at [0]"), std::string::npos) << line;
}

TEST(CaseRunner, AddF16Passes) {
  if (!device().target().storage16 || !device().target().float16) GTEST_SKIP();
  Result<CaseRunReport> r = run("add_f16", addKernel("+", "float16_t", 2));
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const BufferReport& b : r->buffers) EXPECT_EQ(b.result.mismatches, 0u) << formatBufferReport(b);
}

TEST(CaseRunner, StridedViewWithStorageOffsetPasses) {
  size_t before = validationMessageCount();
  Result<CaseRunReport> r = run("strided", stridedKernel());
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const BufferReport& b : r->buffers) EXPECT_EQ(b.result.mismatches, 0u) << formatBufferReport(b);
  EXPECT_TRUE(r->passed());
  EXPECT_EQ(validationMessageCount(), before);
}

TEST(CaseRunner, ArgumentCountMismatchIsAnError) {
  size_t before = validationMessageCount();
  CompiledKernel k = addKernel("+", "float", 4);
  k.reflection.args.pop_back();
  k.reflection.pushConstantBytes = 36;
  Result<CaseRunReport> r = run("add_f32", k);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("parameters"), std::string::npos) << r.status().message();
  EXPECT_EQ(validationMessageCount(), before);  // rejected before any Vulkan object exists
}

TEST(TestCaseFile, LoadsScalarsAndBuffers) {
  Result<TestCase> c = loadTestCase(kCases + "/dropout");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->kernel, "dropout_kernel");
  ASSERT_EQ(c->args.size(), 5u);
  EXPECT_TRUE(c->args[0].isBuffer);
  EXPECT_EQ(c->args[3].type, "f32");
  Result<std::vector<uint8_t>> p = scalarBytes(c->args[3], 4);
  ASSERT_TRUE(p.ok());
  float f;
  std::memcpy(&f, p->data(), 4);
  EXPECT_EQ(f, 0.3f);
  Result<std::vector<uint8_t>> seed = scalarBytes(c->args[4], 8);  // i32 widened: sign-extends
  ASSERT_TRUE(seed.ok());
  int64_t s;
  std::memcpy(&s, seed->data(), 8);
  EXPECT_EQ(s, 1234);
  CaseArg neg;
  neg.type = "i32";
  neg.intValue = -5;
  int64_t wide;
  std::memcpy(&wide, scalarBytes(neg, 8)->data(), 8);
  EXPECT_EQ(wide, -5);
  EXPECT_FALSE(scalarBytes(c->args[3], 2).ok());
  EXPECT_FALSE(loadTestCase(kCases + "/no_such_case").ok());
}

}  // namespace
}  // namespace tvk::tools
