"""Devices: listing, the current device, synchronization, allocator statistics.

Every function here may be called from several threads: a device serializes its command
stream internally and waits for the GPU without holding the GIL (Ctrl-C interrupts a wait)."""
import sys

from . import _C

_current = None  # index of the current device; None: the runtime's default (TVK_DEVICE)


def devices():
    """The Vulkan devices with compute support: a list of dicts (index, name, type, driver, ...)."""
    return _C.devices()


def device(index=None):
    """The open device `index` (opened once), or the current device when None.

    `index` may also be a device object (returned as is) or a Triton key such as "vulkan:1"."""
    if isinstance(index, _C.Device):
        return index
    if index is None:
        index = _current_index()
    if index is None:
        return _C.open_device(-1)
    if isinstance(index, str):  # "vulkan:1" (Triton device keys)
        index = int(index.rsplit(":", 1)[-1])
    return _C.open_device(int(index))


def _current_index():
    """The current device index: the torch device's (per thread, device guards) once it is
    registered, else set_device's; None for the runtime's default."""
    td = sys.modules.get(__package__ + ".torch_device")
    if td is not None and td.is_registered():
        return td.current_index()
    return _current


def new_device(index=None):
    """A new logical device on physical device `index` (default: the current one), with its own
    queue, allocator and stream; it lives until the process exits. Pass it as `device=` to
    `empty`/`zeros`/`from_torch`/`compile` to use it."""
    if index is None:
        index = _current_index()
    return _C.open_device(-1 if index is None else int(index), shared=False)


def current_device():
    """Index of the current device."""
    return device().index


def set_device(index):
    """Makes device `index` the current one."""
    global _current
    _current = device(index).index
    td = sys.modules.get(__package__ + ".torch_device")
    if td is not None:
        td._on_set_device(_current)


def synchronize(dev=None):
    """Submits the recorded work of `dev` (default: the current device) and waits for it.

    Raises KeyboardInterrupt on Ctrl-C (the work stays pending), DeviceLostError when the wait
    timed out (TVK_TIMEOUT, default 60 s, 600 s on CPU devices) or the device was lost; the next call re-opens it."""
    device(dev).synchronize()


def memory_stats(dev=None):
    """The caching allocator's byte counts of `dev`: allocated_bytes, in_use_bytes, cached_bytes,
    pending_bytes (freed while the GPU may still use them), cache_limit, returned_bytes,
    out_of_memory_retries."""
    return device(dev).memory_stats()


def empty_cache(dev=None):
    """Returns the cached (freed) memory of `dev`'s allocator to Vulkan."""
    device(dev).empty_cache()
