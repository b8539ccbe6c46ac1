"""The "tvk" PyTorch device (triton_vulkan.torch_device): tensors in Vulkan memory, copies, views,
the CPU fallback, Triton kernels on device tensors, autotune, device facts, and the plain API
under Debian's torch 1.13 (where the device is refused with a clear error)."""
import os
import pathlib
import subprocess
import sys
import threading
import warnings

import pytest
import triton
import triton.language as tl

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_factories_and_copies(torch, dev, tv):
    x = torch.arange(12, dtype=torch.float32, device=dev)
    assert x.device.type == "tvk" and x.is_tvk and tv.is_vulkan_tensor(x)
    assert torch.equal(x.cpu(), torch.arange(12, dtype=torch.float32))
    z = torch.zeros(3, 4, dtype=torch.float16, device=dev)
    assert z.dtype == torch.float16 and z.shape == (3, 4) and not z.cpu().any()
    y = torch.empty(12, device=dev)
    y.copy_(torch.full((12,), 2.5))          # CPU -> device
    assert torch.equal(y.cpu(), torch.full((12,), 2.5))
    w = torch.empty(12, device=dev)
    w.copy_(y)                                # device -> device
    assert torch.equal(w.cpu(), torch.full((12,), 2.5))
    d = y.to(torch.float64)                   # dtype conversion stays on the device
    assert d.device == dev and d.dtype == torch.float64
    back = torch.tensor([1, 2, 3]).to(dev)
    assert back.device == dev and back.tolist() == [1, 2, 3]
    assert torch.empty(0, device=dev).numel() == 0


def test_views_and_strides(torch, dev):
    x = torch.arange(24, dtype=torch.float32, device=dev).reshape(4, 6)
    t = x.t()
    assert t.stride() == (1, 6) and t.data_ptr() == x.data_ptr()
    assert torch.equal(t.cpu(), torch.arange(24, dtype=torch.float32).reshape(4, 6).t())
    s = x[1:3, ::2]
    assert s.storage_offset() == 6 and s.stride() == (6, 2)
    s.fill_(-1.0)                               # writes through the view into the device memory
    ref = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    ref[1:3, ::2] = -1.0
    assert torch.equal(x.cpu(), ref)
    assert torch.equal(t.contiguous().cpu(), ref.t().contiguous())
    u = x.unsqueeze(0).expand(2, 4, 6)
    assert u.stride()[0] == 0 and torch.equal(u.cpu()[1], ref)


def test_resize_and_set(torch, dev, tv):
    t = torch.arange(6, dtype=torch.float32, device=dev)
    t.resize_(2, 3)
    assert t.shape == (2, 3) and t.cpu().flatten().tolist() == list(range(6))
    t.resize_(4000)                       # a new, larger storage keeps the old bytes
    assert t.shape == (4000,) and t[:6].cpu().tolist() == list(range(6))
    assert t.untyped_storage().nbytes() >= 16000
    v = torch.empty(0, device=dev).set_(t.untyped_storage(), 2, (2, 2), (1, 2))
    assert v.cpu().tolist() == [[2.0, 4.0], [3.0, 5.0]]
    with pytest.raises(RuntimeError, match="set_ needs"):
        torch.empty(0, device=dev).set_(t.untyped_storage(), 0, (5000,), (1,))
    # data_ptr() is what kernels dereference: the buffer's device address where there is one.
    alloc, offset = tv._C.find_allocation(t.data_ptr())
    assert offset == 0 and t.data_ptr() in (alloc.address, alloc.device_address)


def test_printing_seed_and_assert_close(torch, dev):
    torch.manual_seed(7)
    a = torch.randn(5, device=dev)
    torch.manual_seed(7)
    b = torch.randn(5)
    assert torch.equal(a.cpu(), b)  # the device draws from the CPU generator
    torch.testing.assert_close(a, b.to(dev))
    with pytest.raises(AssertionError):
        torch.testing.assert_close(a, (b + 1).to(dev))
    assert "device='tvk:0'" in repr(a) or f"device='{dev}'" in repr(a)


