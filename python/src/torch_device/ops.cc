// The device's ATen kernels: tensor creation, copies, views and resizing, and the boxed CPU
// fallback that runs every other op.
//
// Device memory is host-mapped, so the host reaches a device tensor through a CPU tensor over
// the same bytes (hostAlias) once the device's recorded work has finished. The fallback runs an
// op's CPU kernel on such aliases: inputs are not copied, in-place and out= results land in
// device memory directly, views of inputs stay views of the device storage, and only new
// results are copied into new device tensors. Where the host reads device memory slowly (VRAM
// behind a PCIe BAR), large inputs are read through a GPU copy instead (hostView) and written
// ones are copied back. Each op that takes the fallback is reported once (bridge.h
// noteFallback), the way PyTorch's MPS backend reports its CPU fallbacks. mm/addmm/bmm have
// Triton kernels of their own (python/triton_vulkan/ops/matmul.py).
#include <array>
#include <cstring>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/EmptyTensor.h>
#include <ATen/native/Resize.h>
#include <ATen/ops/_reshape_alias_native.h>
#include <ATen/ops/as_strided_native.h>
#include <ATen/ops/resize_native.h>
#include <ATen/ops/set_native.h>
#include <ATen/ops/view_native.h>
#include <c10/core/DeviceGuard.h>
#include <torch/library.h>

#include "bridge.h"

namespace tvk_torch {
namespace {

constexpr c10::DeviceType kDevice = c10::DeviceType::PrivateUse1;

int indexOf(const std::optional<c10::Device>& device) {
  if (device && device->has_index()) return device->index();
  return currentDevice();
}

bool onDevice(const at::Tensor& t) { return t.defined() && t.device().type() == kDevice; }

void syncFor(const at::Tensor& t) {
  if (onDevice(t)) synchronize(t.device().index());
}

// A tensor of `dtype` over `storage` with the given geometry, dispatched as `key`.
at::Tensor tensorOver(c10::Storage storage, c10::DispatchKey key, at::ScalarType dtype, int64_t offset,
                      at::IntArrayRef sizes, at::IntArrayRef strides) {
  at::Tensor t = at::detail::make_tensor<c10::TensorImpl>(std::move(storage), c10::DispatchKeySet(key),
                                                          c10::scalarTypeToTypeMeta(dtype));
  t.unsafeGetTensorImpl()->set_sizes_and_strides(sizes, strides, offset);
  return t;
}

// A CPU tensor over the same bytes as device tensor `t` (its whole storage, same offset, sizes
// and strides). The storage is resizable with the CPU allocator: an out= kernel that grows its
// output moves the alias into CPU memory, which the fallback then copies back.
at::Tensor hostAlias(const at::Tensor& t) {
  if (!onDevice(t)) return t;
  const c10::Storage& src = t.storage();
  c10::Storage storage(c10::Storage::use_byte_size_t(), src.nbytes(),
                       c10::DataPtr(hostAddress(src.data()), c10::Device(c10::DeviceType::CPU)),
                       c10::GetCPUAllocator(), /*resizable=*/true);
  return tensorOver(std::move(storage), c10::DispatchKey::CPU, t.scalar_type(), t.storage_offset(), t.sizes(),
                    t.strides());
}

// Tensors spanning more bytes than this are read through a copy where host reads of device
// memory are slow (the runtime's own threshold for direct reads of uncached memory).
constexpr int64_t kDirectReadBytes = 256 << 10;

// A CPU tensor to read device tensor `t` through: its alias (hostAlias) where host reads are
// fast or `t` is small; else a CPU copy of the bytes `t` spans, made by a GPU copy
// (readDevice), since reading write-combined VRAM behind a BAR runs at well under 1 GB/s.
// `spanStart`: the byte offset in t's storage where the copy begins (0 for an alias).
struct HostView {
  at::Tensor cpu;
  int64_t spanStart = 0;
  int64_t spanBytes = 0;  // > 0: `cpu` is a staged copy of these bytes
  bool staged() const { return spanBytes > 0; }
};

HostView hostView(const at::Tensor& t) {
  if (!onDevice(t)) return {t};
  const int index = t.device().index();
  const int64_t item = static_cast<int64_t>(t.dtype().itemsize());
  int64_t last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.size(d) == 0) return {hostAlias(t)};
    last += (t.size(d) - 1) * t.stride(d);
  }
  const int64_t start = t.storage_offset() * item, bytes = (last + 1) * item - start;
  if (bytes <= kDirectReadBytes || fastHostReads(index)) return {hostAlias(t)};
  at::Tensor buf = at::empty({bytes}, at::TensorOptions().dtype(at::kByte).device(c10::DeviceType::CPU));
  readDevice(index, static_cast<const char*>(t.storage().data()) + start, buf.data_ptr(), static_cast<size_t>(bytes));
  HostView v;
  v.cpu = tensorOver(buf.storage(), c10::DispatchKey::CPU, t.scalar_type(), 0, t.sizes(), t.strides());
  v.spanStart = start;
  v.spanBytes = bytes;
  return v;
}

