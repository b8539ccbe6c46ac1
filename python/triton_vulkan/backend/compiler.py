"""VulkanBackend: Triton's frontend and TTIR passes, then our TTIR → SPIR-V compiler.

Stages: `ttir` (Triton's TTIR passes, the AMD backend's list), `spv` (the native compiler:
SPIR-V bytes; metadata gets `name`, `shared` and `vk_reflection`, the reflection record the
launcher packs arguments by) and `spvdis` (the SPIR-V disassembly, text: `kernel.asm["spvdis"]`,
and a file in TRITON_KERNEL_DUMP/TRITON_DUMP_DIR dumps).

Options that do not change the SPIR-V (the AMD tuning knobs; of `num_stages`, only whether it
is 1 or more) are left out of `VulkanOptions.hash()`, so autotune configs that differ only in
them compile once (Triton's cache key is built from that hash).

TVK_LOG_COMPILE=1 (or TRITON_PRINT_AUTOTUNING=1) prints each stage's compile time to stderr (and
driver.load_binary the pipeline's creation)."""
import functools
import hashlib
import os
import sys
import time
from dataclasses import dataclass, fields
from typing import Any, Dict, Tuple
from types import ModuleType

from triton.backends.compiler import BaseBackend, GPUTarget, Language
from triton._C.libtriton import ir, passes

from .. import _C
from .._version import __version__
from .targets import target_of
from . import resources
from .version import check_triton_version


# VulkanOptions fields that do not change the SPIR-V (not part of the cache key).
NOT_IN_SPIRV = frozenset({"num_stages", "waves_per_eu", "matrix_instr_nonkdim", "kpack"})

# Number of TTIR → SPIR-V compilations in this process (tests check that cache hits skip them).
spv_compile_count = 0


def _log_enabled():
    return os.environ.get("TVK_LOG_COMPILE", "0") not in ("", "0") or \
        os.environ.get("TRITON_PRINT_AUTOTUNING", "0") not in ("", "0")


def _timed(stage, fn):
    """fn(src, metadata), logging its wall time when TVK_LOG_COMPILE/TRITON_PRINT_AUTOTUNING is set."""
    def run(src, metadata):
        if not _log_enabled():
            return fn(src, metadata)
        t0 = time.perf_counter()
        out = fn(src, metadata)
        ms = (time.perf_counter() - t0) * 1e3
        try:
            name = metadata.get("name") or src.get_entry_func_name()
        except Exception:  # not a module with an entry function
            name = "?"
        print(f"triton_vulkan: {stage} of {name} (num_warps={metadata.get('num_warps')}) "
              f"{ms:.1f} ms", file=sys.stderr, flush=True)
        return out
    return run


