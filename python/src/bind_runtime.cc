// Binding of the runtime: devices, Vulkan memory exposed through the buffer protocol (so that
// torch.frombuffer gives zero-copy tensors), the registry that maps a host address back to its
// (buffer, offset), pipelines, launches, GPU timestamps.
#include <pybind11/stl.h>

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>

#include "common.h"
#include "runtime/runtime.h"

namespace tvkpy {

namespace {

/// An open device shared by everything created from it. Never destroyed (see openCached).
struct DeviceHolder {
  /// The runtime's device.
  std::unique_ptr<tvk::Device> device;
  /// Its index in enumerateDevices() order.
  int index = -1;
  /// Python objects (allocations) referenced by launches recorded since the last synchronize.
  std::vector<py::object> pending;
};

/// One block of Vulkan memory as a Python object (buffer protocol over the mapped memory).
struct PyAllocation {
  /// The device the memory belongs to.
  DeviceHolder* holder = nullptr;
  /// The runtime buffer (returns to the caching allocator when destroyed).
  tvk::Buffer buffer;
  /// Host address of the persistently mapped memory (the registry key).
  uintptr_t address = 0;
  /// Bytes usable through the buffer protocol.
  size_t size = 0;
  /// Leaves the registry; the buffer then returns its memory.
  ~PyAllocation();
};

/// Live allocations by mapped host address (start → allocation), for data_ptr() lookups.
std::map<uintptr_t, PyAllocation*>& registry() {  // never destroyed: allocations may die at exit
  static auto* r = new std::map<uintptr_t, PyAllocation*>();
  return *r;
}

PyAllocation::~PyAllocation() {
  if (address) registry().erase(address);
}

/// Devices stay open until the process exits (tensors may outlive any Python-level owner).
DeviceHolder* openCached(int index) {
  static auto* open = new std::map<int, DeviceHolder*>();
  static int defaultIndex = -1;
  int key = index < 0 ? defaultIndex : index;
  if (key < 0) {
    auto infos = take(tvk::enumerateDevices(), "listing Vulkan devices");
    key = -1;
    for (const auto& info : infos)
      if (info.isDefault) key = info.index;
    if (key < 0) throw RuntimeFailure("no Vulkan device with compute support was found");
    defaultIndex = key;
  }
  auto it = open->find(key);
  if (it != open->end()) return it->second;
  auto holder = new DeviceHolder();
  holder->device = take(tvk::openDevice(key), "opening the Vulkan device");
  holder->index = holder->device->info().index;
  (*open)[key] = holder;
  return holder;
}

/// The allocation containing [address, address + bytes), or nullptr.
PyAllocation* findAllocation(uintptr_t address) {
  auto& r = registry();
  auto it = r.upper_bound(address);
  if (it == r.begin()) return nullptr;
  --it;
  PyAllocation* a = it->second;
  if (address >= a->address && address < a->address + a->size) return a;
  return nullptr;
}

py::dict deviceInfoToDict(const tvk::DeviceInfo& info) {
  py::dict d;
  d["index"] = info.index;
  d["name"] = info.name;
  d["type"] = info.type;
  d["driver"] = info.driver;
  d["api_version"] = py::str(std::to_string(info.apiVersion >> 22) + "." +
                             std::to_string((info.apiVersion >> 12) & 0x3ff) + "." +
                             std::to_string(info.apiVersion & 0xfff));
  d["default"] = info.isDefault;
  d["subgroup_size"] = info.target.subgroupSize;
  d["shared_memory_bytes"] = info.target.sharedMemoryBytes;
  d["max_workgroup_invocations"] = info.target.maxWorkgroupInvocations;
  return d;
}

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  int32_t exp = int32_t((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff) return uint16_t(sign | 0x7c00 | (mant ? 0x200 : 0));
  if (exp >= 31) return uint16_t(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return uint16_t(sign);
    mant |= 0x800000;
    uint32_t shift = uint32_t(14 - exp);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return uint16_t(sign | half);
  }
  uint32_t half = sign | (uint32_t(exp) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;
  return uint16_t(half);
}

uint16_t floatToBf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if (std::isnan(f)) return uint16_t((x >> 16) | 0x40);
  uint32_t rounding = 0x7fff + ((x >> 16) & 1);
  return uint16_t((x + rounding) >> 16);
}

/// Packs a Python scalar for a parameter of TTIR type `type` (`i32`, `f16`, ...) into `size` bytes.
tvk::LaunchArg packScalar(const tvk::ArgInfo& info, py::handle value) {
  const std::string& t = info.type;
  bool isFloat = !t.empty() && (t[0] == 'f' || t == "bf16");
  if (isFloat) {
    if (!py::isinstance<py::float_>(value) && !py::isinstance<py::int_>(value))
      throw py::type_error("argument '" + info.name + "' (" + t + ") expects a float, got " +
                           std::string(py::str(py::type::handle_of(value).attr("__name__"))));
    double v = value.cast<double>();
    if (t == "f32") return tvk::LaunchArg::of(float(v));
    if (t == "f64") return tvk::LaunchArg::of(v);
    if (t == "f16") return tvk::LaunchArg::of(floatToHalf(float(v)));
    if (t == "bf16") return tvk::LaunchArg::of(floatToBf16(float(v)));
    throw py::type_error("argument '" + info.name + "': unsupported scalar type " + t);
  }
  if (!py::isinstance<py::int_>(value))  // bool is an int subclass
    throw py::type_error("argument '" + info.name + "' (" + t + ") expects an int, got " +
                         std::string(py::str(py::type::handle_of(value).attr("__name__"))));
  // Two's complement truncation to the parameter's size (signless in TTIR: i32 holds u32 too).
  py::int_ iv = py::reinterpret_borrow<py::int_>(value);
  uint64_t bits = PyLong_AsUnsignedLongLongMask(iv.ptr());
  if (PyErr_Occurred()) throw py::error_already_set();
  int width = t == "i1" ? 1 : std::atoi(t.c_str() + 1);
  if (t == "i1") bits &= 1;
  else if (width < 64) {
    // Range check: accept [-2^(w-1), 2^w) so that both signed and unsigned spellings fit.
    long long sv = PyLong_AsLongLong(iv.ptr());
    bool overflow = PyErr_Occurred() != nullptr;
    PyErr_Clear();
    if (overflow || sv < -(1LL << (width - 1)) || sv >= (1LL << width))
      throw py::value_error("argument '" + info.name + "' = " + std::string(py::str(value)) +
                            " does not fit in " + t);
  }
  uint32_t size = info.size ? info.size : uint32_t((width + 7) / 8);
  return tvk::LaunchArg::ofBytes(&bits, size);  // little-endian host
}

/// A pipeline on one device, with the reflection record launches are packed by.
struct PyKernel {
  /// The device the pipeline was created on.
  DeviceHolder* holder = nullptr;
  /// The runtime's (cached) pipeline.
  std::shared_ptr<tvk::Pipeline> pipeline;
  /// Parameters, push-constant layout, workgroup size.
  tvk::Reflection reflection;
};

/// A recorded GPU timestamp.
struct PyEvent {
  /// The device whose stream holds it.
  DeviceHolder* holder = nullptr;
  /// The runtime's event.
  tvk::Event event;
};

}  // namespace

void bindRuntime(py::module_& m) {
  m.def("devices", [] {
    py::list out;
    for (const auto& info : take(tvk::enumerateDevices(), "listing Vulkan devices")) out.append(deviceInfoToDict(info));
    return out;
  }, "The Vulkan devices with compute support, as dicts.");
  m.def("validation_messages", &tvk::validationMessages);
  m.def("validation_enabled", &tvk::validationEnabled);

  py::class_<PyAllocation>(m, "Allocation", py::buffer_protocol(),
                           "A block of Vulkan memory, mapped on the host; returned to the caching allocator when freed")
      .def_buffer([](PyAllocation& a) {
        return py::buffer_info(reinterpret_cast<void*>(a.address), 1, py::format_descriptor<uint8_t>::format(), 1,
                               {py::ssize_t(a.size)}, {py::ssize_t(1)}, false);
      })
      .def_property_readonly("address", [](const PyAllocation& a) { return a.address; })
      .def_property_readonly("size", [](const PyAllocation& a) { return a.size; })
      .def_property_readonly("device_index", [](const PyAllocation& a) { return a.holder->index; });

  py::class_<PyKernel>(m, "Kernel", "A pipeline for one compiled kernel on one device")
      .def_property_readonly("reflection", [](const PyKernel& k) { return reflectionToDict(k.reflection); });

  py::class_<PyEvent>(m, "Event", "A GPU timestamp recorded in a device's stream");

  py::class_<DeviceHolder>(m, "Device", "An open Vulkan device (one compute queue, a caching allocator, a stream)")
      .def_property_readonly("index", [](const DeviceHolder& h) { return h.index; })
      .def_property_readonly("info", [](const DeviceHolder& h) { return deviceInfoToDict(h.device->info()); })
      .def_property_readonly("target", [](const DeviceHolder& h) { return h.device->target(); })
      .def_property_readonly("allocated_bytes", [](const DeviceHolder& h) { return h.device->allocatedBytes(); })
      .def_property_readonly("dispatch_count", [](const DeviceHolder& h) { return h.device->dispatchCount(); })
      .def("allocate", [](DeviceHolder& h, size_t bytes) {
        if (bytes == 0) bytes = 1;
        auto a = std::make_unique<PyAllocation>();
        a->holder = &h;
        a->buffer = take(h.device->allocate(bytes), "allocating Vulkan memory");
        if (a->buffer.data() == nullptr)
          throw RuntimeFailure("this device's memory for buffers is not host-visible: zero-copy tensors are unavailable");
        a->address = reinterpret_cast<uintptr_t>(a->buffer.data());
        a->size = bytes;
        registry()[a->address] = a.get();
        return a;
      }, py::arg("bytes"), "Allocates a host-mapped Vulkan buffer of `bytes` bytes.")
      .def("kernel", [](DeviceHolder& h, const py::bytes& spirv, const py::dict& reflection) {
        std::string s = spirv;
        if (s.size() % 4) throw RuntimeFailure("SPIR-V size is not a multiple of 4");
        tvk::CompiledKernel ck;
        ck.spirv.resize(s.size() / 4);
        std::memcpy(ck.spirv.data(), s.data(), s.size());
        ck.reflection = reflectionFromDict(reflection);
        auto k = std::make_unique<PyKernel>();
        k->holder = &h;
        k->pipeline = take(h.device->pipeline(ck), "creating the pipeline");
        k->reflection = ck.reflection;
        return k;
      }, py::arg("spirv"), py::arg("reflection"), "Creates (or reuses) the pipeline of a compiled kernel.")
      .def("launch", [](DeviceHolder& h, const PyKernel& k, std::tuple<int64_t, int64_t, int64_t> grid,
                        const py::sequence& args) {
        const auto& refl = k.reflection;
        if (k.holder != &h) throw RuntimeFailure("kernel '" + refl.entry + "' was created for another device");
        if (size_t(py::len(args)) != refl.args.size())
          throw py::type_error("kernel '" + refl.entry + "' takes " + std::to_string(refl.args.size()) +
                               " arguments, got " + std::to_string(py::len(args)));
        int64_t g[3] = {std::get<0>(grid), std::get<1>(grid), std::get<2>(grid)};
        for (int64_t v : g)
          if (v < 0 || v > 0xffffffffLL) throw py::value_error("grid dimension out of range: " + std::to_string(v));
        if (g[0] == 0 || g[1] == 0 || g[2] == 0) return;  // empty grid: nothing to do
        std::vector<tvk::LaunchArg> packed;
        packed.reserve(refl.args.size());
        std::vector<py::object> keep;
        for (size_t i = 0; i < refl.args.size(); ++i) {
          const tvk::ArgInfo& info = refl.args[i];
          py::handle v = args[i];
          if (info.kind == tvk::ArgInfo::Kind::Scalar) {
            packed.push_back(packScalar(info, v));
            continue;
          }
          if (!py::isinstance<py::int_>(v))
            throw py::type_error("argument '" + info.name + "' (" + info.type + ") expects a buffer address");
          uintptr_t addr = v.cast<uintptr_t>();
          PyAllocation* a = findAllocation(addr);
          if (!a) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "0x%zx", size_t(addr));
            throw py::value_error("argument '" + info.name + "': address " + buf + " is not in Vulkan memory");
          }
          if (a->holder != &h)
            throw py::value_error("argument '" + info.name + "' lives on Vulkan device " +
                                  std::to_string(a->holder->index) + ", the kernel runs on device " +
                                  std::to_string(h.index));
          uint64_t off = addr - a->address;
          if (info.size && off % info.size)
            throw py::value_error("argument '" + info.name + "': pointer is not aligned to its element size (" +
                                  std::to_string(info.size) + " bytes)");
          if (info.alignment > 1 && addr % info.alignment)
            throw py::value_error("argument '" + info.name + "': the kernel was compiled for a " +
                                  std::to_string(info.alignment) + "-byte aligned pointer");
          packed.push_back(tvk::LaunchArg::ofBuffer(a->buffer, off));
          keep.push_back(py::cast(a, py::return_value_policy::reference));
        }
        uint32_t g32[3] = {uint32_t(g[0]), uint32_t(g[1]), uint32_t(g[2])};
        check(h.device->launch(*k.pipeline, g32, packed), ("launching '" + refl.entry + "'").c_str());
        for (auto& o : keep) h.pending.push_back(std::move(o));
      }, py::arg("kernel"), py::arg("grid"), py::arg("args"),
         "Records a launch. Buffer arguments are host addresses inside live allocations; scalars are numbers.")
      .def("keep_alive", [](DeviceHolder& h, py::object o) { h.pending.push_back(std::move(o)); },
           "Keeps `o` alive until the next synchronize (used for staging buffers).")
      .def("synchronize", [](DeviceHolder& h) {
        {
          py::gil_scoped_release release;
          check(h.device->synchronize(), "synchronize");
        }
        h.pending.clear();
      })
      .def("record_event", [](DeviceHolder& h) {
        auto e = std::make_unique<PyEvent>();
        e->holder = &h;
        e->event = take(h.device->recordEvent(), "recording a timestamp");
        return e;
      })
      .def("elapsed_ms", [](DeviceHolder& h, const PyEvent& start, const PyEvent& end) {
        tvk::Result<double> r = [&] {
          py::gil_scoped_release release;
          return h.device->elapsedMs(start.event, end.event);
        }();
        return take(std::move(r), "reading timestamps");
      });

  m.def("open_device", &openCached, py::arg("index") = -1, py::return_value_policy::reference,
        "Opens (once) and returns device `index`, or the default device for -1.");
  m.def("find_allocation", [](uintptr_t address) -> py::object {
    PyAllocation* a = findAllocation(address);
    if (!a) return py::none();
    return py::make_tuple(py::cast(a, py::return_value_policy::reference), address - a->address);
  }, py::arg("address"), "(allocation, byte offset) holding a host address, or None.");
}

}  // namespace tvkpy
