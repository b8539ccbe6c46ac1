// Environment variables of the runtime.
#include "runtime/env.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "support/parse_int.h"

namespace tvk {

namespace {
std::string readEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}
std::string shortNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

std::string envPipelineDump() { return trim(readEnv("TVK_PIPELINE_DUMP")); }

Result<int64_t> parseInteger(const std::string& name, const std::string& text, int64_t min,
                             int64_t max) {
  Result<int64_t> v = parseInt64(trim(text), min, max);
  if (!v.ok()) return Status::error(name + "=" + text + ": " + v.status().message());
  return v;
}

Result<double> parseNumber(const std::string& name, const std::string& text, double min,
                           double max) {
  const std::string t = trim(text);
  const std::string where = name + "=" + text + ": ";
  if (t.empty()) return Status::error(where + "not a number");
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) return Status::error(where + "not a number");
  if (v < min || v > max)
    return Status::error(where + "number " + t + " is out of range [" + shortNumber(min) + ", " +
                         shortNumber(max) + "]");
  return v;
}

std::string envDevice() { return readEnv("TVK_DEVICE"); }

bool envValidation() {
  std::string v = readEnv("TVK_VALIDATION");
  return !v.empty() && v != "0";
}

Result<double> envTimeoutSeconds(double fallback) {
  std::string v = readEnv("TVK_TIMEOUT");
  if (v.empty()) return fallback;
  return parseNumber("TVK_TIMEOUT", v, 0.0, 1e7);  // 0 = no limit; at most ~115 days
}

Result<int64_t> envCacheLimit() {
  std::string v = readEnv("TVK_CACHE_LIMIT");
  if (v.empty()) return int64_t{-1};
  return parseInteger("TVK_CACHE_LIMIT", v, 0, INT64_MAX);
}

Result<int64_t> envDebugRecords() {
  std::string v = readEnv("TVK_DEBUG_RECORDS");
  if (v.empty()) return int64_t{-1};
  return parseInteger("TVK_DEBUG_RECORDS", v, 1, int64_t{1} << 24);
}

}  // namespace tvk