def test_fallback_keeps_results_on_the_device(torch, dev, monkeypatch):
    monkeypatch.setenv("TVK_WARN_FALLBACK", "1")
    from triton_vulkan import torch_device
    x = torch.linspace(-1, 1, 64, device=dev)
    ptr = x.data_ptr()
    with warnings.catch_warnings(record=True) as first:
        warnings.simplefilter("always")
        y = torch.special.erfcx(x)             # an op no test uses before: reported now
    assert any(issubclass(w.category, torch_device.TvkFallbackWarning) and "erfcx" in str(w.message) for w in first)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        torch.special.erfcx(x)
    assert not any(issubclass(w.category, torch_device.TvkFallbackWarning) for w in again)
    assert any("erfcx" in op for op in torch_device.fallback_ops())
    assert y.device == dev and torch.allclose(y.cpu(), torch.special.erfcx(x.cpu()))
    x.lerp_(torch.zeros_like(x), -2.0)           # in place (x + -2 * (0 - x)): same memory
    assert x.data_ptr() == ptr and torch.allclose(x.cpu(), torch.linspace(-1, 1, 64) * 3)
    out = torch.empty(64, device=dev)
    torch.add(x, 1, out=out)
    assert torch.allclose(out.cpu(), x.cpu() + 1)
    grown = torch.empty(0, dtype=torch.int64, device=dev)
    torch.arange(10, out=grown)                  # out= resized by the CPU kernel
    assert grown.device == dev and grown.tolist() == list(range(10))
    assert x.sum().item() == pytest.approx(float(x.cpu().sum()), rel=1e-6)
    vals, idx = torch.sort(torch.tensor([3.0, 1.0, 2.0], device=dev))
    assert vals.device == dev and idx.device == dev and idx.tolist() == [1, 2, 0]


