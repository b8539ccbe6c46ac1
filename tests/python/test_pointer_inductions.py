"""Block-pointer loads in loops carried as pointer tensors (ir/pointer_inductions.h): the
results must equal a NumPy reference whatever the advance (runtime steps, negative steps,
column-major blocks, ragged edges under boundary_check), and equal those with the rewrite off
(TVK_POINTER_INDUCTIONS=0, in a fresh process: the switch is read once)."""
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def row_sums(x_ptr, out_ptr, R, C, sr, sc, step, BR: tl.constexpr, BC: tl.constexpr, ORDER: tl.constexpr):
        # rows [pid * BR, +BR) of an R x C matrix with strides (sr, sc), read in column blocks of
        # BC that advance by `step` columns (a runtime value), with ragged edges
        pid = tl.program_id(0)
        order: tl.constexpr = (1, 0) if ORDER == 0 else (0, 1)
        bp = tl.make_block_ptr(x_ptr, (R, C), (sr, sc), (pid * BR, 0), (BR, BC), order)
        acc = tl.zeros((BR, BC), dtype=tl.float32)
        for _ in range(0, tl.cdiv(C, step)):
            acc += tl.load(bp, boundary_check=(0, 1), padding_option="zero")
            bp = tl.advance(bp, (0, step))
        offs = pid * BR + tl.arange(0, BR)
        tl.store(out_ptr + offs, tl.sum(acc, 1), mask=offs < R)

    @triton_vk.jit
    def backwards(x_ptr, out_ptr, N, B: tl.constexpr):
        # one block pointer walked from the end towards the start: negative advances
        bp = tl.make_block_ptr(x_ptr, (N,), (1,), (N - B,), (B,), (0,))
        acc = tl.zeros((B,), dtype=tl.float32)
        for _ in range(0, tl.cdiv(N, B)):
            acc += tl.load(bp, boundary_check=(0,), padding_option="zero")
            bp = tl.advance(bp, (-B,))
        tl.store(out_ptr + tl.arange(0, B), acc)

    return {"row_sums": row_sums, "backwards": backwards}


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("R,C,step", [(64, 100, 32), (50, 96, 32), (64, 70, 16)])
def test_row_sums(kernels, torch, order, R, C, step):
    rng = np.random.default_rng(R * C + step)
    x = rng.integers(-8, 8, (R, C)).astype(np.float32)
    t = torch.from_numpy(x if order == 0 else np.asfortranarray(x))
    if order == 1:
        t = torch.from_numpy(np.ascontiguousarray(x.T)).t()  # column-major storage
    out = torch.zeros(R, dtype=torch.float32)
    BC = 32
    kernels["row_sums"][((R + 31) // 32,)](t, out, R, C, t.stride(0), t.stride(1), step, BR=32, BC=BC, ORDER=order)
    # each iteration reads columns [i * step, i * step + BC) that exist
    want = np.zeros(R, dtype=np.float32)
    for i in range((C + step - 1) // step):
        want += x[:, i * step:min(i * step + BC, C)].sum(1)
    assert np.array_equal(out.numpy(), want)


def test_backwards(kernels, torch):
    N, B = 200, 64
    x = np.arange(N, dtype=np.float32)
    out = torch.zeros(B, dtype=torch.float32)
    kernels["backwards"][(1,)](torch.from_numpy(x), out, N, B=B)
    want = np.zeros(B, dtype=np.float32)
    for i in range((N + B - 1) // B):
        start = N - B - i * B
        for j in range(B):
            if 0 <= start + j < N:
                want[j] += x[start + j]
    assert np.array_equal(out.numpy(), want)


def test_same_results_with_the_rewrite_off(tmp_path):
    """The same checks in a process with TVK_POINTER_INDUCTIONS=0."""
    env = dict(os.environ, TVK_POINTER_INDUCTIONS="0")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
                        "-k", "not rewrite_off"], cwd=HERE, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
