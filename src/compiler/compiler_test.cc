// Every conformance kernel, for every target profile: either it compiles to SPIR-V that
// spirv-val accepts for the target's Vulkan environment and `spirv-cross --msl` translates,
// or it fails with `unsupported: <op> at <file>:<line>`, never a crash.
#include "compiler/compiler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace tvk {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(TVK_SOURCE_DIR) / "tests" / "conformance" / "cases";

// The cases the lowering must support (the issue's must-show list).
const std::set<std::string> kMustCompile = {
    "add_f32", "add_f16", "softmax", "layernorm", "mathmix", "dropout", "control_flow",
    "strided", "argmax", "transpose", "sum_atomic"};

std::string readFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> caseNames() {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(kCases))
    if (fs::exists(e.path() / "kernel.ttir")) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

CompileOptions optionsFor(const std::string& profile, const std::string& cs) {
  CompileOptions o;
  auto t = targetProfile(profile);
  EXPECT_TRUE(t.ok()) << profile;
  o.target = *t;
  nlohmann::json j = nlohmann::json::parse(readFile(kCases / cs / "case.json"));
  o.numWarps = j.value("num_warps", 4);
  o.fileName = "kernel.ttir";
  return o;
}

// spirv-cross --msl on the words (the binary on PATH); "" when it succeeds. The file names carry
// the process id, so that test runs of two checkouts at once do not share them.
std::string spirvCrossMsl(const std::vector<uint32_t>& words, const std::string& tag) {
  fs::path spv = fs::path(::testing::TempDir()) / ("tvk_" + std::to_string(::getpid()) + "_" + tag + ".spv");
  {
    std::ofstream f(spv, std::ios::binary);
    f.write(reinterpret_cast<const char*>(words.data()),
            static_cast<std::streamsize>(words.size() * 4));
  }
  fs::path log = spv;
  log += ".log";
  // MSL 2.3: 64-bit integers in buffers need it (Apple M1 runs MSL 2.4).
  std::string cmd = "spirv-cross --msl --msl-version 20300 " + spv.string() + " > " +
                    log.string() + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::string out = readFile(log);
  fs::remove(spv);
  fs::remove(log);
  if (rc != 0) return out.empty() ? "spirv-cross failed" : out;
  if (out.find("kernel void") == std::string::npos) return "no kernel in MSL output";
  return "";
}

// True when the module declares capability CooperativeMatrixKHR (6022).
bool usesCooperativeMatrix(const std::vector<uint32_t>& w) {
  for (size_t i = 5; i < w.size() && (w[i] >> 16);) {
    if ((w[i] & 0xffff) == 17 /* OpCapability */ && w[i + 1] == 6022) return true;
    i += w[i] >> 16;
  }
  return false;
}

