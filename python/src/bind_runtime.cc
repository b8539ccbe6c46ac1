// Binding of the runtime: devices, Vulkan memory exposed through the buffer protocol (so that
// torch.frombuffer gives zero-copy tensors), the registry that maps a host address back to its
// (buffer, offset), pipelines, launches, GPU timestamps, allocator statistics.
// Locking: see runtime_objects.h (GIL for Python objects; released around runtime calls).
#include <pybind11/stl.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <map>

#include "runtime_objects.h"

namespace tvkpy {

std::map<uintptr_t, PyAllocation*>& registry() {  // never destroyed: allocations may die at exit
  static auto* r = new std::map<uintptr_t, PyAllocation*>();
  return *r;
}

std::map<uintptr_t, PyAllocation*>& deviceRegistry() {  // never destroyed, as registry()
  static auto* r = new std::map<uintptr_t, PyAllocation*>();
  return *r;
}

PyAllocation::~PyAllocation() {
  if (address) registry().erase(address);
  if (deviceAddress && deviceAddress != address) deviceRegistry().erase(deviceAddress);
}

namespace {
// The allocation of `r` whose [key, key + size) holds `address`.
PyAllocation* lookup(std::map<uintptr_t, PyAllocation*>& r, uintptr_t address, uintptr_t* start) {
  auto it = r.upper_bound(address);
  if (it == r.begin()) return nullptr;
  --it;
  if (address >= it->first && address - it->first < std::max<size_t>(it->second->size, 1)) {
    *start = it->first;
    return it->second;
  }
  return nullptr;
}
}  // namespace

PyAllocation* findAllocation(uintptr_t address, uint64_t* offset) {
  uintptr_t start = 0;
  PyAllocation* a = lookup(registry(), address, &start);
  if (a == nullptr) a = lookup(deviceRegistry(), address, &start);
  if (a != nullptr) *offset = address - start;
  return a;
}

namespace {

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
  d["compute_units"] = info.computeUnits;
  d["subgroup_size"] = info.target.subgroupSize;
  d["shared_memory_bytes"] = info.target.sharedMemoryBytes;
  d["max_workgroup_invocations"] = info.target.maxWorkgroupInvocations;
  return d;
}

py::dict statsToDict(const tvk::MemoryStats& s) {
  py::dict d;
  d["allocated_bytes"] = s.allocatedBytes;
  d["in_use_bytes"] = s.inUseBytes;
  d["cached_bytes"] = s.cachedBytes;
  d["pending_bytes"] = s.pendingBytes;
  d["cache_limit"] = s.cacheLimit;
  d["returned_bytes"] = s.returnedBytes;
  d["out_of_memory_retries"] = s.outOfMemoryRetries;
  return d;
}

std::string typeName(py::handle v) {
  return py::str(py::type::handle_of(v).attr("__name__"));
}

/// A Python int as a size in bytes (0 → 1 byte); clear errors for negative or huge values.
size_t byteCount(py::handle value) {
  if (!py::isinstance<py::int_>(value))
    throw py::type_error("allocate: bytes must be an int, got " + typeName(value));
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow < 0 || (!overflow && v < 0))
    throw py::value_error("allocate: negative size " + std::string(py::str(value)));
  if (overflow > 0 || uint64_t(v) > SIZE_MAX)
    throw RuntimeFailure("allocating Vulkan memory: " + std::string(py::str(value)) +
                         " bytes is more than any device can hold");
  return v == 0 ? 1 : size_t(v);
}

/// A launch grid as three program counts; each must fit program_id (an i32).
void gridOf(const py::tuple& grid, uint32_t out[3]) {
  if (grid.size() != 3) throw py::value_error("grid must have 3 dimensions");
  static const char* kAxis = "xyz";
  for (int i = 0; i < 3; ++i) {
    py::handle v = grid[i];
    if (!py::isinstance<py::int_>(v))
      throw py::type_error("grid dimension " + std::string(1, kAxis[i]) + " must be an int, got " +
                           typeName(v));
    int overflow = 0;
    long long n = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
    if (overflow || n < 0 || n > INT32_MAX)
      throw py::value_error("grid dimension " + std::string(1, kAxis[i]) + " = " +
                            std::string(py::str(v)) + " is out of range: tt.get_program_id is "
                            "an i32, so a grid has 0 to 2147483647 programs per dimension");
    out[i] = uint32_t(n);
  }
}

