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
        self._dtypes = None  # per argument: torch dtypes of the fast path (None: scalar)

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
            dtypes = self._dtypes or self._fast_dtypes()
            try:
                # Fast path: every buffer is a tensor of the kernel's dtype in Vulkan memory.
                vals = [a if s is None else (a.data_ptr() if a.dtype in s else None)
                        for a, s in zip(args, dtypes)]
                if len(vals) == len(dtypes) and None not in vals:
                    self.device.launch(self._native, grid, vals)
                    return
            except (AttributeError, TypeError, ValueError):
                pass
            _args.launch(self.device, self._native, self.reflection, grid, args)  # staging, errors
        return run

    def _fast_dtypes(self):
        """Per argument: the torch dtypes the fast path passes straight through (None: a scalar)."""
        import torch
        out = []
        for a in self.reflection["args"]:
            if a["kind"] != "buffer":
                out.append(None)
                continue
            names = _args.dtype_names(a) or ()
            out.append(frozenset(getattr(torch, n) for n in names if hasattr(torch, n)))
        self._dtypes = out
        return out

    def __repr__(self):
        return f"<triton_vulkan.Kernel {self.name}({', '.join(self.arg_names)}) on device {self.device.index}>"


def compile(ttir, num_warps=4, device=None, file_name="<ttir>"):
    """Compiles TTIR text (as Triton 3.6 prints it) for `device` (default: the current device).

    Raises CompilationError (`unsupported: <op> at <file>:<line>` for what the backend lacks)."""
    dev = _device(device)
    spirv, reflection = _C.compile_ttir(ttir, dev.target, num_warps=num_warps, file_name=file_name)
    return Kernel(spirv, reflection, dev)
