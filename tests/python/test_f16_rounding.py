"""f32 -> f16 rounding, bit for bit against numpy (round to nearest even, overflow to inf,
subnormals kept): casts and f16 arithmetic, each f16 result rounded on its own
(lower/fp8.cc roundToF16, integer code: NVIDIA's f32 -> f16 OpFConvert rounded the halfway
product of `x * y + x` the wrong way even under the RoundingModeRTE execution mode)."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def cast(X, Y, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Y + o, tl.load(X + o).to(tl.float16))

    @triton_vk.jit
    def implicit(X, Y, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Y + o, tl.load(X + o))  # f32 into an f16 pointer: the store's own cast

    @triton_vk.jit
    def arith(X, Y, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x, y = tl.load(X + o), tl.load(Y + o)
        tl.store(Z + o, x * y + x)  # two f16 roundings
    return dict(cast=cast, implicit=implicit, arith=arith)


def _hard_f32(n, seed):
    """Halfway and near-halfway f32 values across the f16 range, its subnormals and overflow."""
    rs = np.random.RandomState(seed)
    codes = rs.randint(0, 1 << 16, n).astype(np.uint32)
    codes = codes[(codes & 0x7C00) != 0x7C00]  # finite f16 codes
    base = codes.astype(np.uint16).view(np.float16).astype(np.float32)
    ulp = np.abs(np.spacing(base.astype(np.float16)).astype(np.float32))
    pick = rs.randint(0, 4, len(base))
    x = np.where(pick == 0, base + ulp / 2, np.where(pick == 1, base - ulp / 2,
                 np.where(pick == 2, base + ulp * 0.49, base * 1.0001)))
    extra = np.array([65504.0, 65519.0, 65520.0, 1e6, -65520.0, 2.0 ** -24, 2.0 ** -25,
                      2.0 ** -25 * 1.01, 3 * 2.0 ** -26, 2.0 ** -14 - 2.0 ** -25, 0.0, -0.0],
                     np.float32)
    x = np.concatenate([extra, x.astype(np.float32)])
    return x[: len(x) // 256 * 256]


@pytest.mark.parametrize("kernel", ["cast", "implicit"])
def test_cast_rounds_to_nearest_even(k, torch, kernel):
    x = _hard_f32(8192, 1)
    y = torch.zeros(len(x), dtype=torch.float16)
    k[kernel][(len(x) // 256,)](torch.from_numpy(x), y, BLOCK=256)
    with np.errstate(over="ignore"):  # 65520 and up overflow to inf, as they should
        want = x.astype(np.float16)
    got = y.numpy()
    bad = np.nonzero(got.view(np.uint16) != want.view(np.uint16))[0]
    assert len(bad) == 0, [(x[i], got[i], want[i]) for i in bad[:5]]


def test_f16_arithmetic_rounds_each_result(k, torch):
    rs = np.random.RandomState(2)
    n = 4096
    x = (rs.standard_normal(n) * 2.0 ** rs.randint(-20, 8, n)).astype(np.float16)
    y = (rs.standard_normal(n) * 2.0 ** rs.randint(-6, 4, n)).astype(np.float16)
    z = torch.zeros(n, dtype=torch.float16)
    k["arith"][(n // 256,)](torch.from_numpy(x), torch.from_numpy(y), z, BLOCK=256)
    want = (x * y + x).astype(np.float16)  # numpy: each f16 op rounded
    got = z.numpy()
    same = (got.view(np.uint16) == want.view(np.uint16)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), [(x[i], y[i], got[i], want[i]) for i in np.nonzero(~same)[0][:5]]


@pytest.fixture(scope="module")
def dot_k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def rounded_operand(X, I, Z, B: tl.constexpr, TRANS: tl.constexpr):
        # P = X.to(f16) only feeds the dot (its rounding deferred to the operand's staging,
        # Context::dotOperandsDeferF16); I is the identity, so P @ I (or I @ P) is P exactly.
        r = tl.arange(0, B)
        base = tl.program_id(0) * B * B
        p = tl.load(X + base + r[:, None] * B + r[None, :]).to(tl.float16)
        eye = tl.load(I + r[:, None] * B + r[None, :])
        z = tl.dot(eye, p) if TRANS else tl.dot(p, eye)
        tl.store(Z + base + r[:, None] * B + r[None, :], z)
    return rounded_operand


@pytest.mark.parametrize("trans", [False, True])
def test_f16_dot_operand_rounds_to_nearest_even(dot_k, torch, trans):
    """A computed f16 dot operand is rounded to nearest even exactly once, whichever dot path
    stages it (cooperative matrices convert it under RoundingModeRTE; the FMA path rounds it
    in integer code)."""
    B = 64
    x = _hard_f32(8 * B * B, 3)
    x = x[np.abs(x) < 65504.0]  # finite products with the identity's zeros
    x = x[: len(x) // (B * B) * B * B]
    eye = torch.eye(B, dtype=torch.float16)
    z = torch.zeros(len(x), dtype=torch.float32)
    dot_k[(len(x) // (B * B),)](torch.from_numpy(x), eye, z, B=B, TRANS=trans)
    want = x.astype(np.float16).astype(np.float32)
    got = z.numpy()
    bad = np.nonzero(got != want)[0]
    assert len(bad) == 0, [(x[i], got[i], want[i]) for i in bad[:5]]
