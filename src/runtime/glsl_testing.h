// Test helper (header only, not part of the library; uses GoogleTest): compiles GLSL compute
// shaders with glslangValidator into CompiledKernels whose layout follows
// abi/reflection.h, and the GLSL kernels the runtime tests share.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "target/target.h"

namespace tvk::testing {

/// Compiles `glsl` (a compute shader) to SPIR-V for Vulkan 1.1; error text on failure.
inline Result<std::vector<uint32_t>> compileGlsl(const std::string& glsl) {
  char dir[] = "/tmp/tvk_glsl_XXXXXX";
  if (!mkdtemp(dir)) return Status::error("mkdtemp failed");
  std::string src = std::string(dir) + "/k.comp", spv = std::string(dir) + "/k.spv";
  std::string log = std::string(dir) + "/log.txt";
  std::ofstream(src) << glsl;
  std::string cmd = "glslangValidator --target-env vulkan1.1 -o " + spv + " " + src + " > " +
                    log + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream logIn(log);
  std::string logText((std::istreambuf_iterator<char>(logIn)), std::istreambuf_iterator<char>());
  std::ifstream in(spv, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(src.c_str());
  std::remove(spv.c_str());
  std::remove(log.c_str());
  rmdir(dir);
  if (rc != 0 || bytes.empty() || bytes.size() % 4 != 0)
    return Status::error("glslangValidator failed: " + logText);
  std::vector<uint32_t> words(bytes.size() / 4);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(words.data()));
  return words;
}

/// A buffer parameter of a test kernel.
inline ArgInfo bufferArg(const std::string& name, int index, uint32_t elemSize, int pushOffset) {
  ArgInfo a;
  a.kind = ArgInfo::Kind::Buffer;
  a.name = name;
  a.type = "!tt.ptr<f32>";
  a.size = elemSize;
  a.binding = index;
  a.pushOffset = pushOffset;
  a.read = a.written = true;
  a.alignment = elemSize;
  return a;
}

/// A scalar parameter of a test kernel.
inline ArgInfo scalarArg(const std::string& name, const std::string& type, uint32_t size,
                         int pushOffset) {
  ArgInfo a;
  a.kind = ArgInfo::Kind::Scalar;
  a.name = name;
  a.type = type;
  a.size = size;
  a.pushOffset = pushOffset;
  return a;
}

/// out[out_base + i] = x[x_base + i] + y[y_base + i] for i < n, Triton's add kernel layout.
inline CompiledKernel addKernel(const Target& t, uint32_t numWarps = 4) {
  uint32_t wg = numWarps * t.subgroupSize;
  std::string glsl = R"(#version 450
layout(local_size_x = WG) in;
layout(push_constant) uniform PC { uint pid_base[3]; uint num_programs[3];
  uint x_base; uint y_base; uint out_base; int n; } pc;
layout(set = 0, binding = 0) buffer X { float x[]; };
layout(set = 0, binding = 1) buffer Y { float y[]; };
layout(set = 0, binding = 2) buffer O { float o[]; };
void main() {
  uint pid = gl_WorkGroupID.x + pc.pid_base[0];
  uint i = pid * WG + gl_LocalInvocationID.x;
  if (int(i) < pc.n) o[pc.out_base + i] = x[pc.x_base + i] + y[pc.y_base + i];
}
)";
  glsl.replace(glsl.find("WG"), 2, std::to_string(wg));
  glsl.replace(glsl.find("WG"), 2, std::to_string(wg));
  Result<std::vector<uint32_t>> words = compileGlsl(glsl);
  EXPECT_TRUE(words.ok()) << words.status().message();
  CompiledKernel k;
  if (words.ok()) k.spirv = *words;
  Reflection& r = k.reflection;
  r.entry = "main";
  r.args = {bufferArg("x", 0, 4, 24), bufferArg("y", 1, 4, 28), bufferArg("out", 2, 4, 32),
            scalarArg("n", "i32", 4, 36)};
  r.pushConstantBytes = 40;
  r.workgroupSize[0] = wg;
  r.subgroupSize = t.subgroupSize;
  r.numWarps = numWarps;
  return k;
}

