"""triton_vulkan: run Triton kernels on Vulkan devices.

Without Triton:
    import triton_vulkan as tv
    k = tv.compile(ttir_text, num_warps=4)
    k[(grid,)](x, y, out, n)            # torch tensors, numpy arrays, Python scalars
    tv.synchronize()

With Triton (3.6): `triton_vulkan.activate()` makes the Vulkan driver the active one; then
`@triton.jit` kernels compile to SPIR-V and launch on the Vulkan device.

PyTorch device: with PyTorch >= 2.4, `torch.device("tvk")` (triton_vulkan.torch_device) holds
tensors in Vulkan memory that kernels take without copies; Triton's
`driver.active.get_active_torch_device()` returns it.

Memory (any PyTorch): `empty`, `zeros`, `from_torch` give CPU torch tensors whose storage is host-mapped
Vulkan memory (zero copy). Other CPU tensors and numpy arrays are copied into Vulkan memory
for a launch, and copied back after it only when the kernel writes them. Freed memory is
cached up to TVK_CACHE_LIMIT bytes (default: an eighth of the heap); `memory_stats()`,
`empty_cache()`.

Threads: launches, allocation and synchronize may be called from several threads. A wait for
the GPU lasts at most TVK_TIMEOUT seconds (default 60, 600 on CPU devices; 0 = no limit) and Ctrl-C interrupts it;
a timeout or a lost device raises DeviceLostError and the next call re-opens the device.

torch and triton are imported lazily (inside functions).
"""
from ._version import __version__, SUPPORTED_TRITON
from .errors import VulkanError, CompilationError, DeviceLostError, DeviceAssertionError, UnsupportedTritonVersion
from ._device import (devices, device, new_device, synchronize, current_device, set_device,
                      memory_stats, empty_cache)
from .memory import empty, zeros, from_torch, is_vulkan_tensor, device_address
from .kernel import compile, Kernel

__all__ = [
    "__version__", "SUPPORTED_TRITON", "VulkanError", "CompilationError", "DeviceLostError",
    "DeviceAssertionError",
    "UnsupportedTritonVersion", "devices", "device", "new_device", "synchronize", "current_device",
    "set_device", "memory_stats", "empty_cache", "empty", "zeros", "from_torch",
    "is_vulkan_tensor", "compile", "Kernel", "activate", "compiler_version",
]


def compiler_version():
    """Version of the TTIR → SPIR-V compiler (part of every Triton cache key)."""
    from . import _C
    return _C.compiler_version()


def activate(device=None):
    """Makes the Vulkan driver Triton's active driver (also where CUDA is present) and returns it.

    `device`: a Vulkan device index (default: TVK_DEVICE, else the runtime's default device)."""
    from .backend.driver import VulkanDriver
    from .backend.version import check_triton_version
    from ._torch_compat import install_interpreter_shims
    check_triton_version()
    install_interpreter_shims()  # TRITON_INTERPRET=1 on torch 1.13
    from triton.runtime import driver as triton_driver
    from triton.backends import backends, Backend
    if "vulkan" not in backends:
        # Entry point not installed (PYTHONPATH use) or ignored (TRITON_BACKENDS_IN_TREE=1).
        from .backend.compiler import VulkanBackend
        backends["vulkan"] = Backend(compiler=VulkanBackend, driver=VulkanDriver)
    if device is not None:
        set_device(device)
    drv = VulkanDriver()  # registers the "tvk" torch device where PyTorch >= 2.4
    triton_driver.set_active(drv)
    return drv
