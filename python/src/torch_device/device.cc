// The PrivateUse1 device's allocator, device guard and hooks: what PyTorch needs to create
// tensors on the device and to switch between devices.
//
// Memory is host-mapped Vulkan memory from triton_vulkan's caching allocator. A tensor's
// data_ptr() is the buffer's device address where the device has bufferDeviceAddress (so that
// addresses a program stores in a tensor, as tutorial 08's pointer arrays do, are what a kernel
// can load and dereference), else its host address; the launcher resolves either to (buffer,
// offset) through _C.find_allocation. The host reaches the memory through hostAddress() after a
// synchronize. There is one in-order stream per device (the runtime's).
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include <ATen/detail/PrivateUse1HooksInterface.h>
#include <c10/core/Allocator.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>

#include "bridge.h"

namespace tvk_torch {
namespace {

constexpr c10::DeviceType kDevice = c10::DeviceType::PrivateUse1;

// Data pointers that are device addresses → (host address, bytes), for hostAddress().
struct Span {
  uintptr_t host;
  size_t bytes;
};
std::mutex g_spansMu;
std::map<uintptr_t, Span>& spans() {
  static auto* m = new std::map<uintptr_t, Span>();  // never destroyed: tensors may die at exit
  return *m;
}

// A DataPtr's context: the owning Python object and the data address (its spans() key).
struct Owner {
  void* object;
  uintptr_t data;
  bool mapped;  // has a spans() entry
};

void deleteAllocation(void* ctx) {
  auto* o = static_cast<Owner*>(ctx);
  if (o->mapped) {
    std::lock_guard<std::mutex> lock(g_spansMu);
    spans().erase(o->data);
  }
  releaseAllocation(o->object);
  delete o;
}

// Allocates on device `index_`, or on the current device when it is -1 (the allocator
// registered for the device type, which PyTorch uses where it has no device at hand).
class Allocator final : public c10::Allocator {
 public:
  explicit Allocator(int index) : index_(index) {}
  c10::DataPtr allocate(size_t bytes) override {
    const int index = index_ >= 0 ? index_ : currentDevice();
    // Whole 32-bit words, at least one: 16-bit atomics work on the word holding the element,
    // and a 0-element tensor still has an address a launch can pass.
    const size_t padded = bytes < 4 ? 4 : (bytes + 3) / 4 * 4;
    HostAllocation a = tvk_torch::allocate(index, padded);
    const uintptr_t host = reinterpret_cast<uintptr_t>(a.address);
    const uintptr_t data = a.deviceAddress != 0 ? static_cast<uintptr_t>(a.deviceAddress) : host;
    auto* owner = new Owner{a.owner, data, data != host};
    if (owner->mapped) {
      std::lock_guard<std::mutex> lock(g_spansMu);
      spans()[data] = Span{host, padded};
    }
    return {reinterpret_cast<void*>(data), owner, &deleteAllocation,
            c10::Device(kDevice, static_cast<c10::DeviceIndex>(index))};
  }
  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    synchronize(index_ >= 0 ? index_ : currentDevice());
    std::memcpy(hostAddress(dest), hostAddress(src), count);
  }

 private:
  int index_;
};

Allocator g_allocator(-1);

class GuardImpl final : public c10::impl::DeviceGuardImplInterface {
 public:
  c10::DeviceType type() const override { return kDevice; }
  c10::Device exchangeDevice(c10::Device d) const override {
    c10::Device old = getDevice();
    if (d.index() != old.index()) setDevice(d);
    return old;
  }
  c10::Device getDevice() const override {
    return c10::Device(kDevice, static_cast<c10::DeviceIndex>(currentDevice()));
  }
  void setDevice(c10::Device d) const override {
    TORCH_CHECK(d.type() == kDevice, "triton_vulkan: expected a ", kDevice, " device, got ", d);
    if (d.index() < 0) return;
    TORCH_CHECK(d.index() < deviceCount(), "triton_vulkan: device index ", static_cast<int>(d.index()),
                " is out of range (", deviceCount(), " Vulkan devices)");
    setCurrentDevice(d.index());
  }
  void uncheckedSetDevice(c10::Device d) const noexcept override {
    if (d.index() >= 0) setCurrentDevice(d.index());
  }
  c10::Stream getStream(c10::Device d) const override {
    return c10::Stream(c10::Stream::DEFAULT, d);
  }
  c10::Stream getDefaultStream(c10::Device d) const override { return getStream(d); }
  c10::Stream exchangeStream(c10::Stream s) const override { return getStream(s.device()); }
  c10::DeviceIndex deviceCount() const noexcept override {
    try {
      return static_cast<c10::DeviceIndex>(tvk_torch::deviceCount());
    } catch (...) {
      return 0;
    }
  }
  bool queryStream(const c10::Stream&) const override { return false; }
  void synchronizeStream(const c10::Stream& s) const override { synchronize(s.device_index()); }
  void synchronizeDevice(const c10::DeviceIndex index) const override { synchronize(index); }
  void recordDataPtrOnStream(const c10::DataPtr&, const c10::Stream&) const override {}
};

C10_REGISTER_GUARD_IMPL(PrivateUse1, GuardImpl);

class Hooks final : public at::PrivateUse1HooksInterface {
 public:
  bool isBuilt() const override { return true; }
  bool isAvailable() const override { return GuardImpl().deviceCount() > 0; }
  bool hasPrimaryContext(c10::DeviceIndex) const override { return true; }
  void init() const override {}
  c10::DeviceIndex deviceCount() const override { return GuardImpl().deviceCount(); }
  void setCurrentDevice(c10::DeviceIndex d) const override { tvk_torch::setCurrentDevice(d); }
  c10::DeviceIndex getCurrentDevice() const override {
    return static_cast<c10::DeviceIndex>(tvk_torch::currentDevice());
  }
  c10::DeviceIndex exchangeDevice(c10::DeviceIndex d) const override {
    auto old = getCurrentDevice();
    if (d >= 0) tvk_torch::setCurrentDevice(d);
    return old;
  }
  c10::DeviceIndex maybeExchangeDevice(c10::DeviceIndex d) const override { return exchangeDevice(d); }
  at::Device getDeviceFromPtr(void*) const override {
    return at::Device(kDevice, getCurrentDevice());
  }
  bool isPinnedPtr(const void*) const override { return false; }
};

}  // namespace

/// Installs the allocator and the hooks (the guard registers itself at load).
void registerDevice() {
  c10::SetAllocator(kDevice, &g_allocator);
  static Hooks* hooks = new Hooks();  // PyTorch keeps the pointer for the process
  at::RegisterPrivateUse1HooksInterface(hooks);
}

void* hostAddress(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  std::lock_guard<std::mutex> lock(g_spansMu);
  auto& m = spans();
  auto it = m.upper_bound(a);
  if (it != m.begin()) {
    --it;
    if (a - it->first < it->second.bytes) return reinterpret_cast<void*>(it->second.host + (a - it->first));
  }
  return const_cast<void*>(p);
}

c10::Allocator* allocatorFor(int index) {
  static std::mutex mu;
  static std::map<int, std::unique_ptr<Allocator>>* byIndex = new std::map<int, std::unique_ptr<Allocator>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& a = (*byIndex)[index];
  if (!a) a = std::make_unique<Allocator>(index);
  return a.get();
}

}  // namespace tvk_torch
