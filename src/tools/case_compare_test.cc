#include "tools/case_compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tools/npy.h"

namespace tvk::tools {
namespace {

const std::string kCases = std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases";
const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(Decode, HalfAndBf16) {
  EXPECT_EQ(halfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(halfToFloat(0xC000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(halfToFloat(0x7C00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = halfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(floatToHalf(f), h) << h;  // exact round trip of every finite/inf half
  }
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie to even
  EXPECT_EQ(bf16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(bf16ToFloat(0xC0A0), -5.0f);
  EXPECT_TRUE(std::isnan(bf16ToFloat(0x7FC0)));
}

TEST(Decode, Fp8Values) {
  EXPECT_EQ(fp8e4m3fnToFloat(0x38), 1.0f);
  EXPECT_EQ(fp8e4m3fnToFloat(0x7E), 448.0f);
  EXPECT_EQ(fp8e4m3fnToFloat(0xFE), -448.0f);
  EXPECT_EQ(fp8e4m3fnToFloat(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(fp8e4m3fnToFloat(0x78), 256.0f);  // e4m3fn has no infinity
  EXPECT_TRUE(std::isnan(fp8e4m3fnToFloat(0x7F)));
  EXPECT_EQ(fp8e5m2ToFloat(0x3C), 1.0f);
  EXPECT_EQ(fp8e5m2ToFloat(0x7B), 57344.0f);
  EXPECT_EQ(fp8e5m2ToFloat(0x01), std::ldexp(1.0f, -16));
  EXPECT_TRUE(std::isinf(fp8e5m2ToFloat(0x7C)));
  EXPECT_TRUE(std::isnan(fp8e5m2ToFloat(0x7D)));
}

// The fp8 case stores e5 = fp8e5(x), e4 = fp8e4nv(x), back = float(e5) + float(e4), all
// computed by Triton on CUDA: our decoders must reproduce `back` exactly.
TEST(Decode, Fp8MatchesTritonOnCaseData) {
  Result<NpyArray> e5 = readNpy(kCases + "/fp8/e5_ptr.out.npy");
  Result<NpyArray> e4 = readNpy(kCases + "/fp8/e4_ptr.out.npy");
  Result<NpyArray> back = readNpy(kCases + "/fp8/back_ptr.out.npy");
  ASSERT_TRUE(e5.ok() && e4.ok() && back.ok());
  const int n = 2000;  // the case's n
  ASSERT_GE(e5->count(), n);
  const float* b = reinterpret_cast<const float*>(back->data.data());
  int checked = 0;
  for (int i = 0; i < n; ++i) {
    float sum = fp8e5m2ToFloat(e5->data[i]) + fp8e4m3fnToFloat(e4->data[i]);
    if (std::isnan(b[i])) {
      EXPECT_TRUE(std::isnan(sum)) << i;
    } else {
      ASSERT_EQ(sum, b[i]) << i << " e5=" << int(e5->data[i]) << " e4=" << int(e4->data[i]);
    }
    ++checked;
  }
  EXPECT_EQ(checked, n);
}

TEST(Compare, FloatToleranceAndNaN) {
  Result<CaseDType> f32 = caseDType("float32");
  ASSERT_TRUE(f32.ok());
  float exp[5] = {1.0f, 100.0f, kNaN, -3.0f, INFINITY};
  float got[5] = {1.0f + 1e-6f, 100.0f + 5e-4f, kNaN, -3.0f, INFINITY};
  Tolerance tol{1e-5, 1e-6};  // 100 * 1e-5 + 1e-6 = 1.001e-3 allowed at [1]
  Result<CompareResult> r = compareBuffers(*f32, got, exp, sizeof(got), tol, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->elements, 5u);
  EXPECT_EQ(r->mismatches, 0u);
  EXPECT_NEAR(r->maxAbsError, 5e-4, 1e-5);
  got[1] = 100.002f;
  got[2] = 0.0f;  // NaN expected, number got
  r = compareBuffers(*f32, got, exp, sizeof(got), tol, false);
  EXPECT_EQ(r->mismatches, 2u);
  EXPECT_EQ(r->firstMismatch, 1u);
  got[2] = kNaN;
  got[1] = 100.0f;
  exp[0] = kNaN;  // number got, NaN expected
  r = compareBuffers(*f32, got, exp, sizeof(got), tol, false);
  EXPECT_EQ(r->mismatches, 1u);
  EXPECT_EQ(r->firstMismatch, 0u);
  got[4] = -INFINITY;
  exp[0] = 1.0f;
  r = compareBuffers(*f32, got, exp, sizeof(got), tol, false);
  EXPECT_EQ(r->mismatches, 1u);
  EXPECT_EQ(r->firstMismatch, 4u);
}

TEST(Compare, IntegersExactAndUnchangedBitwise) {
  Result<CaseDType> i32 = caseDType("int32");
  int32_t exp[3] = {1, 2, 3}, got[3] = {1, 2, 4};
  Result<CompareResult> r = compareBuffers(*i32, got, exp, sizeof(got), {1.0, 1.0}, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->mismatches, 1u);  // tolerance does not apply to integers
  EXPECT_EQ(r->maxAbsError, 1.0);
  Result<CaseDType> f32 = caseDType("float32");
  float a[2] = {1.0f, 2.0f}, b[2] = {1.0f, 2.0000002f};
  r = compareBuffers(*f32, b, a, sizeof(a), {1e-3, 1e-3}, /*exact=*/true);
  EXPECT_EQ(r->mismatches, 1u);  // must-be-unchanged buffers compare bitwise
  EXPECT_FALSE(compareBuffers(*i32, got, exp, 5, {}, false).ok());
}

TEST(Compare, Bf16AndFp8DecodedBeforeTolerance) {
  Result<CaseDType> bf16 = caseDType("bfloat16");
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ(bf16->npyDescr, "<i2");
  EXPECT_TRUE(bf16->isFloat);
  uint16_t exp[2] = {0x3F80, 0x4000};  // 1.0, 2.0
  uint16_t got[2] = {0x3F81, 0x4000};  // 1.0078125
  Result<CompareResult> r = compareBuffers(*bf16, got, exp, 4, {0.01, 0}, false);
  EXPECT_EQ(r->mismatches, 0u);
  EXPECT_NEAR(r->maxAbsError, 0.0078125, 1e-9);
  r = compareBuffers(*bf16, got, exp, 4, {0.001, 0}, false);
  EXPECT_EQ(r->mismatches, 1u);
  Result<CaseDType> e4 = caseDType("float8_e4m3fn");
  uint8_t e4exp[2] = {0x38, 0x7F}, e4got[2] = {0x39, 0x7F};  // 1.0 vs 1.125; NaN == NaN
  r = compareBuffers(*e4, e4got, e4exp, 2, {0.2, 0}, false);
  EXPECT_EQ(r->mismatches, 0u);
  EXPECT_DOUBLE_EQ(r->maxAbsError, 0.125);
  EXPECT_FALSE(caseDType("complex64").ok());
}

}  // namespace
}  // namespace tvk::tools
