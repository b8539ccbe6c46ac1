"""What Triton and its tutorials read from the Vulkan driver: device properties, n_regs,
the target; autotune configs that cannot run (OutOfResources, skipped); num_stages variants
from 2 on compiled once; asm["spvdis"]; TVK_LOG_COMPILE and TRITON_KERNEL_DUMP."""
import os
import subprocess
import sys

import pytest
import triton
import triton.language as tl

import tvk_testlib


@triton.jit
def transpose_kernel(x_ptr, y_ptr, n, B: tl.constexpr):
    r = tl.arange(0, B)
    p = r[:, None] * B + r[None, :]
    tl.store(y_ptr + p, tl.trans(tl.load(x_ptr + p)))


@triton.jit
def gather_kernel(x_ptr, i_ptr, y_ptr, N: tl.constexpr):
    r = tl.arange(0, N)
    tl.store(y_ptr + r, tl.gather(tl.load(x_ptr + r), tl.load(i_ptr + r), 0))


def test_device_properties(tv, triton_vk):
    drv = triton_vk.runtime.driver.active
    dev = tv.device()
    p = drv.utils.get_device_properties(drv.get_current_device())
    t = dev.target
    assert p["max_shared_mem"] == t.shared_memory_bytes > 0
    assert p["warpSize"] == t.subgroup_size
    assert p["max_threads_per_block"] == t.max_workgroup_invocations
    assert p["multiprocessor_count"] >= 1 and p["max_num_regs"] > 0
    assert dev.info["compute_units"] >= 0
    if dev.info["compute_units"] > 0 and not os.environ.get("TVK_MULTIPROCESSOR_COUNT"):
        assert p["multiprocessor_count"] == dev.info["compute_units"]
    elif dev.info["type"] == "cpu" and not os.environ.get("TVK_MULTIPROCESSOR_COUNT"):
        assert p["multiprocessor_count"] == int(os.environ.get("LP_NUM_THREADS") or os.cpu_count())
    target = drv.get_current_target()
    assert target.backend == "vulkan" and target.warp_size == t.subgroup_size
    assert target.arch.split("|")[0] == dev.info["name"]


def test_multiprocessor_override(monkeypatch):
    from triton_vulkan.backend import resources
    monkeypatch.setenv("TVK_MULTIPROCESSOR_COUNT", "7")
    assert resources.multiprocessor_count({"type": "discrete"}) == 7
    monkeypatch.delenv("TVK_MULTIPROCESSOR_COUNT")
    monkeypatch.setenv("LP_NUM_THREADS", "3")
    assert resources.multiprocessor_count({"type": "cpu"}) == 3
    assert resources.multiprocessor_count({"type": "discrete"}) == 32
    assert resources.multiprocessor_count({"type": "discrete", "compute_units": 132}) == 132
    assert resources.multiprocessor_count({"type": "cpu", "compute_units": 0}) == 3


def test_n_regs_and_occupancy(tv, torch, triton_vk):
    """Tutorial 02's occupancy formula must not divide by zero."""
    x = torch.arange(256, dtype=torch.float32)
    y = torch.zeros_like(x)
    k = transpose_kernel.warmup(x, y, 16, B=16, num_warps=4, grid=(1,))
    k._init_handles()
    assert k.n_regs > 0 and k.n_spills >= 0
    p = triton_vk.runtime.driver.active.utils.get_device_properties(tv.current_device())
    assert p["max_num_regs"] // (k.n_regs * p["warpSize"] * 4) >= 1
    # The pipeline was created by load_binary: its driver statistics (none on lavapipe) give
    # n_regs where they name registers, else the documented estimate.
    from triton_vulkan.backend import resources
    stats = k.function.native.statistics()
    assert isinstance(stats, list)
    assert (k.n_regs, k.n_spills) == resources.registers_of(stats)


def test_registers_from_driver_statistics():
    """n_regs/n_spills from VK_KHR_pipeline_executable_properties statistics by name; the
    estimate (never 0) when no statistic names registers."""
    from triton_vulkan.backend import resources as r
    stats = [{"name": "Register Count", "value": 168.0}, {"name": "Spilled Registers", "value": 4.0},
             {"name": "Shared Memory Size", "value": 36864.0}]
    assert r.registers_of(stats) == (168, 4)
    assert r.registers_of([{"name": "Binary Size", "value": 9000.0}]) == (r.ESTIMATED_REGS, 0)
    assert r.registers_of([]) == (r.ESTIMATED_REGS, 0)


def test_spvdis(tv, torch, triton_vk):
    x = torch.arange(256, dtype=torch.float32)
    y = torch.zeros_like(x)
    k = transpose_kernel[(1,)](x, y, 16, B=16)
    assert isinstance(k.asm["spv"], bytes) and k.asm["spv"][:4] == b"\x03\x02\x23\x07"
    assert "OpEntryPoint GLCompute" in k.asm["spvdis"]
    assert torch.equal(y.view(16, 16), x.view(16, 16).t())


