"""Control flow and small ops of Triton's language through @triton.jit against torch on the CPU:
early `return`s inside `if`s (cf.br / cf.cond_br, structured by ir/structurize.h) in kernels,
helpers and tl.map_elementwise bodies; tl.map_elementwise (packed and with several results);
tl.assume (dropped); loop attributes (accepted); ub.poison (zero); num_warps checks."""
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def early_return(Flag, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        f = tl.load(Flag)
        if f == 1:
            tl.store(Out + o, o + 100)
            return
        tl.store(Out + o, o)

    @jit
    def nested_returns(Flags, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        a = tl.load(Flags)
        b = tl.load(Flags + 1)
        c = tl.load(Flags + 2)
        x = o * 0 + 1
        if a != 0:
            if b != 0:
                tl.store(Out + o, x + 10)
                return
            else:
                x = x + 5
                if c != 0:
                    tl.store(Out + o, x + 20)
                    return
        else:
            if c != 0:
                tl.store(Out + o, x + 30)
                return
            x = x * 3
        tl.store(Out + o, x)

    @jit
    def pick(v, lim):
        if v > lim:
            return v - lim
        elif v < -lim:
            return v + lim
        return v * 2

    @jit
    def helper_returns(X, Lim, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        lim = tl.load(Lim)
        s = tl.load(X)
        tl.store(Out + o, pick(s, lim) + o)

    @jit
    def early_return_loop_after(Flag, Out, N: tl.constexpr):
        o = tl.arange(0, N)
        if tl.load(Flag) == 0:
            return
        acc = o * 0
        for i in range(0, 4):
            acc += o + i
        tl.store(Out + o, acc)

    @jit
    def compare(x, y):
        if x < y:
            return -1
        elif x == y:
            return 0
        else:
            return 1

    @jit
    def map_compare(X, Y, Z, N: tl.constexpr):
        o = tl.arange(0, N)
        tl.store(Z + o, tl.map_elementwise(compare, tl.load(X + o), tl.load(Y + o)))

    @jit
    def divmod2(a0, a1, b0, b1):
        return a0 // b0, a1 // b1, a0 % b0, a1 % b1

    @jit
    def divmod1(a, b):
        return a // b, a % b

    @jit
    def map_divmod(A, B, C, D, N: tl.constexpr, PACK: tl.constexpr):
        o = tl.arange(0, N)
        a = tl.load(A + o)
        b = tl.load(B + o)
        if PACK == 2:
            c, d = tl.map_elementwise(divmod2, a, b, pack=2)
        else:
            c, d = tl.map_elementwise(divmod1, a, b)
        tl.store(C + o, c)
        tl.store(D + o, d)

    @jit
    def assume_and_loop_attrs(Out, n, N: tl.constexpr):
        o = tl.arange(0, N)
        tl.assume(n > 0)
        acc = o * 0
        for i in tl.range(0, n, loop_unroll_factor=2, disallow_acc_multi_buffer=True, flatten=True,
                          disable_licm=True, num_stages=2):
            acc += i
        j = 0
        while tl.condition(j < n, disable_licm=True):
            j += 1
        tl.store(Out + o, acc + j)

    @jit
    def maybe(x):
        a = False
        if a:
            return x

    @jit
    def poison(Out):
        tl.store(Out, maybe(7))

    return {k: v for k, v in locals().items() if hasattr(v, "run")}


@pytest.mark.parametrize("flag", [0, 1])
def test_early_return(kernels, torch, flag):
    n = 32
    out = torch.full((n,), -1, dtype=torch.int32)
    kernels["early_return"][(1,)](torch.tensor([flag], dtype=torch.int32), out, N=n)
    assert torch.equal(out, torch.arange(n, dtype=torch.int32) + (100 if flag else 0))


@pytest.mark.parametrize("a", [0, 1])
@pytest.mark.parametrize("b", [0, 1])
@pytest.mark.parametrize("c", [0, 1])
def test_nested_returns(kernels, torch, a, b, c):
    n = 16
    out = torch.full((n,), -1, dtype=torch.int32)
    kernels["nested_returns"][(1,)](torch.tensor([a, b, c], dtype=torch.int32), out, N=n)
    if a:
        ref = 11 if b else (26 if c else 6)
    else:
        ref = 31 if c else 3
    assert torch.equal(out, torch.full((n,), ref, dtype=torch.int32))


@pytest.mark.parametrize("s", [-9, -2, 0, 3, 8])
def test_helper_with_returns(kernels, torch, s):
    n, lim = 8, 4
    out = torch.zeros(n, dtype=torch.int32)
    kernels["helper_returns"][(1,)](torch.tensor([s], dtype=torch.int32), torch.tensor([lim], dtype=torch.int32),
                                    out, N=n)
    ref = s - lim if s > lim else (s + lim if s < -lim else s * 2)
    assert torch.equal(out, ref + torch.arange(n, dtype=torch.int32))


@pytest.mark.parametrize("flag", [0, 1])
def test_early_return_then_loop(kernels, torch, flag):
    n = 16
    out = torch.full((n,), -7, dtype=torch.int32)
    kernels["early_return_loop_after"][(1,)](torch.tensor([flag], dtype=torch.int32), out, N=n)
    o = torch.arange(n, dtype=torch.int32)
    assert torch.equal(out, 4 * o + 6 if flag else torch.full((n,), -7, dtype=torch.int32))


def test_map_elementwise_with_returns(kernels, torch):
    n = 128
    g = torch.Generator().manual_seed(1)
    x = torch.randint(-4, 4, (n,), dtype=torch.int32, generator=g)
    y = torch.randint(-4, 4, (n,), dtype=torch.int32, generator=g)
    z = torch.zeros(n, dtype=torch.int32)
    kernels["map_compare"][(1,)](x, y, z, N=n)
    assert torch.equal(z, (x > y).to(torch.int32) - (x < y).to(torch.int32))


@pytest.mark.parametrize("pack", [1, 2])
def test_map_elementwise_divmod(kernels, torch, pack):
    n = 256
    g = torch.Generator().manual_seed(2)
    a = torch.randint(0, 1000, (n,), dtype=torch.int32, generator=g)
    b = torch.randint(1, 37, (n,), dtype=torch.int32, generator=g)
    c = torch.zeros(n, dtype=torch.int32)
    d = torch.zeros(n, dtype=torch.int32)
    kernels["map_divmod"][(1,)](a, b, c, d, N=n, PACK=pack)
    assert torch.equal(c, a // b)
    assert torch.equal(d, a % b)


@pytest.mark.parametrize("n_iter", [1, 5])
def test_assume_and_loop_attributes(kernels, torch, n_iter):
    n = 8
    out = torch.zeros(n, dtype=torch.int32)
    kernels["assume_and_loop_attrs"][(1,)](out, n_iter, N=n)
    assert torch.equal(out, torch.full((n,), sum(range(n_iter)) + n_iter, dtype=torch.int32))


def test_poison_is_zero(kernels, torch):
    out = torch.full((1,), 5, dtype=torch.int32)
    h = kernels["poison"][(1,)](out)
    assert "ub.poison" in h.asm["ttir"]
    assert out.item() == 0


def test_num_warps_not_power_of_two(triton_vk, torch):
    tl = triton_vk.language

    @triton_vk.jit
    def nothing(X):
        pass

    with pytest.raises(AssertionError, match="must be a power of 2"):
        nothing.warmup(torch.zeros(4), grid=(1,), num_warps=3)