@dataclass(frozen=True)
class VulkanOptions:
    """Compile options (every launch keyword users may pass is a field)."""
    num_warps: int = 4
    num_ctas: int = 1
    # From 2 on, tl.dot loops on cooperative matrices load the next K tile while they multiply
    # (one tile ahead: 2 and more compile alike). 3 is the CUDA backend's default.
    num_stages: int = 3
    # AMD tuning knobs (the HIP autotune configs of Triton's tutorials): accepted and ignored.
    waves_per_eu: int = 0
    matrix_instr_nonkdim: int = 0
    kpack: int = 1
    warp_size: int = 32
    arch: str = None
    enable_fp_fusion: bool = True
    launch_cooperative_grid: bool = False
    launch_pdl: bool = False
    supported_fp8_dtypes: Tuple[str, ...] = ("fp8e4b15", "fp8e4nv", "fp8e5")
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
    # Most bytes an invocation moves per vector load/store (analysis/vector_width.h); 0: one
    # access per element. TVK_VECTOR_BYTES sets the default (part of the cache key).
    vector_bytes: int = int(os.environ.get("TVK_VECTOR_BYTES", "16"))
    maxnreg: Any = None
    ir_override: Any = None

    def __post_init__(self):
        n = self.num_warps
        if n <= 0 or n & (n - 1):
            # AssertionError like the CUDA backend's options check (raised, so `python -O` keeps it).
            raise AssertionError(f"num_warps must be a power of 2, got {n}")
        if self.num_ctas != 1:
            raise ValueError("num_ctas > 1 is not supported by the Vulkan backend")
        if self.extern_libs is not None:
            object.__setattr__(self, "extern_libs", tuple(dict(self.extern_libs).items()))

    def hash(self):
        key = "_".join(f"{k}-{v}" for k, v in sorted(self.__dict__.items()) if k not in NOT_IN_SPIRV)
        key += f"_pipelined-{self.num_stages > 1}"
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
        # "tvk": what torch.compile asks for on the tvk torch device (Inductor names the target
        # after the torch device type); its arch is the Vulkan arch string (inductor.py).
        return target.backend in ("vulkan", "tvk")

    def __init__(self, target: GPUTarget) -> None:
        if target.backend == "tvk":
            # Inductor's warp size is CUDA's 32; the device's subgroup size is the fact to use.
            target = GPUTarget("vulkan", target.arch, target_of(target.arch).subgroup_size)
        super().__init__(target)
        check_triton_version()
        self.binary_ext = "spv"

    def hash(self):
        # Triton's own key covers only in-tree code: our versions, a digest of the native
        # compiler actually loaded (a rebuilt compiler never reuses stale SPIR-V) and the
        # device facts (arch) go here.
        # TVK_DOT_HOLD=0, TVK_SPLIT_ROWS=0, TVK_TRANSPOSE_PACKED, TVK_BARRIER_ELISION=0 and
        # TVK_RUN_CONSTANTS=0, TVK_DOT_DOUBLE=0, TVK_TRANSPOSE_HALVES=0, TVK_EARLY_LOADS=1,
        # TVK_PIPELINE_LOADS=1, TVK_TRANSPOSE_LINES=0, TVK_DOT_F16_DEFER=0, TVK_RUN_DIVISIONS=0,
        # TVK_HELD_SLICES=0, TVK_EXCHANGE_APART=0, TVK_TABLE_ELISION=0, TVK_SUBGROUP_EXCHANGE=0,
        # TVK_TABLE_BROADCAST=0, TVK_CARRY_LOADS=0, TVK_FRAGMENT_ROWS=0 or 1, TVK_POINTER_INDUCTIONS=1,
        # TVK_RECIPROCAL_DIVISION=0
        # (measurement switches read by the native compiler: no loop-invariant
        # dot operands held in fragments; no split row layouts; how 8/16-bit transposes cross
        # scratch; every scratch barrier kept; no slots shared over runs of equal values;
        # pipelined dots in one buffer; 16-bit transposed column words by bit-field inserts;
        # loads moved up, ir/early_loads.h; loads issued an iteration ahead,
        # ir/pipeline_loads.h; the column-block transpose's scratch swizzled by rows; f16 dot
        # operands rounded where computed; a division per element, not per run of consecutive
        # dividends; direct dot operand loads carried across loop iterations; attention's
        # softmax on the score fragments off, or on without its register estimate,
        # lower/fragment_rows.h; loop pointers carried instead of rebuilt from block pointers'
        # offsets, ir/pointer_inductions.h) change the SPIR-V,
        # so they are part of the key.
        return (f"triton-vulkan-{__version__}-compiler-{_C.compiler_version()}-{_native_digest()}"
                f"-{self.target.arch}-{self.target.warp_size}"
                f"-hold{os.environ.get('TVK_DOT_HOLD', '1') != '0'}"
                f"-split{os.environ.get('TVK_SPLIT_ROWS', '1') != '0'}"
                f"-tp{os.environ.get('TVK_TRANSPOSE_PACKED', '1')}"
                f"-be{os.environ.get('TVK_BARRIER_ELISION', '1') != '0'}"
                f"-rc{os.environ.get('TVK_RUN_CONSTANTS', '1') != '0'}"
                f"-db{os.environ.get('TVK_DOT_DOUBLE', '1') != '0'}"
                f"-th{os.environ.get('TVK_TRANSPOSE_HALVES', '1') != '0'}"
                f"-el{os.environ.get('TVK_EARLY_LOADS', '0') == '1'}"
                f"-pl{os.environ.get('TVK_PIPELINE_LOADS', '0') == '1'}"
                f"-tl{os.environ.get('TVK_TRANSPOSE_LINES', '1') != '0'}"
                f"-dd{os.environ.get('TVK_DOT_F16_DEFER', '1') != '0'}"
                f"-rd{os.environ.get('TVK_RUN_DIVISIONS', '1') != '0'}"
                f"-hs{os.environ.get('TVK_HELD_SLICES', '1') != '0'}"
                f"-xa{os.environ.get('TVK_EXCHANGE_APART', '1') != '0'}"
                f"-te{os.environ.get('TVK_TABLE_ELISION', '1') != '0'}"
                f"-sx{os.environ.get('TVK_SUBGROUP_EXCHANGE', '1') != '0'}"
                f"-tb{os.environ.get('TVK_TABLE_BROADCAST', '1') != '0'}"
                f"-cl{os.environ.get('TVK_CARRY_LOADS', '1') != '0'}"
                f"-fr{os.environ['TVK_FRAGMENT_ROWS'] if os.environ.get('TVK_FRAGMENT_ROWS') in ('0', '1') else 'auto'}"
                f"-pi{os.environ.get('TVK_POINTER_INDUCTIONS', '0') == '1'}"
                f"-rq{os.environ.get('TVK_RECIPROCAL_DIVISION', '1') != '0'}")

    def parse_options(self, opts) -> Any:
        names = {f.name for f in fields(VulkanOptions)}
        args = {"arch": self.target.arch, "warp_size": self.target.warp_size}
        args.update({k: v for k, v in opts.items() if k in names and v is not None and k not in ("arch", "warp_size")})
        for k in ("supported_fp8_dtypes", "deprecated_fp8_dot_operand_dtypes", "allowed_dot_input_precisions"):
            if k in args:
                args[k] = tuple(sorted(args[k]))
        # TVK_DOT_PREFETCH=0: no software pipelining whatever num_stages says (num_stages 1).
        if os.environ.get("TVK_DOT_PREFETCH", "1") == "0":
            args["num_stages"] = 1
        return VulkanOptions(**args)

    def pack_metadata(self, metadata):
        return (metadata.num_warps, metadata.shared, metadata.name)

    def get_codegen_implementation(self, options):
        # Imported here: triton.language is still initializing while Triton discovers backends.
        from .fp8e4b15 import convert_custom_types
        return {"min_dot_size": _min_dot_size, "convert_custom_types": convert_custom_types}

    def get_module_map(self) -> Dict[str, ModuleType]:
        # triton.language.extra.libdevice is an interface each backend implements: CUDA's
        # implementation emits tt.extern_elementwise with `__nv_` symbols, which the compiler
        # lowers (src/lower/libdevice.cc; an unknown one is a clear `unsupported` error).
        from triton.language.extra.cuda import libdevice
        return {"triton.language.extra.libdevice": libdevice}

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
        global spv_compile_count
        text = str(mod)
        name = mod.get_entry_func_name()
        target = target_of(options.arch)
        resources.check_workgroup(options.num_warps, target)  # OutOfResources: autotune skips it
        try:
            spirv, reflection = _C.compile_ttir(text, target, num_warps=options.num_warps, file_name=f"{name}.ttir",
                                                vector_bytes=options.vector_bytes, num_stages=options.num_stages)
        except _C.CompilationError as e:
            oor = resources.as_out_of_resources(e)
            if oor is not None:
                raise oor from e
            raise
        spv_compile_count += 1
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
        stages["ttir"] = _timed("ttir", lambda src, metadata: self.make_ttir(src, metadata, options))
        stages["spv"] = _timed("spv", lambda src, metadata: self.make_spv(src, metadata, options))
        # Readable SPIR-V (asm["spvdis"]); the binary stays asm["spv"] (binary_ext).
        stages["spvdis"] = lambda src, metadata: _C.disassemble(src)
