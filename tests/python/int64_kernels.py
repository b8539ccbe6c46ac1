"""Kernels whose indices, comparisons, masks and `other` values are 64-bit integers, on each
load/store path (per-element, 2-D strided, block pointers, shared-memory transpose) and in loops.

Each entry of CHECKS runs one kernel on CPU tensors through the active Vulkan driver and returns
a list of mismatch descriptions (empty when right). The references are computed with torch on
the CPU. The checks run in-process (test_int64_index.py) and in fresh processes at lavapipe's
other subgroup sizes.

Regression of a silent wrong result: Mesa's NIR (lavapipe) folded `sext64(i32) <s constant` to
false, so `tl.store(..., mask=offs64 < N)` stored nothing and raised no error."""
import torch
import triton
import triton.language as tl


@triton.jit
def copy_mask_lt(In, Out, N: tl.constexpr):
    offs = tl.arange(0, N).to(tl.int64)
    tl.store(Out + offs, tl.load(In + offs), mask=offs < N)


@triton.jit
def copy_masked_tail(In, Out, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0).to(tl.int64)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(Out + offs, tl.load(In + offs, mask=m, other=-7.0), mask=m)


@triton.jit
def other_where_masked(In, Out, n, BLOCK: tl.constexpr):
    # Every lane stores; lanes at or past n read `other`.
    offs = tl.arange(0, BLOCK).to(tl.int64)
    x = tl.load(In + offs, mask=offs < n, other=-3.5)
    tl.store(Out + offs, x)


@triton.jit
def compare_all(Out, B: tl.constexpr, C: tl.constexpr, SHIFT: tl.constexpr):
    # Signed and unsigned orderings of sign-extended int32 offsets against constants
    # (SHIFT = 0: the comparison's operand is the sign extension itself).
    offs = tl.arange(0, B).to(tl.int64) - SHIFT
    base = Out + tl.arange(0, B) * 8
    tl.store(base + 0, (offs < C).to(tl.int32))
    tl.store(base + 1, (offs <= C).to(tl.int32))
    tl.store(base + 2, (offs > C).to(tl.int32))
    tl.store(base + 3, (offs >= C).to(tl.int32))
    tl.store(base + 4, (offs == C).to(tl.int32))
    tl.store(base + 5, (offs != C).to(tl.int32))
    tl.store(base + 6, (C > offs).to(tl.int32))
    tl.store(base + 7, (offs.to(tl.uint64) < C).to(tl.int32))


@triton.jit
def compare_runtime(A, B, Out, N: tl.constexpr):
    offs = tl.arange(0, N)
    a = tl.load(A + offs)
    b = tl.load(B + offs)
    tl.store(Out + offs * 4 + 0, (a < b).to(tl.int32))
    tl.store(Out + offs * 4 + 1, (a >= b).to(tl.int32))
    tl.store(Out + offs * 4 + 2, tl.minimum(a, b) == a)
    tl.store(Out + offs * 4 + 3, (tl.maximum(a, 5) > 5).to(tl.int32))


@triton.jit
def strided_2d(In, Out, stride_in, stride_out, M, N, BM: tl.constexpr, BN: tl.constexpr):
    rows = (tl.program_id(0) * BM + tl.arange(0, BM)).to(tl.int64)
    cols = tl.arange(0, BN).to(tl.int64)
    m = (rows[:, None] < M) & (cols[None, :] < N)
    x = tl.load(In + rows[:, None] * stride_in + cols[None, :], mask=m, other=0.0)
    tl.store(Out + rows[:, None] * stride_out + cols[None, :], x * 2.0, mask=m)


@triton.jit
def transpose_i64(In, Out, M, N, BM: tl.constexpr, BN: tl.constexpr):
    rows = tl.arange(0, BM).to(tl.int64)
    cols = tl.arange(0, BN).to(tl.int64)
    m = (rows[:, None] < M) & (cols[None, :] < N)
    x = tl.load(In + rows[:, None] * N + cols[None, :], mask=m)
    tl.store(Out + cols[None, :] * M + rows[:, None], x, mask=m)


@triton.jit
def block_ptr_copy(In, Out, M, N, BM: tl.constexpr, BN: tl.constexpr):
    pid = tl.program_id(0)
    src = tl.make_block_ptr(In, shape=(M, N), strides=(N, 1), offsets=(pid * BM, 0),
                            block_shape=(BM, BN), order=(1, 0))
    dst = tl.make_block_ptr(Out, shape=(M, N), strides=(N, 1), offsets=(pid * BM, 0),
                            block_shape=(BM, BN), order=(1, 0))
    x = tl.load(src, boundary_check=(0, 1), padding_option="zero")
    tl.store(dst, x + 1.0, boundary_check=(0, 1))


@triton.jit
def loop_i64(In, Out, n, BLOCK: tl.constexpr):
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    lane = tl.arange(0, BLOCK).to(tl.int64)
    for start in range(0, n, BLOCK):
        offs = start + lane
        acc += tl.load(In + offs, mask=offs < n, other=0.0)
    tl.store(Out + tl.arange(0, BLOCK), acc)


