// compileTTIR's option checks (num_warps, workgroup size against the target) and the raw
// frontend TTIR (`kernel.source.ttir`: calls, block pointers) of every conformance case
// compiled and validated for every profile.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "compiler/inspect.h"

namespace tvk {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(TVK_SOURCE_DIR) / "tests" / "conformance" / "cases";

std::string readFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CompileOptions lavapipe(int numWarps) {
  CompileOptions o;
  o.target = *targetProfile("lavapipe");
  o.numWarps = numWarps;
  return o;
}

TEST(CompileChecks, NumWarpsMustBeAPositivePowerOfTwo) {
  std::string ttir = readFile(kCases / "add_f32" / "kernel.ttir");
  for (int w : {0, -1, -4, 3, 6, 12}) {
    SCOPED_TRACE(w);
    auto k = compileTTIR(ttir, lavapipe(w));
    ASSERT_FALSE(k.ok());
    EXPECT_NE(k.status().message().find("num_warps must be a positive power of two, got " + std::to_string(w)),
              std::string::npos)
        << k.status().message();
    // inspectTTIR (tvk opt) runs the same checks.
    EXPECT_FALSE(inspectTTIR(ttir, lavapipe(w), "ir").ok());
  }
  for (int w : {1, 2, 4, 8}) EXPECT_TRUE(compileTTIR(ttir, lavapipe(w)).ok()) << w;
}

TEST(CompileChecks, WorkgroupMustFitTheTarget) {
  std::string ttir = readFile(kCases / "add_f32" / "kernel.ttir");
  CompileOptions o = lavapipe(16);
  o.target.maxWorkgroupInvocations = 64;  // 16 warps x 8 lanes = 128 invocations
  auto k = compileTTIR(ttir, o);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().message(),
            "num_warps 16 x subgroup size 8 = 128 invocations exceeds the workgroup limit of "
            "target lavapipe (64)");
  o.numWarps = 8;  // 64 fits exactly
  EXPECT_TRUE(compileTTIR(ttir, o).ok());
  // The x extent of the workgroup is limited too.
  o = lavapipe(16);
  o.target.maxWorkgroupSize[0] = 64;
  EXPECT_FALSE(compileTTIR(ttir, o).ok());
  // 256 warps of 8 lanes = 2048 > lavapipe's 1024.
  k = compileTTIR(ttir, lavapipe(256));
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("2048 invocations"), std::string::npos) << k.status().message();
}

class SourceCompile : public ::testing::TestWithParam<std::string> {};

// kernel.source.ttir is what Triton's frontend emits before its TTIR passes: tt.call of
// standard-library helpers, block pointers (tt.make_tensor_ptr/tt.advance), ub.poison.
TEST_P(SourceCompile, EveryCaseCompilesAndValidates) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(kCases)) {
    fs::path src = e.path() / "kernel.source.ttir";
    if (!fs::exists(src)) continue;
    ++n;
    SCOPED_TRACE(GetParam() + " " + e.path().filename().string());
    CompileOptions o;
    o.target = *targetProfile(GetParam());
    nlohmann::json j = nlohmann::json::parse(readFile(e.path() / "case.json"));
    o.numWarps = j.value("num_warps", 4);
    auto k = compileTTIR(readFile(src), o);
    ASSERT_TRUE(k.ok()) << k.status().message();
    EXPECT_TRUE(validateSpirv(k->spirv, o.target).ok());
    EXPECT_EQ(k->reflection.entry, j["kernel"].get<std::string>());
  }
  EXPECT_GE(n, 20);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SourceCompile,
                         ::testing::Values("lavapipe", "nvidia-hopper", "apple-m1-moltenvk"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace tvk
