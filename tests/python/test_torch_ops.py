"""Elementwise ops, last-dimension reductions and softmax on the tvk device run as Triton kernels
(triton_vulkan/ops/pointwise.py, reduce.py, softmax.py), checked against PyTorch's CPU results
over broadcasting, strides, scalars, in-place forms, dtypes, NaN and the CPU path for what the
kernels do not cover."""
import math

import pytest


def _launches():
    from triton_vulkan.backend.driver import VulkanLauncher
    return VulkanLauncher.launches


def _tol(torch, dtype):
    return {torch.float32: (1.3e-6, 1e-5), torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5)}[dtype]


def _check(torch, got, want, dtype=None):
    rtol, atol = _tol(torch, dtype or want.dtype)
    assert got.device.type == "tvk" and got.dtype == want.dtype and got.shape == want.shape
    torch.testing.assert_close(got.cpu(), want, rtol=rtol, atol=atol, equal_nan=True)


def _on_kernels(fn):
    """fn() launched at least one Triton kernel (it did not take the CPU path)."""
    before = _launches()
    r = fn()
    assert _launches() > before, "computed on the CPU, not by a kernel"
    return r


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_binary_ops_broadcast_strides_scalars(torch, dev, dtype):
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(1)
    a = torch.randn(5, 7, 9, generator=g).to(dt)
    cases = [
        torch.randn(5, 7, 9, generator=g).to(dt),         # same shape
        torch.randn(7, 1, generator=g).to(dt),            # broadcast
        torch.randn(9, 7, 5, generator=g).to(dt).permute(2, 1, 0),  # strided
        torch.tensor(2.5).to(dt),                         # 0-dim device tensor
    ]
    for b in cases:
        for name in ("add", "sub", "mul", "div"):
            f = getattr(torch, name)
            _check(torch, _on_kernels(lambda: f(a.to(dev), b.to(dev))), f(a, b))
    # a + alpha * b rounds once, as on GPUs (PyTorch's CPU rounds alpha * b to half first)
    _check(torch, _on_kernels(lambda: torch.add(a.to(dev), cases[1].to(dev), alpha=-3)),
           torch.add(a.float(), cases[1].float(), alpha=-3).to(dt))
    _check(torch, _on_kernels(lambda: a.to(dev) * 3), a * 3)          # a Python number
    _check(torch, _on_kernels(lambda: 1.5 - a.to(dev)), 1.5 - a)      # rsub: scalar first
    _check(torch, _on_kernels(lambda: a.to(dev)[:, 2:5, ::2] / 0.5), a[:, 2:5, ::2] / 0.5)


def test_binary_in_place_and_promotion(torch, dev):
    g = torch.Generator().manual_seed(2)
    a = torch.randn(64, 33, generator=g)
    b = torch.randn(33, generator=g)
    x = a.to(dev)
    ptr = x.data_ptr()
    _on_kernels(lambda: x.add_(b.to(dev), alpha=2))
    assert x.data_ptr() == ptr
    _check(torch, x, a + 2 * b)
    x.mul_(x)                                  # the operand is the output itself
    _check(torch, x, (a + 2 * b) ** 2)
    h = a.half().to(dev)
    h += a.to(dev)                             # float32 into float16: ATen's semantics via the CPU
    _check(torch, h, (a.half() + a).half())
    i = torch.arange(6).to(dev)                # integers: the CPU path, still right
    assert (i * 2).cpu().tolist() == [0, 2, 4, 6, 8, 10] and (i * 2).device.type == "tvk"
    assert (i / 4).dtype == torch.float32 and (i / 4).cpu().tolist() == [k / 4 for k in range(6)]
    with pytest.raises(RuntimeError, match="same device"):
        a.to(dev) + b                          # a CPU tensor with dimensions is not a scalar
    with pytest.raises(RuntimeError):
        torch.empty(3, 2, device=dev).add_(torch.empty(4, device=dev))


