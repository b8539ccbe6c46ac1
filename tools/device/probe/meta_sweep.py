"""Experiment (issue 7): the memory-bound kernels of tools/bench/membound.py at meta-parameters
other than the table's (block sizes, warp counts, tile shapes), to find performance cliffs that
the table's single configuration hides (the transposed store of 128 x 128 tiles was one: 0.14).
Same harness as the table: both backends in one process, results checked against CUDA's.

    python3 tools/device/probe/meta_sweep.py [--only name,name] [--json FILE]
"""
import os
import sys

import torch
import triton

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import harness  # noqa: E402
from harness import Case  # noqa: E402
from membound import (add_kernel, cumsum_kernel, layernorm_kernel, row_argmax_kernel,  # noqa: E402
                      row_reduce_kernel, softmax_kernel, transpose_kernel)


def cases(g, dev, small):
    scale = 64 if small else 1
    n = (1 << 26) // scale
    x = torch.randn(n, device=dev, generator=g)
    y = torch.randn(n, device=dev, generator=g)
    for blk, w in ((256, 1), (1024, 4), (8192, 8), (16384, 16), (32768, 16)):
        yield Case(f"add_f32_b{blk}_w{w}", {"x": x, "y": y, "z": torch.empty_like(x)},
                   lambda t, blk=blk, w=w: add_kernel[(triton.cdiv(n, blk),)](t["x"], t["y"], t["z"], n, BLOCK=blk, num_warps=w),
                   ["z"], 12 * n, 1e-5, 1e-5)
    for C, w in ((8192, 8), (16384, 16), (32768, 16)):
        R = (1 << 25) // C // scale
        xs = torch.randn(R, C, device=dev, generator=g)
        yield Case(f"softmax_f32_{C}_w{w}", {"x": xs, "y": torch.empty_like(xs)},
                   lambda t, C=C, R=R, w=w: softmax_kernel[(R,)](t["x"], t["y"], C, BLOCK=C, num_warps=w),
                   ["y"], 8 * R * C, 1e-5, 1e-4)
    for C, w in ((1024, 4), (8192, 8)):
        R = (1 << 25) // C // scale
        xs = torch.randn(R, C, device=dev, generator=g).half()
        wt = torch.randn(C, device=dev, generator=g).half()
        bs = torch.randn(C, device=dev, generator=g).half()
        yield Case(f"layernorm_f16_{C}_w{w}", {"x": xs, "w": wt, "b": bs, "y": torch.empty_like(xs)},
                   lambda t, C=C, R=R, w=w: layernorm_kernel[(R,)](t["x"], t["w"], t["b"], t["y"], C, 1e-5, BLOCK=C, num_warps=w),
                   ["y"], 4 * R * C, 2e-2, 2e-2)
    C = 4096
    R = (1 << 25) // C // scale
    xs = torch.randn(R, C, device=dev, generator=g)
    for w in (1, 16):
        yield Case(f"rowsum_{C}_w{w}", {"x": xs, "o": torch.empty(R, device=dev)},
                   lambda t, w=w: row_reduce_kernel[(R,)](t["x"], t["o"], C, OP=0, BLOCK=C, num_warps=w), ["o"], 4 * R * C, 1e-3, 1e-4)
    xi = torch.randint(-5, 5, (R, C), device=dev, generator=g, dtype=torch.int32)
    yield Case(f"cumsum_{C}_w8", {"x": xi, "y": torch.empty_like(xi)},
               lambda t: cumsum_kernel[(R,)](t["x"], t["y"], C, BLOCK=C, num_warps=8), ["y"], 8 * R * C)
    C = 32768
    R = (1 << 25) // C // scale
    xa = torch.randn(R, C, device=dev, generator=g)
    yield Case(f"argmax_{C}_w16", {"x": xa, "o": torch.empty(R, device=dev, dtype=torch.int32)},
               lambda t: row_argmax_kernel[(R,)](t["x"], t["o"], C, BLOCK=C, num_warps=16), ["o"], 4 * R * C)
    M = 8192 // int(scale ** 0.5)
    for dn, dt in (("f32", torch.float32), ("f16", torch.float16)):
        xt = torch.randn(M, M, device=dev, generator=g).to(dt)
        for bm, bn, w in ((32, 32, 1), (64, 64, 8), (128, 64, 4), (64, 128, 4)):
            yield Case(f"transpose_{dn}_{bm}x{bn}_w{w}", {"x": xt, "y": torch.empty(M, M, device=dev, dtype=dt)},
                       lambda t, bm=bm, bn=bn, w=w: transpose_kernel[(M // bm, M // bn)](t["x"], t["y"], M, M, BM=bm, BN=bn, num_warps=w),
                       ["y"], 2 * M * M * xt.element_size())


if __name__ == "__main__":
    sys.exit(harness.main(cases, harness.GBS, width=26))
