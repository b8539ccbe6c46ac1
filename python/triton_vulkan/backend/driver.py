"""VulkanDriver: Triton's view of a Vulkan device (target, launcher, benchmarking).

Device keys are strings ("vulkan:0") so that Triton's per-device caches never collide with
CUDA's integer devices when both drivers are used in one process.
`is_active()` is True only where no CUDA/HIP device is usable and a Vulkan device exists;
`triton_vulkan.activate()` makes this driver the active one in any case."""
import functools
import sys
import threading
import time

from triton.backends.compiler import GPUTarget
from triton.backends.driver import DriverBase

from .. import _C
from .. import args as _args
from .. import _device as _dev
from .targets import arch_of
from . import autotune_bench, resources
from .compiler import _log_enabled
from .version import check_triton_version

_TYPE_TO_CPP = {
    "i1": "int8_t", "i8": "int8_t", "i16": "int16_t", "i32": "int32_t", "i64": "int64_t",
    "u1": "uint8_t", "u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t",
    "fp16": "double", "bf16": "double", "fp32": "double", "f32": "double", "fp64": "double",
}


def _key(index):
    return f"vulkan:{index}"


def _index(device):
    if device is None:
        return _dev.current_device()
    if isinstance(device, str):
        return int(device.rsplit(":", 1)[-1])
    return int(device)


class _Binary:
    """What load_binary returns as Triton's `function`: the SPIR-V of one kernel on one device;
    the pipeline is created on the first launch (it needs the reflection record from metadata)."""
    __slots__ = ("spirv", "device", "native", "digest")

    def __init__(self, spirv, device):
        self.spirv = spirv
        self.device = device
        self.native = None
        self.digest = None  # of the SPIR-V, made by autotune_bench when it needs one


# The reflection of the launcher Triton created last in this thread, by kernel name:
# CompiledKernel._init_handles creates the launcher (which has the metadata) right before it
# calls load_binary (which has not), so load_binary can create the pipeline and read the
# driver's register counts.
_last_launcher = threading.local()


class VulkanUtils:
    """driver.utils: load_binary and device properties."""

    def load_binary(self, name, kernel, shared, device):
        """(module, function, n_regs, n_spills, n_max_threads). n_regs/n_spills are the driver's
        (VK_KHR_pipeline_executable_properties: the pipeline is created here) where it reports
        them, else the documented estimates of resources.py."""
        dev = _dev.device(_index(device))
        limit = dev.target.shared_memory_bytes
        if shared > limit:
            from triton.runtime.errors import OutOfResources
            raise OutOfResources(shared, limit, f"shared memory (kernel '{name}')")
        binary = _Binary(bytes(kernel), dev)
        n_regs, n_spills = resources.ESTIMATED_REGS, 0
        last = getattr(_last_launcher, "value", None)
        if last is not None and last[0] == name:
            t0 = time.perf_counter()
            binary.native = dev.kernel(binary.spirv, last[1])
            if _log_enabled():  # the driver's compile (vkCreateComputePipelines), beside our stages
                print(f"triton_vulkan: pipeline of {name} {(time.perf_counter() - t0) * 1e3:.1f} ms",
                      file=sys.stderr, flush=True)
            n_regs, n_spills = resources.registers_of(binary.native.statistics())
        # `module` must not be None: CompiledKernel re-runs load_binary while it is.
        return binary, binary, n_regs, n_spills, dev.target.max_workgroup_invocations

    @functools.lru_cache(maxsize=None)
    def get_device_properties(self, device):
        return resources.device_properties(_dev.device(_index(device)))


def _flatten(sig, value, out_types, out_values):
    if isinstance(sig, tuple):
        for s, v in zip(sig, value):
            _flatten(s, v, out_types, out_values)
    else:
        out_types.append(sig)
        out_values.append(value)


