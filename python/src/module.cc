// PYBIND11_MODULE(_C): the exception types and the compiler/runtime bindings.
#include "common.h"

namespace tvkpy {

PYBIND11_MODULE(_C, m) {
  m.doc() = "triton_vulkan native extension: TTIR → SPIR-V compiler and Vulkan runtime";
  static py::exception<RuntimeFailure> vkError(m, "VulkanError", PyExc_RuntimeError);
  static py::exception<CompileError> compileError(m, "CompilationError", vkError.ptr());
  static py::exception<DeviceLost> lostError(m, "DeviceLostError", vkError.ptr());
  static py::exception<DeviceAssertion> assertError(m, "DeviceAssertionError", vkError.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const CompileError& e) {
      PyErr_SetString(compileError.ptr(), e.what());
    } catch (const DeviceAssertion& e) {
      PyErr_SetString(assertError.ptr(), e.what());
    } catch (const DeviceLost& e) {
      PyErr_SetString(lostError.ptr(), e.what());
    } catch (const RuntimeFailure& e) {
      PyErr_SetString(vkError.ptr(), e.what());
    }
  });
  bindCompiler(m);
#ifdef TVK_PY_HAVE_RUNTIME
  bindRuntime(m);
  m.attr("has_runtime") = true;
#else
  m.attr("has_runtime") = false;
#endif
}

}  // namespace tvkpy
