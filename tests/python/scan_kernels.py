"""Scans over vector runs (lower/scan.cc, analysis/vector_width.h): a tt.scan whose rows are
consecutive elements (every dimension after its axis is 1) keeps its class's vector width, so
its loads and stores move 16 bytes per run. Each invocation scans its runs in registers, the
run totals over the lanes with shuffles, then across subgroups and chunks.

Each entry of CHECKS runs its kernels on CPU tensors through the active Vulkan driver over a
set of shapes and returns a list of mismatch descriptions (empty when right); the references
are exact (small integers). They run in-process (test_scan_runs.py) and in fresh processes at
lavapipe's other subgroup sizes: forward and reverse scans, a non-commutative two-operand
combine (its order matters), masked tails, 1-D and 2-D rows shorter and longer than a
workgroup's runs, 1 to 8 warps."""
import numpy as np
import torch
import triton
import triton.language as tl


@triton.jit
def cumsum(X, Y, n, BLOCK: tl.constexpr, REVERSE: tl.constexpr):
    c = tl.arange(0, BLOCK)
    row = tl.program_id(0)
    x = tl.load(X + row * n + c, mask=c < n, other=0)
    tl.store(Y + row * n + c, tl.cumsum(x, 0, reverse=REVERSE), mask=c < n)


@triton.jit
def _affine(a1, b1, a2, b2):
    # Composition of x -> a x + b maps, earlier first: not commutative.
    return a2 * a1, a2 * b1 + b2


@triton.jit
def affine(A, B, OA, OB, BLOCK: tl.constexpr, REVERSE: tl.constexpr):
    c = tl.arange(0, BLOCK)
    ra, rb = tl.associative_scan((tl.load(A + c), tl.load(B + c)), 0, _affine, reverse=REVERSE)
    tl.store(OA + c, ra)
    tl.store(OB + c, rb)


@triton.jit
def rows(X, Y, R: tl.constexpr, C: tl.constexpr):
    r = tl.arange(0, R)[:, None]
    c = tl.arange(0, C)[None, :]
    tl.store(Y + r * C + c, tl.cumsum(tl.load(X + r * C + c), 1))


@triton.jit
def rows_centered(X, Y, R: tl.constexpr, C: tl.constexpr):
    # A row reduction in the scan's class: whole rows per invocation where R >= the workgroup
    # (analysis/vector_width.h's row layouts), runs of 16 bytes otherwise.
    r = tl.arange(0, R)[:, None]
    c = tl.arange(0, C)[None, :]
    x = tl.load(X + r * C + c)
    tl.store(Y + r * C + c, tl.cumsum(x, 1) - tl.max(x, 1)[:, None])


