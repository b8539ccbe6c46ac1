"""Exception types. VulkanError, CompilationError and DeviceLostError are raised by the native
extension."""
from ._C import VulkanError, CompilationError, DeviceLostError


class UnsupportedTritonVersion(VulkanError):
    """The installed Triton is not a release this plugin supports."""