class VulkanLauncher:
    """launcher_cls(src, metadata): called with Triton 3.6's launch protocol
    (gridX, gridY, gridZ, stream, function, kernel_metadata, launch_metadata, enter_hook, exit_hook, *args),
    where args are all kernel parameters, constexprs included."""

    def __init__(self, src, metadata):
        sig = list(src.signature.values())
        for t in sig:
            if isinstance(t, str) and t.startswith("tensordesc"):
                raise _C.CompilationError(f"unsupported: tensor descriptor arguments ({t}) in kernel '{metadata.name}'")
        self.signature = sig
        self.nested = any(isinstance(t, tuple) for t in sig)
        self.positions = [i for i, t in enumerate(sig) if t != "constexpr"]
        self.reflection = metadata.vk_reflection
        self.name = metadata.name
        self.is_buffer = [a["kind"] == "buffer" for a in self.reflection["args"]]
        _last_launcher.value = (metadata.name, self.reflection)

    def _kernel_args(self, args):
        if not self.nested:
            return [args[i] for i in self.positions]
        types, values = [], []
        for s, v in zip(self.signature, args):
            _flatten(s, v, types, values)
        return [v for t, v in zip(types, values) if t != "constexpr"]

    launches = 0  # Triton launches through this driver in this process (tests read it)

    def __call__(self, gridX, gridY, gridZ, stream, function, kernel_metadata, launch_metadata,
                 launch_enter_hook, launch_exit_hook, *args):
        VulkanLauncher.launches += 1
        kargs = self._kernel_args(args)
        if function.native is None:
            function.native = function.device.kernel(function.spirv, self.reflection)
        if launch_enter_hook is not None and getattr(launch_enter_hook, "calls", True):
            launch_enter_hook(launch_metadata)
        grid = (gridX, gridY, gridZ)
        autotune_bench.record_launch(function, grid, kargs)
        try:
            # Fast path: every pointer is a tensor in Vulkan memory (Triton already matched the
            # signature's types to the arguments). Anything else fails before a launch is recorded.
            vals = [a.data_ptr() if b else a for a, b in zip(kargs, self.is_buffer)]
            function.device.launch(function.native, grid, vals)
        except (AttributeError, TypeError, ValueError):
            # Staging, raw addresses, and the clear error messages.
            _args.launch(function.device, function.native, self.reflection, grid, kargs, allow_int=True,
                         strict=False)
        if launch_exit_hook is not None and getattr(launch_exit_hook, "calls", True):
            launch_exit_hook(launch_metadata)


class VulkanEvent:
    """A GPU timestamp (torch.cuda.Event-like) for triton.testing.do_bench."""

    def __init__(self, enable_timing=True):
        self._dev = None
        self._event = None

    def record(self, stream=None):
        self._dev = _dev.device()
        self._event = self._dev.record_event()

    def elapsed_time(self, end):
        if self._event is None or end._event is None:
            raise _C.VulkanError("elapsed_time: both events must be recorded")
        return self._dev.elapsed_ms(self._event, end._event)

    def synchronize(self):
        if self._dev is not None:
            self._dev.synchronize()


class VulkanDeviceInterface:
    """What triton.testing needs from `driver.get_device_interface()` (torch.cuda-like)."""
    Event = VulkanEvent

    @staticmethod
    def synchronize(device=None):
        _dev.synchronize(None if device is None else _index(device))

    @staticmethod
    def current_device():
        return _key(_dev.current_device())

    @staticmethod
    def set_device(device):
        _dev.set_device(_index(device))

    @staticmethod
    def device_count():
        return len(_dev.devices())


_FILL_TTIR = """module {
  tt.func public @tvk_fill_i32(%p: !tt.ptr<i32> {tt.divisibility = 16 : i32}, %n: i32) attributes {noinline = false} {
    %c = arith.constant 1024 : i32
    %z = arith.constant dense<0> : tensor<1024xi32>
    %pid = tt.get_program_id x : i32
    %base = arith.muli %pid, %c : i32
    %r = tt.make_range {end = 1024 : i32, start = 0 : i32} : tensor<1024xi32>
    %b = tt.splat %base : i32 -> tensor<1024xi32>
    %o = arith.addi %b, %r : tensor<1024xi32>
    %nn = tt.splat %n : i32 -> tensor<1024xi32>
    %m = arith.cmpi slt, %o, %nn : tensor<1024xi32>
    %ps = tt.splat %p : !tt.ptr<i32> -> tensor<1024x!tt.ptr<i32>>
    %pp = tt.addptr %ps, %o : tensor<1024x!tt.ptr<i32>>, tensor<1024xi32>
    tt.store %pp, %z, %m : tensor<1024x!tt.ptr<i32>>
    tt.return
  }
}
"""


