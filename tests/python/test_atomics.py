"""tt.atomic_rmw / tt.atomic_cas by element type (i32, i64, f32, f64, f16, bf16), masked and
unmasked, with returned old values and contended sums into one element (across workgroups and
inside one); tt.unsplat; a
transposition whose scratch exceeds shared memory (exchanged in several passes)."""
import numpy as np
import pytest

N = 256  # >= the workgroup, so every element has one owner


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def rmw(Z, X, OLD, M, OP: tl.constexpr, MASKED: tl.constexpr, N: tl.constexpr):
        o = tl.arange(0, N)
        x = tl.load(X + o)
        m = tl.load(M + o) != 0 if MASKED else None
        if OP == "add":
            old = tl.atomic_add(Z + o, x, mask=m, sem="relaxed")
        elif OP == "max":
            old = tl.atomic_max(Z + o, x, mask=m, sem="acquire")
        elif OP == "min":
            old = tl.atomic_min(Z + o, x, mask=m, sem="release", scope="cta")
        elif OP == "and":
            old = tl.atomic_and(Z + o, x, mask=m)
        else:
            old = tl.atomic_xchg(Z + o, x, mask=m, scope="sys")
        tl.store(OLD + o, old, mask=m)

    @triton_vk.jit
    def contended(Z, X):
        x = tl.load(X + tl.program_id(0))
        tl.atomic_add(Z, x)

    @triton_vk.jit
    def shared_slots(Z, OLD, X, N: tl.constexpr, SLOTS: tl.constexpr):
        # N adds into SLOTS elements from one workgroup: many subgroups contend on each.
        o = tl.arange(0, N)
        old = tl.atomic_add(Z + o % SLOTS, tl.load(X + o))
        tl.store(OLD + o, old)

    @triton_vk.jit
    def cas(Z, OLD, N: tl.constexpr):
        o = tl.arange(0, N)
        zero = tl.zeros((N,), dtype=Z.dtype.element_ty)
        two = zero + 2
        old = tl.atomic_cas(Z + o, zero, two)
        tl.store(OLD + o, old)

    @triton_vk.jit
    def locked_add(data, lock, N: tl.constexpr):
        # A critical section: plain loads and stores of every program guarded by a lock that
        # one invocation takes with atomic_cas and gives back with atomic_xchg.
        p = data + tl.arange(0, N)
        zero = tl.full((), 0, lock.dtype.element_ty)
        one = tl.full((), 1, lock.dtype.element_ty)
        while tl.atomic_cas(lock, zero, one, sem="acquire") == 1:
            pass
        tl.store(p, tl.load(p) + 1.0)
        tl.debug_barrier()
        tl.atomic_xchg(lock, zero, sem="release")

    @triton_vk.jit
    def unsplat(X, Y):
        v = tl.load(X + tl.arange(0, 1))
        s = v.item()
        if s > 42:
            tl.store(Y, s + 1)

    @triton_vk.jit
    def trans(X, Y, M: tl.constexpr, N: tl.constexpr):
        r = tl.arange(0, M)[:, None]
        c = tl.arange(0, N)[None, :]
        x = tl.load(X + r * N + c)
        tl.store(Y + c.T * M + r.T, tl.trans(x))

    @triton_vk.jit
    def reduce_mid(X, Y, A: tl.constexpr, B: tl.constexpr, C: tl.constexpr):
        a = tl.arange(0, A)[:, None, None]
        b = tl.arange(0, B)[None, :, None]
        c = tl.arange(0, C)[None, None, :]
        x = tl.load(X + a * B * C + b * C + c)
        s = tl.max(x, axis=1)
        tl.store(Y + tl.arange(0, A)[:, None] * C + tl.arange(0, C)[None, :], s)

    return dict(rmw=rmw, locked_add=locked_add, contended=contended, cas=cas, unsplat=unsplat,
                shared_slots=shared_slots,
                trans=trans, reduce_mid=reduce_mid)


def _ref(op, z, x):
    return {"add": lambda: z + x, "max": lambda: np.maximum(z, x), "min": lambda: np.minimum(z, x),
            "and": lambda: z & x, "xchg": lambda: x}[op]()


CASES = [("int32", op, True) for op in ["add", "max", "min", "and", "xchg"]] + \
        [("int64", op, True) for op in ["add", "min", "xchg"]] + \
        [("float32", "add", False), ("float32", "max", True), ("float64", "add", True),
         ("float64", "min", False), ("float16", "add", True), ("bfloat16", "add", False)]


@pytest.mark.parametrize("dtype,op,masked", CASES)
def test_rmw(k, torch, dtype, op, masked):
    rs = np.random.RandomState(5)
    tdt = getattr(torch, dtype)
    if "int" in dtype:
        z0, x0 = rs.randint(-1000, 1000, N), rs.randint(-1000, 1000, N)
    else:
        z0, x0 = rs.randint(-64, 64, N) / 4.0, rs.randint(-64, 64, N) / 4.0  # exact in every type
    z = torch.tensor(z0, dtype=tdt)
    x = torch.tensor(x0, dtype=tdt)
    m = torch.tensor(rs.randint(0, 2, N) if masked else np.ones(N), dtype=torch.int32)
    old = torch.zeros(N, dtype=tdt)
    k["rmw"][(1,)](z, x, old, m, OP=op, MASKED=masked, N=N, num_warps=4)
    keep = m.numpy() != 0
    want = np.where(keep, _ref(op, z0, x0), z0)
    np.testing.assert_array_equal(z.to(torch.float64).numpy(), want.astype(np.float64))
    np.testing.assert_array_equal(old.to(torch.float64).numpy()[keep], z0[keep].astype(np.float64))


