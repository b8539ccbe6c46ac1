// triton_vulkan._torch_device: PyTorch's PrivateUse1 device backed by Vulkan memory. Loading
// it registers the ATen kernels (ops.cc) and the device guard (device.cc); `register_device`
// installs the allocator and hooks. The Python side is triton_vulkan/torch_device.py.
#include <Python.h>

#include "bridge.h"

namespace {

PyObject* registerDevice(PyObject*, PyObject* args) {
  int index = 0;
  if (!PyArg_ParseTuple(args, "i", &index)) return nullptr;
  try {
    tvk_torch::setDefaultDevice(index);
    tvk_torch::registerDevice();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyObject* setDefaultDevice(PyObject*, PyObject* args) {
  int index = 0;
  if (!PyArg_ParseTuple(args, "i", &index)) return nullptr;
  tvk_torch::setDefaultDevice(index);
  Py_RETURN_NONE;
}

PyObject* currentDevice(PyObject*, PyObject*) { return PyLong_FromLong(tvk_torch::currentDevice()); }

PyMethodDef kMethods[] = {
    {"register_device", registerDevice, METH_VARARGS,
     "register_device(index): installs the allocator and hooks; `index` becomes the default device."},
    {"set_default_device", setDefaultDevice, METH_VARARGS, "set_default_device(index)"},
    {"current_device", currentDevice, METH_NOARGS, "This thread's current device index."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "_torch_device",
                       "PyTorch device backed by Vulkan memory (see triton_vulkan.torch_device).", -1, kMethods};

}  // namespace

PyMODINIT_FUNC PyInit__torch_device() { return PyModule_Create(&kModule); }
