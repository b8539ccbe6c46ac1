"""Pointers selected between kernel arguments (ir/pointer_selects.h: one masked access per
argument) and raw addresses from tt.int_to_ptr (selected, offset and turned back into integers;
accessed as device addresses where the target has buffer device addresses), through @triton.jit against torch on the CPU.
Upstream's test_where[*int32] does both."""
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def scalar_select_load(Flag, A, B, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        p = tl.where(tl.load(Flag) != 0, A, B)
        tl.store(Out + o, tl.load(p + o, mask=o < N - 3, other=-1.0))

    @jit
    def tensor_select_load_store(C, A, B, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        c = tl.load(C + o) != 0
        p = tl.where(c, A + o, B + o)
        v = tl.load(p)
        tl.store(Out + o, v)
        tl.store(p, v * 2.0)  # back into whichever buffer it came from

    @jit
    def select_2d_atomic(C, A, B, Out, M: tl.constexpr, N: tl.constexpr):
        r = tl.arange(0, M)
        k = tl.arange(0, N)
        c = tl.load(C + r) != 0                           # per row
        p = tl.where(c, A + r * N, B + r * N)             # tensor<M> of pointers
        q = p[:, None] + k[None, :]                       # expand_dims + broadcast + addptr
        v = tl.load(q)
        tl.store(Out + r[:, None] * N + k[None, :], v)
        tl.atomic_add(q, 1.0)

    @jit
    def raw_address_round_trip(C, X, Y, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        a = tl.load(X + o).to(tl.pi32_t)
        b = tl.load(Y + o).to(tl.pi32_t)
        p = tl.where(tl.load(C + o) != 0, a, b) + 1      # + 1 element = + 4 bytes
        tl.store(Out + o, p)

    @jit
    def raw_address_load(X, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        p = tl.load(X + o).to(tl.pi32_t)
        tl.store(Out + o, tl.load(p))

    return dict(scalar_select_load=scalar_select_load, tensor_select_load_store=tensor_select_load_store,
                select_2d_atomic=select_2d_atomic, raw_address_round_trip=raw_address_round_trip,
                raw_address_load=raw_address_load)


@pytest.mark.parametrize("flag", [0, 1])
def test_scalar_select_between_arguments(kernels, torch, flag):
    n = 64
    a, b = torch.arange(n, dtype=torch.float32), -torch.arange(n, dtype=torch.float32) - 100
    out = torch.zeros(n)
    kernels["scalar_select_load"][(1,)](torch.tensor([flag], dtype=torch.int32), a, b, out, N=n)
    ref = (a if flag else b).clone()
    ref[n - 3:] = -1.0
    assert torch.equal(out, ref)


def test_tensor_select_between_arguments(kernels, torch):
    n = 128
    torch.manual_seed(0)
    c = (torch.rand(n) > 0.5).to(torch.int32)
    a, b = torch.randn(n), torch.randn(n)
    a0, b0 = a.clone(), b.clone()
    out = torch.zeros(n)
    kernels["tensor_select_load_store"][(1,)](c, a, b, out, N=n)
    sel = c != 0
    assert torch.equal(out, torch.where(sel, a0, b0))
    assert torch.equal(a, torch.where(sel, a0 * 2, a0))  # stores went only where selected
    assert torch.equal(b, torch.where(sel, b0, b0 * 2))


def test_select_then_broadcast_and_atomics(kernels, torch):
    m, n = 8, 16
    c = torch.tensor([1, 0, 0, 1, 1, 0, 1, 0], dtype=torch.int32)
    a = torch.arange(m * n, dtype=torch.float32)
    b = 1000 + torch.arange(m * n, dtype=torch.float32)
    a0, b0 = a.clone(), b.clone()
    out = torch.zeros(m * n)
    kernels["select_2d_atomic"][(1,)](c, a, b, out, M=m, N=n)
    rows = (c != 0).repeat_interleave(n)
    assert torch.equal(out, torch.where(rows, a0, b0))
    assert torch.equal(a, torch.where(rows, a0 + 1, a0))
    assert torch.equal(b, torch.where(rows, b0, b0 + 1))


def test_raw_addresses_round_trip(kernels, torch):
    n = 64
    torch.manual_seed(1)
    x = torch.randint(-2**62, 2**62, (n,), dtype=torch.int64)
    y = torch.randint(-2**62, 2**62, (n,), dtype=torch.int64)
    c = (torch.rand(n) > 0.5).to(torch.int32)
    out = torch.zeros(n, dtype=torch.int64)
    kernels["raw_address_round_trip"][(1,)](c, x, y, out, N=n)
    assert torch.equal(out, torch.where(c != 0, x, y) + 4)


def test_access_through_address_loaded_from_memory(kernels, torch, tv):
    # With buffer device addresses (lavapipe) a pointer loaded from memory is accessed like any
    # other: the table holds device addresses of a Vulkan tensor (tests/python/
    # test_device_addresses.py has more). Without them it is a clear error (C++ tests).
    if not tv.device().target.buffer_device_address:
        pytest.skip("needs buffer device addresses")
    data = tv.from_torch(torch.arange(16, dtype=torch.int32) * 3)
    base = tv.device_address(data)
    x = torch.tensor([base + 4 * ((5 * i) % 16) for i in range(16)], dtype=torch.int64)
    out = torch.zeros(16, dtype=torch.int32)
    kernels["raw_address_load"][(1,)](x, out, N=16)
    assert torch.equal(out, torch.tensor([3 * ((5 * i) % 16) for i in range(16)], dtype=torch.int32))
