"""The PyTorch device "tvk": torch tensors whose storage is Vulkan memory.

    import torch, triton_vulkan
    triton_vulkan.torch_device.register()      # activate() and the Triton driver do it too
    x = torch.randn(1024, device="tvk")        # or "tvk:1", torch.device("tvk", 0)
    y = x * 2                                  # no kernel of ours: runs on the CPU (warns once)
    kernel[grid](x, y, n)                      # Triton kernels take device tensors without copies
    y.cpu(), y.to("tvk"), torch.tvk.synchronize(), torch.tvk.device_count()

Name: "vulkan" already belongs to PyTorch's own (mobile) Vulkan backend, so this out-of-tree
device (PyTorch's PrivateUse1, renamed) is "tvk", after triton-vulkan.

Memory comes from the runtime's caching allocator (`triton_vulkan.memory_stats()`), host-mapped,
so a tensor's data_ptr() is a host address that the launcher resolves to a Vulkan buffer. ATen
ops without a kernel of ours run on the CPU over the same memory (zero copy for inputs and
in-place results; new results are copied once); each such op is reported once by a
`TvkFallbackWarning` (TVK_WARN_FALLBACK=0 silences them; `fallback_ops()` lists them). Host access (fallback ops, `.cpu()`, `.item()`, printing) waits for the
device's recorded work first, as CUDA's copies to the host wait for its stream. Where the host
reads device memory slowly (VRAM behind a PCIe BAR: write-combined, under 1 GB/s), inputs over
256 KiB are first copied to host memory by the GPU, and written ones are copied back.

Random numbers: `torch.randn(..., device="tvk")` draws from the CPU generator, so
`torch.manual_seed` makes it repeatable and gives the numbers the CPU would.

Requires PyTorch >= 2.4 and the extension triton_vulkan._torch_device, built against that
PyTorch (`make` builds it for the project's .venv). With older PyTorch (Debian's 1.13) the plain
API (`triton_vulkan.empty`/`zeros`/`from_torch`, CPU tensors over Vulkan memory) keeps working and
`register()` raises VulkanError saying why.
"""
import os
import threading
import warnings

from . import _device
from .errors import VulkanError

NAME = "tvk"
MIN_TORCH = (2, 4)

_lock = threading.Lock()
_registered = False
_ext = None
_libraries = []  # torch.library registrations of our own kernels (kept alive)


class TvkFallbackWarning(UserWarning):
    """An ATen op ran on the CPU because the tvk device has no kernel for it (once per op)."""


class TvkAcceleratorWarning(UserWarning):
    """The tvk device was registered in a process where PyTorch has another accelerator (CUDA,
    ROCm, XPU): from then on tvk is torch's accelerator, and PyTorch's autograd engine fails any
    backward over that other device's tensors (an assertion inside PyTorch, pytorch/pytorch#161129)."""


def auto_register():
    """Whether the Triton driver registers the device by itself: unless TVK_TORCH_DEVICE=0
    (which keeps CUDA autograd usable in a process that also runs Triton kernels on Vulkan, with
    CPU tensors as their arguments)."""
    return os.environ.get("TVK_TORCH_DEVICE", "1") != "0" and available()


def _other_accelerator(torch):
    """The name of PyTorch's own accelerator in this process, if there is one."""
    try:
        if torch.cuda.is_available():
            return "ROCm" if getattr(torch.version, "hip", None) else "CUDA"
        if hasattr(torch, "xpu") and torch.xpu.is_available():
            return "XPU"
    except Exception:  # noqa: BLE001 - a broken CUDA install is not our concern here
        pass
    return None


def _torch_version(torch):
    parts = torch.__version__.split("+")[0].split(".")
    return tuple(int("".join(c for c in p if c.isdigit()) or 0) for p in parts[:2])


def available():
    """True when register() can succeed (PyTorch >= 2.4 and the extension built for it)."""
    try:
        _check()
        return True
    except VulkanError:
        return False


def _check():
    try:
        import torch
    except ImportError as e:
        raise VulkanError(f"the tvk torch device needs PyTorch >= 2.4: {e}") from None
    if _torch_version(torch) < MIN_TORCH:
        raise VulkanError(
            f"the tvk torch device needs PyTorch >= 2.4, this is {torch.__version__}; the plain API "
            "(triton_vulkan.empty/zeros/from_torch: CPU tensors over Vulkan memory) works with it")
    try:
        from . import _torch_device  # noqa: F401
    except ImportError as e:
        raise VulkanError(
            f"the tvk torch device is not built for PyTorch {torch.__version__} ({e}); build with "
            "`make` (TVK_TORCH_PYTHON names the Python whose torch it is built against)") from None
    return torch


