"""torch.compile on the tvk device: Dynamo's device interface and Inductor's Triton code
generation registered for "tvk", so that the Triton kernels Inductor writes for a graph run
through this backend.

    import torch, triton_vulkan
    triton_vulkan.inductor.register()          # torch_device.register() does it too
    model = model.to("tvk")
    out = torch.compile(model)(x.to("tvk"))

Inductor lowers what it can into Triton kernels (pointwise, reductions, scans, fused
epilogues). What it leaves to ATen (matmul and convolution, unless Inductor's Triton templates
are selected with max_autotune) runs through the device's ATen kernels, i.e. the CPU fallback
(torch_device.py), which reports each such op once.

Inductor asks the target for a Triton `GPUTarget`; the tvk device answers with the Vulkan
driver's target (backend "vulkan"), so Triton picks this backend's compiler.
"""
import threading

from . import _device
from .torch_device import index_of as _index

_lock = threading.Lock()
_registered = False


def _interface():
    import torch
    from torch._dynamo.device_interface import DeviceInterface, caching_worker_current_devices, \
        caching_worker_device_properties
    from .torch_device import NAME, _Module
    from .torch_device import Stream as _Stream

    class _Properties:
        """What Inductor reads of a device: the CUDA-style properties tutorials read too."""

        def __init__(self, index):
            from .backend.resources import device_properties
            p = device_properties(_device.device(index))
            self.name = p["name"]
            self.multi_processor_count = p["multiprocessor_count"]
            self.warp_size = p["warpSize"]
            self.max_shared_memory = p["max_shared_mem"]
            self.shared_memory_per_block_optin = p["max_shared_mem"]
            self.max_threads_per_block = p["max_threads_per_block"]
            self.regs_per_multiprocessor = p["max_num_regs"]
            self.max_threads_per_multi_processor = p["max_threads_per_sm"]
            self.total_memory = 0
            self.major, self.minor = 0, 0
            self.gcnArchName = None

    class TvkInterface(DeviceInterface):
        class device:
            """Context manager that makes a device current (torch.cuda.device-like)."""

            def __init__(self, device):
                self.index = _index(device)
                self.prev = None

            def __enter__(self):
                self.prev = _device.current_device()
                _device.set_device(self.index)

            def __exit__(self, *exc):
                _device.set_device(self.prev)
                return False

        Stream = _Stream

        class Event:
            def __init__(self, enable_timing=False, blocking=False, interprocess=False):
                from .backend.driver import VulkanEvent
                self._event = VulkanEvent(enable_timing)

            def record(self, stream=None):
                self._event.record(stream)

            def elapsed_time(self, end):
                return self._event.elapsed_time(end._event)

            def synchronize(self):
                self._event.synchronize()

            def query(self):
                return True

        class Worker:
            @staticmethod
            def set_device(device):
                caching_worker_current_devices[NAME] = _index(device)

            @staticmethod
            def current_device():
                if NAME in caching_worker_current_devices:
                    return caching_worker_current_devices[NAME]
                return _device.current_device()

            @staticmethod
            def get_device_properties(device=None):
                index = _index(device) if device is not None else TvkInterface.Worker.current_device()
                if NAME not in caching_worker_device_properties:
                    caching_worker_device_properties[NAME] = [
                        _Properties(i) for i in range(TvkInterface.device_count())]
                return caching_worker_device_properties[NAME][index]

        @staticmethod
        def current_device():
            return _device.current_device()

        @staticmethod
        def set_device(device):
            _device.set_device(_index(device))

        @staticmethod
        def maybe_exchange_device(device):
            prev = _device.current_device()
            if device != prev:
                _device.set_device(device)
            return prev

        @staticmethod
        def exchange_device(device):
            return TvkInterface.maybe_exchange_device(device)

        @staticmethod
        def device_count():
            return len(_device.devices())

        @staticmethod
        def is_available():
            return bool(_device.devices())

        @staticmethod
        def stream(stream):
            import contextlib
            return contextlib.nullcontext()

        @staticmethod
        def current_stream():
            return _Stream()

        @staticmethod
        def set_stream(stream):
            pass

        @staticmethod
        def _set_stream_by_id(stream_id, device_index, device_type):
            pass

        @staticmethod
        def get_raw_stream(device_idx):
            return 0  # one in-order stream per device (Triton's launcher ignores it)

        @staticmethod
        def synchronize(device=None):
            _device.synchronize(None if device is None else _index(device))

        @classmethod
        def get_device_properties(cls, device=None):
            return cls.Worker.get_device_properties(device)

        @staticmethod
        def get_compute_capability(device=None):
            # Inductor builds GPUTarget("tvk", this, 32): the Vulkan arch string lets the
            # backend find the device's facts (backend/targets.py).
            from .backend.targets import arch_of
            return arch_of(_device.device(_index(device)).target)

        @staticmethod
        def is_bf16_supported(including_emulation=False):
            return True

        @classmethod
        def is_dtype_supported(cls, dtype, including_emulation=False):
            return dtype != torch.float64 or _device.device().target.float64

        @staticmethod
        def memory_allocated(device=None):
            return _Module.memory_allocated(device)

        @staticmethod
        def is_triton_capable(device=None):
            return True

        @staticmethod
        def raise_if_triton_unavailable(device=None):
            pass

    return TvkInterface