@pytest.mark.parametrize("dtype", ["int32", "float32", "float16", "bfloat16"])
def test_rmw_old_values_of_a_replicated_tensor(k, torch, dtype):
    # 8 elements, 128 invocations: every element has copies in many invocations; one runs the
    # atomic and the old value reaches every copy through shared memory.
    n = 8
    tdt = getattr(torch, dtype)
    z0 = np.arange(n) - 3.0
    z = torch.tensor(z0, dtype=tdt)
    x = torch.full((n,), 2, dtype=tdt)
    old = torch.zeros(n, dtype=tdt)
    m = torch.ones(n, dtype=torch.int32)
    k["rmw"][(1,)](z, x, old, m, OP="add", MASKED=False, N=n, num_warps=4)
    np.testing.assert_array_equal(z.to(torch.float64).numpy(), z0 + 2)
    np.testing.assert_array_equal(old.to(torch.float64).numpy(), z0)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64", "float16", "bfloat16"])
def test_contended_add(k, torch, dtype):
    P = 96
    if dtype in ("float16", "bfloat16"):
        # Ones: every partial sum (an integer <= 96) is exact in f16 and bf16, whatever the
        # order, so any lost update shows (arange's partial sums round in bf16: 8-bit mantissa).
        x = torch.ones(P, dtype=getattr(torch, dtype))
        total = P
    else:
        x = torch.arange(1, P + 1).to(getattr(torch, dtype))
        total = P * (P + 1) // 2  # exact: integers below 2^24
    z = torch.zeros(1, dtype=getattr(torch, dtype))
    k["contended"][(P,)](z, x)
    assert z.item() == total


@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16", "float32"])
@pytest.mark.parametrize("warps,n,slots", [(1, 64, 4), (2, 64, 1), (4, 256, 4), (4, 64, 4)])
def test_contention_inside_a_workgroup(k, torch, dtype, warps, n, slots):
    """Compare-and-swap loops (f64 add, 16-bit elements) with every subgroup of one workgroup
    contending: each slot's old values are exactly 0, 1, ..., n/slots - 1 in some order and the
    sum is exact. llvmpipe lost updates here while a divergent loop let invocations leave early
    (the uniform loops of lower/atomic_element.cc)."""
    tdt = getattr(torch, dtype)
    z = torch.zeros(slots, dtype=tdt)
    old = torch.full((n,), -1, dtype=tdt)
    k["shared_slots"][(1,)](z, old, torch.ones(n, dtype=tdt), N=n, SLOTS=slots, num_warps=warps)
    assert z.tolist() == [n // slots] * slots
    for s in range(slots):
        assert sorted(old[s::slots].tolist()) == list(range(n // slots))


@pytest.mark.parametrize("dtype", ["int64", "float32", "float16"])
def test_cas(k, torch, dtype):
    tdt = getattr(torch, dtype)
    z = torch.zeros(N, dtype=tdt)
    z[1::2] = 1
    if dtype.startswith("float"):
        z[2::4] = -0.0  # Triton compares bit patterns: -0.0 is not 0.0
    before = z.clone()
    old = torch.full((N,), 7, dtype=tdt)
    k["cas"][(1,)](z, old, N=N, num_warps=4)
    hit = before == 0
    if dtype.startswith("float"):
        hit = hit & ~torch.signbit(before)
    want = torch.where(hit, torch.full_like(before, 2), before)
    assert torch.equal(z, want)
    assert torch.equal(old.view(-1), before)


@pytest.mark.parametrize("lock_dtype", ["int32", "int64"])
def test_spin_lock_guards_plain_accesses(k, torch, lock_dtype):
    """Every program's load-add-store inside the lock is seen by the next holder (on the H200 the
    stores were lost across workgroups until the accesses were made device-visible)."""
    P = 600
    data = torch.zeros(128, dtype=torch.float32)
    lock = torch.zeros(1, dtype=getattr(torch, lock_dtype))
    k["locked_add"][(P,)](data, lock, N=128, num_warps=4)
    assert torch.equal(data, torch.full((128,), float(P)))
    assert lock.item() == 0


def test_unsplat(k, torch):
    for v, want in [(41, 0), (43, 44)]:
        x = torch.tensor([v], dtype=torch.int32)
        y = torch.zeros(1, dtype=torch.int32)
        k["unsplat"][(1,)](x, y, num_warps=1)
        assert y.item() == want


def test_trans_over_shared_memory(k, torch):
    # 64 x 128 int64 = 64 KiB of scratch, more than lavapipe's 32 KiB: several passes.
    M, Nc = 64, 128
    x = torch.arange(M * Nc, dtype=torch.int64) * 3 - 5
    y = torch.zeros(M * Nc, dtype=torch.int64)
    k["trans"][(1,)](x, y, M=M, N=Nc, num_warps=4)
    assert torch.equal(y.view(Nc, M), x.view(M, Nc).T)


def test_reduce_over_shared_memory(k, torch):
    # 8 x 64 x 64 int32 over the middle axis: 128 KiB through the generic path, in passes.
    x = torch.randint(-1000, 1000, (8, 64, 64), dtype=torch.int32, generator=torch.Generator().manual_seed(3))
    y = torch.zeros(8, 64, dtype=torch.int32)
    k["reduce_mid"][(1,)](x, y, A=8, B=64, C=64, num_warps=4)
    assert torch.equal(y, x.max(dim=1).values)