// The device index a factory call allocates on (the current one when `device` has none),
// checked, for strided tensors only.
int factoryIndex(const std::optional<at::Device>& device, std::optional<at::Layout> layout) {
  TORCH_CHECK(c10::layout_or_default(layout) == c10::Layout::Strided,
              "triton_vulkan: only strided tensors can live on the device");
  const int index = indexOf(device);
  TORCH_CHECK(index >= 0 && index < deviceCount(), "triton_vulkan: device index ", index, " is out of range (",
              deviceCount(), " Vulkan devices)");
  return index;
}

at::Tensor emptyOn(int index, at::IntArrayRef size, at::ScalarType dtype, std::optional<at::MemoryFormat> format) {
  return at::detail::empty_generic(size, allocatorFor(index), c10::DispatchKeySet(c10::DispatchKey::PrivateUse1),
                                   dtype, format);
}

at::Tensor emptyStridedOn(int index, at::IntArrayRef size, at::IntArrayRef stride, at::ScalarType dtype) {
  return at::detail::empty_strided_generic(size, stride, allocatorFor(index),
                                           c10::DispatchKeySet(c10::DispatchKey::PrivateUse1), dtype);
}

at::Tensor emptyMemoryFormat(at::IntArrayRef size, std::optional<at::ScalarType> dtype,
                             std::optional<at::Layout> layout, std::optional<at::Device> device,
                             std::optional<bool> /*pin_memory*/, std::optional<at::MemoryFormat> format) {
  return emptyOn(factoryIndex(device, layout), size, c10::dtype_or_default(dtype), format);
}

at::Tensor emptyStrided(at::IntArrayRef size, at::IntArrayRef stride, std::optional<at::ScalarType> dtype,
                        std::optional<at::Layout> layout, std::optional<at::Device> device,
                        std::optional<bool> /*pin_memory*/) {
  return emptyStridedOn(factoryIndex(device, layout), size, stride, c10::dtype_or_default(dtype));
}

// copy_ between the device and the CPU, or within the device: the host copies through aliases
// (dtype conversion, strides and broadcasting are the CPU kernel's). Like CUDA's copies to the
// host, it waits for the device's work first.
at::Tensor copyFrom(const at::Tensor& self, const at::Tensor& dst, bool /*non_blocking*/) {
  syncFor(self);
  if (dst.device() != self.device()) syncFor(dst);
  at::Tensor d = hostAlias(dst);  // host writes to device memory are fast enough (write-combined)
  d.copy_(hostView(self).cpu);
  return dst;
}

const at::Tensor& resizeDevice(const at::Tensor& self, at::IntArrayRef size, std::optional<at::MemoryFormat> format);

at::Tensor copyFromAndResize(const at::Tensor& self, const at::Tensor& dst) {
  if (onDevice(dst)) {
    resizeDevice(dst, self.sizes(), std::nullopt);
  } else {
    dst.resize_(self.sizes());
  }
  return copyFrom(self, dst, false);
}

