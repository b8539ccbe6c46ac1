"""Memory-bound kernels on both backends in one process: Triton's CUDA backend and ours (Vulkan).

Each kernel is one @triton.jit source with the same meta-parameters on both sides. Inputs are made
on the CUDA device, copied into Vulkan memory (triton_vulkan.from_torch), and the Vulkan output is
checked against CUDA's. Times are triton.testing.do_bench medians (ms). The table prints CUDA ms,
Vulkan ms, the ratio CUDA/Vulkan (> 1: Vulkan faster), both GB/s, and the geometric mean.

The copy ceiling is measured in the same run: an f32 copy kernel (16-byte accesses on both
backends when the compiler vectorizes) on both backends, and torch's own device copy on CUDA. A
kernel whose GB/s on both sides are within 10% of the ceiling is marked "at ceiling".

Run on the device machine (tools/device/run_bench.sh): python3 tools/bench/membound.py [--small]
[--only name,name] [--json FILE]. --small: tiny sizes, any machine (results checked, no CUDA needed
if it is absent: then only the Vulkan side runs). The driver (command line, checks, table) is
tools/bench/harness.py, shared with tools/bench/tensorcore.py.
"""
import math
import sys

import torch
import triton
import triton.language as tl

import harness
from harness import Case


# ---------------------------------------------------------------- kernels (one source, both backends)

@triton.jit
def copy_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=m), mask=m)


