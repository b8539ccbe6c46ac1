"""Exception types. VulkanError, CompilationError, DeviceLostError and DeviceAssertionError are
raised by the native extension (DeviceAssertionError: a kernel's tl.device_assert / `assert`
failed; it names file:line, the message and the failing program and element)."""
from ._C import VulkanError, CompilationError, DeviceLostError, DeviceAssertionError


class UnsupportedTritonVersion(VulkanError):
    """The installed Triton is not a release this plugin supports."""