// resize_: contiguous strides (in `format`) and, when the storage is too small, a new one from
// the device's allocator holding the old bytes (copied on the host, so the device must be idle
// first). Data pointers may be device addresses, so CPU resizing (which memcpys them) is not used.
const at::Tensor& resizeDevice(const at::Tensor& self, at::IntArrayRef size, std::optional<at::MemoryFormat> format) {
  c10::TensorImpl* impl = self.unsafeGetTensorImpl();
  const auto mf = format.value_or(at::MemoryFormat::Contiguous);
  TORCH_CHECK(mf != at::MemoryFormat::Preserve, "triton_vulkan: resize_ does not take memory_format=preserve");
  impl->set_sizes_contiguous(size);
  if (mf != at::MemoryFormat::Contiguous) impl->empty_tensor_restride(mf);
  const size_t need = at::detail::computeStorageNbytes(self.sizes(), self.strides(), self.dtype().itemsize(),
                                                       self.storage_offset());
  c10::StorageImpl* storage = self.storage().unsafeGetStorageImpl();
  if (need > storage->nbytes()) {
    TORCH_CHECK(storage->resizable(), "triton_vulkan: resize_ of a storage that is not resizable");
    syncFor(self);
    c10::DataPtr fresh = storage->allocator()->allocate(need);
    if (storage->nbytes() > 0) std::memcpy(hostAddress(fresh.get()), hostAddress(storage->data()), storage->nbytes());
    storage->set_data_ptr_noswap(std::move(fresh));
    storage->set_nbytes(need);
  }
  return self;
}

// set_(storage, offset, size, stride) on the device: the tensor becomes that view of the
// storage, which must hold it.
at::Tensor& setStorage(at::Tensor& self, c10::Storage source, int64_t offset, at::IntArrayRef size,
                       at::IntArrayRef stride) {
  TORCH_CHECK(source.device_type() == kDevice, "triton_vulkan: set_ with a storage on ", source.device_type());
  TORCH_CHECK(offset >= 0, "triton_vulkan: set_ with a negative storage offset");
  std::vector<int64_t> strides;
  if (stride.data() != nullptr) {
    TORCH_CHECK(stride.size() == size.size(), "triton_vulkan: set_ with ", size.size(), " sizes and ", stride.size(),
                " strides");
    strides.assign(stride.begin(), stride.end());
  } else {
    c10::DimVector c = c10::contiguous_strides(size);
    strides.assign(c.begin(), c.end());
  }
  int64_t numel = 1;
  for (int64_t n : size) numel *= n;
  // Checked before anything changes: a failed set_ leaves the tensor as it was.
  const size_t need = numel == 0 ? 0
                                 : at::detail::computeStorageNbytes(size, strides, self.dtype().itemsize(), offset);
  TORCH_CHECK(need <= source.nbytes(), "triton_vulkan: set_ needs ", need, " bytes, the storage has ",
              source.nbytes());
  c10::TensorImpl* impl = self.unsafeGetTensorImpl();
  impl->set_storage_keep_dtype(std::move(source));
  impl->set_sizes_and_strides(size, strides, offset);
  return self;
}

at::Tensor& setSourceStorage(at::Tensor& self, c10::Storage source) {
  const int64_t n = static_cast<int64_t>(source.nbytes()) / static_cast<int64_t>(self.dtype().itemsize());
  return setStorage(self, std::move(source), 0, {n}, {});
}

at::Tensor& setSourceTensor(at::Tensor& self, const at::Tensor& source) {
  return setStorage(self, source.storage(), source.storage_offset(), source.sizes(), source.strides());
}

// ---- The CPU fallback ----

std::string opName(const c10::OperatorHandle& op) {
  const auto& name = op.schema().operator_name();
  return name.overload_name.empty() ? name.name : name.name + "." + name.overload_name;
}

// One device tensor replaced by a host view (alias or staged copy) for a fallback call.
struct Replaced {
  at::Tensor original;
  HostView view;
  bool written = false;            // a mutable (Tensor(a!)) argument
  const void* viewData = nullptr;  // the view's storage data when made (moved if it changes)
  const at::Tensor& alias() const { return view.cpu; }
};

struct FallbackCall {
  std::vector<Replaced> replaced;
  int device = -1;  // where new results go

  at::Tensor aliasOf(const at::Tensor& t, bool written) {
    if (!onDevice(t)) return t;
    if (device < 0) device = t.device().index();
    Replaced r{t, hostView(t), written, nullptr};
    r.viewData = r.view.cpu.storage().data();
    replaced.push_back(r);
    return r.alias();
  }