@triton.jit
def add_kernel(x_ptr, y_ptr, z_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(z_ptr + offs, tl.load(x_ptr + offs, mask=m) + tl.load(y_ptr + offs, mask=m), mask=m)


@triton.jit
def gelu_bias_kernel(x_ptr, b_ptr, z_ptr, n, D, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m).to(tl.float32) + tl.load(b_ptr + offs % D, mask=m).to(tl.float32)
    inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    t = 2.0 * tl.sigmoid(2.0 * inner) - 1.0  # tanh
    tl.store(z_ptr + offs, (0.5 * x * (1.0 + t)).to(z_ptr.dtype.element_ty), mask=m)


@triton.jit
def swiglu_kernel(a_ptr, b_ptr, z_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    a = tl.load(a_ptr + offs, mask=m).to(tl.float32)
    b = tl.load(b_ptr + offs, mask=m).to(tl.float32)
    tl.store(z_ptr + offs, (a * tl.sigmoid(a) * b).to(z_ptr.dtype.element_ty), mask=m)


@triton.jit
def mathmix_kernel(x_ptr, z_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m).to(tl.float32)
    y = tl.exp(x) * tl.sin(x) + tl.log(tl.abs(x) + 1.0) - tl.sqrt(tl.abs(x)) / (1.0 + tl.cos(x) * tl.cos(x))
    y = tl.where(x > 0, y, tl.sigmoid(x)) + tl.math.rsqrt(x * x + 1.0)
    tl.store(z_ptr + offs, y.to(z_ptr.dtype.element_ty), mask=m)


@triton.jit
def row_reduce_kernel(x_ptr, out_ptr, C, OP: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    if OP == 0:
        acc = tl.zeros([BLOCK], dtype=tl.float32)
    else:
        acc = tl.full([BLOCK], float("-inf"), dtype=tl.float32)
    for start in range(0, C, BLOCK):
        c = start + cols
        if OP == 0:
            acc += tl.load(x_ptr + row * C + c, mask=c < C, other=0.0).to(tl.float32)
        else:
            acc = tl.maximum(acc, tl.load(x_ptr + row * C + c, mask=c < C, other=float("-inf")).to(tl.float32))
    if OP == 0:
        tl.store(out_ptr + row, tl.sum(acc, 0))
    else:
        tl.store(out_ptr + row, tl.max(acc, 0))


@triton.jit
def row_argmax_kernel(x_ptr, out_ptr, C, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * C + c, mask=c < C, other=float("-inf"))
    tl.store(out_ptr + row, tl.argmax(x, 0).to(tl.int32))


@triton.jit
def col_sum_kernel(x_ptr, out_ptr, R, C, BR: tl.constexpr, BC: tl.constexpr):
    cols = tl.program_id(0) * BC + tl.arange(0, BC)
    acc = tl.zeros([BC], dtype=tl.float32)
    for r0 in range(0, R, BR):
        rows = r0 + tl.arange(0, BR)
        m = (rows[:, None] < R) & (cols[None, :] < C)
        x = tl.load(x_ptr + rows[:, None].to(tl.int64) * C + cols[None, :], mask=m, other=0.0)
        acc += tl.sum(x.to(tl.float32), 0)
    tl.store(out_ptr + cols, acc, mask=cols < C)


@triton.jit
def softmax_kernel(x_ptr, y_ptr, C, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * C + c, mask=c < C, other=float("-inf")).to(tl.float32)
    e = tl.exp(x - tl.max(x, 0))
    tl.store(y_ptr + row * C + c, (e / tl.sum(e, 0)).to(y_ptr.dtype.element_ty), mask=c < C)


@triton.jit
def layernorm_kernel(x_ptr, w_ptr, b_ptr, y_ptr, C, eps, BLOCK: tl.constexpr):
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
def rmsnorm_kernel(x_ptr, w_ptr, y_ptr, C, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    m = c < C
    x = tl.load(x_ptr + row * C + c, mask=m, other=0.0).to(tl.float32)
    r = 1.0 / tl.sqrt(tl.sum(x * x, 0) / C + eps)
    w = tl.load(w_ptr + c, mask=m).to(tl.float32)
    tl.store(y_ptr + row * C + c, (x * r * w).to(y_ptr.dtype.element_ty), mask=m)


@triton.jit
def cumsum_kernel(x_ptr, y_ptr, C, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * C + c, mask=c < C, other=0.0)
    tl.store(y_ptr + row * C + c, tl.cumsum(x, 0), mask=c < C)


@triton.jit
def transpose_kernel(x_ptr, y_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    rm = tl.program_id(0) * BM + tl.arange(0, BM)
    rn = tl.program_id(1) * BN + tl.arange(0, BN)
    m = (rm[:, None] < M) & (rn[None, :] < N)
    x = tl.load(x_ptr + rm[:, None].to(tl.int64) * N + rn[None, :], mask=m)
    tl.store(y_ptr + rn[None, :].to(tl.int64) * M + rm[:, None], x, mask=m)


@triton.jit
def gather_rows_kernel(idx_ptr, table_ptr, out_ptr, D, BLOCK: tl.constexpr):
    i = tl.program_id(0).to(tl.int64)
    row = tl.load(idx_ptr + i).to(tl.int64)
    c = tl.arange(0, BLOCK)
    tl.store(out_ptr + i * D + c, tl.load(table_ptr + row * D + c, mask=c < D), mask=c < D)


@triton.jit
def strided_load_kernel(x_ptr, y_ptr, n, STRIDE: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs.to(tl.int64) * STRIDE, mask=m), mask=m)


@triton.jit
def broadcast_add_kernel(x_ptr, b_ptr, y_ptr, R, C, BR: tl.constexpr, BC: tl.constexpr):
    rr = tl.program_id(0) * BR + tl.arange(0, BR)
    cc = tl.program_id(1) * BC + tl.arange(0, BC)
    m = (rr[:, None] < R) & (cc[None, :] < C)
    o = rr[:, None].to(tl.int64) * C + cc[None, :]
    x = tl.load(x_ptr + o, mask=m)
    b = tl.load(b_ptr + cc, mask=cc < C)
    tl.store(y_ptr + o, x + b[None, :], mask=m)


# ---------------------------------------------------------------- cases

DT = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16, "i8": torch.int8}


def _elementwise_cases(g, dev, scale):
    n = (1 << 27) // scale
    out = []
    for dn in ("f32", "f16", "bf16"):
        dt = DT[dn]
        es = torch.tensor([], dtype=dt).element_size()
        x = torch.randn(n, device=dev, generator=g).to(dt)
        y = torch.randn(n, device=dev, generator=g).to(dt)
        D = 4096
        b = torch.randn(D, device=dev, generator=g).to(dt)
        grid = (triton.cdiv(n, 4096),)
        tol = 1e-5 if dn == "f32" else 1e-2
        out.append(Case(f"add_{dn}", {"x": x, "y": y, "z": torch.empty_like(x)},
                        lambda t: add_kernel[grid](t["x"], t["y"], t["z"], n, BLOCK=4096), ["z"], 3 * n * es, tol, tol))
        out.append(Case(f"gelu_{dn}", {"x": x, "b": b, "z": torch.empty_like(x)},
                        lambda t: gelu_bias_kernel[grid](t["x"], t["b"], t["z"], n, D, BLOCK=4096), ["z"], 2 * n * es, tol, tol))
        out.append(Case(f"swiglu_{dn}", {"a": x, "b": y, "z": torch.empty_like(x)},
                        lambda t: swiglu_kernel[grid](t["a"], t["b"], t["z"], n, BLOCK=4096), ["z"], 3 * n * es, tol, tol))
        out.append(Case(f"mathmix_{dn}", {"x": x, "z": torch.empty_like(x)},
                        lambda t: mathmix_kernel[grid](t["x"], t["z"], n, BLOCK=4096), ["z"], 2 * n * es, 1e-4 if dn == "f32" else 2e-2, 1e-4 if dn == "f32" else 2e-2))
    return out


def _reduction_cases(g, dev, scale):
    out = []
    for C in (1024, 4096, 32768):
        R = max((1 << 27) // C // scale, 4)
        x = torch.randn(R, C, device=dev, generator=g)
        blk = min(C, 4096)
        out.append(Case(f"rowsum_{C}", {"x": x, "o": torch.empty(R, device=dev)},
                        lambda t, C=C, R=R, blk=blk: row_reduce_kernel[(R,)](t["x"], t["o"], C, OP=0, BLOCK=blk), ["o"], 4 * R * C, 1e-3, 1e-4))
        out.append(Case(f"rowmax_{C}", {"x": x, "o": torch.empty(R, device=dev)},
                        lambda t, C=C, R=R, blk=blk: row_reduce_kernel[(R,)](t["x"], t["o"], C, OP=1, BLOCK=blk), ["o"], 4 * R * C))
        if C <= 4096:
            out.append(Case(f"argmax_{C}", {"x": x, "o": torch.empty(R, device=dev, dtype=torch.int32)},
                            lambda t, C=C, R=R: row_argmax_kernel[(R,)](t["x"], t["o"], C, BLOCK=C), ["o"], 4 * R * C))
    R, C = (1 << 16) // scale, 4096
    x = torch.randn(R, C, device=dev, generator=g)
    out.append(Case("colsum_4096", {"x": x, "o": torch.empty(C, device=dev)},
                    lambda t: col_sum_kernel[(triton.cdiv(C, 64),)](t["x"], t["o"], R, C, BR=64, BC=64), ["o"], 4 * R * C, 1e-2, 1e-4))
    return out


def _row_cases(g, dev, scale):
    out = []
    # Each launch binds R and C as default arguments: a lambda reads its free variables when
    # called, after the cumsum case below has reassigned them.
    R, C = (1 << 16) // scale, 4096
    for dn in ("f16", "f32"):
        dt = DT[dn]
        es = torch.tensor([], dtype=dt).element_size()
        x = torch.randn(R, C, device=dev, generator=g).to(dt)
        w = torch.randn(C, device=dev, generator=g).to(dt)
        b = torch.randn(C, device=dev, generator=g).to(dt)
        tol = 1e-5 if dn == "f32" else 1e-2
        out.append(Case(f"softmax_{dn}", {"x": x, "y": torch.empty_like(x)},
                        lambda t, R=R, C=C: softmax_kernel[(R,)](t["x"], t["y"], C, BLOCK=C), ["y"], 2 * R * C * es, tol, tol))
        out.append(Case(f"layernorm_{dn}", {"x": x, "w": w, "b": b, "y": torch.empty_like(x)},
                        lambda t, R=R, C=C: layernorm_kernel[(R,)](t["x"], t["w"], t["b"], t["y"], C, 1e-5, BLOCK=C), ["y"], 2 * R * C * es, 1e-4 if dn == "f32" else 2e-2, 1e-4 if dn == "f32" else 2e-2))
        out.append(Case(f"rmsnorm_{dn}", {"x": x, "w": w, "y": torch.empty_like(x)},
                        lambda t, R=R, C=C: rmsnorm_kernel[(R,)](t["x"], t["w"], t["y"], C, 1e-6, BLOCK=C), ["y"], 2 * R * C * es, 1e-4 if dn == "f32" else 2e-2, 1e-4 if dn == "f32" else 2e-2))
    R, C = (1 << 18) // scale, 1024
    xi = torch.randint(-5, 5, (R, C), device=dev, generator=g, dtype=torch.int32)
    out.append(Case("cumsum_i32", {"x": xi, "y": torch.empty_like(xi)},
                    lambda t: cumsum_kernel[(R,)](t["x"], t["y"], C, BLOCK=C), ["y"], 8 * R * C))
    return out


def _layout_cases(g, dev, scale):
    out = []
    M = N = 12288 // int(math.sqrt(scale))
    for dn in ("f32", "f16", "bf16", "i8"):
        dt = DT[dn]
        x = (torch.randint(-100, 100, (M, N), device=dev, generator=g).to(dt) if dn == "i8"
             else torch.randn(M, N, device=dev, generator=g).to(dt))
        es = x.element_size()
        out.append(Case(f"transpose_{dn}", {"x": x, "y": torch.empty(N, M, device=dev, dtype=dt)},
                        lambda t: transpose_kernel[(triton.cdiv(M, 64), triton.cdiv(N, 64))](t["x"], t["y"], M, N, BM=64, BN=64),
                        ["y"], 2 * M * N * es))
    V, D, B = max((1 << 16) // scale, 64), 1024, (1 << 18) // scale
    table = torch.randn(V, D, device=dev, generator=g)
    idx = torch.randint(0, V, (B,), device=dev, generator=g, dtype=torch.int32)
    out.append(Case("gather_rows", {"i": idx, "t": table, "o": torch.empty(B, D, device=dev)},
                    lambda t: gather_rows_kernel[(B,)](t["i"], t["t"], t["o"], D, BLOCK=D), ["o"], 8 * B * D))
    n = (1 << 26) // scale
    xs = torch.randn(2 * n, device=dev, generator=g)
    out.append(Case("strided_load", {"x": xs, "y": torch.empty(n, device=dev)},
                    lambda t: strided_load_kernel[(triton.cdiv(n, 4096),)](t["x"], t["y"], n, STRIDE=2, BLOCK=4096), ["y"], 12 * n))
    R, C = (1 << 16) // scale, 4096
    xb = torch.randn(R, C, device=dev, generator=g)
    bb = torch.randn(C, device=dev, generator=g)
    out.append(Case("broadcast_add", {"x": xb, "b": bb, "y": torch.empty_like(xb)},
                    lambda t: broadcast_add_kernel[(triton.cdiv(R, 16), triton.cdiv(C, 256))](t["x"], t["b"], t["y"], R, C, BR=16, BC=256), ["y"], 8 * R * C))
    return out


CEILING = "copy_f32 (ceiling)"


def ceiling_case(g, dev, scale):
    n = (1 << 27) // scale
    x = torch.randn(n, device=dev, generator=g)
    return Case(CEILING, {"x": x, "y": torch.empty_like(x)},
                lambda t: copy_kernel[(triton.cdiv(n, 4096),)](t["x"], t["y"], n, BLOCK=4096), ["y"], 8 * n)


def all_cases(g, dev, scale):
    yield from [ceiling_case(g, dev, scale)]
    for f in (_elementwise_cases, _reduction_cases, _row_cases, _layout_cases):
        yield from f(g, dev, scale)


# ---------------------------------------------------------------- driver (tools/bench/harness.py)

def _ceiling_note(r, rows):
    """" (both at the copy ceiling)" when both sides of r are within 10% of the copy ceiling's
    GB/s (nothing when --only left the ceiling out)."""
    ceil = next((x for x in rows if x["kernel"] == CEILING), None)
    if ceil is None or r is ceil:
        return ""
    cg, vg = harness.GBS.rate(r, "cuda_ms"), harness.GBS.rate(r, "vulkan_ms")
    cc, cv = harness.GBS.rate(ceil, "cuda_ms"), harness.GBS.rate(ceil, "vulkan_ms")
    if cg and vg and cc and cv and cg > 0.9 * cc and vg > 0.9 * cv:
        return " (both at the copy ceiling)"
    return ""


def main():
    return harness.main(lambda g, dev, small: all_cases(g, dev, 4096 if small else 1), harness.GBS,
                        note=_ceiling_note, in_summary=lambda i, r: r["kernel"] != CEILING)


if __name__ == "__main__":
    sys.exit(main())
