"""torch.compile on the tvk device (triton_vulkan/inductor.py): Inductor's Triton kernels run on
the Vulkan backend. Four small real models, compiled on the device, match eager CPU within
torch.testing's default tolerances."""
import pytest


@pytest.fixture(scope="module")
def nn(torch, triton_vk):
    from triton_vulkan import torch_device
    if not torch_device.available():
        pytest.fail("the tvk device is not built for this PyTorch")
    torch_device.register()
    import torch._dynamo
    torch._dynamo.reset()
    return torch.nn


def _gpt_block(torch, nn, d=64, heads=4):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
            q, k, v = (z.view(b, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (c // heads) ** -0.5
            causal = torch.tril(torch.ones(t, t, device=x.device, dtype=torch.bool))
            att = att.masked_fill(~causal, float("-inf")).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
            x = x + self.proj(y)
            return x + self.mlp(self.ln2(x))
    return Block()


def _models(torch, nn):
    return {
        "mlp": (lambda: nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10)), (8, 32)),
        "transformer_encoder_layer": (lambda: nn.TransformerEncoderLayer(
            d_model=32, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True), (2, 16, 32)),
        "cnn": (lambda: nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10)), (2, 3, 16, 16)),
        "gpt_block": (lambda: _gpt_block(torch, nn), (2, 16, 64)),
    }


@pytest.mark.parametrize("name", ["mlp", "transformer_encoder_layer", "cnn", "gpt_block"])
def test_model_compiles_and_matches_eager_cpu(torch, nn, name):
    from triton_vulkan import inductor
    make, shape = _models(torch, nn)[name]
    torch.manual_seed(0)
    model = make().eval()
    x = torch.randn(*shape)
    expected = model(x)  # eager, CPU (grad enabled: no fused inference fast paths on either side)
    compiled = torch.compile(model.to("tvk"))
    before = inductor.kernels_launched()
    out = compiled(x.to("tvk"))
    assert out.device.type == "tvk"
    assert inductor.kernels_launched() > before, "no Triton kernel of Inductor ran on the device"
    torch.testing.assert_close(out.cpu(), expected)
