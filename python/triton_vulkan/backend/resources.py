"""Device facts for Triton (`driver.utils.get_device_properties`, the `n_regs`/`n_spills` of
`load_binary`) and the limits a kernel configuration can exceed (raised as Triton's
`OutOfResources`, which `triton.autotune` skips).

Vulkan has no register counts nor a multiprocessor count in its core API, so some values are
documented estimates (never 0, since tutorials divide by them):

- `multiprocessor_count`: TVK_MULTIPROCESSOR_COUNT when set; else the shader-core count the
  driver reports (`info["compute_units"]`: VK_NV_shader_sm_builtins, VK_AMD_shader_core_properties
  or VK_ARM_shader_core_builtins, read by src/runtime/device_query.cc); else on a CPU device
  (lavapipe, which runs one workgroup per thread) LP_NUM_THREADS when set, else the number of
  CPUs; else an estimate by device type (discrete 32, integrated 8, else 4).
- `max_num_regs`: 32-bit registers per multiprocessor = maxComputeWorkGroupInvocations x
  REGS_PER_INVOCATION (64: CUDA's 65536 registers for 1024 threads).
- `n_regs` of a kernel: the driver's register count where it reports one through
  VK_KHR_pipeline_executable_properties (a statistic whose name mentions registers; `n_spills`:
  the sum of those that mention spills), else ESTIMATED_REGS (32) per invocation and 0 spills
  (lavapipe offers no statistics). `Kernel.statistics()` lists everything the driver reports."""
import os
import re

REGS_PER_INVOCATION = 64
ESTIMATED_REGS = 32
_SM_BY_TYPE = {"discrete": 32, "integrated": 8}

# The compiler's error when the shared-memory plan exceeds the target (src/analysis/smem_plan.cc).
_SMEM_ERROR = re.compile(r"shared memory: .* needs (\d+) bytes, the target allows (\d+)")
# The compiler's size guard (the kernel is too large for its block/word limits).
_SIZE_ERROR = re.compile(r"kernel too large: .* has (\d+) basic blocks and (\d+) words \(limits (\d+) and (\d+)")


def registers_of(statistics):
    """(n_regs, n_spills) from a pipeline's statistics (dicts of name and value), or the
    estimates when no statistic names registers."""
    regs = [s["value"] for s in statistics
            if "register" in s["name"].lower() and "spill" not in s["name"].lower()]
    spills = [s["value"] for s in statistics if "spill" in s["name"].lower()]
    if not regs or regs[0] <= 0:
        return ESTIMATED_REGS, 0
    return int(regs[0]), int(sum(spills))


def _positive_env(name):
    v = os.environ.get(name, "")
    try:
        n = int(v)
    except ValueError:
        return None
    return n if n > 0 else None


def multiprocessor_count(info):
    """The documented estimate above, for a device's info dict (`_C.Device.info`)."""
    n = _positive_env("TVK_MULTIPROCESSOR_COUNT")
    if n:
        return n
    if info.get("compute_units", 0) > 0:
        return int(info["compute_units"])
    if info.get("type") == "cpu":
        return _positive_env("LP_NUM_THREADS") or os.cpu_count() or 1
    return _SM_BY_TYPE.get(info.get("type"), 4)


def device_properties(dev):
    """Triton's property dict (the CUDA/HIP keys tutorials read) for an open `_C.Device`."""
    t = dev.target
    inv = t.max_workgroup_invocations
    return {
        "max_shared_mem": t.shared_memory_bytes,
        "max_num_regs": inv * REGS_PER_INVOCATION,
        "multiprocessor_count": multiprocessor_count(dev.info),
        "warpSize": t.subgroup_size,
        "max_threads_per_block": inv,
        "max_threads_per_sm": inv,
        "sm_clock_rate": 0,
        "mem_clock_rate": 0,
        "mem_bus_width": 0,
        "name": dev.info["name"],
        "arch": dev.info["name"],
    }


def check_workgroup(num_warps, target):
    """OutOfResources when num_warps x subgroup size exceeds maxComputeWorkGroupInvocations."""
    need = num_warps * target.subgroup_size
    if need > target.max_workgroup_invocations:
        from triton.runtime.errors import OutOfResources
        raise OutOfResources(need, target.max_workgroup_invocations,
                             f"workgroup invocations (num_warps={num_warps} x subgroup size {target.subgroup_size})")


def as_out_of_resources(error):
    """The OutOfResources a compiler error stands for (shared memory over the limit, a kernel
    over the compiler's size limits), else None."""
    from triton.runtime.errors import OutOfResources
    m = _SMEM_ERROR.search(str(error))
    if m is not None:
        return OutOfResources(int(m.group(1)), int(m.group(2)), "shared memory")
    m = _SIZE_ERROR.search(str(error))
    if m is not None:
        blocks, words, block_limit, word_limit = (int(g) for g in m.groups())
        if blocks > block_limit:
            return OutOfResources(blocks, block_limit, f"SPIR-V basic blocks ({error})")
        return OutOfResources(words, word_limit, f"SPIR-V words ({error})")
    return None