/// hits[pid] += 1 and seen_grid = num_programs, one invocation per program.
inline CompiledKernel gridKernel() {
  std::string glsl = R"(#version 450
layout(local_size_x = 1) in;
layout(push_constant) uniform PC { uint pid_base[3]; uint num_programs[3];
  uint hits_base; uint grid_base; } pc;
layout(set = 0, binding = 0) buffer H { uint hits[]; };
layout(set = 0, binding = 1) buffer G { uint grid[]; };
void main() {
  // The grid is 1 in all dimensions but one: summing covers whichever it is.
  uvec3 id = gl_WorkGroupID + uvec3(pc.pid_base[0], pc.pid_base[1], pc.pid_base[2]);
  uint pid = id.x + id.y + id.z;
  atomicAdd(hits[pc.hits_base + pid], 1u);
  if (pid == 0u) {
    grid[pc.grid_base + 0] = pc.num_programs[0];
    grid[pc.grid_base + 1] = pc.num_programs[1];
    grid[pc.grid_base + 2] = pc.num_programs[2];
  }
}
)";
  Result<std::vector<uint32_t>> words = compileGlsl(glsl);
  EXPECT_TRUE(words.ok()) << words.status().message();
  CompiledKernel k;
  if (words.ok()) k.spirv = *words;
  k.reflection.entry = "main";
  k.reflection.args = {bufferArg("hits", 0, 4, 24), bufferArg("grid", 1, 4, 28)};
  k.reflection.pushConstantBytes = 32;
  k.reflection.workgroupSize[0] = 1;
  return k;
}


/// GLSL of a kernel that runs until flag[0] != 0 or each program has done `n` (<= 65000)
/// iterations of 512 dependent float FMAs (about 0.1 s of lavapipe time per program): a grid of
/// many programs makes it as long as a test needs, and releasing the flag ends it in
/// milliseconds. Every program adds its iteration count to out[0]. lavapipe ends loops after
/// 65535 iterations in all (nested loops share the budget: Target::maxLoopIterations), hence
/// the long loop body;
/// its loops only end early when every SIMD lane leaves them, hence one full subgroup per
/// workgroup (WG = the subgroup size). Parameters: flag, out, n.
inline const char* kSpinGlsl = R"(#version 450
layout(local_size_x = WG) in;
layout(push_constant) uniform PC { uint pid_base[3]; uint num_programs[3];
  uint flag_base; uint out_base; uint n; } pc;
layout(set = 0, binding = 0) coherent volatile buffer F { uint flag[]; };
layout(set = 0, binding = 1) buffer O { uint o[]; };
#define STEP x = x * 0.999999 + 0.5;
#define STEP8 STEP STEP STEP STEP STEP STEP STEP STEP
#define STEP64 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8
#define STEP512 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64
void main() {
  float x = float(gl_GlobalInvocationID.x);
  uint count = 0u;
  for (uint i = 0u; i < pc.n; ++i) {
    if (flag[pc.flag_base] != 0u) break;
    STEP512
    count++;
  }
  if (x == -1.0) o[pc.out_base + 1u] = 1u;  // keeps the arithmetic
  if (gl_LocalInvocationIndex == 0u) atomicAdd(o[pc.out_base], count);
}
)";

/// The kSpinGlsl kernel for `t` (flag and out are u32 buffers, out of 2 elements; n an i32).
inline CompiledKernel spinKernel(const Target& t) {
  std::string glsl = kSpinGlsl;
  glsl.replace(glsl.find("WG"), 2, std::to_string(t.subgroupSize));
  Result<std::vector<uint32_t>> words = compileGlsl(glsl);
  EXPECT_TRUE(words.ok()) << words.status().message();
  CompiledKernel k;
  if (words.ok()) k.spirv = *words;
  k.reflection.entry = "main";
  k.reflection.args = {bufferArg("flag", 0, 4, 24), bufferArg("out", 1, 4, 28),
                       scalarArg("n", "i32", 4, 32)};
  k.reflection.pushConstantBytes = 36;
  k.reflection.workgroupSize[0] = t.subgroupSize;
  return k;
}

}  // namespace tvk::testing
