// Environment variables of the runtime.
#include "runtime/env.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

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

Result<int64_t> parseInteger(const std::string& name, const std::string& text, int64_t min,
                             int64_t max) {
  const std::string t = trim(text);
  const std::string where = name + "=" + text + ": ";
  size_t digits = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
  if (digits == t.size()) return Status::error(where + "not an integer");
  for (size_t i = digits; i < t.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(t[i])))
      return Status::error(where + "not an integer");
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  const std::string range = "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (errno == ERANGE || v < min || v > max) return Status::error(where + range);
  return static_cast<int64_t>(v);
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
    return Status::error(where + "must be in [" + shortNumber(min) + ", " + shortNumber(max) + "]");
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

}  // namespace tvk