def test_fill_and_zero(torch, dev):
    x = torch.empty(1000, 3, dtype=torch.float16, device=dev)
    _on_kernels(lambda: x.fill_(2.5))
    assert torch.equal(x.cpu(), torch.full((1000, 3), 2.5, dtype=torch.float16))
    _on_kernels(lambda: x.zero_())
    assert not x.cpu().any()
    z = _on_kernels(lambda: torch.zeros(5, 7, device=dev))
    assert torch.equal(z.cpu(), torch.zeros(5, 7))
    t = torch.ones(4, 6, device=dev).t()                 # not contiguous: CPU path
    t.fill_(-1)
    assert torch.equal(t.cpu(), torch.full((6, 4), -1.0))
    i = torch.zeros(3, dtype=torch.int64, device=dev)    # integers: CPU path
    i.fill_(7)
    assert i.cpu().tolist() == [7, 7, 7]


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_unary_ops(torch, dev, dtype):
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(3)
    a = (torch.rand(300, 17, generator=g) * 4 + 0.01).to(dt)
    s = (torch.randn(300, 17, generator=g) * 3).to(dt)
    s[0, 0] = float("nan")
    for name, x in (("exp", s), ("log", a), ("sqrt", a), ("rsqrt", a), ("neg", s), ("abs", s),
                    ("sigmoid", s), ("relu", s)):
        f = getattr(torch, name)
        got = _on_kernels(lambda: f(x.to(dev)))
        want = f(x.float()).to(dt)
        rtol, atol = (2e-6, 1e-6) if dt == torch.float32 else (1e-3, 1e-5)
        torch.testing.assert_close(got.cpu().float(), want.float(), rtol=rtol, atol=atol, equal_nan=True)
    t = s.t()
    _check(torch, _on_kernels(lambda: torch.neg(t.to(dev).t().t())), -t)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("shape", [(7, 1), (33, 1000), (3, 5, 2500)])