def _op_overrides():
    from torch._inductor.codegen.common import DeviceOpOverrides

    class TvkOpOverrides(DeviceOpOverrides):
        def import_get_raw_stream_as(self, name):
            return f"def {name}(device_index): return 0  # tvk: one in-order stream per device"

        def set_device(self, device_idx):
            return f"torch.tvk.set_device({device_idx})"

        def synchronize(self):
            return "torch.tvk.synchronize()"

        def device_guard(self, device_idx):
            return f"torch._dynamo.device_interface.get_interface_for_device('tvk').device({device_idx})"

    return TvkOpOverrides()


def kernels_launched():
    """Triton kernel launches through the Vulkan driver so far (Inductor's included)."""
    from .backend.driver import VulkanLauncher
    return VulkanLauncher.launches


def register():
    """Registers the tvk device with Dynamo and Inductor (once per process)."""
    global _registered
    with _lock:
        if _registered:
            return
        from torch._dynamo.device_interface import register_interface_for_device
        from torch._inductor.codegen.common import register_backend_for_device, register_device_op_overrides
        from torch._inductor.codegen.triton import TritonScheduling
        from torch._inductor.codegen.wrapper import PythonWrapperCodegen
        from .torch_device import NAME
        register_interface_for_device(NAME, _interface())
        register_backend_for_device(NAME, TritonScheduling, PythonWrapperCodegen)
        register_device_op_overrides(NAME, _op_overrides())
        _compile_in_process_without_entry_point()
        _keep_vulkan_driver_active()
        _registered = True


def _keep_vulkan_driver_active():
    """Inductor's generated modules call triton_helpers.set_driver_to_gpu(), which makes the first
    active backend's driver Triton's active one: where CUDA is present that replaces the Vulkan
    driver that triton_vulkan.activate() chose. Keep it while it is active (Triton has one
    active driver per process: torch.compile for CUDA and for tvk in one process is not
    supported)."""
    from torch._inductor.runtime import triton_helpers
    original = triton_helpers.set_driver_to_gpu
    if getattr(original, "_tvk", False):
        return

    def set_driver_to_gpu():
        from .backend.driver import vulkan_driver_is_active
        if not vulkan_driver_is_active():
            original()
    set_driver_to_gpu._tvk = True
    triton_helpers.set_driver_to_gpu = set_driver_to_gpu


def _compile_in_process_without_entry_point():
    """Inductor compiles kernels in worker processes, which find Triton backends only through
    installed entry points: without the package installed (PYTHONPATH use), compile in this
    process instead (torch._inductor.config.compile_threads = 1)."""
    from importlib.metadata import entry_points
    if any(ep.name == "vulkan" for ep in entry_points(group="triton.backends")):
        return
    import torch._inductor.config as cfg
    cfg.compile_threads = 1
