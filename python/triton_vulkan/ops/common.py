"""What the tvk device's Triton-kernel ops share: when a call runs on the device (the dtypes a
kernel covers, the Vulkan driver active) and how a call the kernels do not cover keeps ATen's
semantics (computed on CPU copies, the results copied back)."""

import warnings

_FLOATS = None
_failed = set()


def floats(torch):
    """The dtypes the kernels compute (in float32, rounding results to their dtype)."""
    global _FLOATS
    if _FLOATS is None:
        _FLOATS = (torch.float16, torch.bfloat16, torch.float32)
    return _FLOATS


def kernels_usable():
    """True when Triton's active driver is this backend's: where CUDA is present and
    triton_vulkan.activate() was not called, a kernel would be built for CUDA."""
    from ..backend.driver import vulkan_driver_is_active
    return vulkan_driver_is_active()


def device_of(torch, *args):
    """The device of the first non-CPU tensor among args (CPU 0-dim tensors are scalars)."""
    return next(a.device for a in args if isinstance(a, torch.Tensor) and a.device.type != "cpu")


def meta_results(torch, op, args):
    """op's results for args as its meta kernel gives them: their shapes and dtypes, and which
    results exist (None for the others)."""
    from torch.utils._pytree import tree_map
    return op(*tree_map(lambda a: a.to("meta") if isinstance(a, torch.Tensor) else a, args))


def on_cpu(torch, op, args, kwargs=None):
    """op on CPU copies of the device tensors in args/kwargs, its tensor results moved back to
    the device of the first device tensor (None results stay None)."""
    from torch.utils._pytree import tree_map
    device = device_of(torch, *args)

    def cpu(a):
        return a.cpu() if isinstance(a, torch.Tensor) else a
    out = op(*tree_map(cpu, args), **tree_map(cpu, kwargs or {}))
    return tree_map(lambda r: r.to(device) if isinstance(r, torch.Tensor) else r, out)


def grid_rows(rows):
    """Programs for a row-per-program kernel whose programs stride over the rows: at most 65535
    (Vulkan's guaranteed workgroup count per dimension)."""
    return max(1, min(rows, 65535))


def run_kernel(name, launch):
    """Calls launch() (kernel launches); False when the device cannot compile or fit a kernel
    (too few push-constant bytes, shared memory, ...): the caller then computes on the CPU.
    Warned once per op."""
    from triton.runtime.errors import OutOfResources
    from .._C import CompilationError
    try:
        launch()
        return True
    except (CompilationError, OutOfResources) as e:
        if name not in _failed:
            _failed.add(name)
            warnings.warn(f"triton_vulkan: the tvk device's kernel for {name} cannot run here "
                          f"({str(e).splitlines()[0]}); it runs on the CPU", stacklevel=3)
        return False