  // Device tensor for CPU result `r`: the argument it is, a view of an argument's storage,
  // or a new device tensor holding a copy.
  at::Tensor result(const at::Tensor& r) {
    if (!r.defined() || r.device().type() != c10::DeviceType::CPU) return r;
    for (const Replaced& x : replaced) {
      if (r.unsafeGetTensorImpl() == x.alias().unsafeGetTensorImpl()) return x.original;
    }
    const int64_t item = static_cast<int64_t>(r.dtype().itemsize());
    for (const Replaced& x : replaced) {
      // A view of an argument: the same view of the device storage (the byte offset shifted
      // by where a staged copy begins).
      const int64_t byteOffset = r.storage_offset() * item + x.view.spanStart;
      if (r.storage().unsafeGetStorageImpl() == x.alias().storage().unsafeGetStorageImpl() &&
          r.storage().data() == x.viewData && byteOffset % item == 0) {
        return tensorOver(x.original.storage(), c10::DispatchKey::PrivateUse1, r.scalar_type(), byteOffset / item,
                          r.sizes(), r.strides());
      }
    }
    const int index = device >= 0 ? device : currentDevice();
    at::Tensor out = r.is_non_overlapping_and_dense() ? emptyStridedOn(index, r.sizes(), r.strides(), r.scalar_type())
                                                      : emptyOn(index, r.sizes(), r.scalar_type(), std::nullopt);
    hostAlias(out).copy_(r);
    return out;
  }

  // Mutable arguments: a staged copy goes back to device memory; an alias the CPU kernel
  // resized gives the device tensor its new shape, and its new bytes when it moved to CPU memory.
  void writeBack() {
    for (const Replaced& x : replaced) {
      if (!x.written) continue;
      const at::Tensor& a = x.alias();
      const int64_t item = static_cast<int64_t>(a.dtype().itemsize());
      const bool moved = a.storage().data() != x.viewData;
      const int64_t offset = (a.storage_offset() * item + x.view.spanStart) / item;
      const bool reshaped = a.sizes() != x.original.sizes() || a.strides() != x.original.strides() ||
                            offset != x.original.storage_offset();
      at::Tensor o = x.original;
      if (moved) {
        resizeDevice(o, a.sizes(), std::nullopt);
        if (o.strides() != a.strides()) setStorage(o, o.storage(), 0, a.sizes(), a.strides());
        hostAlias(o).copy_(a);
        continue;
      }
      if (x.view.staged()) {
        std::memcpy(static_cast<char*>(hostAddress(o.storage().data())) + x.view.spanStart, a.storage().data(),
                    static_cast<size_t>(x.view.spanBytes));
      }
      if (reshaped) setStorage(o, o.storage(), offset, a.sizes(), a.strides());
    }
  }
};

// A new device tensor holding CPU tensor `r` (device `index`).
at::Tensor toDevice(const at::Tensor& r, int index) {
  FallbackCall call;
  call.device = index;
  return call.result(r);
}

int deviceOf(const at::Tensor& t) { return onDevice(t) ? t.device().index() : currentDevice(); }

