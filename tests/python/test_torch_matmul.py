"""mm/addmm/bmm on the tvk device run as a Triton kernel (triton_vulkan/ops/matmul.py), not on
the CPU fallback: results against CPU references over odd shapes, transposed operands, out=,
alpha/beta, f32/f16/bf16, integer dtypes (CPU path) and autograd."""
import pytest


def _tol(torch, dtype):
    return {torch.float32: (1e-5, 1e-5), torch.float16: (1e-2, 1e-2), torch.bfloat16: (3e-2, 3e-2)}[dtype]


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("shape", [(37, 53, 29), (64, 64, 64), (1, 70, 5)])
def test_mm_addmm_bmm(torch, dev, dtype, shape):
    from triton_vulkan import torch_device
    dt = getattr(torch, dtype)
    m, k, n = shape
    g = torch.Generator().manual_seed(m * 1000 + k)
    a = torch.randn(m, k, generator=g).to(dt)
    b = torch.randn(n, k, generator=g).to(dt).t()  # transposed operand: strides (1, k)
    bias = torch.randn(n, generator=g).to(dt)
    rtol, atol = _tol(torch, dt)
    ref = lambda x: x.float()
    out = torch.mm(a.to(dev), b.to(dev))
    torch.testing.assert_close(ref(out.cpu()), ref(a) @ ref(b), rtol=rtol, atol=atol)
    out = torch.addmm(bias.to(dev), a.to(dev), b.to(dev), beta=0.5, alpha=2.0)
    torch.testing.assert_close(ref(out.cpu()), 0.5 * ref(bias) + 2.0 * (ref(a) @ ref(b)), rtol=rtol, atol=atol)
    o = torch.empty(0, dtype=dt, device=dev)
    torch.mm(a.to(dev), b.to(dev), out=o)
    assert o.shape == (m, n)
    torch.testing.assert_close(ref(o.cpu()), ref(a) @ ref(b), rtol=rtol, atol=atol)
    ba = torch.randn(3, m, k, generator=g).to(dt)
    bb = torch.randn(3, k, n, generator=g).to(dt)
    out = torch.bmm(ba.to(dev), bb.to(dev))
    torch.testing.assert_close(ref(out.cpu()), ref(ba) @ ref(bb), rtol=rtol, atol=atol)
    assert not any(op.split(".")[0] in ("aten::mm", "aten::addmm", "aten::bmm") for op in torch_device.fallback_ops())


def test_integer_matmul_keeps_cpu_semantics(torch, dev):
    a = torch.randint(-5, 5, (7, 9))
    b = torch.randint(-5, 5, (9, 4))
    assert torch.equal(torch.mm(a.to(dev), b.to(dev)).cpu(), a @ b)


def test_matmul_autograd(torch, dev):
    a = torch.randn(8, 16, device=dev, requires_grad=True)
    b = torch.randn(16, 4, device=dev, requires_grad=True)
    (a @ b).sum().backward()
    torch.testing.assert_close(a.grad.cpu(), torch.ones(8, 4) @ b.detach().cpu().t())
    torch.testing.assert_close(b.grad.cpu(), a.detach().cpu().t() @ torch.ones(8, 4))