class _BenchCache:
    """256 MiB of Vulkan memory that clear_cache overwrites on the GPU (evicting L2), in chunks
    small enough for any device's maxStorageBufferRange (at least 128 MiB by the Vulkan spec)."""
    CHUNK = 8 * 1024 * 1024  # int32 elements: 32 MiB

    def __init__(self, dev):
        from .. import memory
        self.chunks = [memory.empty(self.CHUNK, dtype=_torch_int32(), device=dev.index) for _ in range(8)]
        self.kernel = None
        try:
            from ..kernel import compile as tv_compile
            self.kernel = tv_compile(_FILL_TTIR, num_warps=4, device=dev.index, file_name="tvk_fill.ttir")
        except _C.VulkanError as e:  # the compiler cannot build the fill kernel: no L2 clearing
            import warnings
            warnings.warn(f"triton_vulkan: do_bench runs without clearing caches ({e})")

    def clear(self):
        if self.kernel is not None:
            for c in self.chunks:
                self.kernel[(self.CHUNK // 1024,)](c, self.CHUNK)


def _torch_int32():
    import torch
    return torch.int32


def vulkan_driver_is_active():
    """True when Triton's active driver is this backend's (set by triton_vulkan.activate() or
    chosen by discovery), without creating one."""
    from triton.runtime import driver
    active = getattr(driver, "_active", None)
    return isinstance(getattr(active, "_obj", active), VulkanDriver)  # _obj: Triton's lazy proxy


class VulkanDriver(DriverBase):
    """Triton's driver for Vulkan devices."""

    def __init__(self):
        super().__init__()
        check_triton_version()
        if not _C.has_runtime:
            raise _C.VulkanError("triton_vulkan was built without the Vulkan runtime")
        self.utils = VulkanUtils()
        self.launcher_cls = VulkanLauncher
        self._bench_cache = {}
        from .. import torch_device
        if torch_device.auto_register():
            torch_device.register()

    @staticmethod
    def is_active():
        try:
            import torch
            if torch.cuda.is_available() or getattr(torch.version, "hip", None):
                return False
        except ImportError:
            pass
        try:
            return bool(_C.has_runtime and _C.devices())
        except Exception:
            return False

    def get_current_device(self):
        return _key(_dev.current_device())

    def set_current_device(self, device):
        _dev.set_device(_index(device))

    def get_current_stream(self, device=None):
        return 0  # one in-order stream per device

    def get_current_target(self):
        t = _dev.device().target
        return GPUTarget("vulkan", arch_of(t), t.subgroup_size)

    def get_active_torch_device(self):
        """torch.device("tvk", current index): the PyTorch device over Vulkan memory
        (triton_vulkan.torch_device); "cpu" where it cannot be registered (PyTorch < 2.4, or the
        extension not built) or is not wanted (TVK_TORCH_DEVICE=0, unless registered anyway),
        where CPU tensors are staged for each launch."""
        from .. import torch_device
        import torch
        if torch_device.is_registered() or torch_device.auto_register():
            return torch_device.torch_device()
        return torch.device("cpu")

    def map_python_to_cpp_type(self, ty: str) -> str:
        if ty.startswith("*"):
            return "void*"
        return _TYPE_TO_CPP.get(ty, ty)

    def get_benchmarker(self):
        return autotune_bench.do_bench

    def get_device_interface(self):
        return VulkanDeviceInterface

    def get_empty_cache_for_benchmark(self):
        dev = _dev.device()
        key = (dev.index, dev.generation)  # a re-opened device needs new buffers
        if key not in self._bench_cache:
            self._bench_cache = {k: v for k, v in self._bench_cache.items() if k[0] != dev.index}
            self._bench_cache[key] = _BenchCache(dev)
        return self._bench_cache[key]

    def clear_cache(self, cache):
        cache.clear()
