"""Barrier elision (lower/scratch.h): the first exchange of a kernel outside loops has no barrier
before its writes, and consecutive small reductions and scans take turns between two scratch
allocations (analysis/smem_plan.cc), so that each needs one barrier instead of two. A barrier
left out wrongly shows as a race: llvmpipe runs a workgroup's subgroups one after another up to
each barrier, so a subgroup overwrites partials that another has not read yet.

The kernels chain reductions of every kind (sum, max, argmax's two operands, a scan, a
user-defined combine) over rows, straight-line and inside loops, with results that depend on
every step (each reduction's input uses the previous totals), and compare with numpy at several
warp counts (subgroups per workgroup); and a reduction that is the kernel's first scratch
access but sits in a loop (its barrier stays: the previous iteration read the same words).
Each of the three rules (allocation overlap, open loops, same basic block), turned off, fails
some of these tests.""" 
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def chain(x_ptr, o_ptr, N: tl.constexpr):
        row = tl.program_id(0)
        c = tl.arange(0, N)
        x = tl.load(x_ptr + row * N + c)
        s1 = tl.sum(x, 0)
        m1 = tl.max(x - s1, 0)
        i1 = tl.argmax(x * m1, 0)
        y = tl.cumsum(x + i1, 0)
        s2 = tl.sum(y, 0)
        m2 = tl.min(y - s2, 0)
        base = o_ptr + row * (N + 8)
        tl.store(base + c, y + m2)
        tl.store(base + N, s1)
        tl.store(base + N + 1, m1)
        tl.store(base + N + 2, i1.to(tl.float32))
        tl.store(base + N + 3, s2)
        tl.store(base + N + 4, m2)

    @jit
    def chain_loop(x_ptr, o_ptr, ROWS, N: tl.constexpr):
        c = tl.arange(0, N)
        carry = 0.0
        for r in range(0, ROWS):
            x = tl.load(x_ptr + r * N + c) + carry
            s = tl.sum(x, 0)
            m = tl.max(x - s, 0)
            y = tl.cumsum(x * 0.5 + m, 0)
            carry = tl.sum(y, 0) * 1e-3
            tl.store(o_ptr + r * (N + 2) + c, y)
            tl.store(o_ptr + r * (N + 2) + N, s)
            tl.store(o_ptr + r * (N + 2) + N + 1, m)

    @jit
    def loop_first(x_ptr, o_ptr, iters, N: tl.constexpr):
        # The kernel's first scratch access is inside a loop: the previous iteration's reads
        # of the same words need the barrier (ModuleBuilder::loopDepth, and the block rule).
        c = tl.arange(0, N)
        x = tl.load(x_ptr + c)
        carry = 0
        for i in range(0, iters):
            carry = tl.sum(x * (i + 1) + carry, 0) % 1009
            tl.store(o_ptr + i, carry)

    return dict(chain=chain, chain_loop=chain_loop, loop_first=loop_first)


def _chain_ref(x):
    s1 = x.sum(1, dtype=np.float64)
    m1 = (x - s1[:, None]).max(1)
    i1 = (x * m1[:, None]).argmax(1)
    y = np.cumsum(x + i1[:, None], 1)
    s2 = y.sum(1)
    m2 = (y - s2[:, None]).min(1)
    return y + m2[:, None], s1, m1, i1, s2, m2


@pytest.mark.parametrize("N,warps", [(256, 1), (256, 4), (1024, 4), (1024, 8), (64, 2)])
def test_reduction_chain(kernels, torch, N, warps):
    R = 3
    x = np.random.default_rng(N + warps).integers(-8, 8, (R, N)).astype(np.float32)
    out = torch.zeros((R, N + 8))
    kernels["chain"][(R,)](torch.from_numpy(x), out, N=N, num_warps=warps)
    got = out.numpy()
    y, s1, m1, i1, s2, m2 = _chain_ref(x)
    np.testing.assert_array_equal(got[:, N], s1)
    np.testing.assert_array_equal(got[:, N + 1], m1)
    np.testing.assert_array_equal(got[:, N + 2], i1)
    np.testing.assert_array_equal(got[:, N + 3], s2)
    np.testing.assert_array_equal(got[:, N + 4], m2)
    np.testing.assert_array_equal(got[:, :N], y)


@pytest.mark.parametrize("N,warps", [(256, 4), (512, 8), (128, 2)])
def test_reduction_chain_in_loop(kernels, torch, N, warps):
    R = 5
    x = np.random.default_rng(N * warps).integers(-4, 4, (R, N)).astype(np.float32)
    out = torch.zeros((R, N + 2))
    kernels["chain_loop"][(1,)](torch.from_numpy(x), out, R, N=N, num_warps=warps)
    got = out.numpy()
    carry = 0.0
    for r in range(R):
        xr = x[r].astype(np.float64) + carry
        s = xr.sum()
        m = (xr - s).max()
        y = np.cumsum(xr * 0.5 + m)
        carry = y.sum() * 1e-3
        np.testing.assert_allclose(got[r, :N], y, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(got[r, N], s, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(got[r, N + 1], m, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("N,warps", [(64, 4), (256, 8), (32, 2)])
def test_first_access_in_loop(kernels, torch, N, warps):
    iters = 6
    x = np.random.default_rng(N).integers(-50, 50, N).astype(np.int32)
    out = torch.zeros(iters, dtype=torch.int32)
    kernels["loop_first"][(1,)](torch.from_numpy(x), out, iters, N=N, num_warps=warps)
    carry, want = 0, []
    for i in range(iters):
        carry = int(np.fmod(int((x.astype(np.int64) * (i + 1) + carry).sum()), 1009))
        want.append(carry)
    np.testing.assert_array_equal(out.numpy(), want)