std::unique_ptr<PyAllocation> allocate(DeviceHolder& h, py::handle bytesObj, bool streamOrdered) {
  size_t bytes = byteCount(bytesObj);
  tvk::Device& dev = h.live();
  const tvk::Reuse reuse = streamOrdered ? tvk::Reuse::StreamOrdered : tvk::Reuse::AfterGpu;
  auto attempt = [&] {
    py::gil_scoped_release release;
    return dev.allocate(bytes, reuse);
  };
  tvk::Result<tvk::Buffer> buffer = attempt();
  if (!buffer.ok() && !h.pending.empty() && dev.lostReason().empty()) {
    // Out of memory while launches still hold buffers their tensors dropped: wait for that
    // work, let go of them, and try once more.
    tvk::Status s;
    {
      py::gil_scoped_release release;
      s = dev.synchronize();
    }
    if (s.ok()) {
      h.unsubmittedBytes = 0;
      h.prunePending();
      buffer = attempt();
    }
  }
  if (!buffer.ok()) raiseFailure(h, dev, buffer.status(), "allocating Vulkan memory");
  auto a = std::make_unique<PyAllocation>();
  a->holder = &h;
  a->generation = h.generation;
  a->buffer = std::move(*buffer);
  if (a->buffer.data() == nullptr)
    throw RuntimeFailure("this device's memory for buffers is not host-visible: zero-copy tensors are unavailable");
  a->address = reinterpret_cast<uintptr_t>(a->buffer.data());
  a->deviceAddress = a->buffer.deviceAddress();
  a->size = bytes;
  a->streamOrdered = streamOrdered;
  registry()[a->address] = a.get();
  if (a->deviceAddress && a->deviceAddress != a->address) deviceRegistry()[a->deviceAddress] = a.get();
  return a;
}

/// The kernel's pipeline on the holder's current device (re-created after a re-open).
tvk::Pipeline& pipelineOf(DeviceHolder& h, tvk::Device& dev, PyKernel& k) {
  if (k.pipeline && k.generation == h.generation) return *k.pipeline;
  tvk::Result<std::shared_ptr<tvk::Pipeline>> p = [&] {
    py::gil_scoped_release release;
    return dev.pipeline(k.kernel);
  }();
  if (!p.ok()) raiseFailure(h, dev, p.status(), "creating the pipeline");
  k.pipeline = *p;
  k.generation = h.generation;
  return *k.pipeline;
}

void launch(DeviceHolder& h, PyKernel& k, const py::tuple& grid, const py::sequence& args) {
  const tvk::Reflection& refl = k.kernel.reflection;
  if (k.holder != &h) throw RuntimeFailure("kernel '" + refl.entry + "' was created for another device");
  if (size_t(py::len(args)) != refl.args.size())
    throw py::type_error("kernel '" + refl.entry + "' takes " + std::to_string(refl.args.size()) +
                         " arguments, got " + std::to_string(py::len(args)));
  uint32_t g[3];
  gridOf(grid, g);
  if (g[0] == 0 || g[1] == 0 || g[2] == 0) return;  // empty grid: nothing to do
  tvk::Device& dev = h.live();
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
    uint64_t off = 0;
    PyAllocation* a = findAllocation(addr, &off);
    if (!a) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%zx", size_t(addr));
      throw py::value_error("argument '" + info.name + "': address " + buf + " is not in Vulkan memory");
    }
    if (a->holder != &h)
      throw py::value_error("argument '" + info.name + "' lives on Vulkan device " +
                            std::to_string(a->holder->index) + ", the kernel runs on device " +
                            std::to_string(h.index));
    if (a->generation != h.generation)
      throw py::value_error("argument '" + info.name + "' was allocated before Vulkan device " +
                            std::to_string(h.index) + " was lost and re-opened; allocate it again");
    if (info.size && off % info.size)
      throw py::value_error("argument '" + info.name + "': pointer is not aligned to its element size (" +
                            std::to_string(info.size) + " bytes)");
    if (info.alignment > 1 && addr % info.alignment)
      throw py::value_error("argument '" + info.name + "': the kernel was compiled for a " +
                            std::to_string(info.alignment) + "-byte aligned pointer");
    packed.push_back(tvk::LaunchArg::ofBuffer(a->buffer, off));
    if (a->streamOrdered) continue;  // its memory is reused in stream order (tvk::Reuse)
    keep.push_back(py::cast(a, py::return_value_policy::reference));
    h.unsubmittedBytes += a->size;
  }
  tvk::Pipeline& pipeline = pipelineOf(h, dev, k);
  tvk::Status s;
  {
    py::gil_scoped_release release;
    s = dev.launch(pipeline, g, packed);
  }
  if (!s.ok()) raiseFailure(h, dev, s, ("launching '" + refl.entry + "'").c_str());
  uint64_t serial = dev.recordedSerial();
  h.noteLaunch(serial);
  if (h.pending.size() >= 1024) h.prunePending();
  for (auto& o : keep) h.pending.emplace_back(serial, std::move(o));
  if (h.unsubmittedBytes > kMinFlushBytes && h.unsubmittedBytes > h.flushBytes()) {
    h.unsubmittedBytes = 0;
    {
      py::gil_scoped_release release;
      s = dev.flush();
    }
    if (!s.ok()) raiseFailure(h, dev, s, "submitting recorded launches");
    h.prunePending();
  }
}

