#include "target/target.h"

#include <gtest/gtest.h>

namespace tvk {
namespace {

TEST(TargetProfile, LavapipeMatchesVulkaninfo) {
  Result<Target> t = targetProfile("lavapipe");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->name, "lavapipe");
  EXPECT_EQ(t->subgroupSize, 8u);
  EXPECT_EQ(t->sharedMemoryBytes, 32768u);
  EXPECT_EQ(t->maxWorkgroupCount[0], 65535u);
  EXPECT_EQ(t->pushConstantBytes, 128u);
  EXPECT_TRUE(t->int64 && t->float64 && t->float16 && t->int8 && t->int16);
  EXPECT_TRUE(t->storage16 && t->storage8);
  EXPECT_TRUE(t->atomicFloat32Add);
  EXPECT_TRUE(t->coopMatShapes.empty());
  EXPECT_EQ(t->maxLoopIterations, 65535u);
  EXPECT_NE(t->describe().find("loop limit: 65535 iterations per invocation"), std::string::npos);
}

TEST(TargetProfile, OnlyLavapipeLimitsLoops) {
  for (const std::string& n : targetProfileNames())
    EXPECT_EQ(targetProfile(n)->maxLoopIterations, n == "lavapipe" ? llvmpipeLoopIterations : 0u)
        << n;
}

TEST(Workgroup, AWarpIsAtLeast32InvocationsWithinTheLimits) {
  Target t = *targetProfile("lavapipe");  // subgroup 8
  EXPECT_EQ(workgroupInvocations(t, 1), 32u);
  EXPECT_EQ(workgroupInvocations(t, 4), 128u);
  t.maxWorkgroupSubgroups = 32;  // 8 warps of 32 fill 32 subgroups of 8; 16 warps cannot double
  EXPECT_EQ(workgroupInvocations(t, 8), 256u);
  EXPECT_EQ(workgroupInvocations(t, 16), 256u);
  t.maxWorkgroupSubgroups = 0;
  t.maxWorkgroupInvocations = 64;
  EXPECT_EQ(workgroupInvocations(t, 4), 64u);
  Target nv = *targetProfile("nvidia-hopper");  // subgroup 32: one subgroup per warp
  EXPECT_EQ(workgroupInvocations(nv, 4), 128u);
  nv.subgroupSize = 64;
  EXPECT_EQ(workgroupInvocations(nv, 4), 256u);
  EXPECT_EQ(workgroupInvocations(nv, 0), 0u);
}

TEST(TargetProfile, NvidiaHopper) {
  Result<Target> t = targetProfile("nvidia-hopper");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->subgroupSize, 32u);
  EXPECT_EQ(t->sharedMemoryBytes, 49152u);
  EXPECT_EQ(t->pushConstantBytes, 256u);
  EXPECT_EQ(t->maxWorkgroupCount[0], 2147483647u);
  EXPECT_EQ(t->maxWorkgroupCount[1], 65535u);
  EXPECT_TRUE(t->bufferDeviceAddress && t->atomicFloat32Add && t->float64);
  bool f16f32 = false;
  for (const CoopMatShape& s : t->coopMatShapes)
    if (s.m == 16 && s.n == 16 && s.k == 16 && s.ab == "f16" && s.c == "f32") f16f32 = true;
  EXPECT_TRUE(f16f32);
  bool i8i32 = false;
  for (const CoopMatShape& s : t->coopMatShapes)
    if (s.m == 16 && s.n == 16 && s.k == 32 && s.ab == "i8" && s.c == "i32") i8i32 = true;
  EXPECT_TRUE(i8i32);
}

TEST(TargetProfile, AppleM1) {
  Result<Target> t = targetProfile("apple-m1-moltenvk");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->subgroupSize, 32u);
  EXPECT_EQ(t->pushConstantBytes, 4096u);
  EXPECT_FALSE(t->float64);
  EXPECT_FALSE(t->atomicInt64);
  EXPECT_FALSE(t->atomicFloat32Add);
  EXPECT_TRUE(t->float16 && t->storage16 && t->storage8);
  EXPECT_EQ(t->vulkanVersion, (1u << 22) | (2u << 12));
}

TEST(TargetProfile, UnknownIsError) {
  Result<Target> t = targetProfile("voodoo2");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("voodoo2"), std::string::npos);
  EXPECT_NE(t.status().message().find("lavapipe"), std::string::npos);
}

TEST(TargetProfile, NamesListEveryProfile) {
  std::vector<std::string> names = targetProfileNames();
  EXPECT_EQ(names.size(), 3u);
  for (const std::string& n : names) {
    Result<Target> t = targetProfile(n);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->name, n);
  }
}

TEST(TargetDescribe, MentionsLimits) {
  Target t = *targetProfile("nvidia-hopper");
  std::string d = t.describe();
  EXPECT_NE(d.find("subgroup size: 32"), std::string::npos) << d;
  EXPECT_NE(d.find("shared memory: 49152"), std::string::npos) << d;
  EXPECT_NE(d.find("16x16x16 f16->f32"), std::string::npos) << d;
  EXPECT_NE(d.find("vulkan: 1.3"), std::string::npos) << d;
  EXPECT_NE(d.find("loop limit: none"), std::string::npos) << d;
}

}  // namespace
}  // namespace tvk
