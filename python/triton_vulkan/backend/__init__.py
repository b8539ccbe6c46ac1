"""The Triton 3.6 backend plugin (entry point `vulkan = "triton_vulkan.backend"` in group
`triton.backends`): `compiler.py` holds the one BaseBackend, `driver.py` the one DriverBase.

Triton imports these modules while `triton.runtime.jit` is half-imported, so their top level
imports only triton.backends.*, triton._C.libtriton and our own native extension."""