def test_last_dim_reductions(torch, dev, dtype, shape):
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(4)
    x = torch.randn(*shape, generator=g).to(dt)
    x.view(-1)[shape[-1] // 2] = 7.0   # a tie for max along the first row...
    x.view(-1)[shape[-1] - 1] = 7.0    # ...ATen's index is the first one
    d = x.to(dev)
    f32 = x.float()
    rtol = {torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}[dt]
    for keepdim in (False, True):
        got = _on_kernels(lambda: d.sum(-1, keepdim=keepdim))
        torch.testing.assert_close(got.cpu().float(), f32.sum(-1, keepdim=keepdim), rtol=rtol, atol=rtol * 10)
        got = _on_kernels(lambda: d.mean(dim=[-1], keepdim=keepdim))
        torch.testing.assert_close(got.cpu().float(), f32.mean(-1, keepdim=keepdim), rtol=rtol, atol=rtol)
        for name in ("max", "min"):
            v, i = _on_kernels(lambda: getattr(d, name)(dim=-1, keepdim=keepdim))
            wv, wi = getattr(x, name)(dim=-1, keepdim=keepdim)
            assert torch.equal(v.cpu(), wv) and torch.equal(i.cpu(), wi) and i.dtype == torch.int64
            assert torch.equal(_on_kernels(lambda: getattr(torch, "a" + name)(d, -1, keepdim)).cpu(), wv)


def test_reductions_nan_and_cpu_path(torch, dev):
    x = torch.tensor([[1.0, float("nan"), 3.0, float("nan")], [4.0, -1.0, 2.0, 0.5]])
    v, i = x.to(dev).max(dim=1)
    wv, wi = x.max(dim=1)
    assert torch.equal(i.cpu(), wi) and torch.allclose(v.cpu(), wv, equal_nan=True)
    v, i = x.to(dev).min(dim=1)
    assert i.cpu().tolist() == x.min(dim=1).indices.tolist() and math.isnan(v[0].item())
    y = torch.arange(24.0).view(4, 6)
    assert torch.equal(y.to(dev).sum(0).cpu(), y.sum(0))           # first dimension: CPU path
    assert torch.equal(y.to(dev).t().sum(1).cpu(), y.t().sum(1))   # not contiguous: CPU path
    assert torch.equal(y.to(dev).sum(-1, dtype=torch.float64).cpu(), y.sum(-1, dtype=torch.float64))
    assert torch.equal(torch.arange(6).to(dev).view(2, 3).amax(-1).cpu(), torch.tensor([2, 5]))


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("cols", [1, 100, 2500])
def test_softmax_forward_backward(torch, dev, dtype, cols):
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(5)
    x = (torch.randn(37, cols, generator=g) * 4).to(dt)
    dy = torch.randn(37, cols, generator=g).to(dt)
    rtol, atol = {torch.float32: (1e-5, 1e-6), torch.float16: (2e-3, 1e-4), torch.bfloat16: (1.6e-2, 1e-3)}[dt]
    for fn, bwd in ((torch.softmax, torch.ops.aten._softmax_backward_data),
                    (torch.log_softmax, torch.ops.aten._log_softmax_backward_data)):
        xd = x.clone().to(dev).requires_grad_()
        y = _on_kernels(lambda: fn(xd, -1))
        y.backward(dy.to(dev))
        assert y.dtype == dt and xd.grad.dtype == dt
        torch.testing.assert_close(y.detach().cpu().float(), fn(x.float(), -1), rtol=rtol, atol=atol)
        # the backward from the same (rounded) y, in float32; g - sum(g * y) cancels: atol * 10
        want = bwd(dy.float(), y.detach().cpu().float(), -1, torch.float32)
        torch.testing.assert_close(xd.grad.cpu().float(), want, rtol=rtol, atol=atol * 10)


def test_softmax_edge_cases(torch, dev):
    x = torch.tensor([[0.0, float("-inf"), 1.0], [float("-inf")] * 3, [1.0, float("nan"), 2.0]])
    torch.testing.assert_close(torch.softmax(x.to(dev), -1).cpu(), torch.softmax(x, -1), equal_nan=True)
    h = torch.randn(4, 8).half()
    got = torch.ops.aten._softmax(h.to(dev), -1, True)               # half_to_float
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.cpu(), torch.softmax(h.float(), -1))
    y = torch.randn(6, 5)
    torch.testing.assert_close(torch.softmax(y.to(dev), 0).cpu(), torch.softmax(y, 0))  # CPU path
    big = torch.randn(3, 70000)                                       # rows longer than a block
    torch.testing.assert_close(torch.softmax(big.to(dev), -1).cpu(), torch.softmax(big, -1))


