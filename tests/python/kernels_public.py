"""Public conformance cases: small launches of reference kernels.

The kernels the public cases were captured from (Triton 3.6 on an H100), with device-neutral builders: they put tensors on
`D` (CASE_DEVICE, default "cpu"; change it with use_device()), and fp8 tensors fall back to
triton.reinterpret over uint8 where torch has no float8 dtypes (torch 1.13)."""
import os
import sys
import torch, triton, triton.language as tl

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance")))
from kernels import (add_kernel, softmax_kernel, layernorm_kernel, matmul_kernel, blockptr_matmul_kernel,
                     sum_atomic_kernel, cumsum_kernel, argmax_kernel, transpose_kernel, mathmix_kernel, attn_fwd_kernel)

D = os.environ.get("CASE_DEVICE", "cpu")  # where the builders put tensors
G = torch.Generator(device=D)


def use_device(dev):
    """Makes the builders put tensors on torch device `dev` (and reseeds as at import)."""
    global D, G
    D = str(dev)
    G = torch.Generator(device=D)
    G.manual_seed(1)


def fp8_empty(n, kind):
    """An fp8 tensor (kind "e5m2" or "e4m3fn"): a torch float8 tensor where torch has the dtype,
    else uint8 storage reinterpreted by Triton."""
    dt = getattr(torch, "float8_" + kind, None)
    if dt is not None:
        return torch.empty(n, device=D, dtype=dt)
    return triton.reinterpret(torch.empty(n, device=D, dtype=torch.uint8), tl.float8e5 if kind == "e5m2" else tl.float8e4nv)


def rn(*s, dt=torch.float32):
    return torch.randn(*s, device=D, generator=G).to(dt)


def ri(lo, hi, *s, dt=torch.int32):
    return torch.randint(lo, hi, s, device=D, generator=G, dtype=dt)


@triton.jit
def dropout_kernel(x_ptr, y_ptr, n, p, seed, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    r = tl.rand(seed, offs)
    tl.store(y_ptr + offs, tl.where(r > p, x / (1 - p), 0.0), mask=m)


@triton.jit
def control_flow_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m, other=0.0)
    if pid % 2 == 0:
        x = x * 2.0
    else:
        x = x - 1.0
    it = 0
    s = tl.sum(tl.abs(x), axis=0)
    while s > 1.0:
        s = s * 0.5
        it += 1
    tl.store(y_ptr + offs, x + it, mask=m)


@triton.jit
def atomics_kernel(x_ptr, mx_ptr, mn_ptr, cnt_ptr, lock_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m, other=0)
    tl.atomic_max(mx_ptr + (offs % 8), x, mask=m)
    tl.atomic_min(mn_ptr + (offs % 8), x, mask=m)
    while tl.atomic_cas(lock_ptr, 0, 1) == 1:
        pass
    c = tl.load(cnt_ptr)
    tl.store(cnt_ptr, c + 1)
    tl.atomic_xchg(lock_ptr, 0)


@triton.jit
def dot_i8_kernel(a_ptr, b_ptr, c_ptr, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr):
    rm = tl.arange(0, M); rn = tl.arange(0, N); rk = tl.arange(0, K)
    a = tl.load(a_ptr + rm[:, None] * K + rk[None, :])
    b = tl.load(b_ptr + rk[:, None] * N + rn[None, :])
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], tl.dot(a, b, out_dtype=tl.int32))


