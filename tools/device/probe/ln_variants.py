"""Experiment (issue 7): what holds layernorm_f16 at ~0.86 of Triton-CUDA while rmsnorm_f16 and
layernorm_f32 sit at the copy ceiling? Variants of tools/bench/membound.py's LayerNorm on both
backends in one process (same source, same meta-parameters), each checked against CUDA's output:
masked as in the benchmark, unmasked (C == BLOCK), masked without the tl.where, and the f32 one.

    python3 tools/device/probe/ln_variants.py"""
import sys

import torch
import triton
import triton.language as tl

import triton_vulkan as tv


@triton.jit
def ln_masked(x_ptr, w_ptr, b_ptr, y_ptr, C, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    m = c < C
    x = tl.load(x_ptr + row * C + c, mask=m, other=0.0).to(tl.float32)
    mean = tl.sum(x, 0) / C
    d = tl.where(m, x - mean, 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(d * d, 0) / C + eps)
    w = tl.load(w_ptr + c, mask=m).to(tl.float32)
    b = tl.load(b_ptr + c, mask=m).to(tl.float32)
    tl.store(y_ptr + row * C + c, (d * rstd * w + b).to(y_ptr.dtype.element_ty), mask=m)


@triton.jit
def ln_unmasked(x_ptr, w_ptr, b_ptr, y_ptr, C, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * BLOCK + c).to(tl.float32)
    mean = tl.sum(x, 0) / BLOCK
    d = x - mean
    rstd = 1.0 / tl.sqrt(tl.sum(d * d, 0) / BLOCK + eps)
    w = tl.load(w_ptr + c).to(tl.float32)
    b = tl.load(b_ptr + c).to(tl.float32)
    tl.store(y_ptr + row * BLOCK + c, (d * rstd * w + b).to(y_ptr.dtype.element_ty))


@triton.jit
def ln_nowhere(x_ptr, w_ptr, b_ptr, y_ptr, C, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    m = c < C
    x = tl.load(x_ptr + row * C + c, mask=m, other=0.0).to(tl.float32)
    mean = tl.sum(x, 0) / C
    d = x - mean
    rstd = 1.0 / tl.sqrt(tl.sum(d * d, 0) / C + eps)
    w = tl.load(w_ptr + c, mask=m).to(tl.float32)
    b = tl.load(b_ptr + c, mask=m).to(tl.float32)
    tl.store(y_ptr + row * C + c, (d * rstd * w + b).to(y_ptr.dtype.element_ty), mask=m)


@triton.jit
def ln_onepass(x_ptr, w_ptr, b_ptr, y_ptr, C, eps, BLOCK: tl.constexpr):
    # one reduction of (x, x*x) pairs: one barrier less
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    m = c < C
    x = tl.load(x_ptr + row * C + c, mask=m, other=0.0).to(tl.float32)
    s = tl.sum(x, 0)
    q = tl.sum(x * x, 0)
    mean = s / C
    rstd = 1.0 / tl.sqrt(q / C - mean * mean + eps)
    w = tl.load(w_ptr + c, mask=m).to(tl.float32)
    b = tl.load(b_ptr + c, mask=m).to(tl.float32)
    tl.store(y_ptr + row * C + c, ((x - mean) * rstd * w + b).to(y_ptr.dtype.element_ty), mask=m)


def main():
    from triton.runtime import driver as triton_driver
    from triton.testing import do_bench
    cuda = triton_driver.default
    vk = tv.activate()
    R, C = 1 << 16, 4096
    g = torch.Generator(device="cuda").manual_seed(0)
    for dt in (torch.float16, torch.float32):
        x = torch.randn(R, C, device="cuda", generator=g).to(dt)
        w = torch.randn(C, device="cuda", generator=g).to(dt)
        b = torch.randn(C, device="cuda", generator=g).to(dt)
        for k in (ln_masked, ln_unmasked, ln_nowhere, ln_onepass):
            for warps in (4, 8):
                y = torch.empty_like(x)
                run = lambda xx, ww, bb, yy: k[(R,)](xx, ww, bb, yy, C, 1e-5, BLOCK=C, num_warps=warps)  # noqa: E731
                triton_driver.set_active(cuda)
                run(x, w, b, y)
                torch.cuda.synchronize()
                cms = do_bench(lambda: run(x, w, b, y), warmup=25, rep=100, return_mode="median")
                ref = y.cpu()
                triton_driver.set_active(vk)
                xv, wv, bv, yv = (tv.from_torch(t.cpu()) for t in (x, w, b, y))
                run(xv, wv, bv, yv)
                tv.synchronize()
                ok = torch.allclose(yv.float(), ref.float(), atol=2e-2, rtol=2e-2)
                vms = do_bench(lambda: run(xv, wv, bv, yv), warmup=25, rep=100, return_mode="median")
                print(f"{k.__name__:12s} {str(dt)[6:]:8s} warps {warps}: CUDA {cms:.4f} ms Vk {vms:.4f} ms "
                      f"ratio {cms / vms:.3f} {'ok' if ok else 'WRONG'}", flush=True)
                del xv, wv, bv, yv
    return 0


if __name__ == "__main__":
    sys.exit(main())
