// The calls into triton_vulkan.torch_device (bridge.h).
#include "bridge.h"

#include <Python.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include <c10/util/Exception.h>

namespace tvk_torch {
namespace {

std::atomic<int> g_default{0};
thread_local int t_current = -1;  // set by PyTorch's device guards on this thread

// Holds the GIL for its lifetime (PyGILState: works on any thread, nests).
struct Gil {
  PyGILState_STATE state;
  Gil() : state(PyGILState_Ensure()) {}
  ~Gil() { PyGILState_Release(state); }
};

// The pending Python exception's text (cleared), for a c10::Error.
std::string takeError() {
  PyObject *type = nullptr, *value = nullptr, *trace = nullptr;
  PyErr_Fetch(&type, &value, &trace);
  PyErr_NormalizeException(&type, &value, &trace);
  std::string text = "unknown error";
  if (value != nullptr) {
    PyObject* s = PyObject_Str(value);
    if (s != nullptr) {
      const char* c = PyUnicode_AsUTF8(s);
      if (c != nullptr) text = c;
      Py_DECREF(s);
    }
    PyErr_Clear();
  }
  if (type != nullptr) {
    const char* name = reinterpret_cast<PyTypeObject*>(type)->tp_name;
    if (name != nullptr) text = std::string(name) + ": " + text;
  }
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(trace);
  return text;
}

// Calls triton_vulkan.torch_device.<fn>(*args); a new reference. Throws on failure.
PyObject* call(const char* fn, PyObject* args) {
  static PyObject* module = nullptr;  // never released: kernels may run at exit
  if (module == nullptr) {
    module = PyImport_ImportModule("triton_vulkan.torch_device");
    if (module == nullptr) {
      Py_XDECREF(args);
      TORCH_CHECK(false, "triton_vulkan: cannot import triton_vulkan.torch_device: ", takeError());
    }
  }
  PyObject* f = PyObject_GetAttrString(module, fn);
  PyObject* r = (f != nullptr && args != nullptr) ? PyObject_CallObject(f, args) : nullptr;
  Py_XDECREF(f);
  Py_XDECREF(args);
  if (r == nullptr) {
    std::string e = takeError();
    if (e.find("out of memory") != std::string::npos || e.find("OutOfMemory") != std::string::npos) {
      TORCH_CHECK_WITH(OutOfMemoryError, false, "triton_vulkan: ", e);
    }
    TORCH_CHECK(false, "triton_vulkan: ", e);
  }
  return r;
}

}  // namespace

HostAllocation allocate(int index, size_t bytes) {
  Gil gil;
  PyObject* alloc = call("_allocate", Py_BuildValue("(in)", index, static_cast<Py_ssize_t>(bytes)));
  PyObject* addr = PyObject_GetAttrString(alloc, "address");
  if (addr == nullptr) {
    Py_DECREF(alloc);
    TORCH_CHECK(false, "triton_vulkan: allocation without an address: ", takeError());
  }
  void* p = PyLong_AsVoidPtr(addr);
  Py_DECREF(addr);
  uint64_t device = 0;
  PyObject* dev = PyObject_GetAttrString(alloc, "device_address");
  if (dev != nullptr) {
    device = PyLong_AsUnsignedLongLong(dev);
    Py_DECREF(dev);
  }
  if (PyErr_Occurred()) {
    PyErr_Clear();
    device = 0;
  }
  return {p, device, alloc};
}

void releaseAllocation(void* owner) {
  if (owner == nullptr || !Py_IsInitialized() || _Py_IsFinalizing()) return;
  Gil gil;
  Py_DECREF(static_cast<PyObject*>(owner));
}

void synchronize(int index) {
  Gil gil;
  Py_DECREF(call("_synchronize", Py_BuildValue("(i)", index)));
}

bool fastHostReads(int index) {
  static std::mutex mu;
  static std::map<int, bool> known;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = known.find(index);
    if (it != known.end()) return it->second;
  }
  bool fast;
  {
    Gil gil;
    PyObject* r = call("_host_cached", Py_BuildValue("(i)", index));
    fast = PyObject_IsTrue(r) == 1;
    Py_DECREF(r);
  }
  std::lock_guard<std::mutex> lock(mu);
  known[index] = fast;
  return fast;
}

void readDevice(int index, const void* data, void* dst, size_t bytes) {
  Gil gil;
  Py_DECREF(call("_read", Py_BuildValue("(iKKn)", index, static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(data)),
                                        static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(dst)),
                                        static_cast<Py_ssize_t>(bytes))));
}

int deviceCount() {
  static std::once_flag once;
  static int count = 0;
  std::call_once(once, [] {
    Gil gil;
    PyObject* r = call("_device_count", PyTuple_New(0));
    count = static_cast<int>(PyLong_AsLong(r));
    Py_DECREF(r);
  });
  return count;
}

int currentDevice() { return t_current >= 0 ? t_current : g_default.load(std::memory_order_relaxed); }

void setCurrentDevice(int index) { t_current = index; }

void setDefaultDevice(int index) {
  g_default.store(index, std::memory_order_relaxed);
  t_current = -1;
}

void noteFallback(const std::string& name) {
  static std::mutex mu;
  static std::set<std::string> seen;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!seen.insert(name).second) return;
  }
  Gil gil;  // the warning may raise (warnings as errors): that fails the op, as it should
  Py_DECREF(call("_note_fallback", Py_BuildValue("(s)", name.c_str())));
}

}  // namespace tvk_torch
