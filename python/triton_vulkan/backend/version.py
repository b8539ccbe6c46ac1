"""Which Triton releases the plugin supports (checked when the plugin is used, not at discovery,
so that an unsupported Triton still works with its own backends)."""
from importlib import metadata

from .._version import SUPPORTED_TRITON


def triton_version():
    try:
        return metadata.version("triton")
    except metadata.PackageNotFoundError:
        import triton
        return triton.__version__


def is_supported(version):
    return any(version == v or version.startswith(v + ".") for v in SUPPORTED_TRITON)


def check_triton_version():
    """Raises UnsupportedTritonVersion unless the installed Triton is supported."""
    v = triton_version()
    if not is_supported(v):
        from ..errors import UnsupportedTritonVersion
        raise UnsupportedTritonVersion(
            f"triton_vulkan supports Triton {', '.join(s + '.x' for s in SUPPORTED_TRITON)}; "
            f"the installed Triton is {v}")
