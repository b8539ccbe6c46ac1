"""Experiment (issue 7): is the few-microsecond gap that many memory-bound kernels show against
Triton-CUDA a fixed cost per launch (timing, barriers, dispatch) or a cost per workgroup?

Times, on both backends in one process (do_bench medians, as tools/bench does):
  one        a single program storing one word (the fixed cost of a launch inside do_bench)
  idle NxN   N*N programs of 128 invocations that store nothing (workgroup launch rate)
  transpose  tools/bench's transpose at several tile sizes and element types
  tload      its mirror: loads along dimension 0, stores along rows
and, without do_bench's cache clearing, `REPS` back-to-back launches between two events (the
per-launch cost in a stream).

    python3 tools/device/probe/launch_overhead.py
    PROBE_ONLY=one,idle python3 tools/device/probe/launch_overhead.py   # cases by name prefix
"""
import os
import sys

import torch
import triton
import triton.language as tl
from triton.runtime import driver as triton_driver
from triton.testing import do_bench

import triton_vulkan as tv

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from membound import transpose_kernel  # noqa: E402

REPS = 200


@triton.jit
def tload_kernel(x_ptr, y_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    # x is N x M: a transposed load (addresses run along dimension 0), a row-major store
    rm = tl.program_id(0) * BM + tl.arange(0, BM)
    rn = tl.program_id(1) * BN + tl.arange(0, BN)
    m = (rm[:, None] < M) & (rn[None, :] < N)
    x = tl.load(x_ptr + rn[None, :].to(tl.int64) * M + rm[:, None], mask=m)
    tl.store(y_ptr + rm[:, None].to(tl.int64) * N + rn[None, :], x, mask=m)


@triton.jit
def one_kernel(y_ptr):
    tl.store(y_ptr + tl.program_id(0), 1.0)


@triton.jit
def idle_kernel(y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0) + tl.program_id(1) * tl.num_programs(0)
    offs = tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, offs.to(tl.float32), mask=(offs + pid) < n)  # n = 0: no store


def stream_ms(launch, di):
    launch()
    di.synchronize()
    start, end = di.Event(enable_timing=True), di.Event(enable_timing=True)
    start.record()
    for _ in range(REPS):
        launch()
    end.record()
    di.synchronize()
    return start.elapsed_time(end) / REPS


def cases(dev):
    n = 12288
    y = torch.zeros(1 << 20, device=dev)
    yield "one", {"y": y}, lambda t: one_kernel[(1,)](t["y"])
    for g in (64, 192):
        yield f"idle {g}x{g}", {"y": y}, lambda t, g=g: idle_kernel[(g, g)](t["y"], 0, BLOCK=128)
    for dt in (torch.int8, torch.float16, torch.float32):
        x = torch.randint(-100, 100, (n, n), device=dev).to(dt)
        for tile, warps in ((64, 4), (128, 4), (128, 8)):
            name = f"transpose {str(dt)[6:]} {tile} w{warps}"
            yield name, {"x": x, "y": torch.empty(n, n, device=dev, dtype=dt)}, \
                lambda t, tile=tile, warps=warps: transpose_kernel[(n // tile, n // tile)](
                    t["x"], t["y"], n, n, BM=tile, BN=tile, num_warps=warps)
        yield f"tload {str(dt)[6:]} 64 w4", {"x": x, "y": torch.empty(n, n, device=dev, dtype=dt)}, \
            lambda t: tload_kernel[(n // 64, n // 64)](t["x"], t["y"], n, n, BM=64, BN=64)


def main():
    cuda = triton_driver.default
    vk = tv.activate()
    print(f"{'case':24} {'CUDA ms':>9} {'Vk ms':>9} {'ratio':>6} {'gap us':>7} | "
          f"{'CUDA str':>9} {'Vk str':>9} {'gap us':>7}", flush=True)
    only = os.environ.get("PROBE_ONLY", "")
    for name, tensors, launch in cases("cuda"):
        if only and not any(name.startswith(o) for o in only.split(",")):
            continue
        triton_driver.set_active(cuda)
        di = cuda.get_device_interface()
        c_ms = do_bench(lambda: launch(tensors), warmup=25, rep=100, return_mode="median")
        c_st = stream_ms(lambda: launch(tensors), di)
        triton_driver.set_active(vk)
        vt = {k: tv.from_torch(v.cpu()) for k, v in tensors.items()}
        vdi = vk.get_device_interface()
        launch(vt)
        tv.synchronize()
        v_ms = do_bench(lambda: launch(vt), warmup=25, rep=100, return_mode="median")
        v_st = stream_ms(lambda: launch(vt), vdi)
        del vt
        print(f"{name:24} {c_ms:9.4f} {v_ms:9.4f} {c_ms / v_ms:6.3f} {1e3 * (v_ms - c_ms):7.1f} | "
              f"{c_st:9.4f} {v_st:9.4f} {1e3 * (v_st - c_st):7.1f}", flush=True)
        tensors.clear()
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
