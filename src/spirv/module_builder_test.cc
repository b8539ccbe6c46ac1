#include "spirv/module_builder.h"

#include <gtest/gtest.h>
#include <spirv-tools/libspirv.hpp>

namespace tvk::spirv {
namespace {

std::string validate(const std::vector<uint32_t>& words, spv_target_env env = SPV_ENV_VULKAN_1_1) {
  spvtools::SpirvTools tools(env);
  std::string msgs;
  tools.SetMessageConsumer([&](spv_message_level_t, const char*, const spv_position_t&,
                               const char* m) { msgs += std::string(m) + "\n"; });
  return tools.Validate(words) ? "" : (msgs.empty() ? "invalid" : msgs);
}

TEST(ModuleBuilder, DedupesTypesAndConstants) {
  ModuleBuilder b;
  EXPECT_EQ(b.typeInt(32), b.typeInt(32));
  EXPECT_NE(b.typeInt(32), b.typeFloat(32));
  Id f = b.typeFloat(32);
  EXPECT_EQ(b.constFloat(f, 1.5), b.constFloat(f, 1.5));
  EXPECT_NE(b.constFloat(f, 1.5), b.constFloat(f, 2.5));
  EXPECT_EQ(b.u32(7), b.constInt(b.typeInt(32), 7));
  EXPECT_EQ(b.typePointer(spv::StorageClass::Function, f),
            b.typePointer(spv::StorageClass::Function, f));
  EXPECT_FALSE(b.hasCapability(spv::Capability::Int64));
  b.typeInt(64);
  EXPECT_TRUE(b.hasCapability(spv::Capability::Int64));
}

// A compute shader writing gl_LocalInvocationIndex * 2.0 into a storage buffer, the entry
// point's interface given as the invocation index only. With `helper`, the multiplication is in
// a helper function called by OpFunctionCall (cooperative-matrix instructions call them in
// kernels), and the module is SPIR-V 1.6.
std::vector<uint32_t> tinyModule(bool helper) {
  ModuleBuilder b;
  if (helper) b.requireVersion(0x00010600);
  Id u32 = b.typeInt(32), f32 = b.typeFloat(32), vd = b.typeVoid();
  Id st = b.typeStruct({b.typeRuntimeArray(f32, 4)});
  b.decorate(st, spv::Decoration::Block);
  b.memberDecorate(st, 0, spv::Decoration::Offset, {0});
  Id buf = b.globalVariable(b.typePointer(spv::StorageClass::StorageBuffer, st), spv::StorageClass::StorageBuffer);
  b.decorate(buf, spv::Decoration::DescriptorSet, {0});
  b.decorate(buf, spv::Decoration::Binding, {0});
  Id lid = b.globalVariable(b.typePointer(spv::StorageClass::Input, u32), spv::StorageClass::Input);
  b.decorate(lid, spv::Decoration::BuiltIn, {static_cast<uint32_t>(spv::BuiltIn::LocalInvocationIndex)});
  Id fn = b.newId();
  b.beginFunction(fn, vd, b.typeFunction(vd, {}));
  Id i = b.emit(spv::Op::OpLoad, u32, {lid});
  Id fi = b.emit(spv::Op::OpConvertUToF, f32, {i});
  Id v = 0;
  if (helper) {
    std::vector<Id> params;
    Id twice = b.beginHelper(f32, {f32}, params);
    b.endHelper(b.emit(spv::Op::OpFMul, f32, {params[0], b.constFloat(f32, 2.0)}));
    v = b.emit(spv::Op::OpFunctionCall, f32, {twice, fi});
  } else {
    v = b.emit(spv::Op::OpFMul, f32, {fi, b.constFloat(f32, 2.0)});
  }
  Id p = b.emit(spv::Op::OpAccessChain, b.typePointer(spv::StorageClass::StorageBuffer, f32), {buf, b.u32(0), i});
  b.emitVoid(spv::Op::OpStore, {p, v});
  b.emitVoid(spv::Op::OpReturn, {});
  b.endFunction();
  b.addEntryPoint(spv::ExecutionModel::GLCompute, fn, "main", {lid});
  b.addExecutionMode(fn, spv::ExecutionMode::LocalSize, {64, 1, 1});
  return b.finish();
}

TEST(ModuleBuilder, TinyComputeModuleValidates) {
  std::vector<uint32_t> words = tinyModule(false);
  EXPECT_EQ(words[0], spv::MagicNumber);
  EXPECT_EQ(validate(words), "");
}

// The helper follows the entry function, and the storage buffer, not in the interface given to
// addEntryPoint, is added to it (SPIR-V 1.4+ lists every global variable the entry point uses).
TEST(ModuleBuilder, HelperFunctionsAndSpirv16Interfaces) {
  std::vector<uint32_t> words = tinyModule(true);
  EXPECT_EQ(words[1], 0x00010600u);
  EXPECT_EQ(validate(words, SPV_ENV_VULKAN_1_3), "");
}

TEST(ModuleBuilder, CapabilityAddsExtension) {
  ModuleBuilder b;
  b.addCapability(spv::Capability::StorageBuffer8BitAccess);
  b.addCapability(spv::Capability::StorageBuffer8BitAccess);
  std::vector<uint32_t> w = b.finish();
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_1);
  std::string text;
  ASSERT_TRUE(tools.Disassemble(w, &text));
  EXPECT_NE(text.find("SPV_KHR_8bit_storage"), std::string::npos);
  EXPECT_EQ(text.find("StorageBuffer8BitAccess"), text.rfind("StorageBuffer8BitAccess"));
}

}  // namespace
}  // namespace tvk::spirv
