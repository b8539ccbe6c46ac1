"""`triton_vulkan.compile(ttir)`: a TTIR kernel compiled for a Vulkan device, launched as kernel[grid](*args)."""
from . import _C
from . import args as _args
from ._device import device as _device


class Kernel:
    """A compiled kernel on one device: `kernel[grid](*args)` records a launch."""

    def __init__(self, spirv, reflection, dev):
        self.spirv = spirv
        self.reflection = reflection
        self.device = dev
        self.name = reflection["entry"]
        self._native = dev.kernel(spirv, reflection)
        self._sizes = [a["size"] if a["kind"] == "buffer" else 0 for a in reflection["args"]]

    @property
    def arg_names(self):
        return [a["name"] for a in self.reflection["args"]]

    def asm(self):
        """SPIR-V disassembly."""
        return _C.disassemble(self.spirv)

    def launch(self, grid, *args):
        _args.launch(self.device, self._native, self.reflection, _args.normalize_grid(grid), args)

    def __getitem__(self, grid):
        grid = _args.normalize_grid(grid)

        def run(*args):
            try:
                # Fast path: every buffer is a tensor with the kernel's element size in Vulkan memory.
                vals = [a if not s else (a.data_ptr() if a.element_size() == s else None)
                        for a, s in zip(args, self._sizes)]
                if len(vals) == len(self._sizes) and None not in vals:
                    self.device.launch(self._native, grid, vals)
                    return
            except (AttributeError, TypeError, ValueError):
                pass
            _args.launch(self.device, self._native, self.reflection, grid, args)  # staging, errors
        return run

    def __repr__(self):
        return f"<triton_vulkan.Kernel {self.name}({', '.join(self.arg_names)}) on device {self.device.index}>"


def compile(ttir, num_warps=4, device=None, file_name="<ttir>"):
    """Compiles TTIR text (as Triton 3.6 prints it) for `device` (default: the current device).

    Raises CompilationError (`unsupported: <op> at <file>:<line>` for what the backend lacks)."""
    dev = _device(device)
    spirv, reflection = _C.compile_ttir(ttir, dev.target, num_warps=num_warps, file_name=file_name)
    return Kernel(spirv, reflection, dev)
