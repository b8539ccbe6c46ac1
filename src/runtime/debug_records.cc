#include "runtime/debug_records.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace tvk {

namespace {

// Bits of an element type spelled `t` (`i32` → 32, `f16` → 16, `bf16` → 16, fp8 → 8), 0 when
// unknown.
int typeBits(const std::string& t) {
  if (t == "bf16" || t == "f16") return 16;
  if (t == "f32") return 32;
  if (t == "f64") return 64;
  if (t.rfind("f8", 0) == 0) return 8;
  if (t.size() > 1 && t[0] == 'i') return std::atoi(t.c_str() + 1);
  return 0;
}

bool isFloatType(const std::string& t) { return !t.empty() && (t[0] == 'f' || t == "bf16"); }

float f32Of(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// f16 bits of an f32 that holds an f16 value exactly (the kernel's registers are rounded).
uint32_t f16BitsOf(uint32_t b) {
  uint32_t sign = (b >> 16) & 0x8000u, exp = (b >> 23) & 0xffu, mant = b & 0x7fffffu;
  if (exp == 0xff) return sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0);
  if (exp == 0) return sign;
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return sign | 0x7c00u;
  if (e <= 0) {
    uint32_t shift = 126 - exp;
    return shift > 24 ? sign : sign | ((mant | 0x800000u) >> shift);
  }
  return sign | (static_cast<uint32_t>(e) << 10) | (mant >> 13);
}

std::string hexOf(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*" PRIx64, digits, v);
  return buf;
}

std::string valueText(const DebugSite& s, uint64_t bits) {
  char buf[64];
  const std::string& t = s.type;
  if (t.rfind("!tt.ptr", 0) == 0) {
    if (!s.pointerArg.empty()) return "&" + s.pointerArg + "[" + std::to_string(bits) + "]";
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, bits);
    return buf;
  }
  const int width = typeBits(t);
  if (isFloatType(t)) {
    if (s.hex) {
      if (t == "f64") return hexOf(bits, 16);
      uint32_t b32 = static_cast<uint32_t>(bits);
      if (t == "f16") return hexOf(f16BitsOf(b32), 4);
      if (t == "bf16") return hexOf(b32 >> 16, 4);
      return hexOf(b32, 8);  // f32 (fp8: the bits of its f32 value)
    }
    double d;
    if (t == "f64") std::memcpy(&d, &bits, 8);
    else d = f32Of(static_cast<uint32_t>(bits));
    std::snprintf(buf, sizeof buf, "%f", d);
    return buf;
  }
  // Integers: registers hold i8/i16 sign-extended in 32 bits, i1 as 0/1.
  const uint64_t mask = width >= 64 || width <= 0 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  uint64_t u = bits & mask;
  if (s.hex) return hexOf(u, width >= 4 ? width / 4 : 1);
  if (!s.isSigned || width == 1) {
    std::snprintf(buf, sizeof buf, "%" PRIu64, u);
    return buf;
  }
  int64_t v = width < 64 && width > 0 && (u >> (width - 1)) ? static_cast<int64_t>(u | ~mask)
                                                            : static_cast<int64_t>(u);
  std::snprintf(buf, sizeof buf, "%" PRId64, v);
  return buf;
}

}  // namespace

DebugRecord decodeDebugRecord(const uint32_t* records, uint32_t i) {
  const uint32_t* w = records + static_cast<size_t>(i) * kDebugRecordWords;
  DebugRecord r;
  r.kernel = w[0];
  r.site = w[1];
  for (int k = 0; k < 3; ++k) r.pid[k] = w[2 + k];
  r.index = w[5];
  r.bits = uint64_t{w[6]} | (uint64_t{w[7]} << 32);
  return r;
}

std::string formatRecordPosition(const DebugSite& s, const DebugRecord& r) {
  std::string out = "pid (" + std::to_string(r.pid[0]) + ", " + std::to_string(r.pid[1]) + ", " +
                    std::to_string(r.pid[2]) + ") idx (";
  // Row-major coordinates of the linear index, each padded like Triton-CUDA's %<width>u.
  std::vector<uint64_t> coords(s.shape.size());
  uint64_t rest = r.index;
  for (size_t d = s.shape.size(); d-- > 0;) {
    uint64_t n = s.shape[d] > 0 ? static_cast<uint64_t>(s.shape[d]) : 1;
    coords[d] = rest % n;
    rest /= n;
  }
  for (size_t d = 0; d < s.shape.size(); ++d) {
    int width = s.shape[d] > 0 ? static_cast<int>(std::ceil(std::log10(double(s.shape[d])))) : 0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%*" PRIu64, width, coords[d]);
    out += (d ? ", " : "") + std::string(buf);
  }
  return out + ")";
}

std::string formatPrintRecord(const DebugSite& s, const DebugRecord& r) {
  if (s.operand < 0)
    return "pid (" + std::to_string(r.pid[0]) + ", " + std::to_string(r.pid[1]) + ", " +
           std::to_string(r.pid[2]) + ")" + s.text;
  std::string out = formatRecordPosition(s, r) + s.text;
  if (s.numOperands > 1) out += "(operand " + std::to_string(s.operand) + ") ";
  return out + valueText(s, r.bits);
}

std::string formatAssertFailures(const std::vector<AssertFailure>& failures, uint64_t unrecorded) {
  std::string out = kDeviceAssertPrefix;
  out += ":";
  for (const AssertFailure& f : failures) {
    const DebugSite& s = f.site;
    std::string where = s.file.empty() ? "unknown" : s.file + ":" + std::to_string(s.line);
    out += "\n  " + where + ": kernel '" + f.kernel + "': Assertion `" + s.text + "` failed at " +
           formatRecordPosition(s, f.first) + " (" + std::to_string(f.count) + " failing element" +
           (f.count == 1 ? "" : "s") + " recorded)";
  }
  if (unrecorded)
    out += "\n  " + std::to_string(unrecorded) +
           " failing element(s) not recorded (the debug record buffer was full)";
  return out;
}

}  // namespace tvk