def test_dropped_results_do_not_pile_up_between_synchronizes(torch, dev):
    """A loop of launches whose results are dropped (do_bench's) keeps only a bounded amount of
    memory for the GPU: launches submit once the buffers they used pass a quarter of the cache
    limit (64 MiB at least), instead of every 4096 dispatches."""
    import triton_vulkan as tv
    tv.synchronize()
    submit_at = max(tv.memory_stats()["cache_limit"] // 4, 64 * 2**20)
    bound = 6 * submit_at                # the batch being recorded and 4 in flight, and slack
    x = torch.randn(2**21, device=dev)  # 8 MiB
    base = tv.memory_stats()["in_use_bytes"]
    peak = 0
    for _ in range(max(200, 2 * bound // 2**23)):  # twice the bound in results if none were released
        torch.exp(x)
        peak = max(peak, tv.memory_stats()["in_use_bytes"] - base)
    tv.synchronize()
    assert peak < bound, (peak, bound)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_compare_where_masked_fill_gelu(torch, dev, dtype):
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(6)
    a = torch.randn(33, 40, generator=g).to(dt)
    b = torch.randn(40, generator=g).to(dt)
    a[0, :8] = b[:8]                                   # ties
    a[1, 0] = float("nan")
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        f = getattr(torch, name)
        for other in (b, 0.1, torch.tensor(0.25)):     # a tensor, a Python number, a CPU scalar
            got = _on_kernels(lambda: f(a.to(dev), other.to(dev) if isinstance(other, torch.Tensor) and other.dim() else other))
            want = f(a, other)
            assert got.dtype == torch.bool and torch.equal(got.cpu(), want), name
    cond = a > 0
    got = _on_kernels(lambda: torch.where(cond.to(dev), a.to(dev), b.to(dev)))
    assert torch.equal(got.cpu(), torch.where(cond, a, b))
    got = _on_kernels(lambda: torch.where(cond.to(dev), a.to(dev), 0.0))
    assert torch.equal(got.cpu(), torch.where(cond, a, torch.tensor(0.0, dtype=dt)))
    x = a.to(dev)
    ptr = x.data_ptr()
    _on_kernels(lambda: x.masked_fill_(cond[:1].to(dev), float("-inf")))  # a broadcast mask
    assert x.data_ptr() == ptr
    torch.testing.assert_close(x.cpu(), a.masked_fill(cond[:1], float("-inf")), rtol=0, atol=0, equal_nan=True)
    y = _on_kernels(lambda: torch.nn.functional.gelu(a.to(dev)))
    rtol, atol = (1e-5, 1e-6) if dt == torch.float32 else (1e-3, 1e-4)
    torch.testing.assert_close(y.cpu().float(), torch.nn.functional.gelu(a.float()).to(dt).float(),
                               rtol=rtol, atol=atol, equal_nan=True)
    i = torch.arange(5).to(dev)                        # integers: the CPU path
    assert (i > 2).cpu().tolist() == [False, False, False, True, True]
    assert torch.where(i > 2, i, -i).cpu().tolist() == [0, -1, -2, 3, 4]


def test_a_kernel_the_device_cannot_build_takes_the_cpu(torch, dev, monkeypatch):
    """A kernel that does not compile for the device (too many push-constant bytes, ...) is
    computed on the CPU with a one-time warning, not an error."""
    from triton_vulkan import _C
    from triton_vulkan.ops import common, pointwise

    class Failing:
        def __getitem__(self, grid):
            def launch(*args, **kwargs):
                raise _C.CompilationError("unsupported: kernel needs 132 bytes of push constants")
            return launch
    monkeypatch.setattr(pointwise, "_pointwise_kernel", Failing())
    monkeypatch.setattr(common, "_failed", set())
    x = torch.randn(100)
    with pytest.warns(UserWarning, match="push constants"):
        got = torch.exp(x.to(dev))
    assert got.device.type == "tvk"
    torch.testing.assert_close(got.cpu(), torch.exp(x))


def test_scalars_float32_cannot_hold_take_the_cpu(torch, dev):
    x = torch.ones(4, device=dev)
    assert torch.equal((x * 1e200).cpu(), torch.ones(4) * 1e200)           # inf in float32, as ATen
    with pytest.raises(RuntimeError):
        x.fill_(1 + 2j)                                                 # ATen's own error
    c = torch.ones(3, dtype=torch.complex64, device=dev) * (1 + 1j)     # complex: the CPU path
    assert torch.equal(c.cpu(), torch.full((3,), 1 + 1j, dtype=torch.complex64))
    m = torch.ones(4, dtype=torch.bool, device=dev)
    with pytest.raises(RuntimeError):
        x.masked_fill_(m, 1 + 2j)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("shape,normalized", [((37, 100), (100,)), ((3, 5, 2500), (2500,)), ((4, 6, 8), (6, 8)),
                                              ((70, 33), (33,))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_forward_backward(torch, dev, dtype, shape, normalized, affine):
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(7)
    x = (torch.randn(*shape, generator=g) * 3 + 1).to(dt)
    w = (torch.rand(*normalized, generator=g) + 0.5).to(dt) if affine else None
    b = torch.randn(*normalized, generator=g).to(dt) if affine else None
    dy = torch.randn(*shape, generator=g).to(dt)
    xs = x.clone().to(dev).requires_grad_()
    ws = w.clone().to(dev).requires_grad_() if affine else None
    bs = b.clone().to(dev).requires_grad_() if affine else None
    y, mean, rstd = _on_kernels(lambda: torch.ops.aten.native_layer_norm(xs, list(normalized), ws, bs, 1e-5))
    assert y.dtype == dt and mean.dtype == rstd.dtype == (torch.float32 if dt != torch.float32 else dt)
    _on_kernels(lambda: torch.nn.functional.layer_norm(xs, normalized, ws, bs, 1e-5).backward(dy.to(dev)))
    # float64 reference: within 2 of dt's epsilons of each value, plus 4 of the largest (sums)
    xd = x.double().requires_grad_()
    wd = w.double().requires_grad_() if affine else None
    bd = b.double().requires_grad_() if affine else None
    yd = torch.nn.functional.layer_norm(xd, normalized, wd, bd, 1e-5)
    yd.backward(dy.double())
    for got, want in [(y.detach(), yd.detach()), (xs.grad, xd.grad)] + ([(ws.grad, wd.grad), (bs.grad, bd.grad)] if affine else []):
        assert got.dtype == dt and got.device.type == "tvk"
        eps = {torch.float32: 2.0 ** -23, torch.float16: 2.0 ** -10, torch.bfloat16: 2.0 ** -7}[dt]
        tol = 2 * eps * want.abs() + 4 * eps * want.abs().max()
        assert ((got.cpu().double() - want).abs() <= tol).all(), (got.cpu().double() - want).abs().max()


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("shape", [(4, 3, 5, 7), (16, 10), (2, 6, 1100)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_forward_backward(torch, dev, dtype, shape, training):
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(8)
    c = shape[1]
    x = (torch.randn(*shape, generator=g) * 2 + 0.5).to(dt)
    w, b = (torch.rand(c, generator=g) + 0.5).to(dt), torch.randn(c, generator=g).to(dt)
    rm, rv = torch.randn(c, generator=g).float(), (torch.rand(c, generator=g) + 0.5).float()
    dy = torch.randn(*shape, generator=g).to(dt)
    xs, ws, bs = (t.clone().to(dev).requires_grad_() for t in (x, w, b))
    rms, rvs = rm.clone().to(dev), rv.clone().to(dev)
    y = _on_kernels(lambda: torch.nn.functional.batch_norm(xs, rms, rvs, ws, bs, training, 0.1, 1e-5))
    _on_kernels(lambda: y.backward(dy.to(dev)))
    xd, wd, bd = (t.double().requires_grad_() for t in (x, w, b))
    rmd, rvd = rm.double(), rv.double()
    yd = torch.nn.functional.batch_norm(xd, rmd, rvd, wd, bd, training, 0.1, 1e-5)
    yd.backward(dy.double())
    eps = {torch.float32: 2.0 ** -23, torch.float16: 2.0 ** -10}[dt]
    for got, want in ((y.detach(), yd.detach()), (xs.grad, xd.grad), (ws.grad, wd.grad), (bs.grad, bd.grad),
                      (rms, rmd), (rvs, rvd)):
        assert got.device.type == "tvk"
        tol = 2 * eps * want.abs() + 8 * eps * want.abs().max() + 1e-6
        assert ((got.cpu().double() - want).abs() <= tol).all(), (got.cpu().double() - want).abs().max()


def test_norm_backward_of_a_sum(torch, dev):
    """loss.sum().backward() hands the norms an expanded (stride 0) gradient."""
    g = torch.Generator().manual_seed(9)
    x = torch.randn(4, 3, 5, 6, generator=g)
    for make in (lambda: torch.nn.BatchNorm2d(3), lambda: torch.nn.LayerNorm(6)):
        ref, mod = make(), make().to(dev)
        xs, xr = x.clone().to(dev).requires_grad_(), x.clone().requires_grad_()
        _on_kernels(lambda: (mod(xs) * torch.arange(6.0, device=dev)).sum().backward())
        (ref(xr) * torch.arange(6.0)).sum().backward()
        torch.testing.assert_close(xs.grad.cpu(), xr.grad, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(mod.weight.grad.cpu(), ref.weight.grad, rtol=1e-4, atol=1e-4)


def _no_host_copies(monkeypatch):
    """Counts copies that take the extension's host path (triton_vulkan/ops/copy.py)."""
    from triton_vulkan.ops import copy as copy_op
    calls = []
    real = copy_op.host_copy

    def counted(torch, dst, src, non_blocking=False):
        calls.append((dst.device.type, src.device.type))
        return real(torch, dst, src, non_blocking)
    monkeypatch.setattr(copy_op, "host_copy", counted)
    return calls


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                                   "uint8", "bool", "float64"])
def test_device_copy_same_dtype_is_bit_exact(torch, dev, monkeypatch, dtype):
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(3)
    bits = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[dt.itemsize]
    raw = torch.randint(-2**(8 * dt.itemsize - 1), 2**(8 * dt.itemsize - 1) - 1, (6, 70), generator=g, dtype=torch.int64)
    src = (raw.to(bits).view(dt) if dt != torch.bool else raw % 2 == 1)  # NaN payloads, -0.0, subnormals
    s = src.to(dev)
    host = _no_host_copies(monkeypatch)
    d = _on_kernels(lambda: torch.empty_like(s).copy_(s))
    t = _on_kernels(lambda: torch.empty(70, 6, dtype=dt, device=dev).t().copy_(s))  # strided destination
    c = _on_kernels(lambda: s.t().contiguous())
    assert host == []
    for got, want in ((d, src), (t, src), (c, src.t())):
        assert got.dtype == dt and got.shape == want.shape
        want_bits = want.contiguous().view(bits) if dt != torch.bool else want
        got_bits = got.cpu().contiguous().view(bits) if dt != torch.bool else got.cpu()
        assert torch.equal(got_bits, want_bits)


def test_device_copy_broadcasts_and_converts(torch, dev, monkeypatch):
    g = torch.Generator().manual_seed(4)
    x = torch.randn(7, 1, generator=g) * 1000
    host = _no_host_copies(monkeypatch)
    d = _on_kernels(lambda: torch.empty(5, 7, 9, device=dev).copy_(x.to(dev)))
    assert torch.equal(d.cpu(), x.expand(5, 7, 9))
    y = torch.randn(33, 65, generator=g) * 70000  # overflows f16 to inf, as ATen does
    for src_dt, dst_dt in ((torch.float32, torch.float16), (torch.float32, torch.bfloat16),
                           (torch.float16, torch.float32), (torch.bfloat16, torch.float16)):
        src = y.to(src_dt)
        got = _on_kernels(lambda: torch.empty(33, 65, dtype=dst_dt, device=dev).copy_(src.to(dev)))
        assert torch.equal(got.cpu(), src.to(dst_dt)), (src_dt, dst_dt)
    assert [h for h in host if h == ("tvk", "tvk")] == []


def test_device_copy_falls_back_where_it_must(torch, dev, monkeypatch):
    host = _no_host_copies(monkeypatch)
    x = torch.arange(12, dtype=torch.float32)
    assert torch.equal(x.to(dev).cpu(), x)  # CPU -> tvk -> CPU: the host path
    assert ("tvk", "cpu") in host and ("cpu", "tvk") in host
    d = torch.empty(12, dtype=torch.int32, device=dev).copy_(x.to(dev))  # float -> int: ATen's rules
    assert torch.equal(d.cpu(), x.to(torch.int32))
    # a source overlapping its destination is read as it was before the copy (ATen's CPU
    # refuses a partial overlap; the kernel alone would race)
    xd = x.clone().to(dev)
    _on_kernels(lambda: xd[1:].copy_(xd[:-1]))
    assert torch.equal(xd.cpu(), torch.cat([x[:1], x[:-1]]))


def test_mm_out_writes_into_out(torch, dev, monkeypatch):
    g = torch.Generator().manual_seed(5)
    a, b = torch.randn(20, 30, generator=g), torch.randn(30, 10, generator=g)
    host = _no_host_copies(monkeypatch)
    ad, bd = a.to(dev), b.to(dev)
    o = torch.empty(10, 20, device=dev).t()  # a strided out
    ptr = o.data_ptr()
    torch.mm(ad, bd, out=o)
    assert o.data_ptr() == ptr
    torch.testing.assert_close(o.cpu(), a @ b, rtol=1e-5, atol=1e-5)
    assert [h for h in host if h == ("tvk", "tvk")] == []