def test_amd_tuning_knobs_are_accepted(tv, torch, triton_vk):
    """The HIP autotune configs of tutorial 03 pass matrix_instr_nonkdim/waves_per_eu/kpack."""
    x = torch.arange(256, dtype=torch.float32)
    y = torch.zeros_like(x)
    transpose_kernel[(1,)](x, y, 16, B=16, matrix_instr_nonkdim=16, waves_per_eu=2, kpack=2)
    assert torch.equal(y.view(16, 16), x.view(16, 16).t())


def test_out_of_resources(tv, torch, triton_vk):
    from triton.runtime.errors import OutOfResources
    t = tv.device().target
    x = torch.zeros(256 * 256, dtype=torch.float32)
    too_many = 2 * t.max_workgroup_invocations // t.subgroup_size
    with pytest.raises(OutOfResources, match="workgroup invocations"):
        transpose_kernel[(1,)](x, x, 16, B=16, num_warps=too_many)
    # A gather reads its whole source from shared memory (any index may name any element): over
    # the limit for 65536 floats on any device with less than 256 KiB of shared memory. (A
    # transpose no longer is: it runs in chunks that fit.)
    n = 256 * 256
    if t.shared_memory_bytes < n * 4:
        idx = torch.zeros(n, dtype=torch.int32)
        with pytest.raises(OutOfResources, match="shared memory"):
            gather_kernel[(1,)](x, idx, x, N=n)


def test_autotune_skips_impossible_configs_and_compiles_stages_once(tv, torch, triton_vk):
    from triton_vulkan.backend import compiler
    t = tv.device().target
    too_many = 2 * t.max_workgroup_invocations // t.subgroup_size
    configs = [triton.Config({"B": 16}, num_warps=too_many),
               triton.Config({"B": 16}, num_warps=2, num_stages=2),
               triton.Config({"B": 16}, num_warps=2, num_stages=3),
               triton.Config({"B": 16}, num_warps=2, num_stages=4)]
    tuned = triton.autotune(configs=configs, key=["n"])(transpose_kernel)
    x = torch.arange(256, dtype=torch.float32)
    y = torch.zeros_like(x)
    before = compiler.spv_compile_count
    tuned[(1,)](x, y, 16)
    assert torch.equal(y.view(16, 16), x.view(16, 16).t())
    assert tuned.best_config.num_warps == 2
    assert compiler.spv_compile_count - before <= 1  # 0 when the cache already held it


def test_log_compile_and_kernel_dump(tmp_path):
    """TVK_LOG_COMPILE prints stage times and the pipeline's creation; TRITON_KERNEL_DUMP writes
    every stage, spvdis included."""
    code = (
        "import triton_vulkan as tv; tv.activate()\n"
        "import torch, triton, triton.language as tl\n"
        "@triton.jit\n"
        "def k(x, B: tl.constexpr):\n"
        "    tl.store(x + tl.arange(0, B), tl.arange(0, B))\n"
        "x = torch.zeros(32, dtype=torch.int32); k[(1,)](x, B=32); tv.synchronize()\n"
        "assert x.tolist() == list(range(32))\n")
    script = tmp_path / "k.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=str(tvk_testlib.ROOT / "python"), TVK_LOG_COMPILE="1",
               TRITON_KERNEL_DUMP="1", TRITON_DUMP_DIR=str(tmp_path / "dump"),
               TRITON_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "triton_vulkan: spv of k (num_warps=4)" in out.stderr
    assert "triton_vulkan: pipeline of k " in out.stderr
    dumped = {p.suffix for p in (tmp_path / "dump").rglob("*") if p.is_file()}
    assert {".ttir", ".spv", ".spvdis"} <= dumped, dumped


def test_compiler_limits_become_out_of_resources():
    """The compiler's shared-memory and kernel-size errors are configs autotune must skip."""
    from triton.runtime.errors import OutOfResources
    from triton_vulkan.backend import resources
    e = resources.as_out_of_resources(
        "shared memory: tt.trans at k.py:3 needs 66048 bytes, the target allows 32768")
    assert isinstance(e, OutOfResources) and (e.required, e.limit) == (66048, 32768)
    e = resources.as_out_of_resources(
        "kernel too large: after tt.store at k.py:9 the SPIR-V function has 8981 basic blocks and 399402 "
        "words (limits 8192 and 4194304, so that validation stays fast); use smaller blocks")
    assert isinstance(e, OutOfResources) and (e.required, e.limit) == (8981, 8192)
    assert resources.as_out_of_resources("unsupported: tt.foo at k.py:1") is None
