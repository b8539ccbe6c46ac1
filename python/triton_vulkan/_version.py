"""Package version and the Triton releases the plugin supports."""
__version__ = "0.1.0"
# Triton releases whose backend interface (BaseBackend/DriverBase/launcher protocol) we implement.
SUPPORTED_TRITON = ("3.6",)