@triton.jit
def i64_values(X, Out, N: tl.constexpr):
    offs = tl.arange(0, N)
    x = tl.load(X + offs)
    y = tl.where(x < -3, x * 3, x // 2) + tl.where(x >= 1 << 33, 1, 0)
    tl.store(Out + offs, y, mask=x != 0)


def _diff(name, got, want):
    if got.shape != want.shape:
        return [f"{name}: shape {tuple(got.shape)} != {tuple(want.shape)}"]
    bad = (got != want).nonzero()
    if len(bad) == 0:
        return []
    i = tuple(bad[0].tolist())
    return [f"{name}: {len(bad)} of {got.numel()} elements differ, first at {i}: {got[i].item()} != {want[i].item()}"]


def check_copy_mask_lt():
    out = []
    for n in (128, 1024):
        x = torch.arange(n, dtype=torch.float32) + 1
        y = torch.zeros(n)
        copy_mask_lt[(1,)](x, y, n)
        out += _diff(f"copy_mask_lt[{n}]", y, x)
    return out


def check_copy_masked_tail():
    n = 1000
    x = torch.randn(n)
    y = torch.full((n + 24,), 5.0)
    copy_masked_tail[(triton.cdiv(n, 256),)](x, y, n, BLOCK=256)
    want = torch.cat([x, torch.full((24,), 5.0)])
    return _diff("copy_masked_tail", y, want)


def check_other():
    x = torch.arange(64, dtype=torch.float32)
    y = torch.zeros(64)
    other_where_masked[(1,)](x, y, 37, BLOCK=64)
    want = torch.where(torch.arange(64) < 37, x, torch.tensor(-3.5))
    return _diff("other_where_masked", y, want)


def check_compare_all():
    out = []
    for B, C, S in ((128, 17, 64), (128, -5, 64), (64, 0, 32), (64, 1 << 40, 32), (64, -(1 << 40), 32),
                    (128, 100, 0), (128, 128, 0), (64, -1, 0), (64, 1 << 40, 0)):
        got = torch.full((B * 8,), -1, dtype=torch.int32)
        compare_all[(1,)](got, B, C, S)
        o = torch.arange(B, dtype=torch.int64) - S
        cols = [o < C, o <= C, o > C, o >= C, o == C, o != C, C > o,
                (o.numpy().astype("uint64") < (C % (1 << 64))).tolist()]
        want = torch.stack([torch.as_tensor(c).to(torch.int32) for c in cols], 1).reshape(-1)
        out += _diff(f"compare_all[B={B},C={C},SHIFT={S}]", got, want)
    return out


def check_compare_runtime():
    g = torch.Generator().manual_seed(0)
    n = 256
    a = torch.randint(-(1 << 40), 1 << 40, (n,), generator=g, dtype=torch.int64)
    b = torch.randint(-(1 << 40), 1 << 40, (n,), generator=g, dtype=torch.int64)
    a[:8] = torch.tensor([5, 6, -1, 0, 1 << 62, -(1 << 62), 4, 2 ** 63 - 1])
    b[:8] = torch.tensor([5, 5, 0, -1, -(1 << 62), 1 << 62, 4, -(2 ** 63)])
    got = torch.full((n * 4,), -1, dtype=torch.int32)
    compare_runtime[(1,)](a, b, got, n)
    want = torch.stack([a < b, a >= b, torch.minimum(a, b) == a, torch.maximum(a, torch.tensor(5)) > 5],
                       1).to(torch.int32).reshape(-1)
    return _diff("compare_runtime", got, want)


def check_strided_2d():
    M, N = 50, 37
    x = torch.randn(M, 64)
    y = torch.zeros(M, 48)
    strided_2d[(triton.cdiv(M, 16),)](x, y, x.stride(0), y.stride(0), M, N, BM=16, BN=64)
    want = torch.zeros(M, 48)
    want[:, :N] = x[:, :N] * 2
    return _diff("strided_2d", y, want)


def check_transpose():
    M, N = 30, 20
    x = torch.randn(M, N)
    y = torch.zeros(N, M)
    transpose_i64[(1,)](x, y, M, N, BM=32, BN=32)
    return _diff("transpose_i64", y, x.t().contiguous())


def check_block_ptr():
    M, N = 45, 30
    x = torch.randn(M, N)
    y = torch.zeros(M, N)
    block_ptr_copy[(triton.cdiv(M, 16),)](x, y, M, N, BM=16, BN=32)
    return _diff("block_ptr_copy", y, x + 1)


def check_loop():
    n = 3000
    x = torch.arange(n, dtype=torch.float32) % 7
    y = torch.zeros(128)
    loop_i64[(1,)](x, y, n, BLOCK=128)
    want = torch.zeros(128)
    for s in range(0, n, 128):
        chunk = x[s:s + 128]
        want[:len(chunk)] += chunk
    return _diff("loop_i64", y, want)


def check_i64_values():
    n = 128
    x = torch.arange(n, dtype=torch.int64) - 64
    x[0] = 1 << 34
    x[1] = -(1 << 35)
    y = torch.full((n,), 99, dtype=torch.int64)
    i64_values[(1,)](x, y, n)
    floordiv = torch.div(x, 2, rounding_mode="trunc")  # Triton's // on ints truncates (C semantics)
    want = torch.where(x < -3, x * 3, floordiv) + (x >= (1 << 33)).to(torch.int64)
    want = torch.where(x != 0, want, torch.tensor(99))
    return _diff("i64_values", y, want)


CHECKS = {
    "copy_mask_lt": check_copy_mask_lt,
    "copy_masked_tail": check_copy_masked_tail,
    "other": check_other,
    "compare_all": check_compare_all,
    "compare_runtime": check_compare_runtime,
    "strided_2d": check_strided_2d,
    "transpose": check_transpose,
    "block_ptr": check_block_ptr,
    "loop": check_loop,
    "i64_values": check_i64_values,
}
