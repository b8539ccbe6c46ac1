// Loading case.json.
#include "tools/test_case.h"

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

namespace tvk::tools {
namespace {

using json = nlohmann::json;

Status readArg(const json& j, const std::string& dir, CaseArg& a) {
  if (!j.contains("name") || !j.contains("kind") || !j.contains("type"))
    return Status::error("argument without name/kind/type");
  a.name = j["name"].get<std::string>();
  a.type = j["type"].get<std::string>();
  std::string kind = j["kind"].get<std::string>();
  if (kind == "buffer") {
    a.isBuffer = true;
    Result<CaseDType> dt = caseDType(j.value("dtype", ""));
    if (!dt.ok()) return Status::error("argument '" + a.name + "': " + dt.status().message());
    a.dtype = *dt;
    a.offset = j.value("offset", int64_t(0));
    a.input = dir + "/" + j.value("input", "");
    if (j.contains("expected")) a.expected = dir + "/" + j["expected"].get<std::string>();
    if (j.contains("tolerance")) {
      a.tolerance.rtol = j["tolerance"].value("rtol", 0.0);
      a.tolerance.atol = j["tolerance"].value("atol", 0.0);
    }
    return Status();
  }
  if (kind != "scalar") return Status::error("argument '" + a.name + "': unknown kind " + kind);
  if (!j.contains("value")) return Status::error("scalar '" + a.name + "' has no value");
  const json& v = j["value"];
  if (v.is_boolean()) {
    a.intValue = v.get<bool>();
    a.floatValue = a.intValue;
  } else if (v.is_number_integer()) {
    a.intValue = v.get<int64_t>();
    a.floatValue = static_cast<double>(a.intValue);
  } else if (v.is_number()) {
    a.floatValue = v.get<double>();
    a.intValue = static_cast<int64_t>(a.floatValue);
  } else if (v.is_string()) {  // "nan", "inf", "-inf"
    std::string s = v.get<std::string>();
    a.floatValue = std::strtod(s.c_str(), nullptr);
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
  c.kernel = j.value("kernel", "");
  c.numWarps = j.value("num_warps", 4);
  if (!j.contains("grid") || !j["grid"].is_array() || j["grid"].size() != 3)
    return Status::error(dir + "/case.json: grid must have 3 numbers");
  for (int i = 0; i < 3; ++i) c.grid[i] = j["grid"][i].get<uint32_t>();
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