void synchronize(DeviceHolder& h) {
  tvk::Device& dev = h.live();
  h.checkThreadWork();
  tvk::Status s;
  {
    py::gil_scoped_release release;
    s = dev.synchronize();
  }
  if (!s.ok()) raiseFailure(h, dev, s, "synchronize");
  h.forgetThreadWork();
  h.unsubmittedBytes = 0;
  h.prunePending();
}

std::unique_ptr<PyEvent> recordEvent(DeviceHolder& h) {
  tvk::Device& dev = h.live();
  auto e = std::make_unique<PyEvent>();
  e->holder = &h;
  e->generation = h.generation;
  tvk::Result<tvk::Event> event = dev.recordEvent();
  if (!event.ok()) raiseFailure(h, dev, event.status(), "recording a timestamp");
  e->event = std::move(*event);
  h.noteLaunch(dev.recordedSerial());
  return e;
}

double elapsedMs(DeviceHolder& h, const PyEvent& start, const PyEvent& end) {
  tvk::Device& dev = h.live();
  if (start.holder != &h || end.holder != &h)
    throw RuntimeFailure("elapsed_ms: the events were recorded on another device");
  if (start.generation != h.generation || end.generation != h.generation)
    throw DeviceLost("elapsed_ms: the events were recorded before Vulkan device " +
                     std::to_string(h.index) + " was lost and re-opened");
  tvk::Result<double> r = [&] {
    py::gil_scoped_release release;
    return dev.elapsedMs(start.event, end.event);
  }();
  if (!r.ok()) raiseFailure(h, dev, r.status(), "reading timestamps");
  return *r;
}

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
      .def_property_readonly("device_address", [](const PyAllocation& a) { return a.buffer.deviceAddress(); },
                             "The buffer's device address (0 without bufferDeviceAddress)")
      .def_property_readonly("device_index", [](const PyAllocation& a) { return a.holder->index; })
      .def_property_readonly("generation", [](const PyAllocation& a) { return a.generation; });

  py::class_<PyKernel>(m, "Kernel", "A pipeline for one compiled kernel on one device")
      .def_property_readonly("reflection", [](const PyKernel& k) { return reflectionToDict(k.kernel.reflection); })
      .def("statistics", [](PyKernel& k) {
        // Creates the pipeline if no launch has: the driver compiles it then.
        DeviceHolder& h = *k.holder;
        const tvk::Pipeline& p = pipelineOf(h, *h.device, k);
        py::list out;
        for (const tvk::PipelineStatistic& st : p.statistics()) {
          py::dict d;
          d["executable"] = st.executable;
          d["name"] = st.name;
          d["description"] = st.description;
          d["value"] = st.value;
          out.append(d);
        }
        return out;
      }, "The driver's statistics of the compiled pipeline (VK_KHR_pipeline_executable_properties: "
         "register counts, spills...), as dicts of executable, name, description and value; "
         "empty where the device does not report them.");

  py::class_<PyEvent>(m, "Event", "A GPU timestamp recorded in a device's stream");

  py::class_<DeviceHolder>(m, "Device",
                           "An open Vulkan device (one compute queue, a caching allocator, a stream); "
                           "safe to use from several threads")
      .def_property_readonly("index", [](const DeviceHolder& h) { return h.index; })
      .def_property_readonly("shared", [](const DeviceHolder& h) { return h.shared; })
      .def_property_readonly("handle", [](const DeviceHolder& h) { return reinterpret_cast<uintptr_t>(&h); },
                             "A number identifying this device object for the process' lifetime.")
      .def_property_readonly("generation", [](const DeviceHolder& h) { return h.generation; },
                             "How many times the device was re-opened after it was lost.")
      .def_property_readonly("lost_reason", [](const DeviceHolder& h) { return h.device->lostReason(); },
                             "Why the device is lost (the next call re-opens it), or ''.")
      .def_property_readonly("info", [](const DeviceHolder& h) { return deviceInfoToDict(h.device->info()); })
      .def_property_readonly("target", [](const DeviceHolder& h) { return h.device->target(); })
      .def_property_readonly("allocated_bytes", [](const DeviceHolder& h) { return h.device->allocatedBytes(); })
      .def_property_readonly("dispatch_count", [](const DeviceHolder& h) { return h.device->dispatchCount(); })
      .def("memory_stats", [](const DeviceHolder& h) { return statsToDict(h.device->memoryStats()); },
           "The caching allocator's byte counts (allocated, in use, cached, pending, limit, returned).")
      .def_property("cache_limit", [](const DeviceHolder& h) { return h.device->memoryStats().cacheLimit; },
                    [](DeviceHolder& h, py::handle bytes) { h.device->setCacheLimit(byteCount(bytes)); },
                    "Bytes of freed memory the allocator keeps (TVK_CACHE_LIMIT); the rest goes back to Vulkan.")
      .def("empty_cache", [](DeviceHolder& h) { h.device->emptyCache(); },
           "Returns the allocator's cached memory to Vulkan.")
      .def_property("timeout", [](const DeviceHolder& h) { return h.device->timeoutSeconds(); },
                    [](DeviceHolder& h, double seconds) {
                      if (!(seconds >= 0)) throw py::value_error("timeout must be >= 0 seconds (0 = none)");
                      h.device->setTimeout(seconds);
                    },
                    "Seconds a wait for the GPU may last before the device is marked lost (TVK_TIMEOUT; 0 = none).")
      .def("allocate", &allocate, py::arg("bytes"), py::arg("stream_ordered") = false,
           "Allocates a host-mapped Vulkan buffer of `bytes` bytes. stream_ordered=True (the torch device): its "
           "memory may have been used by work still pending, and is reused in stream order once freed; the "
           "owner must synchronize before touching it from the host.")
      .def("kernel", [](DeviceHolder& h, const py::bytes& spirv, const py::dict& reflection) {
        std::string s = spirv;
        if (s.size() % 4) throw RuntimeFailure("SPIR-V size is not a multiple of 4");
        auto k = std::make_unique<PyKernel>();
        k->holder = &h;
        k->kernel.spirv.resize(s.size() / 4);
        std::memcpy(k->kernel.spirv.data(), s.data(), s.size());
        k->kernel.reflection = reflectionFromDict(reflection);
        pipelineOf(h, h.live(), *k);
        return k;
      }, py::arg("spirv"), py::arg("reflection"), "Creates (or reuses) the pipeline of a compiled kernel.")
      .def("launch", &launch, py::arg("kernel"), py::arg("grid"), py::arg("args"),
           "Records a launch. Buffer arguments are host addresses inside live allocations; scalars are numbers.")
      .def("keep_alive", [](DeviceHolder& h, py::object o) {
        h.pending.emplace_back(h.device->recordedSerial(), std::move(o));
      }, "Keeps `o` alive until the work recorded so far finished (used for staging buffers).")
      .def_property_readonly("host_cached", [](DeviceHolder& h) { return h.live().hostCachedMemory(); },
                             "True when the host reads buffer memory fast (host-cached); false for VRAM behind a BAR.")
      .def("read", [](DeviceHolder& h, uintptr_t address, uintptr_t dst, size_t bytes) {
        uint64_t offset = 0;
        PyAllocation* a = findAllocation(address, &offset);
        if (a == nullptr || offset + bytes > a->size)
          throw py::value_error("read: the range is not inside one Vulkan allocation");
        if (a->holder != &h) throw py::value_error("read: the allocation belongs to another device");
        tvk::Device& dev = h.live();
        tvk::Status st;
        {
          py::gil_scoped_release release;
          st = dev.download(a->buffer, offset, reinterpret_cast<void*>(dst), bytes);
        }
        if (!st.ok()) raiseFailure(h, dev, st, "reading Vulkan memory");
      }, py::arg("address"), py::arg("dst"), py::arg("bytes"),
           "Copies `bytes` at `address` (host or device address in an allocation) to host address `dst`, after "
           "the recorded work (large reads of uncached memory go through a GPU copy).")
      .def("synchronize", &synchronize, "Submits the recorded work and waits for it (Ctrl-C interrupts the wait).")
      .def("record_event", &recordEvent)
      .def("elapsed_ms", &elapsedMs);

  m.def("open_device", [](int index, bool shared) { return shared ? openShared(index) : openPrivate(index); },
        py::arg("index") = -1, py::arg("shared") = true, py::return_value_policy::reference,
        "Device `index` (-1: the default device). shared=True: the one device object per index, opened once; "
        "shared=False: a new logical device (own queue, allocator and stream) that lives until the process exits.");
  m.def("find_allocation", [](uintptr_t address) -> py::object {
    uint64_t offset = 0;
    PyAllocation* a = findAllocation(address, &offset);
    if (!a) return py::none();
    return py::make_tuple(py::cast(a, py::return_value_policy::reference), offset);
  }, py::arg("address"), "(allocation, byte offset) holding a host or device address, or None.");
}

}  // namespace tvkpy