@triton.jit
def mixed_rows(X, Y, S, N: tl.constexpr, RC: tl.constexpr, SC: tl.constexpr):
    # One class reduced in rows of RC and scanned in rows of SC: a row layout of RC elements per
    # run is only right for the scan where RC divides SC.
    c = tl.arange(0, N)
    x = tl.load(X + c)
    tl.store(S + tl.arange(0, N // RC), tl.sum(tl.reshape(x, (N // RC, RC)), 1))
    tl.store(Y + c, tl.reshape(tl.cumsum(tl.reshape(x, (N // SC, SC)), 1), (N,)))


def _diff(what, got, want):
    bad = np.flatnonzero(np.asarray(got).ravel() != np.asarray(want).ravel())
    if bad.size == 0:
        return []
    i = bad[0]
    return [f"{what}: {bad.size} wrong, first at {i}: got {np.asarray(got).ravel()[i]}, "
            f"want {np.asarray(want).ravel()[i]}"]


CUMSUM_SHAPES = [(1024, 1024, 4), (1024, 1000, 4), (4096, 4096, 2), (256, 256, 8), (64, 60, 1),
                 (2048, 2048, 8)]


def check_cumsum(dtypes=("int32", "float32", "float16"), shapes=CUMSUM_SHAPES):
    errors = []
    for dtype in dtypes:
        for BLOCK, n, warps in shapes:
            for reverse in (False, True):
                rng = np.random.default_rng(BLOCK + n + warps)
                x = rng.integers(-3, 4, (3, n)).astype(dtype)
                y = torch.full((3, n), 9, dtype=getattr(torch, dtype))
                cumsum[(3,)](torch.from_numpy(x), y, n, BLOCK=BLOCK, REVERSE=reverse, num_warps=warps)
                xs = x.astype(np.int64)
                want = np.flip(np.cumsum(np.flip(xs, 1), 1), 1) if reverse else np.cumsum(xs, 1)
                errors += _diff(f"cumsum {dtype} BLOCK={BLOCK} n={n} warps={warps} reverse={reverse}",
                                y.numpy().astype(np.int64), want)
    return errors


def check_non_commutative(shapes=((1024, 4), (512, 1), (4096, 8))):
    errors = []
    for BLOCK, warps in shapes:
        for reverse in (False, True):
            rng = np.random.default_rng(BLOCK)
            a = rng.integers(-1, 2, BLOCK).astype(np.int32)
            a[a == 0] = 1
            b = rng.integers(-5, 6, BLOCK).astype(np.int32)
            oa = torch.zeros(BLOCK, dtype=torch.int32)
            ob = torch.zeros(BLOCK, dtype=torch.int32)
            affine[(1,)](torch.from_numpy(a), torch.from_numpy(b), oa, ob, BLOCK=BLOCK, REVERSE=reverse,
                         num_warps=warps)
            wa, wb = np.empty_like(a), np.empty_like(b)
            ca = cb = None
            for i in (range(BLOCK - 1, -1, -1) if reverse else range(BLOCK)):
                # combine(earlier in scan order, this element)
                ca, cb = (a[i], b[i]) if ca is None else (a[i] * ca, a[i] * cb + b[i])
                wa[i], wb[i] = ca, cb
            what = f"affine BLOCK={BLOCK} warps={warps} reverse={reverse}"
            errors += _diff(what + " a", oa.numpy(), wa) + _diff(what + " b", ob.numpy(), wb)
    return errors


def check_rows(shapes=((16, 64, 4), (4, 256, 4), (64, 32, 2), (2, 2048, 8), (8, 4, 1))):
    errors = []
    for R, C, warps in shapes:
        x = np.random.default_rng(R * C).integers(-3, 4, (R, C)).astype(np.float32)
        y = torch.zeros(R, C)
        rows[(1,)](torch.from_numpy(x), y, R=R, C=C, num_warps=warps)
        errors += _diff(f"rows R={R} C={C} warps={warps}", y.numpy(), np.cumsum(x, 1))
    return errors


def check_rows_centered(shapes=((64, 16, 1), (256, 8, 2), (16, 64, 4), (128, 32, 4))):
    errors = []
    for R, C, warps in shapes:
        x = np.random.default_rng(R + C).integers(-3, 4, (R, C)).astype(np.float32)
        y = torch.zeros(R, C)
        rows_centered[(1,)](torch.from_numpy(x), y, R=R, C=C, num_warps=warps)
        errors += _diff(f"rows_centered R={R} C={C} warps={warps}", y.numpy(),
                        np.cumsum(x, 1) - x.max(1, keepdims=True))
    return errors


def check_mixed_rows(shapes=((1024, 16, 8, 1), (1024, 16, 4, 1), (2048, 32, 8, 2), (512, 16, 2, 1),
                             (1024, 16, 32, 1))):
    errors = []
    for N, RC, SC, warps in shapes:
        x = np.random.default_rng(N + RC + SC).integers(-3, 4, N).astype(np.int32)
        y = torch.zeros(N, dtype=torch.int32)
        s = torch.zeros(N // RC, dtype=torch.int32)
        mixed_rows[(1,)](torch.from_numpy(x), y, s, N=N, RC=RC, SC=SC, num_warps=warps)
        what = f"mixed_rows N={N} RC={RC} SC={SC} warps={warps}"
        errors += _diff(what + " sum", s.numpy(), x.reshape(-1, RC).sum(1))
        errors += _diff(what + " cumsum", y.numpy(), np.cumsum(x.reshape(-1, SC), 1).ravel())
    return errors


CHECKS = {"cumsum": check_cumsum, "mixed_rows": check_mixed_rows, "non_commutative": check_non_commutative, "rows": check_rows,
          "rows_centered": check_rows_centered}
