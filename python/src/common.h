// Shared pieces of the pybind11 binding: the exception types Python sees, and Status → exception.
// Exceptions exist only in this binding layer; the libraries return Status/Result<T>.
#pragma once

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

#include "abi/reflection.h"
#include "support/status.h"

namespace tvkpy {

namespace py = pybind11;

/// Thrown for a compiler error; Python sees triton_vulkan.CompilationError.
struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Thrown for a runtime (device, memory, launch) error; Python sees triton_vulkan.VulkanError.
struct RuntimeFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Thrown when a device is lost (a timeout, VK_ERROR_DEVICE_LOST); Python sees
/// triton_vulkan.DeviceLostError (a VulkanError).
struct DeviceLost : RuntimeFailure {
  using RuntimeFailure::RuntimeFailure;
};

/// Thrown when a kernel's tt.assert failed (the runtime's message starts with
/// tvk::kDeviceAssertPrefix); Python sees triton_vulkan.DeviceAssertionError (a VulkanError).
struct DeviceAssertion : RuntimeFailure {
  using RuntimeFailure::RuntimeFailure;
};

/// Throws DeviceAssertion for failed device assertions, else RuntimeFailure, with `message`.
[[noreturn]] inline void throwRuntimeFailure(const std::string& message) {
  if (message.find("device-side assertion failed") != std::string::npos)
    throw DeviceAssertion(message);
  throw RuntimeFailure(message);
}

/// Throws RuntimeFailure with `what: message` when `status` failed.
inline void check(const tvk::Status& status, const char* what) {
  if (!status.ok()) throwRuntimeFailure(std::string(what) + ": " + status.message());
}

/// Unwraps a Result<T> or throws RuntimeFailure naming `what`.
template <typename T>
T take(tvk::Result<T> result, const char* what) {
  if (!result.ok()) throw RuntimeFailure(std::string(what) + ": " + result.status().message());
  return std::move(result.value());
}

/// The reflection record as a JSON-serializable dict (Triton stores it in kernel metadata).
py::dict reflectionToDict(const tvk::Reflection& r);
/// The inverse of reflectionToDict.
tvk::Reflection reflectionFromDict(const py::dict& d);

/// Registers the compiler functions (compile_ttir, targets, versions) on `m`.
void bindCompiler(py::module_& m);
/// Registers the runtime (devices, memory, launches, timing) on `m`.
void bindRuntime(py::module_& m);

}  // namespace tvkpy