def test_autograd(torch, dev):
    x = torch.tensor([1.0, 2.0, 3.0], device=dev, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.device == dev and x.grad.tolist() == [2.0, 4.0, 6.0]


def test_half_layer_norm_backward_accumulates_in_float32(torch, dev):
    """PyTorch's CPU kernel sums the weight/bias gradients of a half layer norm in half precision
    (0.06 off at 1151 rows, where a GPU's is within rounding); the device runs it in float32."""
    g = torch.Generator().manual_seed(0)
    m, n = 1151, 256
    x = (-2.3 + 0.5 * torch.randn(m, n, generator=g)).half()
    w, b = torch.rand(n, generator=g).half(), torch.rand(n, generator=g).half()
    dy = (0.1 * torch.randn(m, n, generator=g)).half()
    xs = [t.to(dev).requires_grad_() for t in (x, w, b)]
    _, mean, rstd = torch.ops.aten.native_layer_norm(xs[0], [n], xs[1], xs[2], 1e-5)
    assert mean.dtype == rstd.dtype == torch.float32  # as on GPUs (and the meta kernel)
    torch.nn.functional.layer_norm(xs[0], (n,), xs[1], xs[2], 1e-5).backward(dy.to(dev))
    xd = [t.double().requires_grad_() for t in (x, w, b)]
    torch.nn.functional.layer_norm(xd[0], (n,), xd[1], xd[2], 1e-5).backward(dy.double())
    for got, want in zip(xs, xd):
        assert got.grad.dtype == torch.float16 and got.grad.device == dev
        ulp = 2.0 ** (torch.frexp(want.grad.abs().max().float())[1].item() - 11)
        assert (got.grad.cpu().double() - want.grad).abs().max().item() <= ulp


@triton.jit
def _axpy(x_ptr, y_ptr, out_ptr, a, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out_ptr + offs, a * tl.load(x_ptr + offs, mask=m) + tl.load(y_ptr + offs, mask=m), mask=m)


def test_kernels_take_device_tensors_without_copies(torch, dev, tv, monkeypatch):
    drv = triton.runtime.driver.active
    assert drv.get_active_torch_device() == dev
    n = 5000
    x = torch.rand(n, device=dev)
    y = torch.rand(n, device=dev)
    out = torch.empty_like(x)

    def no_staging(*a, **k):
        raise AssertionError("a device tensor was staged")
    monkeypatch.setattr("triton_vulkan.memory.Staged.__init__", no_staging)
    _axpy[(triton.cdiv(n, 1024),)](x, y, out, 2.0, n, BLOCK=1024)
    torch.testing.assert_close(out.cpu(), 2.0 * x.cpu() + y.cpu())  # .cpu() waits for the kernel
    # A torch op on the result right after the launch sees the kernel's writes.
    out2 = torch.empty_like(x)
    _axpy[(triton.cdiv(n, 1024),)](x, y, out2, -1.0, n, BLOCK=1024)
    assert float((out2 + x - y).abs().max()) < 1e-6
    # A non-contiguous view passes its data_ptr (the kernel sees the view's first element).
    _axpy[(1,)](x[10:], y[10:], out[10:], 0.0, 100, BLOCK=128)
    torch.testing.assert_close(out[10:110].cpu(), y[10:110].cpu())


@triton.jit
def _gather_rows(table_ptr, out_ptr, n, BLOCK: tl.constexpr):
    # Each program loads a pointer from the table (tutorial 08's pattern) and copies n floats.
    src = tl.load(table_ptr + tl.program_id(0)).to(tl.pointer_type(tl.float32))
    offs = tl.arange(0, BLOCK)
    tl.store(out_ptr + tl.program_id(0) * n + offs, tl.load(src + offs, mask=offs < n) * 1.0, mask=offs < n)


def test_pointer_tables_from_data_ptr(torch, dev, tv):
    """data_ptr() of a tvk tensor is an address a kernel can load from memory and dereference."""
    rows = [torch.full((10,), float(i), device=dev) for i in range(4)]
    alloc, _ = tv._C.find_allocation(rows[0].data_ptr())
    if alloc.device_address == 0:
        pytest.skip("the device has no bufferDeviceAddress: kernels cannot dereference loaded addresses")
    table = torch.tensor([r.data_ptr() for r in rows[::-1]], dtype=torch.int64, device=dev)
    out = torch.empty(4 * 10, device=dev)
    _gather_rows[(4,)](table, out, 10, BLOCK=16)
    assert out.cpu().view(4, 10)[:, 0].tolist() == [3.0, 2.0, 1.0, 0.0]


def test_cpu_tensors_are_staged_with_a_warning(torch, dev):
    from triton_vulkan import args
    args._warned_staging = False
    x = torch.rand(100)
    out = torch.empty(100)
    with pytest.warns(UserWarning, match="copied into Vulkan memory"):
        _axpy[(1,)](x, x, out, 1.0, 100, BLOCK=128)
    torch.testing.assert_close(out, 2 * x)


@triton.autotune(configs=[triton.Config({"BLOCK": 128}, num_warps=1),
                          triton.Config({"BLOCK": 256}, num_warps=4096)],  # no device has such a workgroup
                 key=["n"])
@triton.jit
def _scale(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=m) * 3, mask=m)


def test_autotune_skips_a_config_that_does_not_fit(torch, dev):
    n = 1000
    x = torch.rand(n, device=dev)
    y = torch.empty_like(x)
    _scale[lambda m: (triton.cdiv(n, m["BLOCK"]),)](x, y, n)
    assert _scale.best_config.kwargs["BLOCK"] == 128
    torch.testing.assert_close(y.cpu(), 3 * x.cpu())


