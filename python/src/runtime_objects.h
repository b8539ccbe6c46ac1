// The Python-visible runtime objects and the helpers the runtime binding shares.
//
// Locking: every object here is touched only with the GIL held. Calls into a tvk::Device that
// may wait for the GPU (launch, allocate, synchronize, elapsed_ms, pipeline creation) release
// the GIL; the runtime never holds a device lock while it polls DeviceOptions::interrupted,
// which takes the GIL to run PyErr_CheckSignals (Ctrl-C), so there is no lock cycle.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "runtime/runtime.h"

namespace tvkpy {

/// An open device shared by everything created from it. Never destroyed (tensors may outlive
/// any Python-level owner). When the device is lost, the next call replaces `device` with a
/// newly opened one (the lost one is leaked: its GPU work may never finish) and bumps
/// `generation`; objects of an older generation are refused with a clear error.
/// The least DeviceHolder::flushBytes() (launches compare against it before asking the pool).
constexpr size_t kMinFlushBytes = size_t(64) << 20;

struct DeviceHolder {
  /// The runtime's device (current generation).
  tvk::Device* device = nullptr;
  /// Its index in enumerateDevices() order.
  int index = -1;
  /// Opened with open_device(shared=True) (the one returned for this index every time).
  bool shared = true;
  /// Bumped each time the device is re-opened after it was lost.
  uint64_t generation = 0;
  /// The device of each generation (lost ones are kept, never destroyed).
  std::vector<tvk::Device*> generations;
  /// Python objects used by recorded launches, with the submission serial they are in; kept
  /// alive until that submission finished.
  std::vector<std::pair<uint64_t, py::object>> pending;
  /// Bytes of the buffers that launches recorded since the last submission use. A dropped
  /// tensor's memory stays in `pending` until its submission finished, and submissions happen
  /// every DeviceOptions::dispatchesPerSubmit dispatches: past flushBytes() the launch submits,
  /// so a loop of launches without synchronize() (do_bench) does not hold every result it
  /// drops (66 MB x thousands of launches exhausted an H200).
  size_t unsubmittedBytes = 0;
  /// The submission threshold for unsubmittedBytes: a quarter of the allocator's cache limit
  /// (an eighth of the memory heap by default), at least kMinFlushBytes.
  size_t flushBytes() const;

  /// The device, re-opened first when it was lost (throws DeviceLost when that fails).
  tvk::Device& live();
  /// Drops `pending` entries whose submission finished.
  void prunePending();
  /// Notes that this thread recorded work in submission `serial` (see checkThreadWork).
  void noteLaunch(uint64_t serial);
  /// Throws DeviceLost when work this thread recorded was abandoned with a lost device that
  /// has been replaced since (once per loss), so a later synchronize cannot report success.
  void checkThreadWork();
  /// Forgets this thread's recorded work (after it was told the device is lost).
  void forgetThreadWork();
};

/// One block of Vulkan memory as a Python object (buffer protocol over the mapped memory).
struct PyAllocation {
  /// The device the memory belongs to.
  DeviceHolder* holder = nullptr;
  /// The holder's generation when allocated.
  uint64_t generation = 0;
  /// The runtime buffer (returns to the caching allocator when destroyed).
  tvk::Buffer buffer;
  /// Host address of the persistently mapped memory (the registry key).
  uintptr_t address = 0;
  /// The buffer's device address (bufferDeviceAddress), 0 without one. Where it differs from
  /// `address` it is a second key (deviceRegistry): tensors of the torch device use it as their
  /// data_ptr(), so that pointers a kernel loads from memory (pointer arrays) are device addresses.
  uintptr_t deviceAddress = 0;
  /// Bytes usable through the buffer protocol.
  size_t size = 0;
  /// Allocated with tvk::Reuse::StreamOrdered (the torch device): launches do not keep it
  /// alive, since its memory returns to the allocator in stream order.
  bool streamOrdered = false;
  /// Leaves the registry; the buffer then returns its memory.
  ~PyAllocation();
};

/// A pipeline on one device, re-created on first use after the device was re-opened.
struct PyKernel {
  /// The device the pipeline belongs to.
  DeviceHolder* holder = nullptr;
  /// The holder generation `pipeline` was created in.
  uint64_t generation = 0;
  /// SPIR-V and reflection (parameters, push-constant layout, workgroup size).
  tvk::CompiledKernel kernel;
  /// The runtime's (cached) pipeline.
  std::shared_ptr<tvk::Pipeline> pipeline;
};

/// A recorded GPU timestamp.
struct PyEvent {
  /// The device whose stream holds it.
  DeviceHolder* holder = nullptr;
  /// The holder generation it was recorded in.
  uint64_t generation = 0;
  /// The runtime's event.
  tvk::Event event;
};

/// The device `index` shared by every caller (-1: the default device), opened on first use.
DeviceHolder* openShared(int index);
/// A new logical device on physical device `index` (-1: the default one), never shared.
DeviceHolder* openPrivate(int index);
/// Throws for a failed runtime call on `dev` (a device of `h`): the pending Python exception when the wait was
/// interrupted (KeyboardInterrupt), DeviceLost when the device is now lost, else RuntimeFailure.
[[noreturn]] void raiseFailure(DeviceHolder& h, tvk::Device& dev, const tvk::Status& status,
                               const char* what);

/// The allocation containing `address` (a host address, else a device address) and the byte
/// offset of `address` in it, or nullptr.
PyAllocation* findAllocation(uintptr_t address, uint64_t* offset);
/// Live allocations by device address, where it differs from the host address.
std::map<uintptr_t, PyAllocation*>& deviceRegistry();
/// Live allocations by mapped host address (start → allocation).
std::map<uintptr_t, PyAllocation*>& registry();

/// Packs a Python scalar for a parameter of TTIR type `info.type` (`i32`, `f16`, ...).
tvk::LaunchArg packScalar(const tvk::ArgInfo& info, py::handle value);

}  // namespace tvkpy
