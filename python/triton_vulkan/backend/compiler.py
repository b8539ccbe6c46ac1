"""VulkanBackend: Triton's frontend and TTIR passes, then our TTIR → SPIR-V compiler.

Stages: `ttir` (Triton's TTIR passes, the AMD backend's list) and `spv` (the native compiler:
SPIR-V bytes; metadata gets `name`, `shared` and `vk_reflection`, the reflection record the
launcher packs arguments by)."""
import functools
import hashlib
from dataclasses import dataclass, fields
from typing import Any, Dict, Tuple
from types import ModuleType

from triton.backends.compiler import BaseBackend, GPUTarget, Language
from triton._C.libtriton import ir, passes

from .. import _C
from .._version import __version__
from .targets import target_of
from .version import check_triton_version


@dataclass(frozen=True)
class VulkanOptions:
    """Compile options (every launch keyword users may pass is a field)."""
    num_warps: int = 4
    num_ctas: int = 1
    num_stages: int = 1  # accepted for portability; the Vulkan backend does not pipeline loads
    warp_size: int = 32
    arch: str = None
    enable_fp_fusion: bool = True
    launch_cooperative_grid: bool = False
    launch_pdl: bool = False
    supported_fp8_dtypes: Tuple[str, ...] = ("fp8e4nv", "fp8e5")
    deprecated_fp8_dot_operand_dtypes: Tuple[str, ...] = ()
    default_dot_input_precision: str = "ieee"
    # Every precision Triton-CUDA accepts; the FMA path multiplies fp32 inputs in full fp32,
    # at least as accurate as each of them (lower/dot.cc).
    allowed_dot_input_precisions: Tuple[str, ...] = ("ieee", "tf32", "tf32x3", "bf16x3", "bf16x6")
    max_num_imprecise_acc_default: int = 0
    extern_libs: Any = None
    debug: bool = False
    sanitize_overflow: bool = True
    backend_name: str = "vulkan"
    instrumentation_mode: str = ""
    maxnreg: Any = None
    ir_override: Any = None

    def __post_init__(self):
        n = self.num_warps
        if n <= 0 or n & (n - 1):
            raise ValueError(f"num_warps must be a power of 2, got {n}")
        if self.num_ctas != 1:
            raise ValueError("num_ctas > 1 is not supported by the Vulkan backend")
        if self.extern_libs is not None:
            object.__setattr__(self, "extern_libs", tuple(dict(self.extern_libs).items()))

    def hash(self):
        key = "_".join(f"{k}-{v}" for k, v in sorted(self.__dict__.items()))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=None)
def _native_digest():
    """Digest of the loaded native extension (the compiler is linked into it)."""
    with open(_C.__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def _min_dot_size(lhs_type, rhs_type):
    return (1, 1, 1)


class VulkanBackend(BaseBackend):
    """Triton backend for target.backend == "vulkan"."""
    supports_native_tensor_specialization = True

    @staticmethod
    def supports_target(target: GPUTarget):
        return target.backend == "vulkan"

    def __init__(self, target: GPUTarget) -> None:
        super().__init__(target)
        check_triton_version()
        self.binary_ext = "spv"

    def hash(self):
        # Triton's own key covers only in-tree code: our versions, a digest of the native
        # compiler actually loaded (a rebuilt compiler never reuses stale SPIR-V) and the
        # device facts (arch) go here.
        return (f"triton-vulkan-{__version__}-compiler-{_C.compiler_version()}-{_native_digest()}"
                f"-{self.target.arch}-{self.target.warp_size}")

    def parse_options(self, opts) -> Any:
        names = {f.name for f in fields(VulkanOptions)}
        args = {"arch": self.target.arch, "warp_size": self.target.warp_size}
        args.update({k: v for k, v in opts.items() if k in names and v is not None and k not in ("arch", "warp_size")})
        for k in ("supported_fp8_dtypes", "deprecated_fp8_dot_operand_dtypes", "allowed_dot_input_precisions"):
            if k in args:
                args[k] = tuple(sorted(args[k]))
        return VulkanOptions(**args)

    def pack_metadata(self, metadata):
        return (metadata.num_warps, metadata.shared, metadata.name)

    def get_codegen_implementation(self, options):
        return {"min_dot_size": _min_dot_size}

    def get_module_map(self) -> Dict[str, ModuleType]:
        return {}

    def load_dialects(self, ctx):
        pass

    @staticmethod
    def make_ttir(mod, metadata, options):
        """Triton's TTIR passes, as the AMD backend runs them (guarded for removed passes)."""
        pm = ir.pass_manager(mod.context)
        pm.enable_debug()
        passes.common.add_inliner(pm)
        if hasattr(passes.ttir, "add_rewrite_tensor_pointer"):
            passes.ttir.add_rewrite_tensor_pointer(pm)
        if hasattr(passes.ttir, "add_rewrite_tensor_descriptor_to_pointer"):
            passes.ttir.add_rewrite_tensor_descriptor_to_pointer(pm)
        passes.common.add_canonicalizer(pm)
        passes.ttir.add_combine(pm)
        passes.ttir.add_reorder_broadcast(pm)
        passes.common.add_cse(pm)
        passes.ttir.add_triton_licm(pm)
        passes.common.add_symbol_dce(pm)
        passes.ttir.add_loop_unroll(pm)
        pm.run(mod, "make_ttir")
        return mod

    @staticmethod
    def make_spv(mod, metadata, options):
        """Our compiler on the module's text (with locations, for `at <file>:<line>` errors)."""
        text = str(mod)
        name = mod.get_entry_func_name()
        target = target_of(options.arch)
        spirv, reflection = _C.compile_ttir(text, target, num_warps=options.num_warps, file_name=f"{name}.ttir")
        metadata["name"] = name
        metadata["shared"] = int(reflection["shared_bytes"])
        metadata["vk_reflection"] = reflection
        metadata["vk_compiler_version"] = _C.compiler_version()
        return spirv

    def add_stages(self, stages, options, language=Language.TRITON):
        from triton import knobs
        if knobs.compilation.store_binary_only:
            # Triton would store only cubin/hsaco/json, and the .spv binary would be lost.
            raise _C.CompilationError("TRITON_STORE_BINARY_ONLY=1 is not supported by the Vulkan backend")
        if language != Language.TRITON:
            raise _C.CompilationError("unsupported: Gluon kernels (the Vulkan backend compiles Triton kernels only)")
        stages["ttir"] = lambda src, metadata: self.make_ttir(src, metadata, options)
        stages["spv"] = lambda src, metadata: self.make_spv(src, metadata, options)