def test_device_module_and_properties(torch, dev, tv):
    assert torch.tvk.is_available() and torch.tvk.device_count() == len(tv.devices())
    assert torch.tvk.current_device() == dev.index
    props = torch.tvk.get_device_properties()
    target = tv.device().target
    assert props["warpSize"] == target.subgroup_size and props["max_shared_mem"] == target.shared_memory_bytes
    assert props["multiprocessor_count"] > 0 and props["max_num_regs"] > 0
    drv_props = triton.runtime.driver.active.utils.get_device_properties(dev.index)
    assert drv_props["warpSize"] == props["warpSize"]
    torch.tvk.synchronize()
    with pytest.raises(RuntimeError, match="out of range"):
        torch.empty(3, device=torch.device("tvk", torch.tvk.device_count()))


def test_memory_returns_to_the_caching_allocator(torch, dev, tv):
    torch.tvk.synchronize()
    before = tv.memory_stats()["in_use_bytes"]
    t = torch.empty(1 << 20, device=dev)
    assert tv.memory_stats()["in_use_bytes"] >= before + (4 << 20)
    del t
    torch.tvk.synchronize()
    assert tv.memory_stats()["in_use_bytes"] == before


def test_threads_use_the_device(torch, dev):
    errors = []

    def work(seed):
        try:
            g = torch.Generator().manual_seed(seed)
            a = torch.rand(256, generator=g)
            x = a.to(dev)
            for _ in range(20):
                x = x * 1.0 + 0.0
            assert torch.equal(x.cpu(), a)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_staged_host_reads():
    """The tests above again, with device memory treated as slow to read (discrete GPUs): large
    inputs of CPU-fallback ops and copies go through GPU copies into host memory."""
    env = dict(os.environ, TVK_SLOW_HOST_READS="1", TVK_WARN_FALLBACK="0")
    big = ("import torch, triton_vulkan as tv\n"
           "from triton_vulkan import torch_device as td\n"
           "td.register()\n"
           "x = torch.randn(512, 1024)\n"
           "d = x.to('tvk')\n"
           "assert torch.equal(d.cpu(), x)\n"
           "assert torch.equal((d * 2)[3:5, 7:900:3].cpu(), (x * 2)[3:5, 7:900:3])\n"
           "v = d[100:400]\n"
           "v.mul_(3)\n"
           "assert torch.allclose(d.cpu()[100:400], x[100:400] * 3) and torch.equal(d.cpu()[:100], x[:100])\n"
           "assert torch.allclose(d.t().contiguous().cpu(), (x * torch.ones(512, 1)).index_put_("
           "(torch.arange(100, 400),), x[100:400] * 3).t())\n"
           "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", big], capture_output=True, text=True, timeout=300,
                       env=dict(env, PYTHONPATH=str(ROOT / "python")))
    assert r.returncode == 0 and "ok" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__,
                        "-k", "not staged and not debian"], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]


def test_tvk_torch_device_0_keeps_triton_on_cpu_tensors():
    """TVK_TORCH_DEVICE=0: the driver leaves PyTorch's accelerator alone (CUDA autograd stays
    usable where there is CUDA); kernels take staged CPU tensors."""
    code = (
        "import torch, triton_vulkan as tv\n"
        "from triton_vulkan import torch_device\n"
        "drv = tv.activate()\n"
        "assert not torch_device.is_registered(), 'registered'\n"
        "print(drv.get_active_torch_device())\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"), TVK_TORCH_DEVICE="0")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "cpu"


def test_plain_api_under_debians_torch_113():
    """Debian's python3-torch (1.13): the plain API works; the device is refused clearly."""
    probe = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.startswith("1."):
        pytest.skip(f"Debian's torch 1.x is not installed for /usr/bin/python3 ({probe.stdout.strip()})")
    code = (
        "import torch, triton_vulkan as tv\n"
        "from triton_vulkan import torch_device\n"
        "t = tv.from_torch(torch.arange(6, dtype=torch.float32))\n"
        "assert tv.is_vulkan_tensor(t) and t.sum().item() == 15\n"
        "assert not torch_device.available()\n"
        "try:\n"
        "    torch_device.register()\n"
        "except tv.VulkanError as e:\n"
        "    print('refused:', e)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    r = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "refused:" in r.stdout and "PyTorch >= 2.4" in r.stdout
