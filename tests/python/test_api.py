"""The Python API without Triton: devices, Vulkan tensors (zero copy), the caching allocator,
launches with torch tensors / numpy arrays / scalars, staging and write-back, errors."""
import gc

import numpy as np
import pytest


def test_devices(tv):
    devs = tv.devices()
    assert devs and all({"index", "name", "subgroup_size"} <= set(d) for d in devs)
    assert sum(d["default"] for d in devs) == 1
    assert tv.device().index == tv.current_device()
    assert tv.device().target.subgroup_size == [d for d in devs if d["default"]][0]["subgroup_size"]


def test_vulkan_tensor_is_zero_copy_view_of_an_allocation(tv, torch):
    t = tv.empty(3, 5, dtype=torch.float16)
    assert t.shape == (3, 5) and t.dtype == torch.float16 and t.device.type == "cpu"
    alloc, off = tv._C.find_allocation(t.data_ptr())
    assert off == 0 and alloc.size >= 30
    v = t[1:]
    assert tv.is_vulkan_tensor(v) and tv._C.find_allocation(v.data_ptr())[1] == 10
    # The tensor's memory IS the allocation: writing through one is seen through the other.
    mem = np.frombuffer(alloc, dtype=np.float16, count=15)
    t.fill_(2.5)
    assert (mem == 2.5).all()
    assert not tv.is_vulkan_tensor(torch.empty(4))


def test_zeros_and_from_torch(tv, torch):
    z = tv.zeros((4, 6), dtype=torch.int32)
    assert z.shape == (4, 6) and (z == 0).all()
    src = torch.arange(12, dtype=torch.float64).reshape(3, 4).t()  # non-contiguous
    f = tv.from_torch(src)
    assert tv.is_vulkan_tensor(f) and f.is_contiguous() and torch.equal(f, src)
    assert tv.empty(0).numel() == 0 and tv.empty(2, 0).shape == (2, 0)


def test_allocation_released_when_last_view_dies_and_reused(tv, torch):
    dev = tv.device()
    t = tv.empty(1 << 16)
    addr = t.data_ptr()
    view = t[100:]
    del t
    gc.collect()
    assert tv._C.find_allocation(addr) is not None, "a live view must keep the allocation"
    del view
    gc.collect()
    assert tv._C.find_allocation(addr) is None, "the allocation must be freed with its last tensor"
    held = dev.allocated_bytes
    again = tv.empty(1 << 16)
    assert again.data_ptr() == addr, "the caching allocator should hand the freed block back"
    for _ in range(20):
        tmp = tv.empty(1 << 16)
        del tmp
    assert dev.allocated_bytes == held, "repeated alloc/free must not grow device memory"


def _inputs(torch, n, make):
    g = torch.Generator().manual_seed(n)
    x = torch.randn(n, generator=g)
    y = torch.randn(n, generator=g)
    return make(x), make(y), x + y


