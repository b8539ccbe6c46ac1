// Test helper (header only, not part of the library): compiles GLSL compute shaders with
// glslangValidator into a CompiledKernel whose layout follows compiler/reflection.h.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

#include "compiler/compiler.h"

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

}  // namespace tvk::testing
