// Loading case.json.
#include "tools/test_case.h"

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/parse_int.h"

namespace tvk::tools {
namespace {

using json = nlohmann::json;

// Reads string field `key` of object `j` into `out` (left as is when absent and optional).
// nlohmann's get<> throws on a type mismatch, so every field's type is checked first.
Status stringField(const json& j, const char* key, bool required, std::string& out) {
  if (!j.contains(key)) {
    if (required) return Status::error(std::string("missing field '") + key + "'");
    return Status();
  }
  if (!j[key].is_string())
    return Status::error(std::string("field '") + key + "' must be a string, not " + j[key].dump());
  out = j[key].get<std::string>();
  return Status();
}

// Reads number field `key` of object `j` into `out` (left as is when absent).
template <typename T>
Status numberField(const json& j, const char* key, T& out) {
  if (!j.contains(key)) return Status();
  const json& v = j[key];
  const bool ok = std::is_integral<T>::value ? v.is_number_integer() : v.is_number();
  if (!ok) return Status::error(std::string("field '") + key + "' must be a number, not " + v.dump());
  out = v.get<T>();
  return Status();
}

Status readBuffer(const json& j, const std::string& dir, CaseArg& a) {
  a.isBuffer = true;
  std::string dtype, input, expected;
  TVK_RETURN_IF_ERROR(stringField(j, "dtype", true, dtype));
  Result<CaseDType> dt = caseDType(dtype);
  if (!dt.ok()) return dt.status();
  a.dtype = *dt;
  TVK_RETURN_IF_ERROR(numberField(j, "offset", a.offset));
  TVK_RETURN_IF_ERROR(stringField(j, "input", true, input));
  a.input = dir + "/" + input;
  TVK_RETURN_IF_ERROR(stringField(j, "expected", false, expected));
  if (!expected.empty()) a.expected = dir + "/" + expected;
  if (j.contains("tolerance")) {
    const json& t = j["tolerance"];
    if (!t.is_object()) return Status::error("field 'tolerance' must be an object");
    TVK_RETURN_IF_ERROR(numberField(t, "rtol", a.tolerance.rtol));
    TVK_RETURN_IF_ERROR(numberField(t, "atol", a.tolerance.atol));
  }
  return Status();
}

Status readArg(const json& j, const std::string& dir, CaseArg& a) {
  if (!j.is_object()) return Status::error("argument " + j.dump() + " is not an object");
  std::string kind;
  TVK_RETURN_IF_ERROR(stringField(j, "name", true, a.name));
  Status fields = stringField(j, "kind", true, kind);
  if (fields.ok()) fields = stringField(j, "type", true, a.type);
  if (!fields.ok()) return Status::error("argument '" + a.name + "': " + fields.message());
  if (kind == "buffer") {
    Status s = readBuffer(j, dir, a);
    if (!s.ok()) return Status::error("argument '" + a.name + "': " + s.message());
    return Status();
  }
  if (kind != "scalar") return Status::error("argument '" + a.name + "': unknown kind " + kind);
  if (!j.contains("value")) return Status::error("scalar '" + a.name + "' has no value");
  const json& v = j["value"];
  a.integral = v.is_boolean() || v.is_number_integer();
  if (v.is_boolean()) {
    a.intValue = v.get<bool>();
    a.floatValue = a.intValue;
  } else if (v.is_number_unsigned()) {  // up to 2^64 - 1 (u64 bits)
    a.intValue = static_cast<int64_t>(v.get<uint64_t>());
    a.floatValue = static_cast<double>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    a.intValue = v.get<int64_t>();
    a.floatValue = static_cast<double>(a.intValue);
  } else if (v.is_number()) {
    a.floatValue = v.get<double>();
  } else if (v.is_string()) {  // "nan", "inf", "-inf"
    std::string s = v.get<std::string>();
    char* end = nullptr;
    a.floatValue = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0')
      return Status::error("argument '" + a.name + "': scalar value \"" + s +
                           "\" is not a number (strings are for nan/inf)");
  } else {
    return Status::error("argument '" + a.name + "': unsupported scalar value " + v.dump());
  }
  return Status();
}

}  // namespace

Result<TestCase> loadTestCase(const std::string& dir) {
  std::ifstream in(dir + "/case.json");
  if (!in) return Status::error("cannot open " + dir + "/case.json");
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::error(dir + "/case.json is not valid JSON");
  TestCase c;
  c.dir = dir;
  Status top = stringField(j, "kernel", false, c.kernel);
  if (top.ok()) top = numberField(j, "num_warps", c.numWarps);
  if (top.ok() && c.numWarps < 1) top = Status::error("num_warps must be positive");
  if (!top.ok()) return Status::error(dir + "/case.json: " + top.message());
  if (!j.contains("grid") || !j["grid"].is_array() || j["grid"].size() != 3)
    return Status::error(dir + "/case.json: grid must have 3 numbers");
  for (int i = 0; i < 3; ++i) {
    const json& g = j["grid"][i];
    if (!g.is_number_unsigned() || g.get<uint64_t>() > UINT32_MAX)
      return Status::error(dir + "/case.json: grid must have 3 non-negative 32-bit integers");
    c.grid[i] = g.get<uint32_t>();
  }
  if (!j.contains("args") || !j["args"].is_array())
    return Status::error(dir + "/case.json: no args");
  for (const json& aj : j["args"]) {
    CaseArg a;
    Status s = readArg(aj, dir, a);
    if (!s.ok()) return Status::error(dir + "/case.json: " + s.message());
    c.args.push_back(a);
  }
  return c;
}

Result<std::vector<uint8_t>> scalarBytes(const CaseArg& arg, uint32_t size) {
  std::vector<uint8_t> out(size, 0);
  const std::string& t = arg.type;
  if (t == "f32" && size == 4) {
    float f = static_cast<float>(arg.floatValue);
    std::memcpy(out.data(), &f, 4);
  } else if (t == "f64" && size == 8) {
    std::memcpy(out.data(), &arg.floatValue, 8);
  } else if (t == "f16" && size >= 2) {
    uint16_t h = floatToHalf(static_cast<float>(arg.floatValue));
    std::memcpy(out.data(), &h, 2);
  } else if (t == "bf16" && size >= 2) {
    float f = static_cast<float>(arg.floatValue);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    uint16_t b = static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
    std::memcpy(out.data(), &b, 2);
  } else if (t == "i1" || t == "i8" || t == "i16" || t == "i32" || t == "i64") {
    if (!arg.integral)
      return Status::error("scalar '" + arg.name + "' of type " + t + " needs an integer value");
    Result<int64_t> width = t == "i1" ? Result<int64_t>(int64_t{1}) : parseInt64(t.substr(1), 1, 64);
    if (!width.ok()) return Status::error("scalar '" + arg.name + "' of type " + t + ": " + width.status().message());
    const int bits = static_cast<int>(*width);
    // iN holds N-bit values read as signed or unsigned (Triton passes both): [-2^(N-1), 2^N).
    if (bits < 64 && (arg.intValue < (bits == 1 ? 0 : -(int64_t(1) << (bits - 1))) ||
                      arg.intValue >= (int64_t(1) << bits)))
      return Status::error("scalar '" + arg.name + "' value " + std::to_string(arg.intValue) +
                           " does not fit its type " + t);
    int64_t v = t == "i1" ? (arg.intValue != 0) : arg.intValue;
    for (uint32_t i = 0; i < size; ++i)
      out[i] = static_cast<uint8_t>(i < 8 ? (v >> (8 * i)) & 0xff : (v < 0 ? 0xff : 0));
  } else {
    return Status::error("scalar '" + arg.name + "' of type " + t + " cannot be passed in " +
                         std::to_string(size) + " bytes");
  }
  return out;
}

}  // namespace tvk::tools