class ConformanceCompile : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceCompile, ValidOrUnsupported) {
  const std::string profile = GetParam();
  for (const std::string& cs : caseNames()) {
    SCOPED_TRACE(profile + " " + cs);
    CompileOptions o = optionsFor(profile, cs);
    std::string ttir = readFile(kCases / cs / "kernel.ttir");
    auto t0 = std::chrono::steady_clock::now();
    auto k = compileTTIR(ttir, o);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!k.ok()) {
      const std::string& m = k.status().message();
      EXPECT_EQ(kMustCompile.count(cs), 0u) << m;
      EXPECT_EQ(m.rfind("unsupported: ", 0), 0u) << m;
      EXPECT_NE(m.find(".py:"), std::string::npos) << "error must name the source line: " << m;
      continue;
    }
    EXPECT_TRUE(validateSpirv(k->spirv, o.target).ok());
    // spirv-cross cannot translate SPV_KHR_cooperative_matrix to MSL; such modules are only
    // made for NVIDIA profiles (Apple profiles list no cooperative-matrix shapes). Nor atomics
    // through PhysicalStorageBuffer pointers: address-mode modules are only made for profiles
    // with buffer device addresses (the Apple profile keeps bindings).
    if (!usesCooperativeMatrix(k->spirv) && !k->reflection.addresses) {
      EXPECT_EQ(spirvCrossMsl(k->spirv, profile + "_" + cs), "");
    }
    const Reflection& r = k->reflection;
    nlohmann::json j = nlohmann::json::parse(readFile(kCases / cs / "case.json"));
    EXPECT_EQ(r.entry, j["kernel"].get<std::string>());
    EXPECT_EQ(r.workgroupSize[0], workgroupInvocations(o.target, o.numWarps));
    EXPECT_EQ(r.subgroupSize, o.target.subgroupSize);
    EXPECT_LE(r.sharedBytes, o.target.sharedMemoryBytes);
    EXPECT_LE(r.pushConstantBytes, o.target.pushConstantBytes);
    // Every case.json argument appears in the reflection with the same kind.
    for (const auto& a : j["args"]) {
      bool found = false;
      for (const ArgInfo& ai : r.args)
        if (ai.name == a["name"].get<std::string>()) {
          found = true;
          EXPECT_EQ(ai.kind == ArgInfo::Kind::Buffer, a["kind"] == "buffer") << ai.name;
          if (a["kind"] == "buffer" && a.contains("expected")) {
            EXPECT_TRUE(ai.written) << ai.name;
          }
        }
      EXPECT_TRUE(found) << a["name"];
    }
    RecordProperty(profile + "_" + cs + "_ms", std::to_string(ms));
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, ConformanceCompile,
                         ::testing::Values("lavapipe", "nvidia-hopper", "apple-m1-moltenvk"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

// The lowering's own semantic cases (src/lower/testdata) compile for every profile too.
TEST(LoweringCases, CompileAndValidate) {
  const fs::path dir = fs::path(TVK_SOURCE_DIR) / "src" / "lower" / "testdata";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!fs::exists(e.path() / "kernel.ttir")) continue;
    ++n;
    for (const char* profile : {"lavapipe", "nvidia-hopper", "apple-m1-moltenvk"}) {
      SCOPED_TRACE(e.path().filename().string() + " " + profile);
      CompileOptions o;
      o.target = *targetProfile(profile);
      nlohmann::json j = nlohmann::json::parse(readFile(e.path() / "case.json"));
      o.numWarps = j.value("num_warps", 4);
      auto k = compileTTIR(readFile(e.path() / "kernel.ttir"), o);
      ASSERT_TRUE(k.ok()) << k.status().message();
      if (!k->reflection.addresses) {  // see ValidOrUnsupported
        EXPECT_EQ(spirvCrossMsl(k->spirv, std::string(profile) + "_sem"), "");
      }
    }
  }
  EXPECT_GE(n, 4);
}

std::string disasm(const std::string& cs, const std::string& profile, int numWarps = 0) {
  CompileOptions o = optionsFor(profile, cs);
  if (numWarps) o.numWarps = numWarps;
  auto k = compileTTIR(readFile(kCases / cs / "kernel.ttir"), o);
  if (!k.ok()) return "ERROR " + k.status().message();
  auto d = disassembleSpirv(k->spirv);
  return d.ok() ? *d : "ERROR " + d.status().message();
}

TEST(SpirvText, WorkgroupSizeFollowsTarget) {
  // A Triton warp is 32 invocations, 4 of lavapipe's 8-wide subgroups (workgroupInvocations).
  EXPECT_NE(disasm("add_f32", "lavapipe").find("LocalSize 128 1 1"), std::string::npos);
  EXPECT_NE(disasm("add_f32", "lavapipe", 1).find("LocalSize 32 1 1"), std::string::npos);
  EXPECT_NE(disasm("add_f32", "nvidia-hopper").find("LocalSize 128 1 1"), std::string::npos);
  EXPECT_NE(disasm("add_f32", "nvidia-hopper", 8).find("LocalSize 256 1 1"), std::string::npos);
}

