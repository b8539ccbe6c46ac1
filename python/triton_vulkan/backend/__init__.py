"""The Triton 3.6 backend plugin (entry point `vulkan = "triton_vulkan.backend"` in group
`triton.backends`): `compiler.py` holds the one BaseBackend, `driver.py` the one DriverBase.

Triton imports these modules while `triton.runtime.jit` is half-imported, so their top level
imports only triton.backends.*, triton._C.libtriton and our own native extension.

Import order: `import triton` below runs before `compiler`/`driver` are imported. When our code
is imported first (`import triton_vulkan; triton_vulkan.activate()` before `import triton`),
importing Triton makes its backend discovery import `compiler` and `driver` completely, through
the entry point; without it, discovery would find our driver module half-imported (the import
that triggered Triton's import is still running) and fail with "Found 0 concrete subclasses of
DriverBase". When Triton is imported first, `triton` is already in sys.modules (half-imported)
and this line does nothing."""
import triton  # noqa: F401  (see above)
