// The PyTorch device's link to the Vulkan runtime: everything it needs from triton_vulkan goes
// through the Python module triton_vulkan.torch_device (allocation, synchronization, device
// count), so that the runtime is linked once, into triton_vulkan._C.
//
// Every function here may be called from any thread with or without the GIL (PyTorch releases
// it around operator calls); each takes the GIL itself. They throw c10::Error (RuntimeError in
// Python) with the Python exception's message when the call fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tvk_torch {

/// One allocation: its host-mapped address, its device address (0 without
/// bufferDeviceAddress) and the Python object that owns it.
struct HostAllocation {
  void* address = nullptr;
  uint64_t deviceAddress = 0;
  /// A new reference to the _C.Allocation (released by releaseAllocation).
  void* owner = nullptr;
};

/// Allocates `bytes` of host-mapped Vulkan memory on device `index`.
HostAllocation allocate(int index, size_t bytes);
/// Drops the reference `owner` (a HostAllocation's); the memory returns to the runtime's
/// caching allocator once the GPU no longer uses it. A no-op once Python is finalizing.
void releaseAllocation(void* owner);
/// Submits device `index`'s recorded work and waits for it (host access after GPU work).
void synchronize(int index);
/// True when the host reads device `index`'s memory fast (host-cached; read once). False for
/// VRAM behind a PCIe BAR, where large reads go through readDevice.
bool fastHostReads(int index);
/// Copies `bytes` of device memory at data pointer `data` (host or device address) to host
/// memory `dst` after the device's recorded work, through a GPU copy where reads are slow.
void readDevice(int index, const void* data, void* dst, size_t bytes);
/// The number of Vulkan devices (read once).
int deviceCount();

/// The current device index of this thread: the one a device guard set on it, else the
/// process's default (triton_vulkan.set_device, torch.<device>.set_device).
int currentDevice();
/// Makes `index` this thread's current device (PyTorch's device guards).
void setCurrentDevice(int index);
/// Makes `index` the process's default device (and this thread's current one).
void setDefaultDevice(int index);

/// Notes that op `name` ran through the CPU fallback; warns the first time for each name.
void noteFallback(const std::string& name);

}  // namespace tvk_torch

namespace c10 {
struct Allocator;
}

namespace tvk_torch {
/// The allocator of device `index` (device.cc); storages keep it for resizing.
c10::Allocator* allocatorFor(int index);
/// Installs the allocator and the hooks (device.cc).
void registerDevice();
/// The host address of device memory at data pointer `p` (a device address where the device
/// has them: see device.cc), or `p` itself where it is not one.
void* hostAddress(const void* p);
}  // namespace tvk_torch