// Convolutions: ATen sends other backends to convolution_overrideable, which has no CPU
// kernel for the boxed fallback to reach; run ATen's CPU convolution on host aliases.
at::Tensor convolution(const at::Tensor& input, const at::Tensor& weight, const std::optional<at::Tensor>& bias,
                       at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, bool transposed,
                       at::IntArrayRef outputPadding, int64_t groups) {
  noteFallback("aten::convolution_overrideable");
  syncFor(input);
  std::optional<at::Tensor> b;
  if (bias && bias->defined()) b = hostView(*bias).cpu;
  at::Tensor r = at::convolution(hostView(input).cpu, hostView(weight).cpu, b, stride, padding, dilation, transposed,
                                 outputPadding, groups);
  return toDevice(r, deviceOf(input));
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> convolutionBackward(
    const at::Tensor& gradOutput, const at::Tensor& input, const at::Tensor& weight, at::IntArrayRef stride,
    at::IntArrayRef padding, at::IntArrayRef dilation, bool transposed, at::IntArrayRef outputPadding, int64_t groups,
    std::array<bool, 3> mask) {
  noteFallback("aten::convolution_backward_overrideable");
  syncFor(input);
  const int64_t channels = transposed ? weight.size(1) * groups : weight.size(0);
  auto [gi, gw, gb] = at::convolution_backward(hostView(gradOutput).cpu, hostView(input).cpu, hostView(weight).cpu,
                                               std::vector<int64_t>{channels}, stride, padding, dilation, transposed,
                                               outputPadding, groups, mask);
  const int index = deviceOf(input);
  return {toDevice(gi, index), toDevice(gw, index), toDevice(gb, index)};
}

// Replaces every tensor in `v` (a Tensor, Tensor[] or Tensor?[] value) by f(tensor).
template <class F>
void mapTensors(c10::IValue& v, F&& f) {
  if (v.isTensor()) {
    v = f(v.toTensor());
  } else if (v.isTensorList()) {
    std::vector<at::Tensor> ts = v.toTensorVector();
    for (at::Tensor& t : ts) t = f(t);
    v = c10::IValue(ts);
  } else if (v.isOptionalTensorList()) {
    c10::List<std::optional<at::Tensor>> ts;
    for (const std::optional<at::Tensor>& t : v.toOptionalTensorList().vec()) {
      ts.push_back(t.has_value() ? std::optional<at::Tensor>(f(*t)) : std::nullopt);
    }
    v = c10::IValue(ts);
  }
}

void cpuFallback(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  noteFallback(opName(op));
  const auto& schema = op.schema();
  const size_t nargs = schema.arguments().size();
  const size_t begin = stack->size() - nargs;

  // Wait for every device an argument lives on: the host is about to touch their memory.
  std::set<int> devices;
  for (size_t i = 0; i < nargs; ++i) {
    mapTensors((*stack)[begin + i], [&](const at::Tensor& t) {
      if (onDevice(t)) devices.insert(t.device().index());
      return t;
    });
  }
  for (int d : devices) synchronize(d);

  FallbackCall call;
  for (size_t i = 0; i < nargs; ++i) {
    c10::IValue& v = (*stack)[begin + i];
    const auto* alias = schema.arguments()[i].alias_info();
    const bool written = alias != nullptr && alias->isWrite();
    mapTensors(v, [&](const at::Tensor& t) { return call.aliasOf(t, written); });
    if (v.isDevice() && v.toDevice().type() == kDevice) {
      if (call.device < 0) call.device = v.toDevice().has_index() ? v.toDevice().index() : currentDevice();
      v = c10::IValue(c10::Device(c10::DeviceType::CPU));
    }
  }

  op.redispatchBoxed(c10::DispatchKeySet(c10::DispatchKey::CPU), stack);

  call.writeBack();
  const size_t nret = schema.returns().size();
  for (size_t i = stack->size() - nret; i < stack->size(); ++i) {
    mapTensors((*stack)[i], [&](const at::Tensor& t) { return call.result(t); });
  }
}

}  // namespace

TORCH_LIBRARY_IMPL(aten, PrivateUse1, m) {
  m.impl("empty.memory_format", TORCH_FN(emptyMemoryFormat));
  m.impl("empty_strided", TORCH_FN(emptyStrided));
  m.impl("_copy_from", TORCH_FN(copyFrom));
  m.impl("_copy_from_and_resize", TORCH_FN(copyFromAndResize));
  m.impl("resize_", TORCH_FN(resizeDevice));
  m.impl("as_strided", TORCH_FN(at::native::as_strided_tensorimpl));
  m.impl("view", TORCH_FN(at::native::view));
  m.impl("_reshape_alias", TORCH_FN(at::native::_reshape_alias));
  m.impl("set_.source_Storage_storage_offset", TORCH_FN(setStorage));
  m.impl("set_.source_Storage", TORCH_FN(setSourceStorage));
  m.impl("set_.source_Tensor", TORCH_FN(setSourceTensor));
  m.impl("convolution_overrideable", TORCH_FN(convolution));
  m.impl("convolution_backward_overrideable", TORCH_FN(convolutionBackward));
}

TORCH_LIBRARY_IMPL(_, PrivateUse1, m) {
  m.fallback(torch::CppFunction::makeFromBoxedFunction<&cpuFallback>());
}

}  // namespace tvk_torch