@triton.jit
def shapes_kernel(x_ptr, y_ptr, z_ptr, A: tl.constexpr, B: tl.constexpr, C: tl.constexpr):
    i = tl.arange(0, A)[:, None, None] * (B * C) + tl.arange(0, B)[None, :, None] * C + tl.arange(0, C)[None, None, :]
    x = tl.load(x_ptr + i)                      # [A, B, C]
    y = tl.permute(x, (2, 0, 1))                # [C, A, B]
    r = tl.reshape(y, (C, A * B))
    lo, hi = tl.split(tl.reshape(r, (C, A * B // 2, 2)))
    j = tl.join(hi, lo)                         # swap pairs
    s = tl.sum(x, axis=1)                       # [A, C]
    tl.store(y_ptr + tl.arange(0, C * A * B), tl.reshape(j, (C * A * B,)))
    tl.store(z_ptr + tl.arange(0, A)[:, None] * C + tl.arange(0, C)[None, :], s)


@triton.jit
def sort_kernel(x_ptr, y_ptr, N: tl.constexpr, DESC: tl.constexpr):
    row = tl.program_id(0)
    x = tl.load(x_ptr + row * N + tl.arange(0, N))
    tl.store(y_ptr + row * N + tl.arange(0, N), tl.sort(x, descending=DESC))


@triton.jit
def histogram_gather_kernel(x_ptr, idx_ptr, src_ptr, h_ptr, g_ptr, N: tl.constexpr, BINS: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, N))
    tl.store(h_ptr + tl.arange(0, BINS), tl.histogram(x, BINS))
    src = tl.load(src_ptr + tl.arange(0, N))
    idx = tl.load(idx_ptr + tl.arange(0, N))
    tl.store(g_ptr + tl.arange(0, N), tl.gather(src, idx, axis=0))


@triton.jit
def fp8_kernel(x_ptr, e5_ptr, e4_ptr, back_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    e5 = x.to(tl.float8e5)
    e4 = x.to(tl.float8e4nv)
    tl.store(e5_ptr + offs, e5, mask=m)
    tl.store(e4_ptr + offs, e4, mask=m)
    tl.store(back_ptr + offs, e5.to(tl.float32) + e4.to(tl.float32), mask=m)


@triton.jit
def precise_kernel(x_ptr, y_ptr, u_ptr, o_ptr, p_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m, other=1.0)
    y = tl.load(y_ptr + offs, mask=m, other=1.0)
    u = tl.load(u_ptr + offs, mask=m, other=1)
    r = tl.math.div_rn(x, y) + tl.math.sqrt_rn(tl.abs(x)) + tl.fma(x, y, 1.0) + tl.clamp(x, -0.5, 0.5)
    tl.store(o_ptr + offs, r, mask=m)
    tl.store(p_ptr + offs, tl.umulhi(u, u * 3 + 12345), mask=m)


@triton.jit
def strided_kernel(x_ptr, y_ptr, M, N, sxm, sxn, BM: tl.constexpr, BN: tl.constexpr):
    rm = tl.program_id(0) * BM + tl.arange(0, BM)
    rn = tl.arange(0, BN)
    m = (rm[:, None] < M) & (rn[None, :] < N)
    x = tl.load(x_ptr + rm[:, None] * sxm + rn[None, :] * sxn, mask=m, other=0.0)
    tl.store(y_ptr + rm, tl.sum(x * x, axis=1), mask=rm < M)


@triton.jit
def _pair_max(a, ia, b, ib):
    take = (a > b) | ((a == b) & (ia < ib))
    return tl.where(take, a, b), tl.where(take, ia, ib)


@triton.jit
def _max(a, b):
    return tl.maximum(a, b)


@triton.jit
def scan_reduce_kernel(x_ptr, cm_ptr, v_ptr, i_ptr, mn_ptr, mi_ptr, N: tl.constexpr):
    row = tl.program_id(0)
    x = tl.load(x_ptr + row * N + tl.arange(0, N))
    tl.store(cm_ptr + row * N + tl.arange(0, N), tl.associative_scan(x, 0, _max))
    v, i = tl.reduce((x, tl.arange(0, N)), 0, _pair_max)
    tl.store(v_ptr + row, v)
    tl.store(i_ptr + row, i)
    mn, mi = tl.min(x, axis=0, return_indices=True)
    tl.store(mn_ptr + row, mn)
    tl.store(mi_ptr + row, mi)


def c_add_f32():
    n = 10007; x, y, o = rn(n), rn(n), torch.empty(n, device=D)
    return dict(kernel=add_kernel, grid=(triton.cdiv(n, 1024),), args=[x, y, o, n], constexprs=dict(BLOCK=1024))

def c_add_f16():
    n = 5000; x, y, o = rn(n, dt=torch.float16), rn(n, dt=torch.float16), torch.empty(n, device=D, dtype=torch.float16)
    return dict(kernel=add_kernel, grid=(triton.cdiv(n, 512),), args=[x, y, o, n], constexprs=dict(BLOCK=512),
                default_tol={"rtol": 1e-3, "atol": 1e-3})

def c_softmax():
    R, C = 37, 1000; a = rn(R, C); s = torch.empty_like(a)
    return dict(kernel=softmax_kernel, grid=(R,), args=[s, a, a.stride(0), s.stride(0), R, C], constexprs=dict(BLOCK=1024),
                default_tol={"rtol": 1e-4, "atol": 1e-6})

def c_layernorm():
    R, C = 29, 3000; x = rn(R, C, dt=torch.float16); w = rn(C, dt=torch.float16); b = rn(C, dt=torch.float16); y = torch.empty_like(x)
    return dict(kernel=layernorm_kernel, grid=(R,), args=[x, y, w, b, x.stride(0), C, 1e-5], constexprs=dict(BLOCK=1024),
                default_tol={"rtol": 1e-2, "atol": 1e-2})

def c_matmul_f16():
    M, N, K = 200, 136, 72; A = rn(M, K, dt=torch.float16); B = rn(K, N, dt=torch.float16); C = torch.empty(M, N, device=D, dtype=torch.float16)
    return dict(kernel=matmul_kernel, grid=(triton.cdiv(M, 64) * triton.cdiv(N, 64),),
                args=[A, B, C, M, N, K, A.stride(0), A.stride(1), B.stride(0), B.stride(1), C.stride(0), C.stride(1)],
                constexprs=dict(BM=64, BN=64, BK=32, GROUP=4), opts=dict(num_warps=4), default_tol={"rtol": 1e-2, "atol": 5e-2})

def c_matmul_f32():
    M, N, K = 130, 70, 50; A = rn(M, K); B = rn(K, N); C = torch.empty(M, N, device=D)
    return dict(kernel=matmul_kernel, grid=(triton.cdiv(M, 32) * triton.cdiv(N, 32),),
                args=[A, B, C, M, N, K, A.stride(0), A.stride(1), B.stride(0), B.stride(1), C.stride(0), C.stride(1)],
                constexprs=dict(BM=32, BN=32, BK=16, GROUP=2), opts=dict(num_warps=4), default_tol={"rtol": 1e-2, "atol": 5e-2},
                notes={"note": "tl.dot on fp32 inputs defaults to tf32 on the capturing GPU"})

def c_blockptr_matmul():
    M, N, K = 96, 80, 48; A = rn(M, K, dt=torch.float16); B = rn(K, N, dt=torch.float16); C = torch.empty(M, N, device=D, dtype=torch.float16)
    return dict(kernel=blockptr_matmul_kernel, grid=(triton.cdiv(M, 32), triton.cdiv(N, 32)),
                args=[A, B, C, M, N, K, A.stride(0), A.stride(1), B.stride(0), B.stride(1), C.stride(0), C.stride(1)],
                constexprs=dict(BM=32, BN=32, BK=16), opts=dict(num_warps=4), default_tol={"rtol": 1e-2, "atol": 5e-2})

def c_sum_atomic():
    n = 100003; x = rn(n); acc = torch.zeros(1, device=D)
    return dict(kernel=sum_atomic_kernel, grid=(triton.cdiv(n, 4096),), args=[x, acc, n], constexprs=dict(BLOCK=4096),
                default_tol={"rtol": 1e-4, "atol": 1e-3})

def c_cumsum():
    R, C = 13, 700; x = ri(-5, 5, R, C); y = torch.empty_like(x)
    return dict(kernel=cumsum_kernel, grid=(R,), args=[x, y, C], constexprs=dict(BLOCK=1024))

def c_argmax():
    R, C = 13, 700; x = rn(R, C); i = torch.empty(R, device=D, dtype=torch.int32)
    return dict(kernel=argmax_kernel, grid=(R,), args=[x, i, C], constexprs=dict(BLOCK=1024))

def c_transpose():
    M, N = 100, 77; x = rn(M, N); y = torch.empty(N, M, device=D)
    return dict(kernel=transpose_kernel, grid=(triton.cdiv(M, 64), triton.cdiv(N, 64)), args=[x, y, M, N], constexprs=dict(BM=64, BN=64))

def c_mathmix():
    n = 3001; x = rn(n); i = ri(-1000, 1000, n); y = torch.empty(n, device=D); j = torch.empty(n, device=D, dtype=torch.int64)
    return dict(kernel=mathmix_kernel, grid=(triton.cdiv(n, 1024),), args=[x, i, y, j, n], constexprs=dict(BLOCK=1024),
                default_tol={"rtol": 1e-4, "atol": 1e-4})

def c_attention():
    BH, S, Dh = 2, 130, 64; q, k, v = (rn(BH, S, Dh, dt=torch.float16) for _ in range(3)); o = torch.empty_like(q)
    return dict(kernel=attn_fwd_kernel, grid=(triton.cdiv(S, 64), BH), args=[q, k, v, o, S, Dh ** -0.5],
                constexprs=dict(D=Dh, BM=64, BN=64), opts=dict(num_warps=4), default_tol={"rtol": 2e-2, "atol": 2e-2})

def c_dropout():
    n = 4000; x = rn(n); y = torch.empty(n, device=D)
    return dict(kernel=dropout_kernel, grid=(triton.cdiv(n, 1024),), args=[x, y, n, 0.3, 1234], constexprs=dict(BLOCK=1024),
                default_tol={"rtol": 1e-5, "atol": 1e-6})

def c_control_flow():
    n = 3000; x = rn(n); y = torch.empty(n, device=D)
    return dict(kernel=control_flow_kernel, grid=(triton.cdiv(n, 256),), args=[x, y, n], constexprs=dict(BLOCK=256))

def c_atomics():
    n = 5000; x = ri(-100000, 100000, n); mx = torch.full((8,), -2**31, device=D, dtype=torch.int32)
    mn = torch.full((8,), 2**31 - 1, device=D, dtype=torch.int32); cnt = torch.zeros(1, device=D, dtype=torch.int32)
    lock = torch.zeros(1, device=D, dtype=torch.int32)
    return dict(kernel=atomics_kernel, grid=(triton.cdiv(n, 512),), args=[x, mx, mn, cnt, lock, n], constexprs=dict(BLOCK=512))

def c_dot_i8():
    a = ri(-128, 127, 32, 64, dt=torch.int8); b = ri(-128, 127, 64, 32, dt=torch.int8); c = torch.empty(32, 32, device=D, dtype=torch.int32)
    return dict(kernel=dot_i8_kernel, grid=(1,), args=[a, b, c], constexprs=dict(M=32, N=32, K=64))

def c_shapes():
    A, B, C = 4, 8, 16; x = rn(A * B * C); y = torch.empty(A * B * C, device=D); z = torch.empty(A * C, device=D)
    return dict(kernel=shapes_kernel, grid=(1,), args=[x, y, z], constexprs=dict(A=A, B=B, C=C), default_tol={"rtol": 1e-5, "atol": 1e-5})

def c_sort():
    x = rn(4, 256); y = torch.empty_like(x)
    return dict(kernel=sort_kernel, grid=(4,), args=[x, y], constexprs=dict(N=256, DESC=True))

def c_histogram_gather():
    N = 512; x = ri(0, 64, N); idx = ri(0, N, N); src = rn(N); h = torch.empty(64, device=D, dtype=torch.int32); g = torch.empty(N, device=D)
    return dict(kernel=histogram_gather_kernel, grid=(1,), args=[x, idx, src, h, g], constexprs=dict(N=N, BINS=64))

def c_fp8():
    n = 2000; x = rn(n) * 10; e5 = fp8_empty(n, "e5m2"); e4 = fp8_empty(n, "e4m3fn")
    back = torch.empty(n, device=D)
    return dict(kernel=fp8_kernel, grid=(triton.cdiv(n, 512),), args=[x, e5, e4, back, n], constexprs=dict(BLOCK=512))

def c_precise():
    n = 3000; x = rn(n); y = rn(n); u = ri(0, 2**31 - 1, n); o = torch.empty(n, device=D); p = torch.empty(n, device=D, dtype=torch.int32)
    return dict(kernel=precise_kernel, grid=(triton.cdiv(n, 1024),), args=[x, y, u.view(torch.int32), o, p, n], constexprs=dict(BLOCK=1024),
                default_tol={"rtol": 1e-6, "atol": 1e-6})

def c_strided():
    base = rn(70, 90); x = base.t()[3:, 5:]  # non-contiguous view with a storage offset
    M, N = x.shape; y = torch.empty(M, device=D)
    return dict(kernel=strided_kernel, grid=(triton.cdiv(M, 16),), args=[x, y, M, N, x.stride(0), x.stride(1)],
                constexprs=dict(BM=16, BN=128), default_tol={"rtol": 1e-5, "atol": 1e-4})

def c_scan_reduce():
    R, N = 5, 128; x = rn(R, N); cm = torch.empty_like(x); v = torch.empty(R, device=D); i = torch.empty(R, device=D, dtype=torch.int32)
    mn = torch.empty(R, device=D); mi = torch.empty(R, device=D, dtype=torch.int32)
    return dict(kernel=scan_reduce_kernel, grid=(R,), args=[x, cm, v, i, mn, mi], constexprs=dict(N=N))


G.manual_seed(1)
CASES = [(n[2:], f) for n, f in list(globals().items()) if n.startswith("c_")]
