// Opening devices for Python (shared per index, or private logical devices), re-opening a
// lost device, the Ctrl-C hook of the runtime's waits, and runtime failures → exceptions.
#include <algorithm>
#include <map>

#include "runtime_objects.h"

namespace tvkpy {

namespace {

/// Polled by the runtime every few milliseconds while a thread waits for the GPU (with no
/// device lock held): runs Python's signal handlers, so Ctrl-C raises KeyboardInterrupt.
bool pythonInterrupted() {
  if (!Py_IsInitialized() || _Py_IsFinalizing()) return false;
  py::gil_scoped_acquire gil;
  return PyErr_CheckSignals() != 0;  // the exception stays set for raiseFailure()
}

tvk::DeviceOptions optionsFromEnvironment() {
  tvk::DeviceOptions o = take(tvk::DeviceOptions::fromEnvironment(), "opening the Vulkan device");
  o.interrupted = pythonInterrupted;
  return o;
}

int resolveIndex(int index) {
  if (index >= 0) return index;
  return take(tvk::defaultDeviceIndex(), "choosing the Vulkan device");
}

DeviceHolder* open(int index, bool shared) {
  auto holder = new DeviceHolder();
  std::unique_ptr<tvk::Device> device =
      take(tvk::openDevice(index, optionsFromEnvironment()), "opening the Vulkan device");
  holder->index = device->info().index;
  holder->device = device.release();
  holder->generations.push_back(holder->device);
  holder->shared = shared;
  return holder;
}

}  // namespace

DeviceHolder* openShared(int index) {
  static auto* open_ = new std::map<int, DeviceHolder*>();  // never destroyed
  int key = resolveIndex(index);
  auto it = open_->find(key);
  if (it != open_->end()) return it->second;
  DeviceHolder* holder = open(key, true);
  (*open_)[key] = holder;
  return holder;
}

DeviceHolder* openPrivate(int index) { return open(resolveIndex(index), false); }

tvk::Device& DeviceHolder::live() {
  std::string why = device->lostReason();
  if (why.empty()) return *device;
  tvk::DeviceOptions o = optionsFromEnvironment();
  o.timeoutSeconds = device->timeoutSeconds();
  o.cacheLimitBytes = int64_t(device->memoryStats().cacheLimit);
  tvk::Result<std::unique_ptr<tvk::Device>> reopened = tvk::openDevice(index, o);
  if (!reopened.ok())
    throw DeviceLost("Vulkan device " + std::to_string(index) + " was lost (" + why +
                     ") and could not be re-opened: " + reopened.status().message());
  // The lost device is leaked on purpose: its GPU work may still run, and buffers of it may
  // still be referenced by tensors.
  device = reopened->release();
  generations.push_back(device);
  ++generation;
  pending.clear();
  return *device;
}

size_t DeviceHolder::flushBytes() const {
  return std::max<size_t>(size_t(device->memoryStats().cacheLimit) / 4, kMinFlushBytes);
}

void DeviceHolder::prunePending() {
  // Entries are appended in serial order: the finished ones are a prefix (O(1) when none is).
  uint64_t done = device->completedSerial();
  size_t n = 0;
  while (n < pending.size() && pending[n].first <= done) ++n;
  pending.erase(pending.begin(), pending.begin() + n);
}

namespace {
/// Per thread and device: (generation, serial) of the newest work the thread recorded.
thread_local std::map<const DeviceHolder*, std::pair<uint64_t, uint64_t>> threadWork;
}  // namespace

void DeviceHolder::noteLaunch(uint64_t serial) { threadWork[this] = {generation, serial}; }

void DeviceHolder::forgetThreadWork() { threadWork.erase(this); }

void DeviceHolder::checkThreadWork() {
  auto it = threadWork.find(this);
  if (it == threadWork.end() || it->second.first == generation) return;
  tvk::Device* old = generations[it->second.first];
  bool finished = old->completedSerial() >= it->second.second;
  threadWork.erase(it);
  if (!finished)
    throw DeviceLost("Vulkan device " + std::to_string(index) + " was lost (" +
                     old->lostReason() + ") before work this thread launched finished; the " +
                     "work was abandoned and the device re-opened");
}

void raiseFailure(DeviceHolder& h, tvk::Device& dev, const tvk::Status& status, const char* what) {
  if (PyErr_Occurred()) throw py::error_already_set();  // KeyboardInterrupt from a wait
  std::string message = std::string(what) + ": " + status.message();
  if (!dev.lostReason().empty()) {
    h.forgetThreadWork();
    throw DeviceLost(message + " (the next call re-opens the device; tensors allocated before "
                               "cannot be used with it)");
  }
  throwRuntimeFailure(message);
}

}  // namespace tvkpy
