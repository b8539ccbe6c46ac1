"""Pointers as 64-bit device addresses (targets with bufferDeviceAddress; lavapipe has it):
tt.ptr_to_int / tt.int_to_ptr round trips that access memory, pointer arrays loaded from
memory (a grouped-GEMM style kernel like Triton's tutorial 08: a table of int64 device
addresses of Vulkan tensors, `tl.load` then `.to(tl.pointer_type(tl.float16))`), tensors past
maxStorageBufferRange, and the launch bound check in address mode."""
import os

import numpy as np
import pytest


@pytest.fixture(scope="module")
def needs_bda(tv):
    if not tv.device().target.buffer_device_address:
        pytest.skip("the device has no buffer device addresses")


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def round_trip(X, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        a = (X + o).to(tl.int64, bitcast=True)         # tt.ptr_to_int
        p = (a + 8).to(tl.pointer_type(tl.float32))    # tt.int_to_ptr, 2 elements further
        tl.store(Out + o, tl.load(p, mask=o < N - 2, other=-1.0))

    @jit
    def grouped_gemm(a_ptrs, b_ptrs, c_ptrs, sizes, G: tl.constexpr, BM: tl.constexpr,
                     BN: tl.constexpr, BK: tl.constexpr):
        g = tl.program_id(0)
        m = tl.load(sizes + g * 3)
        n = tl.load(sizes + g * 3 + 1)
        k = tl.load(sizes + g * 3 + 2)
        a = tl.load(a_ptrs + g).to(tl.pointer_type(tl.float16))
        b = tl.load(b_ptrs + g).to(tl.pointer_type(tl.float16))
        c = tl.load(c_ptrs + g).to(tl.pointer_type(tl.float16))
        rm = tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k0 in range(0, k, BK):
            av = tl.load(a + rm[:, None] * k + (k0 + rk)[None, :],
                         mask=(rm[:, None] < m) & ((k0 + rk)[None, :] < k), other=0.0)
            bv = tl.load(b + (k0 + rk)[:, None] * n + rn[None, :],
                         mask=((k0 + rk)[:, None] < k) & (rn[None, :] < n), other=0.0)
            acc += tl.dot(av, bv)
        tl.store(c + rm[:, None] * n + rn[None, :], acc.to(tl.float16),
                 mask=(rm[:, None] < m) & (rn[None, :] < n))

    @jit
    def gather_rows(tab, out, N: tl.constexpr):
        r = tl.program_id(0)
        p = tl.load(tab + r).to(tl.pointer_type(tl.int32))   # pointer array
        o = tl.arange(0, N)
        tl.store(out + r * N + o, tl.load(p + o))

    @jit
    def sum_tail(X, Out, start, N: tl.constexpr):
        o = tl.arange(0, N)
        x = tl.load(X + start + o)                           # start: i64 past 2^27
        tl.store(Out + o, x.to(tl.float32) * 2.0)

    @jit
    def fixed_copy(X, Out):
        o = tl.arange(0, 256)
        tl.store(Out + o, tl.load(X + o))

    return dict(round_trip=round_trip, grouped_gemm=grouped_gemm, gather_rows=gather_rows,
                sum_tail=sum_tail, fixed_copy=fixed_copy)


def test_ptr_int_round_trip_accesses_memory(kernels, torch, needs_bda):
    x = torch.arange(64, dtype=torch.float32)
    out = torch.zeros(64)
    kernels["round_trip"][(1,)](x, out, N=64)
    want = torch.cat([x[2:], torch.full((2,), -1.0)])
    assert torch.equal(out, want)


def test_pointer_array_loaded_from_memory(kernels, torch, tv, needs_bda):
    rows = [tv.from_torch(torch.arange(32, dtype=torch.int32) + 100 * i) for i in range(5)]
    order = [3, 0, 4, 4, 1, 2]
    tab = torch.tensor([tv.device_address(rows[i]) for i in order], dtype=torch.int64)
    out = torch.zeros(len(order) * 32, dtype=torch.int32)
    kernels["gather_rows"][(len(order),)](tab, out, N=32)
    want = torch.cat([torch.arange(32, dtype=torch.int32) + 100 * i for i in order])
    assert torch.equal(out, want)


def test_grouped_gemm(kernels, torch, tv, needs_bda):
    torch.manual_seed(0)
    shapes = [(16, 16, 32), (9, 13, 20), (16, 8, 16)]
    A = [torch.randn(m, k).half() for m, n, k in shapes]
    B = [torch.randn(k, n).half() for m, n, k in shapes]
    dA = [tv.from_torch(a) for a in A]
    dB = [tv.from_torch(b) for b in B]
    dC = [tv.zeros(m, n, dtype=torch.float16) for m, n, k in shapes]
    addr = lambda ts: torch.tensor([tv.device_address(t) for t in ts], dtype=torch.int64)
    sizes = torch.tensor([v for s in shapes for v in s], dtype=torch.int32)
    kernels["grouped_gemm"][(len(shapes),)](addr(dA), addr(dB), addr(dC), sizes, G=len(shapes),
                                            BM=16, BN=16, BK=16)
    tv.synchronize()
    for a, b, c in zip(A, B, dC):
        want = (a.float() @ b.float()).numpy()
        np.testing.assert_allclose(c.float().numpy(), want, rtol=2e-2, atol=2e-2)


def test_tensor_past_storage_buffer_range(kernels, torch, tv, needs_bda):
    # 160 MiB of fp16 (the binding model is limited to maxStorageBufferRange: 128 MiB on
    # lavapipe); TVK_BIG_TENSOR_MIB=512 runs the 512 MiB case.
    mib = int(os.environ.get("TVK_BIG_TENSOR_MIB", "160"))
    n = mib * (1 << 20) // 2
    x = tv.zeros(n, dtype=torch.float16)
    tail = torch.arange(256, dtype=torch.float16)
    x[n - 256:] = tail
    out = torch.zeros(256)
    kernels["sum_tail"][(1,)](x, out, n - 256, N=256)
    assert torch.equal(out, tail.float() * 2)


def test_bound_check_still_fires(kernels, torch, needs_bda):
    with pytest.raises(Exception, match="accesses elements up to index 255"):
        kernels["fixed_copy"][(1,)](torch.zeros(100), torch.zeros(256))
