"""Loops over block pointers with TVK_POINTER_INDUCTIONS=1 (ir/pointer_inductions.h: the pointer
tensors rebuilt from tl.advance's i64 offsets become loop-carried pointers advanced by one add):
a block-pointer matmul with ragged edges in every dimension and a row sum that walks its
columns backwards, against numpy, with the switch on and off (it is in Triton's cache key, so
each setting compiles its own kernel)."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def matmul_block_pointers(a_ptr, b_ptr, c_ptr, M, N, K,
                              BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        pm, pn = tl.program_id(0), tl.program_id(1)
        a_bp = tl.make_block_ptr(a_ptr, (M, K), (K, 1), (pm * BM, 0), (BM, BK), (1, 0))
        b_bp = tl.make_block_ptr(b_ptr, (K, N), (N, 1), (0, pn * BN), (BK, BN), (1, 0))
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for _ in range(0, tl.cdiv(K, BK)):
            a = tl.load(a_bp, boundary_check=(0, 1), padding_option="zero")
            b = tl.load(b_bp, boundary_check=(0, 1), padding_option="zero")
            acc = tl.dot(a, b, acc)
            a_bp = tl.advance(a_bp, (0, BK))
            b_bp = tl.advance(b_bp, (BK, 0))
        c_bp = tl.make_block_ptr(c_ptr, (M, N), (N, 1), (pm * BM, pn * BN), (BM, BN), (1, 0))
        tl.store(c_bp, acc, boundary_check=(0, 1))

    @jit
    def row_sums_backwards(x_ptr, y_ptr, R, C, BR: tl.constexpr, BC: tl.constexpr):
        pid = tl.program_id(0)
        start = (tl.cdiv(C, BC) - 1) * BC
        x_bp = tl.make_block_ptr(x_ptr, (R, C), (C, 1), (pid * BR, start), (BR, BC), (1, 0))
        acc = tl.zeros((BR,), dtype=tl.float32)
        for _ in range(0, tl.cdiv(C, BC)):
            x = tl.load(x_bp, boundary_check=(0, 1), padding_option="zero")
            acc += tl.sum(x, 1)
            x_bp = tl.advance(x_bp, (0, -BC))
        y_bp = tl.make_block_ptr(y_ptr, (R,), (1,), (pid * BR,), (BR,), (0,))
        tl.store(y_bp, acc, boundary_check=(0,))

    return matmul_block_pointers, row_sums_backwards


@pytest.mark.parametrize("switch", ["1", "0"])
def test_block_pointer_matmul(kernels, torch, monkeypatch, switch):
    monkeypatch.setenv("TVK_POINTER_INDUCTIONS", switch)
    matmul, _ = kernels
    M, N, K, BM, BN, BK = 45, 37, 83, 32, 32, 16
    rs = np.random.RandomState(1)
    a = rs.randn(M, K).astype(np.float32)
    b = rs.randn(K, N).astype(np.float32)
    c = torch.zeros(M, N)
    matmul[((M + BM - 1) // BM, (N + BN - 1) // BN)](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K,
                                                     BM=BM, BN=BN, BK=BK)
    np.testing.assert_allclose(c.numpy(), a @ b, rtol=2e-2, atol=5e-2)


@pytest.mark.parametrize("switch", ["1", "0"])
def test_block_pointer_row_sums_backwards(kernels, torch, monkeypatch, switch):
    monkeypatch.setenv("TVK_POINTER_INDUCTIONS", switch)
    _, row_sums = kernels
    R, C, BR, BC = 19, 150, 8, 32
    x = np.random.RandomState(2).randn(R, C).astype(np.float32)
    y = torch.zeros(R)
    row_sums[((R + BR - 1) // BR,)](torch.from_numpy(x), y, R, C, BR=BR, BC=BC)
    np.testing.assert_allclose(y.numpy(), x.sum(1), rtol=1e-4, atol=1e-4)