@pytest.mark.parametrize("n", [1, 1000, 10007])
def test_launch_zero_copy(tv, torch, glsl_add, n):
    x, y, ref = _inputs(torch, n, tv.from_torch)
    out = tv.zeros(n)
    glsl_add[((n + 1023) // 1024,)](x, y, out, n)
    tv.synchronize()
    assert torch.equal(out, ref)  # visible in the very tensor, no copy


def test_launch_offsets_into_allocations(tv, torch, glsl_add):
    big = tv.from_torch(torch.arange(4096, dtype=torch.float32))
    out = tv.zeros(4096)
    # Pointers 7 and 100 elements into their allocations (not 16-byte aligned: allowed as the
    # reflection's alignment is per element here only for out_ptr's 16).
    glsl_add[(1,)](big[16:], big[32:], out[64:], 1000)
    tv.synchronize()
    exp = torch.arange(16, 1016, dtype=torch.float32) + torch.arange(32, 1032, dtype=torch.float32)
    assert torch.equal(out[64:1064], exp) and (out[:64] == 0).all() and (out[1064:] == 0).all()


def test_launch_staging_and_write_back(tv, torch, glsl_add, monkeypatch):
    from triton_vulkan import memory
    copied_back = []
    orig = memory.Staged.copy_back

    def spy(self):
        copied_back.append(self.written)
        orig(self)
    monkeypatch.setattr(memory.Staged, "copy_back", spy)
    n = 3000
    x, y, ref = _inputs(torch, n, lambda t: t)  # ordinary CPU tensors: staged
    out = torch.zeros(n)
    glsl_add[(3,)](x, y, out, n)
    assert torch.equal(out, ref), "a written CPU tensor must be copied back after the launch"
    assert copied_back.count(True) == 1, "only the written buffer is copied back"
    assert not tv.is_vulkan_tensor(out)


def test_launch_numpy_and_mixed(tv, torch, glsl_add):
    n = 2049
    x = np.linspace(-1, 1, n, dtype=np.float32)
    y = tv.from_torch(torch.ones(n))
    out = np.zeros(n, dtype=np.float32)
    glsl_add[(3,)](x, y, out, np.int32(n))
    assert np.array_equal(out, x + 1)
    # A numpy view: staged with the whole array it views, at the same offset (16 bytes here,
    # which keeps the 16-byte alignment the kernel was compiled for).
    base = np.arange(2 * n, dtype=np.float32)
    out2 = np.zeros(n, dtype=np.float32)
    glsl_add[(3,)](base[4:], x, out2, n)
    assert np.array_equal(out2, base[4:n + 4] + x)
    with pytest.raises(ValueError, match="compiled for a 16-byte aligned pointer"):
        glsl_add[(3,)](base[1:], x, out2, n)


def test_launch_does_not_copy_back_unwritten(tv, torch, glsl_add):
    n = 64
    x = torch.ones(n)
    y = torch.ones(n)
    out = tv.zeros(n)
    glsl_add[(1,)](x, y, out, n)
    tv.synchronize()
    assert (out == 2).all() and (x == 1).all()


def test_error_wrong_argument_count(tv, torch, glsl_add):
    with pytest.raises(TypeError, match=r"takes 4 arguments \(x_ptr, y_ptr, out_ptr, n\), got 3"):
        glsl_add[(1,)](tv.zeros(4), tv.zeros(4), tv.zeros(4))


def test_error_wrong_argument_types(tv, torch, glsl_add):
    a = tv.zeros(4)
    with pytest.raises(TypeError, match="argument 'y_ptr'.*expects a tensor or array, got float"):
        glsl_add[(1,)](a, 1.5, a, 4)
    with pytest.raises(TypeError, match="argument 'n' \\(i32\\) expects a Python scalar"):
        glsl_add[(1,)](a, a, a, a)
    with pytest.raises(TypeError, match="argument 'n' \\(i32\\) expects an int, got float"):
        glsl_add[(1,)](a, a, a, 4.0)
    with pytest.raises(TypeError, match="argument 'x_ptr' has 2-byte elements"):
        glsl_add[(1,)](tv.zeros(4, dtype=torch.float16), a, a, 4)
    with pytest.raises(ValueError, match="argument 'n' = 1099511627776 does not fit in i32"):
        glsl_add[(1,)](a, a, a, 2 ** 40)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros(4, dtype=np.float32)
        ro.flags.writeable = False
        glsl_add[(1,)](a, a, ro, 4)


def test_error_cuda_tensor(tv, torch, glsl_add):
    class FakeCudaTensor:  # what a torch CUDA tensor looks like to the launcher
        device = torch.device("cuda", 0)
        dtype = torch.float32

        def data_ptr(self):
            return 0x7f0000000000

        def element_size(self):
            return 4
    a = tv.zeros(4)
    with pytest.raises(tv.VulkanError, match="argument 'x_ptr' is a cuda tensor"):
        glsl_add[(1,)](FakeCudaTensor(), a, a, 4)
    meta = torch.empty(4, device="meta")
    with pytest.raises(tv.VulkanError, match="argument 'y_ptr' is a meta tensor"):
        glsl_add[(1,)](a, meta, a, 4)


def test_error_grid(tv, glsl_add):
    a = tv.zeros(4)
    with pytest.raises(ValueError, match="grid must have 1 to 3 dimensions"):
        glsl_add[(1, 1, 1, 1)](a, a, a, 4)
    glsl_add[(0,)](a, a, a, 4)  # an empty grid launches nothing


def test_kernel_keeps_buffers_alive_until_synchronize(tv, torch, glsl_add):
    n = 1 << 14
    out = tv.zeros(n)
    x = tv.from_torch(torch.ones(n))
    addr = x.data_ptr()
    glsl_add[(n // 1024,)](x, x, out, n)
    del x
    gc.collect()
    assert tv._C.find_allocation(addr) is not None, "a pending launch must keep its buffers alive"
    tv.synchronize()
    gc.collect()
    assert tv._C.find_allocation(addr) is None
    assert (out == 2).all()


def test_timestamps(tv, glsl_add, torch):
    dev = tv.device()
    n = 1 << 20
    x = tv.zeros(n)
    e0 = dev.record_event()
    glsl_add[(n // 1024,)](x, x, x, n)
    e1 = dev.record_event()
    ms = dev.elapsed_ms(e0, e1)
    assert 0 < ms < 10_000


def test_compile_add_ttir(tv, torch):
    """The TTIR compiler end to end on the add case (as soon as the compiler handles it)."""
    ttir = (case_dir("add_f32") / "kernel.ttir").read_text()
    k = tv.compile(ttir, num_warps=4)
    assert k.arg_names == ["x_ptr", "y_ptr", "out_ptr", "n"]
    assert [a["written"] for a in k.reflection["args"][:3]] == [False, False, True]
    n = 10007
    x, y, ref = _inputs(torch, n, tv.from_torch)
    out = tv.zeros(n)
    k[((n + 1023) // 1024,)](x, y, out, n)
    tv.synchronize()
    assert torch.equal(out, ref)


@pytest.mark.parametrize("kind", ["numpy", "vulkan"])
def test_error_buffer_too_small_for_known_bounds(tv, torch, kind):
    """dot_i8 indexes with constants only, so the compiler knows its extent (2048 x i8 for a, b;
    1024 x i32 for c): a smaller buffer is refused before launching, a right-sized one runs."""
    ttir = (case_dir("dot_i8") / "kernel.ttir").read_text()
    k = tv.compile(ttir, num_warps=4)
    assert [a["max_elem_index"] for a in k.reflection["args"]] == [2047, 2047, 1023]
    make = (lambda n, dt: np.zeros(n, dt)) if kind == "numpy" else \
        (lambda n, dt: tv.zeros(n, dtype=getattr(torch, np.dtype(dt).name)))
    # (2044, not 2047: Vulkan allocations are padded to whole 32-bit words, memory.py)
    a, b, c = make(2048, np.int8), make(2044, np.int8), make(1024, np.int32)
    # Staged arrays are checked in Python, Vulkan tensors by the runtime's launch check.
    with pytest.raises((ValueError, tv.VulkanError), match=r"'b_ptr'.*(too small|index 2047.*needs 2048 bytes)"):
        k[(1,)](a, b, c)
    k[(1,)](a, make(2048, np.int8), c)
    tv.synchronize()


def test_compile_error_is_clear(tv):
    with pytest.raises(tv.CompilationError):
        tv.compile("module {\n  this is not TTIR\n}\n")


def case_dir(name):
    import case_runner
    return case_runner.CASES / name


def test_import_is_lazy():
    """`import triton_vulkan` (and the plugin modules) import neither torch nor triton's runtime
    frontend; listing devices needs neither."""
    import subprocess
    import sys
    import tvk_testlib
    code = ("import sys, triton_vulkan as tv; tv.devices(); "
            "print(sorted(m for m in ('torch', 'triton', 'numpy') if m in sys.modules))")
    env = {"PYTHONPATH": str(tvk_testlib.ROOT / "python"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_validation_layer_is_on(tv):
    """conftest turns the Khronos validation layer on, so `no_validation_messages` checks something."""
    import os
    if os.environ.get("TVK_VALIDATION") != "1":
        pytest.skip("TVK_VALIDATION is not 1")
    tv.devices()
    assert tv._C.validation_enabled()


def test_aliased_staged_arguments_share_one_copy(tv, torch, glsl_add):
    """Views of one CPU storage (or one numpy array) are staged as ONE copy, written back once,
    so one argument's copy-back can never overwrite another's results."""
    from triton_vulkan import args
    base = torch.arange(64, dtype=torch.float32)
    views = (base[0:16], base[16:32], base[32:48], 16)
    values, staged = args.prepare(tv.device(), glsl_add.reflection, views)
    assert len(staged) == 1 and staged[0].written and staged[0].nbytes == 256
    assert [v - values[0] for v in values[:3]] == [0, 64, 128]
    exp = base.clone()
    exp[32:48] = base[0:16] + base[16:32]
    glsl_add[(1,)](*views)
    assert torch.equal(base, exp)
    arr = np.arange(64, dtype=np.float32)
    glsl_add[(1,)](arr[0:16], arr[16:32], arr[32:48], 16)
    assert np.array_equal(arr, exp.numpy())


def test_overlapping_storages_share_one_copy(tv, torch, glsl_add):
    """Distinct torch storages over the same memory (torch.from_numpy of an array and of a
    slice of it) overlap: staged as one copy of their union, so neither argument's copy-back
    overwrites the other's results (an audit found the second copy restoring stale bytes)."""
    from triton_vulkan import args
    arr = np.arange(64, dtype=np.float32)
    whole, tail = torch.from_numpy(arr), torch.from_numpy(arr[32:])
    values, staged = args.prepare(tv.device(), glsl_add.reflection, (whole[0:16], whole[16:32], tail[0:16], 16))
    assert len(staged) == 1 and staged[0].nbytes == 256 and values[2] - values[0] == 128
    want = arr.copy()
    want[32:48] = arr[0:16] + arr[16:32]
    glsl_add[(1,)](whole[0:16], whole[16:32], tail[0:16], 16)
    assert np.array_equal(arr, want)
    # Written through the slice's storage, read through the whole's, and the other way round.
    arr[:] = np.arange(64, dtype=np.float32)
    glsl_add[(1,)](tail[16:32], whole[48:64], whole[0:16], 16)
    assert np.array_equal(arr[0:16], np.arange(48, 64) * 2) and np.array_equal(arr[16:], np.arange(16, 64))


def test_scalar_truth_values_and_64_bit_range(triton_vk, torch):
    """An i1 parameter takes Python's truth value (2 is True, not its low bit); 64-bit
    parameters take [-2^63, 2^64) and refuse wider values instead of wrapping them."""
    tl = triton_vk.language

    @triton_vk.jit
    def put(O, flag: tl.int1, v: tl.int64):
        tl.store(O, flag.to(tl.int64))
        tl.store(O + 1, v)

    o = torch.zeros(2, dtype=torch.int64)
    put[(1,)](o, 2, -5)
    assert o.tolist() == [1, -5]
    put[(1,)](o, 0, 2**63 - 1)
    assert o.tolist() == [0, 2**63 - 1]
    put[(1,)](o, 1, 7)
    assert o.tolist() == [1, 7]
    # Triton's launcher refuses ints past 64 bits itself; the plain API checks its own.
    ttir = """module {
  tt.func public @put(%o: !tt.ptr<i64>, %v: i64) {
    tt.store %o, %v : !tt.ptr<i64>
    tt.return
  }
}"""
    import triton_vulkan as tv
    k = tv.compile(ttir, num_warps=1)
    for bad in (2**64, -2**63 - 1):
        with pytest.raises(ValueError, match="does not fit in 64 bits"):
            k[(1,)](o, bad)
    k[(1,)](o, 2**64 - 1)  # unsigned spelling of -1; the process stays usable
    tv.synchronize()
    assert o.tolist()[0] == -1


def test_half_float_scalars(triton_vk, torch):
    """fp16/bf16 scalar parameters (annotated): rounded to their type on the host (ties to
    even), carried in the low half of a push-constant word and widened in the kernel."""
    tl = triton_vk.language

    @triton_vk.jit
    def put(O, h: tl.float16, b: tl.bfloat16, f):
        tl.store(O, h.to(tl.float32))
        tl.store(O + 1, b.to(tl.float32))
        tl.store(O + 2, (h * f).to(tl.float32))

    o = torch.zeros(3)
    for h, b in ((1.0014, 3.14159), (-65504.0, -1e38), (6e-8, 1e-30), (float("inf"), float("-inf"))):
        put[(1,)](o, h, b, 2.0)
        hh, bb = torch.tensor(h).half().float(), torch.tensor(b).bfloat16().float()
        assert torch.equal(o, torch.stack([hh, bb, hh * 2.0])), (h, b, o)
