"""Signs and wrap-around in axis info (analysis/axis_info.cc, the non-negative values): the
remainder and quotient rules, and equal slots after them (a value computed once per run of 4
or 8), hold only for values >= 0. Regressions of silent wrong results found by an audit:
a quotient by a negative constant (`o // -4`), and int32 products and sums that wrap
(`(o // 16) * 0x40000000`, `o + 2147482624`), each taken as non-negative, made `// 2` and
`// 4` look constant over runs. Checked against numpy with int32 wrap-around and truncating
division; plus the launch-grid assumption kept for `pid * BLOCK + arange` (16-byte loads of
`x[offs % D]`)."""
import numpy as np
import pytest

BLOCK = 1024


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def negdiv(Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        y = (o // -4) * 4 + o % 4  # 0,1,2,3,-4,-3,-2,-1,...
        tl.store(Z + o, y // 2)

    @triton_vk.jit
    def mulwrap(Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        w = (o // 16) * 0x40000000 + o % 16  # wraps from o = 32
        tl.store(Z + o, w // 4)

    @triton_vk.jit
    def addwrap(Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, (o + 2147482624) // 4)  # wraps at o = 1024

    @triton_vk.jit
    def bias(X, B, Z, D, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.load(X + o) + tl.load(B + o % D))

    return dict(negdiv=negdiv, mulwrap=mulwrap, addwrap=addwrap, bias=bias)


def _wrap32(x):
    return (x + 2**31) % 2**32 - 2**31


def _div(a, b):  # C's truncating division
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


REFS = {
    "negdiv": lambda o: _div(_div(o, -4) * 4 + np.fmod(o, 4), 2),
    "mulwrap": lambda o: _div(_wrap32((o // 16) * 0x40000000 + o % 16), 4),
    "addwrap": lambda o: _div(_wrap32(o + 2147482624), 4),
}


@pytest.mark.parametrize("name", sorted(REFS))
@pytest.mark.parametrize("warps", [1, 4])
def test_signed_runs(k, torch, name, warps):
    z = torch.full((2 * BLOCK,), 99, dtype=torch.int32)
    k[name][(2,)](z, BLOCK=BLOCK, num_warps=warps)
    o = np.arange(2 * BLOCK, dtype=np.int64)
    np.testing.assert_array_equal(z.numpy().astype(np.int64), REFS[name](o))


def test_grid_offsets_keep_vector_loads(k, torch):
    D = 256
    x, b = torch.randn(2 * BLOCK), torch.randn(D)
    z = torch.zeros(2 * BLOCK)
    k["bias"][(2,)](x, b, z, D, BLOCK=BLOCK)
    torch.testing.assert_close(z, x + b.repeat(2 * BLOCK // D))
    asm = k["bias"].warmup(x, b, z, D, BLOCK=BLOCK, grid=(2,)).asm["spvdis"]
    assert sum("OpLoad %v4float" in line for line in asm.splitlines()) >= 2, "x and b[o % D] by 16 bytes"
