// Measurement switches: environment variables that turn a compiler feature off for an A/B
// measurement (TVK_DOT_HOLD=0, TVK_RUN_DIVISIONS=0, ...). Each one that changes the SPIR-V is
// also in the Python backend's cache key (python/triton_vulkan/backend/compiler.py).
#pragma once

#include <cstdlib>
#include <cstring>

namespace tvk {

/// True unless environment variable `name` is "0" (a feature on by default).
inline bool switchOn(const char* name) {
  const char* env = std::getenv(name);
  return !env || std::strcmp(env, "0") != 0;
}

/// True when environment variable `name` is "1" (a feature off by default).
inline bool switchSet(const char* name) {
  const char* env = std::getenv(name);
  return env && std::strcmp(env, "1") == 0;
}

}  // namespace tvk
