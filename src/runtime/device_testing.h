// Test helper (header only, not part of the library): the local Vulkan device shared by the
// runtime and tools tests, opened once with the validation layer on.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "runtime/runtime.h"

namespace tvk::testing {

/// Turns the validation layer on at static-initialization time, before any instance exists.
inline const bool kValidationOn = [] { return setenv("TVK_VALIDATION", "1", 0) == 0; }();

/// The default device, opened on first use and leaked on purpose (no Vulkan teardown from
/// static destructors); aborts with the error when none can be opened.
inline Device& device() {
  static Device* dev = [] {
    Result<std::unique_ptr<Device>> d = openDevice(-1);
    if (!d.ok()) {
      std::fprintf(stderr, "openDevice: %s\n", d.status().message().c_str());
      std::abort();
    }
    return d->release();
  }();
  return *dev;
}

}  // namespace tvk::testing
