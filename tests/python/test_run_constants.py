"""Equal slots (analysis::VectorPlan::equalSlots): where axis info proves an elementwise result
constant over aligned runs along the last dimension, the v slots of a run hold one value and
the lowering computes it once per run (a mask `offs < n` of a run of 8 halves is one
comparison). Checked against numpy over integer expressions whose constancy is 1, 2, 4, 8 or
16 (masks, quotients, remainders, shifted ranges, broadcast rows, hints), for runs of 4 (f32)
and 8 (f16) elements, several warp counts and sizes n that are and are not multiples of 16
(Triton marks the latter without divisibility: no constancy, no sharing); and the SPIR-V shows
one comparison per run."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def mix(X, Y, n, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        m = o < n
        x = tl.load(X + o, mask=m, other=0.0).to(tl.float32)
        q = o // 8                     # constant over 8
        r = (o // 2) % 4               # constant over 2
        s = (o + 4) // 16              # not aligned to 16: constant over 4
        big = (o // 16) * 16 < n - 7   # constant over 16
        y = tl.where(m, x * q + r, -1.0) + s * 0.5 + tl.where(big, 1.0, 2.0)
        tl.store(Y + o, y.to(Y.dtype.element_ty), mask=m)

    @triton_vk.jit
    def rows(X, Y, n, C: tl.constexpr, R: tl.constexpr):
        r = tl.arange(0, R)
        c = tl.arange(0, C)
        m = (r[:, None] < n) & (c[None, :] < C)   # constant along each row
        rr = r[:, None] + c[None, :] * 0          # broadcast: constant along rows
        x = tl.load(X + r[:, None] * C + c[None, :], mask=m, other=0.0).to(tl.float32)
        tl.store(Y + r[:, None] * C + c[None, :], (x + rr).to(Y.dtype.element_ty), mask=m)

    @triton_vk.jit
    def hinted(X, Y, n, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        g = tl.max_constancy(o // 4, 4)
        m = o < n
        x = tl.load(X + o, mask=m, other=0.0).to(tl.float32)
        tl.store(Y + o, (x + g).to(Y.dtype.element_ty), mask=m)

    return dict(mix=mix, rows=rows, hinted=hinted)


def _mix_ref(x, n):
    o = np.arange(x.size)
    m = o < n
    xf = np.where(m, x.astype(np.float64), 0.0)
    q, r, s = o // 8, (o // 2) % 4, (o + 4) // 16
    big = (o // 16) * 16 < n - 7
    return np.where(m, xf * q + r, -1.0) + s * 0.5 + np.where(big, 1.0, 2.0)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("n,warps", [(2048, 4), (1000, 4), (1008, 2), (512, 1), (2040, 8)])
def test_mix(k, torch, dtype, n, warps):
    BLOCK = 1024
    dt = getattr(torch, dtype)
    size = (n + BLOCK - 1) // BLOCK * BLOCK
    x = np.random.default_rng(n).integers(-3, 4, size).astype(np.float32)
    y = torch.full((size,), 7.0, dtype=dt)
    k["mix"][(size // BLOCK,)](torch.from_numpy(x).to(dt), y, n, BLOCK=BLOCK, num_warps=warps)
    want = _mix_ref(x, n)
    got = y.float().numpy()
    np.testing.assert_allclose(got[:n], want[:n], rtol=2e-3 if dtype == "float16" else 1e-6)
    assert np.all(got[n:] == 7.0)  # masked off: untouched


@pytest.mark.parametrize("n,warps", [(64, 4), (37, 4), (48, 1)])
def test_rows(k, torch, n, warps):
    R, C = 64, 64
    x = np.random.default_rng(n).integers(-3, 4, (R, C)).astype(np.float16)
    y = torch.full((R, C), 7.0, dtype=torch.float16)
    k["rows"][(1,)](torch.from_numpy(x), y, n, C=C, R=R, num_warps=warps)
    want = x.astype(np.float32) + np.arange(R)[:, None]
    got = y.float().numpy()
    np.testing.assert_array_equal(got[:n], want[:n])
    assert np.all(got[n:] == 7.0)


def test_hinted(k, torch):
    n, BLOCK = 2048, 1024
    x = np.random.default_rng(1).integers(-3, 4, n).astype(np.float32)
    y = torch.zeros(n)
    k["hinted"][(n // BLOCK,)](torch.from_numpy(x), y, n, BLOCK=BLOCK)
    np.testing.assert_array_equal(y.numpy(), x + np.arange(n) // 4)


def test_one_comparison_per_run(k, torch):
    """The two masks of `mix` (`o < n`, `... < n - 7`; n divisible by 16) on runs of 8 halves:
    one comparison per run each, where each element would take one without sharing."""
    n, BLOCK, warps = 2048, 1024, 4
    x = torch.zeros(n, dtype=torch.float16)
    y = torch.zeros(n, dtype=torch.float16)
    h = k["mix"][(n // BLOCK,)](x, y, n, BLOCK=BLOCK, num_warps=warps)
    W = h.metadata.vk_reflection["workgroup_size"][0]
    elems = BLOCK // W  # per invocation
    assert elems >= 8
    assert h.asm["spvdis"].count("OpSLessThan %bool") == 2 * (elems // 8)
