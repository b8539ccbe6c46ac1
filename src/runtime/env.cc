// Environment variables of the runtime.
#include "runtime/env.h"

#include <cstdlib>

namespace tvk {

namespace {
std::string readEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}
}  // namespace

std::string envDevice() { return readEnv("TVK_DEVICE"); }

bool envValidation() {
  std::string v = readEnv("TVK_VALIDATION");
  return !v.empty() && v != "0";
}

}  // namespace tvk