TEST(SpirvText, FloatAtomicAddFollowsTarget) {
  EXPECT_NE(disasm("sum_atomic", "nvidia-hopper").find("OpAtomicFAddEXT"), std::string::npos);
  CompileOptions o = optionsFor("nvidia-hopper", "sum_atomic");
  o.target.atomicFloat32Add = false;
  auto k = compileTTIR(readFile(kCases / "sum_atomic" / "kernel.ttir"), o);
  ASSERT_TRUE(k.ok()) << k.status().message();
  std::string d = *disassembleSpirv(k->spirv);
  EXPECT_EQ(d.find("OpAtomicFAddEXT"), std::string::npos);
  EXPECT_NE(d.find("OpAtomicCompareExchange"), std::string::npos);
  EXPECT_EQ(d.find("OpAtomicOr"), std::string::npos);  // a divergent loop: no exit flag
  // Where divergent compare-and-swap loops lose updates (llvmpipe), the loop is
  // workgroup-uniform: barriers and a Workgroup flag decide when everybody leaves.
  o = optionsFor("lavapipe", "sum_atomic");
  o.target.atomicFloat32Add = false;
  auto uniform = compileTTIR(readFile(kCases / "sum_atomic" / "kernel.ttir"), o);
  ASSERT_TRUE(uniform.ok()) << uniform.status().message();
  std::string u = *disassembleSpirv(uniform->spirv);
  EXPECT_NE(u.find("OpAtomicCompareExchange"), std::string::npos);
  // The workgroup's exit flag: an OpAtomicOr at Workgroup scope (2).
  std::istringstream lines(u);
  bool flag = false;
  for (std::string l; std::getline(lines, l);)
    flag = flag || (l.find("OpAtomicOr") != std::string::npos && l.find(" %uint_2 %uint_0 ") != std::string::npos);
  EXPECT_TRUE(flag) << u;
}

TEST(SpirvText, Fp16UsesSixteenBitStorage) {
  std::string d = disasm("add_f16", "lavapipe");
  EXPECT_NE(d.find("StorageBuffer16BitAccess"), std::string::npos);
  EXPECT_NE(d.find("OpTypeFloat 16"), std::string::npos);
}

TEST(SpirvText, ReductionsUseBarriers) {
  EXPECT_NE(disasm("softmax", "lavapipe").find("OpControlBarrier"), std::string::npos);
  EXPECT_EQ(disasm("add_f32", "lavapipe").find("OpControlBarrier"), std::string::npos);
}

TEST(Errors, Int64WithoutTargetSupport) {
  CompileOptions o = optionsFor("lavapipe", "mathmix");
  o.target.int64 = false;
  auto k = compileTTIR(readFile(kCases / "mathmix" / "kernel.ttir"), o);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().message().rfind("unsupported: ", 0), 0u) << k.status().message();
  EXPECT_NE(k.status().message().find("i64"), std::string::npos) << k.status().message();
}

// A module the validator rejects: the error shows the instruction with friendly type names
// (validateSpirv leaves out the validator's friendly-name table, which its messages do not need):
// an OpIAdd given the f32 type shows `%float`.
TEST(Errors, InvalidSpirvShowsFriendlyNames) {
  CompileOptions o = optionsFor("lavapipe", "add_f32");
  auto k = compileTTIR(readFile(kCases / "add_f32" / "kernel.ttir"), o);
  ASSERT_TRUE(k.ok()) << k.status().message();
  std::vector<uint32_t> w = k->spirv;
  uint32_t f32 = 0;
  size_t iadd = 0;
  for (size_t i = 5; i < w.size();) {  // words: count << 16 | opcode (SPIR-V spec 2.3)
    const uint32_t n = w[i] >> 16, op = w[i] & 0xffff;
    if (n == 0) break;
    if (op == 22 && n == 3 && w[i + 2] == 32) f32 = w[i + 1];  // OpTypeFloat %id 32
    if (op == 128 && !iadd) iadd = i;                            // OpIAdd %type %id %a %b
    i += n;
  }
  ASSERT_NE(f32, 0u);
  ASSERT_NE(iadd, 0u);
  w[iadd + 1] = f32;
  Status st = validateSpirv(w, o.target);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("spirv-val: ", 0), 0u) << st.message();
  EXPECT_NE(st.message().find("OpIAdd %float"), std::string::npos) << st.message();
}

TEST(Errors, UnknownOpNamesTheOp) {
  const char* src = R"(module {
  tt.func public @k(%a: !tt.ptr<f32>) {
    %v = tt.load %a : !tt.ptr<f32> loc(#loc1)
    %w = "tt.frobnicate"(%v) : (f32) -> f32 loc(#loc2)
    tt.store %a, %w : !tt.ptr<f32> loc(#loc1)
    tt.return
  }
}
#loc1 = loc("kernels.py":3:4)
#loc2 = loc("kernels.py":7:9)
)";
  CompileOptions o = optionsFor("lavapipe", "add_f32");
  auto k = compileTTIR(src, o);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().message(), "unsupported: tt.frobnicate at kernels.py:7");
}

}  // namespace
}  // namespace tvk