def register():
    """Registers the "tvk" device with PyTorch (once per process) and returns the torch module.

    Raises VulkanError when PyTorch is older than 2.4, the extension is missing, or PrivateUse1
    was already renamed to another backend."""
    global _registered, _ext
    with _lock:
        if _registered:
            import torch
            return torch
        torch = _check()
        from . import _torch_device as ext
        current = torch._C._get_privateuse1_backend_name()
        if current != NAME:
            if current != "privateuseone":
                raise VulkanError(f"PyTorch's PrivateUse1 device is already registered as '{current}'; "
                                  f"the tvk device cannot be registered in this process")
            torch.utils.rename_privateuse1_backend(NAME)
        other = _other_accelerator(torch)
        if other:
            warnings.warn(
                f"triton_vulkan: the tvk device is now PyTorch's accelerator in this process, so "
                f"backward over {other} tensors fails inside PyTorch (pytorch/pytorch#161129); "
                f"set TVK_TORCH_DEVICE=0 before activating triton_vulkan to keep {other} autograd "
                f"(Triton kernels on Vulkan then take CPU tensors)", TvkAcceleratorWarning, stacklevel=3)
        ext.register_device(_device.current_device())
        torch._register_device_module(NAME, _Module)
        torch.utils.generate_methods_for_privateuse1_backend(
            for_tensor=True, for_module=True, for_packed_sequence=True, for_storage=True)
        _ext = ext
        _registered = True
        try:
            from .ops import batch_norm, copy, matmul, norm, pointwise, reduce, softmax
            for ops in (copy, matmul, pointwise, reduce, softmax, norm, batch_norm):  # ATen ops as Triton kernels
                _libraries.append(ops.register(torch))
        except ImportError as e:  # no Triton: every op takes the CPU fallback
            warnings.warn(f"triton_vulkan: the tvk device's kernels need Triton ({e})")
    try:
        from . import inductor  # torch.compile on the device
        inductor.register()
    except ImportError as e:  # a PyTorch without Inductor: eager mode only
        warnings.warn(f"triton_vulkan: torch.compile is unavailable on the tvk device ({e})")
    return torch


def is_registered():
    return _registered


def torch_device(index=None):
    """torch.device("tvk", index) (default: the current device), registering the device first."""
    torch = register()
    return torch.device(NAME, _device.current_device() if index is None else int(index))


def index_of(device):
    """The device index `device` names: None (the current device), a torch.device, "tvk:1",
    or an int."""
    if device is None:
        return _device.current_device()
    if isinstance(device, str):
        return int(device.split(":")[1]) if ":" in device else _device.current_device()
    index = getattr(device, "index", device)  # torch.device
    return _device.current_device() if index is None else int(index)


def _on_set_device(index):
    """Called by triton_vulkan.set_device: the device's default follows it."""
    if _ext is not None:
        _ext.set_default_device(index)


def current_index():
    """This thread's current device as the PyTorch device sees it (None before register())."""
    return _ext.current_device() if _ext is not None else None


# ---- called from the extension (bridge.cc) ----

def _allocate(index, nbytes):
    # Stream-ordered, as CUDA's caching allocator: every host access of the torch device
    # (copies, CPU fallbacks, resize) synchronizes first (runtime.h, Reuse).
    return _device.device(index).allocate(nbytes, stream_ordered=True)


def _synchronize(index):
    _device.device(index).synchronize()


def _host_cached(index):
    # TVK_SLOW_HOST_READS=1 treats memory as uncached (tests: the staged reads of discrete GPUs).
    if os.environ.get("TVK_SLOW_HOST_READS") == "1":
        return False
    return bool(_device.device(index).host_cached)


def _read(index, address, dst, nbytes):
    _device.device(index).read(address, dst, nbytes)


def _device_count():
    return len(_device.devices())


_fallbacks = []  # ops that took the CPU fallback, in first-use order


def fallback_ops():
    """The ATen ops that have run through the CPU fallback in this process (first use first)."""
    return list(_fallbacks)


def _note_fallback(op):
    _fallbacks.append(op)
    if os.environ.get("TVK_WARN_FALLBACK", "1") != "0":
        warnings.warn(f"triton_vulkan: {op} has no kernel on the tvk device; it runs on the CPU over the "
                      f"device memory (reported once per op; TVK_WARN_FALLBACK=0 silences this)",
                      TvkFallbackWarning, stacklevel=2)


class Stream:
    """torch.tvk.Stream: the device's one in-order stream (Vulkan queue) under any name; every
    stream object stands for it, so work on "different" streams is still ordered."""

    def __init__(self, device=None, priority=0):
        self.device = device

    def synchronize(self):
        _device.synchronize()

    def wait_stream(self, stream):
        pass

    def query(self):
        return False


class _Module:
    """torch.tvk: the torch.cuda-style functions of the device."""
    Stream = Stream

    @staticmethod
    def current_stream(device=None):
        return Stream(device)

    @staticmethod
    def default_stream(device=None):
        return Stream(device)

    @staticmethod
    def set_stream(stream):
        pass

    @staticmethod
    def is_available():
        return bool(_device.devices())

    @staticmethod
    def is_initialized():
        return _registered

    @staticmethod
    def _is_in_bad_fork():
        return False

    @staticmethod
    def device_count():
        return len(_device.devices())

    @staticmethod
    def current_device():
        return _device.current_device()

    @staticmethod
    def set_device(device):
        _device.set_device(index_of(device))

    @staticmethod
    def synchronize(device=None):
        _device.synchronize(index_of(device))

    @staticmethod
    def get_device_name(device=None):
        return _device.device(index_of(device)).info["name"]

    @staticmethod
    def get_device_properties(device=None):
        from .backend.resources import device_properties
        return device_properties(_device.device(index_of(device)))

    @staticmethod
    def memory_allocated(device=None):
        return _device.memory_stats(index_of(device))["in_use_bytes"]

    @staticmethod
    def memory_reserved(device=None):
        return _device.memory_stats(index_of(device))["allocated_bytes"]

    @staticmethod
    def empty_cache():
        _device.empty_cache()

    # Random numbers come from the CPU generator (see the module docstring): seeding it is
    # all there is to do.
    @staticmethod
    def manual_seed(seed):
        pass

    @staticmethod
    def manual_seed_all(seed):
        pass

    @staticmethod
    def seed():
        pass

    @staticmethod
    def seed_all():
        pass

    @staticmethod
    def initial_seed():
        import torch
        return torch.initial_seed()

    @staticmethod
    def get_rng_state(device=None):
        import torch
        return torch.get_rng_state()

    @staticmethod
    def set_rng_state(state, device=None):
        import torch
        torch.set_rng_state(state)
