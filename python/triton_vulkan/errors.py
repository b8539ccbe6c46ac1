"""Exception types. VulkanError and CompilationError are raised by the native extension."""
from ._C import VulkanError, CompilationError


class UnsupportedTritonVersion(VulkanError):
    """The installed Triton is not a release this plugin supports."""
