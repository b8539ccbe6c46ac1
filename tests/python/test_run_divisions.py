"""Integer division and remainder of contiguous runs (analysis::VectorPlan::runDivisions,
lower/int_ops.cc): `offs % D` and `offs // D` where offs runs through consecutive values from a
multiple of the run length and D is a multiple of it, as Triton specializes arguments divisible
by 16. Only each run's first element is divided; the others take its quotient and its remainder
plus their offset. Checked against numpy's truncating division (C semantics) for positive and
negative dividends (the runs of a negative multiple of D, where the remainder wraps to i - |D|),
negative divisors, unsigned and 64-bit operands, through @triton.jit, and the compiled kernel
is checked to divide once per run."""
import numpy as np
import pytest
from tvk_testlib import trunc_div

BLOCK = 512


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def signed32(Q, R, shift, D, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x = offs - shift  # runs of consecutive values from multiples of 16, some negative
        tl.store(Q + offs, x // D)
        tl.store(R + offs, x % D)

    @triton_vk.jit
    def unsigned32(Q, R, shift, D, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x = (offs + shift).to(tl.uint32)
        d = D.to(tl.uint32)
        tl.store(Q + offs, (x // d).to(tl.int32))
        tl.store(R + offs, (x % d).to(tl.int32))

    @triton_vk.jit
    def signed64(Q, R, shift, big, D, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        y = (offs - shift).to(tl.int64) + big  # consecutive 64-bit values past 2^32
        tl.store(Q + offs, y // D)
        tl.store(R + offs, y % D)

    return signed32, unsigned32, signed64


@pytest.mark.parametrize("D", [16, 48, 4096, -48, -16, 1 << 20])
@pytest.mark.parametrize("shift", [0, 1024, 96, 4096 + 48])
def test_signed32(kernels, torch, D, shift):
    n = 4 * BLOCK
    q = torch.zeros(n, dtype=torch.int32)
    r = torch.zeros(n, dtype=torch.int32)
    kernels[0][(n // BLOCK,)](q, r, shift, D, BLOCK=BLOCK)
    x = np.arange(n, dtype=np.int64) - shift
    np.testing.assert_array_equal(q.numpy(), trunc_div(x, D))
    np.testing.assert_array_equal(r.numpy(), x - trunc_div(x, D) * D)


@pytest.mark.parametrize("D", [16, 48, 4096])
@pytest.mark.parametrize("shift", [0, 2**31 - 2048, 4096 + 48])
def test_unsigned32(kernels, torch, D, shift):
    n = 4 * BLOCK
    q = torch.zeros(n, dtype=torch.int32)
    r = torch.zeros(n, dtype=torch.int32)
    kernels[1][(n // BLOCK,)](q, r, shift, D, BLOCK=BLOCK)
    x = (np.arange(n, dtype=np.uint64) + np.uint64(shift)) % np.uint64(2**32)
    np.testing.assert_array_equal(q.numpy().view(np.uint32), (x // np.uint64(D)).astype(np.uint32))
    np.testing.assert_array_equal(r.numpy().view(np.uint32), (x % np.uint64(D)).astype(np.uint32))


@pytest.mark.parametrize("D", [16, -48, 4096])
@pytest.mark.parametrize("shift", [0, 1024 + 32])
@pytest.mark.parametrize("big", [3 * 2**36, -(3 * 2**36)])
def test_signed64(kernels, torch, D, shift, big):
    n = 4 * BLOCK
    q = torch.zeros(n, dtype=torch.int64)
    r = torch.zeros(n, dtype=torch.int64)
    kernels[2][(n // BLOCK,)](q, r, shift, big, D, BLOCK=BLOCK)
    y = np.arange(n, dtype=np.int64) - shift + big
    np.testing.assert_array_equal(q.numpy(), trunc_div(y, D))
    np.testing.assert_array_equal(r.numpy(), y - trunc_div(y, D) * D)


def test_divides_once_per_run(triton_vk, torch, monkeypatch):
    """The signed 32-bit kernel divides each run's first element only: fewer divisions than with
    TVK_RUN_DIVISIONS=0 (a division per element; the switch is in Triton's cache key). A
    division by a run-time divisor is one OpUMulExtended (lower/int_division.h), plus one for
    each op's reciprocal."""
    tl = triton_vk.language
    n = 4 * BLOCK
    q = torch.zeros(n, dtype=torch.int32)

    def divisions():
        @triton_vk.jit
        def div_rem(Q, R, shift, D, BLOCK: tl.constexpr):  # a new function: no in-memory cache
            offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
            x = offs - shift
            tl.store(Q + offs, x // D)
            tl.store(R + offs, x % D)

        k = div_rem.warmup(q, q, 64, 48, BLOCK=BLOCK, grid=(n // BLOCK,))
        return k.asm["spvdis"].count("OpUMulExtended")

    runs = divisions()
    monkeypatch.setenv("TVK_RUN_DIVISIONS", "0")
    per_element = divisions()
    assert 0 < runs and 2 * runs <= per_element, (runs, per_element)
