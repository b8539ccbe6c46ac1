"""f16/bf16 constants written as decimals in the TTIR (MLIR prints the shortest text that reads
back as the narrow value: `dense<3.339840e-01> : tensor<64xbf16>`) hold the narrow value
itself: 1/3 in bf16 is 0.333984375 (the upper 16 bits of the f32 would give 0.33203125), and
an f16 `x * 0.1` multiplies by 0.0999755859375. Checked bit for bit against torch, in the
replicated (scalar) and vector layouts."""
import pytest


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def full(Y, BLOCK: tl.constexpr):
        o = tl.arange(0, BLOCK)
        tl.store(Y + o, tl.full([BLOCK], 1 / 3, Y.dtype.element_ty))

    @triton_vk.jit
    def scaled(X, Y, BLOCK: tl.constexpr):
        o = tl.arange(0, BLOCK)
        tl.store(Y + o, tl.load(X + o) * 0.1)

    return dict(full=full, scaled=scaled)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("block", [64, 2048])
def test_full_constant(k, torch, dtype, block):
    dt = getattr(torch, dtype)
    y = torch.zeros(block, dtype=dt)
    k["full"][(1,)](y, BLOCK=block)
    want = torch.tensor(1 / 3).to(dt)
    assert torch.equal(y, torch.full_like(y, want.item())), (y[0].item(), want.item())


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("block", [64, 2048])
def test_scaled_by_constant(k, torch, dtype, block):
    dt = getattr(torch, dtype)
    x = torch.tensor([10.0, -0.625, 11.96875, -10.0, 3.0, 7.5, 0.3, 1.0], dtype=dt).repeat(block // 8)
    y = torch.zeros_like(x)
    k["scaled"][(1,)](x, y, BLOCK=block)
    c = torch.tensor(0.1).to(dt).float()  # Triton's constant has the element type
    want = (x.float() * c).to(dt)
    assert torch.equal(y, want), (y[:8].tolist(), want[:8].tolist())
