"""The driver's statistics (VK_KHR_pipeline_executable_properties: registers, spills, ...) of
tools/bench/tensorcore.py's kernels at the benchmark's meta-parameters, compiled for the
current Vulkan device: python3 tools/device/dot_stats.py (on the device machine; lavapipe
reports none). Each kernel is launched once on a small problem (statistics depend on the
meta-parameters, not on the sizes), with num_stages 3 and 1."""
import os
import sys

import torch
import triton

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
import triton_vulkan as tv  # noqa: E402
import tensorcore as tc  # noqa: E402

tv.activate()


def show(name, handle):
    stats = handle.function.native.statistics()
    print(f"{name}: n_regs={handle.n_regs} n_spills={handle.n_spills}")
    for s in stats:
        print(f"    [{s['executable']}] {s['name']} = {s['value']:g}  ({s['description']})")


def main():
    dev = "tvk" if hasattr(torch, "tvk") else "cpu"
    M = N = K = 256
    for dt in (torch.float16, torch.int8):
        for stages in (3, 1):
            a = torch.ones((M, K), dtype=dt).to(dev)
            b = torch.ones((K, N), dtype=dt).to(dev)
            c = torch.empty((M, N), dtype=torch.int32 if dt == torch.int8 else dt).to(dev)
            h = tc.matmul_kernel[(4,)](a, b, c, None, M, N, K, K, 1, N, 1, N, 1, BLOCK_M=128, BLOCK_N=128, BLOCK_K=64,
                                       GROUP_M=8, INT_ACC=dt == torch.int8, BIAS_RELU=False, num_warps=4,
                                       num_stages=stages)
            show(f"matmul {dt} num_stages={stages}", h)
    q = torch.ones((1, 1, 256, 64), dtype=torch.float16).to(dev)
    o = torch.empty_like(q)
    h = tc.attn_fwd_kernel[(2, 1)](q, q, q, o, 0.125, 1, 256, q.stride(0), q.stride(1), q.stride(2), HEAD_D=64,
                                   BLOCK_M=128, BLOCK_N=64, CAUSAL=False, num_warps=4, num_stages=3)
    show("attention d64", h)
    a = torch.ones((2, 64, 64), dtype=torch.float16).to(dev)
    c = torch.empty((2, 64, 64), dtype=torch.float16).to(dev)
    h = tc.bmm_kernel[(1, 1, 1)](a, a, c, 2, 64, 64, 64, *a.stride(), *a.stride(), *c.stride(), BB=2, BM=64, BN=64,
                                 BK=64, num_warps=4, num_stages=3)
    show("bmm", h)


if __name__ == "__main__":
    main()
