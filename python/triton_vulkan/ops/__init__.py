"""ATen kernels of the tvk device written as Triton kernels (registered by
triton_vulkan.torch_device.register()): they replace the CPU fallback for the ops they cover."""
