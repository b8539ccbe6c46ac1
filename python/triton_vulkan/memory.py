"""Torch tensors whose storage is Vulkan memory (zero copy), and staging of other host memory.

A Vulkan tensor is `torch.frombuffer` over an `_C.Allocation` (host-mapped Vulkan memory, a
buffer-protocol object). The tensor's storage holds a reference to the allocation; when the last
tensor (view) dies, the allocation is freed and its memory returns to the runtime's caching
allocator. Launches resolve a tensor's data_ptr() to (buffer, offset) through the native registry
of live allocations (`_C.find_allocation`).
"""
import ctypes
import math
import operator

from . import _C
from ._device import device as _device
from .torch_device import NAME as DEVICE_NAME


def _torch():
    import torch
    return torch


def _dtype_size(dtype):
    torch = _torch()
    if dtype.is_floating_point:
        return torch.finfo(dtype).bits // 8
    if dtype == torch.bool:
        return 1
    if dtype.is_complex:
        return torch.finfo(dtype).bits // 4
    return torch.iinfo(dtype).bits // 8


def _wrap(alloc, shape, dtype, nbytes):
    """A tensor of `shape`/`dtype` over the first `nbytes` bytes of `alloc`."""
    torch = _torch()
    flat = torch.frombuffer(alloc, dtype=torch.uint8, count=max(nbytes, 1))
    if nbytes == 0:
        flat = flat[:0]
    return flat.view(dtype).reshape(shape)


def empty(*shape, dtype=None, device=None):
    """An uninitialized CPU tensor stored in host-mapped Vulkan memory of `device` (an index, a
    device object, or None for the current device). Sizes no device can hold raise VulkanError
    at once."""
    torch = _torch()
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, torch.Size)):
        shape = tuple(shape[0])
    shape = tuple(operator.index(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"empty: negative dimension in shape {shape}")
    dtype = dtype or torch.float32
    nbytes = math.prod(shape) * _dtype_size(dtype)
    alloc = _device(device).allocate(_word_padded(nbytes))
    return _wrap(alloc, shape, dtype, nbytes)


_EMPTY = {}  # device handle -> (generation, allocation) for 0-element arguments


def empty_buffer_address(dev):
    """The address of a small allocation of `dev` that stands for a 0-element argument (a kernel
    launched with it must not access it; the launch checks what the kernel certainly accesses)."""
    gen, alloc = _EMPTY.get(dev.handle, (None, None))
    if alloc is None or gen != dev.generation:
        alloc = dev.allocate(256)
        _EMPTY[dev.handle] = (dev.generation, alloc)
    return alloc.address


def zeros(*shape, dtype=None, device=None):
    """A zero-filled CPU tensor stored in Vulkan memory."""
    t = empty(*shape, dtype=dtype, device=device)
    t.zero_()
    return t


def from_torch(t, device=None):
    """A contiguous copy of tensor `t` (any torch device) in Vulkan memory."""
    out = empty(tuple(t.shape), dtype=t.dtype, device=device)
    out.copy_(t.detach().to("cpu"))
    return out


def allocation_of(t):
    """(allocation, byte offset) of a tensor's data_ptr() in Vulkan memory, or None."""
    return _C.find_allocation(t.data_ptr())


def device_address(t):
    """The device address of a Vulkan tensor's data_ptr(): what a kernel compiled with buffer
    device addresses (pointers as 64-bit addresses) may load as an int64 and turn into a
    pointer (pointer arrays, grouped GEMM). A CPU tensor's data_ptr() is a host address that
    no kernel can use: launches copy CPU tensors into staging buffers."""
    found = _C.find_allocation(t.data_ptr())
    if found is None:
        raise ValueError("device_address: not a Vulkan tensor (allocate it with "
                         "triton_vulkan.empty/zeros/from_torch)")
    alloc, offset = found
    if alloc.device_address == 0:
        raise ValueError("device_address: the device has no bufferDeviceAddress")
    return alloc.device_address + offset


def is_vulkan_tensor(t):
    """True when tensor `t`'s storage is Vulkan memory (a tvk device tensor, or a CPU tensor from
    empty/zeros/from_torch)."""
    return hasattr(t, "data_ptr") and getattr(t, "device", None) is not None and \
        t.device.type in ("cpu", DEVICE_NAME) and _C.find_allocation(t.data_ptr()) is not None


def storage_span(t):
    """(start address, bytes) of the whole storage of a CPU torch tensor."""
    try:
        st = t.untyped_storage()
        return st.data_ptr(), st.nbytes()
    except AttributeError:  # torch 1.x
        st = t.storage()
        return st.data_ptr(), st.nbytes()


def numpy_span(a):
    """(start address, bytes) of the memory of the numpy array that owns `a`'s data (views of
    one array share one span, so they are staged together)."""
    import numpy as np
    while isinstance(getattr(a, "base", None), np.ndarray):
        a = a.base
    try:
        byte_bounds = np.lib.array_utils.byte_bounds  # numpy >= 2
    except AttributeError:
        byte_bounds = np.byte_bounds
    lo, hi = byte_bounds(a)
    return lo, hi - lo


def _word_padded(nbytes):
    """Allocation size for `nbytes`: whole 32-bit words (16-bit atomics work on the aligned word
    that contains the element, lower/atomic_element.cc), at least one."""
    return max((nbytes + 3) // 4 * 4, 4)


# Host alignment (bytes) that staging keeps: Triton marks a pointer divisible by 16 from its own
# address, and kernels compiled for it load 16-byte vectors there.
STAGING_ALIGN = 16


class Staged:
    """A host region copied into a temporary Vulkan allocation for one launch, at `address`,
    which keeps the host address's alignment modulo STAGING_ALIGN (a view 16-byte aligned on the
    host, inside storage that is not, stays 16-byte aligned on the device)."""
    __slots__ = ("host", "nbytes", "alloc", "written", "address")

    def __init__(self, dev, host, nbytes, written):
        self.host = host
        self.nbytes = nbytes
        self.written = written
        skew = host % STAGING_ALIGN
        self.alloc = dev.allocate(_word_padded(nbytes + skew))
        self.address = self.alloc.address + skew
        if nbytes:
            ctypes.memmove(self.address, host, nbytes)

    def copy_back(self):
        if self.written and self.nbytes:
            ctypes.memmove(self.host, self.address, self.nbytes)
