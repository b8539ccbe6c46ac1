// The two pointer models (docs/lowering.md, "Pointers"): every profile compiles and validates
// both with buffer device addresses (64-bit addresses in push constants, PhysicalStorageBuffer
// accesses) and with bindings (one storage buffer per pointer parameter); loaded pointers and
// accesses through tt.int_to_ptr work only with addresses and are a clear error otherwise.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/compiler.h"

namespace tvk {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Loads a table of i64 addresses, turns them into pointers and copies through them.
const char* kPointerTable = R"(module {
  tt.func public @gather(%tab: !tt.ptr<i64> {tt.divisibility = 16 : i32}, %out: !tt.ptr<f16>) {
    %r = tt.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>
    %t = tt.splat %tab : !tt.ptr<i64> -> tensor<64x!tt.ptr<i64>>
    %tp = tt.addptr %t, %r : tensor<64x!tt.ptr<i64>>, tensor<64xi32>
    %a = tt.load %tp : tensor<64x!tt.ptr<i64>>
    %p = tt.int_to_ptr %a : tensor<64xi64> -> tensor<64x!tt.ptr<f16>>
    %v = tt.load %p : tensor<64x!tt.ptr<f16>>
    %o = tt.splat %out : !tt.ptr<f16> -> tensor<64x!tt.ptr<f16>>
    %op = tt.addptr %o, %r : tensor<64x!tt.ptr<f16>>, tensor<64xi32>
    tt.store %op, %v : tensor<64x!tt.ptr<f16>>
    %i = tt.ptr_to_int %out : !tt.ptr<f16> -> i64
    %ip = tt.int_to_ptr %i : i64 -> !tt.ptr<i64>
    tt.store %ip, %i : !tt.ptr<i64>
    tt.return
  }
})";

CompileOptions options(const std::string& profile, bool bda) {
  CompileOptions o;
  o.target = *targetProfile(profile);
  o.target.bufferDeviceAddress = bda;
  o.numWarps = 1;
  return o;
}

TEST(PointerModel, EveryProfileCompilesBothModels) {
  std::string add = readFile(fs::path(TVK_SOURCE_DIR) / "tests" / "conformance" / "cases" /
                             "add_f32" / "kernel.ttir");
  for (const std::string& name : targetProfileNames()) {
    auto t = targetProfile(name);
    ASSERT_TRUE(t.ok());
    for (bool bda : {true, false}) {
      SCOPED_TRACE(name + (bda ? " addresses" : " bindings"));
      CompileOptions o = options(name, bda);
      auto k = compileTTIR(add, o);
      ASSERT_TRUE(k.ok()) << k.status().message();
      const bool addresses = bda && t->int64;
      EXPECT_EQ(k->reflection.addresses, addresses);
      for (const ArgInfo& a : k->reflection.args) {
        if (a.kind != ArgInfo::Kind::Buffer) continue;
        EXPECT_EQ(a.binding < 0, addresses);
        if (addresses) {
          EXPECT_EQ(a.pushOffset % 8, 0);
        }
      }
      auto asmText = disassembleSpirv(k->spirv);
      ASSERT_TRUE(asmText.ok());
      EXPECT_EQ(asmText->find("PhysicalStorageBuffer64") != std::string::npos, addresses);
      if (addresses) {
        EXPECT_NE(asmText->find("Aligned 4"), std::string::npos);
      }
      auto table = compileTTIR(kPointerTable, o);
      if (addresses) {
        ASSERT_TRUE(table.ok()) << table.status().message();
        // Loaded pointers make the kernel opaque: every pointer parameter may be written.
        for (const ArgInfo& a : table->reflection.args) EXPECT_TRUE(a.read && a.written);
      } else {
        ASSERT_FALSE(table.ok());
        EXPECT_NE(table.status().message().find("unsupported: "), std::string::npos)
            << table.status().message();
      }
    }
  }
}

TEST(PointerModel, ProfilesDeclareBufferDeviceAddress) {
  bool some = false, none = false;
  for (const std::string& name : targetProfileNames()) {
    auto t = targetProfile(name);
    ASSERT_TRUE(t.ok());
    (t->bufferDeviceAddress ? some : none) = true;
  }
  EXPECT_TRUE(some);  // lavapipe, nvidia-hopper
  EXPECT_TRUE(none);  // apple-m1-moltenvk keeps bindings
}

}  // namespace
}  // namespace tvk
