// Buffer comparison for conformance cases.
#include "tools/case_compare.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>

namespace tvk::tools {
namespace {

template <typename T>
T load(const void* data, size_t index) {
  T v;
  std::memcpy(&v, static_cast<const uint8_t*>(data) + index * sizeof(T), sizeof(T));
  return v;
}

using Decoder = double (*)(const void*, size_t);

const std::map<std::string, std::pair<CaseDType, Decoder>>& dtypeTable() {
  static const std::map<std::string, std::pair<CaseDType, Decoder>> kTable = {
      {"float32", {{"float32", 4, true, "<f4"}, [](const void* d, size_t i) { return double(load<float>(d, i)); }}},
      {"float64", {{"float64", 8, true, "<f8"}, [](const void* d, size_t i) { return load<double>(d, i); }}},
      {"float16", {{"float16", 2, true, "<f2"}, [](const void* d, size_t i) { return double(halfToFloat(load<uint16_t>(d, i))); }}},
      {"bfloat16", {{"bfloat16", 2, true, "<i2"}, [](const void* d, size_t i) { return double(bf16ToFloat(load<uint16_t>(d, i))); }}},
      {"float8_e4m3fn", {{"float8_e4m3fn", 1, true, "|u1"}, [](const void* d, size_t i) { return double(fp8e4m3fnToFloat(load<uint8_t>(d, i))); }}},
      {"float8_e5m2", {{"float8_e5m2", 1, true, "|u1"}, [](const void* d, size_t i) { return double(fp8e5m2ToFloat(load<uint8_t>(d, i))); }}},
      {"int8", {{"int8", 1, false, "|i1"}, [](const void* d, size_t i) { return double(load<int8_t>(d, i)); }}},
      {"int16", {{"int16", 2, false, "<i2"}, [](const void* d, size_t i) { return double(load<int16_t>(d, i)); }}},
      {"int32", {{"int32", 4, false, "<i4"}, [](const void* d, size_t i) { return double(load<int32_t>(d, i)); }}},
      {"int64", {{"int64", 8, false, "<i8"}, [](const void* d, size_t i) { return double(load<int64_t>(d, i)); }}},
      {"uint8", {{"uint8", 1, false, "|u1"}, [](const void* d, size_t i) { return double(load<uint8_t>(d, i)); }}},
      {"uint16", {{"uint16", 2, false, "<u2"}, [](const void* d, size_t i) { return double(load<uint16_t>(d, i)); }}},
      {"uint32", {{"uint32", 4, false, "<u4"}, [](const void* d, size_t i) { return double(load<uint32_t>(d, i)); }}},
      {"uint64", {{"uint64", 8, false, "<u8"}, [](const void* d, size_t i) { return double(load<uint64_t>(d, i)); }}},
      {"bool", {{"bool", 1, false, "|b1"}, [](const void* d, size_t i) { return load<uint8_t>(d, i) ? 1.0 : 0.0; }}},
  };
  return kTable;
}

std::string formatValue(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

}  // namespace

Result<CaseDType> caseDType(const std::string& name) {
  auto it = dtypeTable().find(name);
  if (it == dtypeTable().end()) return Status::error("unsupported case dtype '" + name + "'");
  return it->second.first;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else
    v = std::ldexp(static_cast<float>(mant | 0x400), int(exp) - 25);
  return sign ? -v : v;
}

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint16_t sign = (x >> 16) & 0x8000;
  uint32_t exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  int e = int(exp) - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    int shift = 14 - e;
    uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return sign | half;
  }
  uint32_t half = (uint32_t(e) << 10) | (mant >> 13), rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;  // may carry into inf: correct
  return sign | half;
}

float bf16ToFloat(uint16_t bits) {
  uint32_t x = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

float fp8e4m3fnToFloat(uint8_t b) {
  uint32_t sign = b >> 7, exp = (b >> 3) & 0xf, mant = b & 0x7;
  float v;
  if (exp == 0xf && mant == 0x7)
    v = std::numeric_limits<float>::quiet_NaN();
  else if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -9);  // subnormal: mant/8 * 2^-6
  else
    v = std::ldexp(static_cast<float>(mant | 0x8), int(exp) - 10);  // 1.m * 2^(e-7)
  return sign ? -v : v;
}

float fp8e5m2ToFloat(uint8_t b) {
  uint32_t sign = b >> 7, exp = (b >> 2) & 0x1f, mant = b & 0x3;
  float v;
  if (exp == 0x1f)
    v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -16);  // mant/4 * 2^-14
  else
    v = std::ldexp(static_cast<float>(mant | 0x4), int(exp) - 17);  // 1.m * 2^(e-15)
  return sign ? -v : v;
}

double decodeElement(const CaseDType& dtype, const void* data, size_t index) {
  return dtypeTable().at(dtype.name).second(data, index);
}

Result<CompareResult> compareBuffers(const CaseDType& dtype, const void* got, const void* expected,
                                     size_t bytes, const Tolerance& tol, bool exact) {
  if (dtype.size == 0 || bytes % dtype.size != 0)
    return Status::error(std::to_string(bytes) + " bytes is not a whole number of " +
                         dtype.name + " elements");
  CompareResult r;
  r.elements = bytes / dtype.size;
  const uint8_t* g = static_cast<const uint8_t*>(got);
  const uint8_t* e = static_cast<const uint8_t*>(expected);
  for (size_t i = 0; i < r.elements; ++i) {
    double gv = decodeElement(dtype, got, i), ev = decodeElement(dtype, expected, i);
    bool ok;
    double err;
    if (exact || !dtype.isFloat) {
      ok = std::memcmp(g + i * dtype.size, e + i * dtype.size, dtype.size) == 0;
      err = (std::isnan(gv) && std::isnan(ev)) || gv == ev ? 0.0 : std::fabs(gv - ev);
    } else if (std::isnan(ev) || std::isnan(gv)) {
      ok = std::isnan(ev) && std::isnan(gv);
      err = ok ? 0.0 : std::numeric_limits<double>::infinity();
    } else if (std::isinf(ev) || std::isinf(gv)) {
      ok = gv == ev;
      err = ok ? 0.0 : std::numeric_limits<double>::infinity();
    } else {
      err = std::fabs(gv - ev);
      ok = err <= tol.atol + tol.rtol * std::fabs(ev);
    }
    if (std::isnan(err)) err = std::numeric_limits<double>::infinity();
    if (err > r.maxAbsError) r.maxAbsError = err;
    if (!ok) {
      if (r.mismatches == 0) {
        r.firstMismatch = i;
        r.firstMismatchText = "got " + formatValue(gv) + " expected " + formatValue(ev);
      }
      ++r.mismatches;
    }
  }
  return r;
}

}  // namespace tvk::tools
