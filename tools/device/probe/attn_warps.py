"""Attention at head dim 64 with more subgroups on the Vulkan side (issue 8): tools/bench/
tensorcore.py's attention (BLOCK_M 128, BLOCK_N 64) where CUDA keeps the benchmark's 4 warps and
Vulkan runs VK_WARPS (default 4 and 8; each a row). At 4 warps a subgroup holds 32 score rows,
too many for the softmax on the score fragments (lower/fragment_rows.h, Target::fragmentRowsWords);
at 8 it holds 16 and takes it. The answer says whether the backend should widen such a
workgroup itself. Results are checked against CUDA's.

    python3 tools/device/probe/attn_warps.py [--small] [--only name,name]
"""
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))

import torch  # noqa: E402

import harness  # noqa: E402
from harness import Case  # noqa: E402
from tensorcore import attn_fwd_kernel  # noqa: E402


def cases(g, dev, small):
    warps = [int(w) for w in os.environ.get("VK_WARPS", "4,8").split(",")]
    for S, causal, B, H in ((1024, False, 4, 16), (4096, False, 4, 16), (4096, True, 4, 16), (16384, False, 4, 4)):
        d, BLOCK_M, BLOCK_N = 64, 128, 64
        if small:
            S, B, H, BLOCK_M, BLOCK_N = 256, 1, 2, 64, 32
        for vw in warps:
            q, k, v = (torch.randn(B, H, S, d, device=dev, generator=g).half() for _ in range(3))
            o = torch.empty_like(q)
            grid = (S // BLOCK_M, B * H)

            def launch(t, S=S, H=H, causal=causal, grid=grid, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, vw=vw):
                q = t["q"]
                w = 4 if getattr(q, "is_cuda", False) else vw
                return attn_fwd_kernel[grid](q, t["k"], t["v"], t["o"], d ** -0.5, H, S, q.stride(0), q.stride(1),
                                             q.stride(2), HEAD_D=d, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, CAUSAL=causal,
                                             num_warps=w, num_stages=3)
            name = f"attn_d64_s{S}" + ("_causal" if causal else "") + f"_vk{vw}w"
            flops = 4 * B * H * S * S * d // (2 if causal else 1)
            yield Case(name, {"q": q, "k": k, "v": v, "o": o}, launch, ["o"], flops, 1e-2, 1e-2)


if __name__ == "__main__":
    sys.exit(harness.main(cases, harness.TFLOPS, width=30))
