"""Devices: listing, the current device, synchronization."""
from . import _C

_current = None  # index of the current device; None: the runtime's default (TVK_DEVICE)


def devices():
    """The Vulkan devices with compute support: a list of dicts (index, name, type, driver, ...)."""
    return _C.devices()


def device(index=None):
    """The open device `index` (opened once), or the current device when None."""
    if index is None:
        index = _current
    if index is None:
        return _C.open_device(-1)
    if isinstance(index, str):  # "vulkan:1" (Triton device keys)
        index = int(index.rsplit(":", 1)[-1])
    return _C.open_device(int(index))


def current_device():
    """Index of the current device."""
    return device().index


def set_device(index):
    """Makes device `index` the current one."""
    global _current
    _current = device(index).index


def synchronize(dev=None):
    """Submits the recorded work of `dev` (default: the current device) and waits for it."""
    device(dev).synchronize()
