"""The Triton 3.6 plugin: discovery (entry point), activation, version check, the TTIR stage,
cache keys, the launcher (through the full @triton.jit path), launch hooks, do_bench.

Launcher tests swap the native compiler for the hand-written GLSL add kernel (conftest.py), so
they test the plumbing independently of what the TTIR compiler supports."""
import os
import subprocess
import sys

import pytest

import case_runner
from tvk_testlib import ADD_REFLECTION, ROOT


def _drop_in_memory_kernels():
    import kernels_public  # first: it puts tests/conformance (kernels.py) on sys.path
    import kernels
    for mod in (kernels, kernels_public):
        for v in vars(mod).values():
            if hasattr(v, "device_caches"):
                v.device_caches.clear()


@pytest.fixture
def cache_dir(triton_vk, tmp_path, monkeypatch):
    """A private Triton cache for one test (and no kernel compiled earlier in this process)."""
    monkeypatch.setattr(triton_vk.knobs.cache, "dir", str(tmp_path / "cache"))
    _drop_in_memory_kernels()
    yield tmp_path / "cache"
    _drop_in_memory_kernels()


@pytest.fixture
def fake_compiler(tv, glsl_add, monkeypatch):
    """Replaces the native compiler seen by the plugin: records every TTIR it is given and
    returns the GLSL add kernel (for add_kernel) or raises (anything else)."""
    from triton_vulkan.backend import compiler as bc
    calls = []

    class Fake:
        def __getattr__(self, name):
            return getattr(tv._C, name)

        @staticmethod
        def compile_ttir(text, target, num_warps=4, file_name="", vector_bytes=16, num_stages=3):
            calls.append({"text": text, "file_name": file_name, "num_warps": num_warps, "target": target})
            if "@add_kernel" not in text:
                raise tv.CompilationError("fake compiler: only add_kernel")
            return glsl_add.spirv, dict(ADD_REFLECTION)
    monkeypatch.setattr(bc, "_C", Fake())
    return calls


def test_plugin_is_registered(triton_vk):
    from triton.backends import backends
    from triton_vulkan.backend.compiler import VulkanBackend
    from triton_vulkan.backend.driver import VulkanDriver
    assert backends["vulkan"].compiler is VulkanBackend and backends["vulkan"].driver is VulkanDriver


ENTRY_POINT_SCRIPT = """
import torch, triton, triton.language as tl
from triton.backends import backends
b = backends["vulkan"]
print(b.compiler.__module__, b.driver.__module__)

@triton.jit
def double(x_ptr, n, BLOCK: tl.constexpr):
    o = tl.arange(0, BLOCK)
    tl.store(x_ptr + o, tl.load(x_ptr + o, mask=o < n) * 2, mask=o < n)

# No activate(): without CUDA the Vulkan driver is Triton's default driver (is_active()).
import triton_vulkan as tv
x = tv.from_torch(torch.arange(100, dtype=torch.float32))
double[(1,)](x, 100, BLOCK=128)
tv.synchronize()
print(type(triton.runtime.driver.active).__name__, bool(torch.equal(x, torch.arange(100.) * 2)))
"""


def test_entry_point_after_pip_install(tv, tmp_path):
    """`pip install --no-build-isolation --no-deps .` installs the package with its entry point;
    a fresh process discovers the backend from it and, with no CUDA, uses it as the default driver."""
    import torch
    if torch.cuda.is_available():
        pytest.skip("CUDA present: Triton's default driver is CUDA's")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps",
                    "--target", str(target), str(ROOT)], check=True, capture_output=True, timeout=600)
    (tmp_path / "script.py").write_text(ENTRY_POINT_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(target), TRITON_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, str(tmp_path / "script.py")], env=env, cwd=str(tmp_path),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["triton_vulkan.backend.compiler", "triton_vulkan.backend.driver",
                                  "VulkanDriver", "True"]


def test_activate(tv, triton_vk):
    from triton.runtime import driver
    from triton_vulkan.backend.driver import VulkanDriver
    d = tv.activate()
    assert driver.active is d and isinstance(d, VulkanDriver)
    t = d.get_current_target()
    assert t.backend == "vulkan" and t.warp_size == tv.device().target.subgroup_size
    assert d.get_current_device() == f"vulkan:{tv.current_device()}"  # never collides with CUDA's ints
    props = d.utils.get_device_properties(d.get_current_device())
    assert props["max_shared_mem"] == tv.device().target.shared_memory_bytes


def test_unsupported_triton_version(tv, triton_vk, monkeypatch):
    from triton_vulkan.backend import version
    monkeypatch.setattr(version, "triton_version", lambda: "3.5.1")
    with pytest.raises(tv.UnsupportedTritonVersion, match=r"supports Triton 3\.6\.x; the installed Triton is 3\.5\.1"):
        tv.activate()
    assert version.is_supported("3.6.0") and version.is_supported("3.6.1") and not version.is_supported("3.60.0")


def test_cache_key_includes_compiler_version(tv, triton_vk, monkeypatch):
    from triton_vulkan.backend.compiler import VulkanBackend
    from triton.runtime import driver
    b = VulkanBackend(driver.active.get_current_target())
    h = b.hash()
    assert tv.compiler_version() in h
    from triton_vulkan.backend import compiler as bc

    class Other:
        def __getattr__(self, name):
            return getattr(tv._C, name)

        @staticmethod
        def compiler_version():
            return "99.0-other"
    monkeypatch.setattr(bc, "_C", Other())
    assert b.hash() != h


def test_ttir_stage_runs_triton_passes(tv, triton_vk, cache_dir, fake_compiler):
    import kernels_public as kp
    spec = kp.c_blockptr_matmul()
    with pytest.raises(tv.CompilationError, match="fake compiler"):
        spec["kernel"][spec["grid"]](*spec["args"], **spec["constexprs"], **spec["opts"])
    text = fake_compiler[-1]["text"]
    assert "tt.func public @blockptr_matmul_kernel" in text
    assert "tt.make_tensor_ptr" not in text and "tt.advance" not in text, "rewrite_tensor_pointer must have run"
    assert "tt.call" not in text, "the inliner must have run"
    assert 'loc("' in text and "kernels.py" in text, "locations are kept for error messages"
    assert fake_compiler[-1]["file_name"] == "blockptr_matmul_kernel.ttir"


def _add_args(tv, torch, n, zero_copy=True):
    g = torch.Generator().manual_seed(n)
    x, y = torch.randn(n, generator=g), torch.randn(n, generator=g)
    ref = x + y
    if zero_copy:
        return tv.from_torch(x), tv.from_torch(y), tv.zeros(n), ref
    return x, y, torch.zeros(n), ref


def test_jit_launch_zero_copy_staging_and_no_recompile(tv, torch, triton_vk, cache_dir, fake_compiler):
    import kernels_public as kp
    k = kp.add_kernel
    n = 5000
    x, y, out, ref = _add_args(tv, torch, n)
    k[(triton_vk.cdiv(n, 1024),)](x, y, out, n, BLOCK=1024)
    tv.synchronize()
    assert torch.equal(out, ref)
    assert len(fake_compiler) == 1 and fake_compiler[0]["num_warps"] == 4
    ttir = fake_compiler[0]["text"]
    assert "%n: i32" in ttir and "tt.divisibility = 16" in ttir
    # Same specialization: no recompilation; ordinary CPU tensors are staged and written back.
    x2, y2, out2, ref2 = _add_args(tv, torch, n, zero_copy=False)
    x2 = x2 * 3.0
    ref2 = x2 + y2
    k[(5,)](x2, y2, out2, n, BLOCK=1024)
    assert torch.equal(out2, ref2)
    assert len(fake_compiler) == 1
    # A new process-like state (in-memory caches dropped) finds the kernel in Triton's disk cache.
    k.device_caches.clear()
    k[(5,)](x, y, out, n, BLOCK=1024)
    tv.synchronize()
    assert len(fake_compiler) == 1, "the disk cache must be hit"
    files = sorted(p.suffix for p in cache_dir.rglob("add_kernel.*"))
    assert ".spv" in files and ".ttir" in files and ".json" in files


def test_jit_metadata_and_constexpr_skipping(tv, torch, triton_vk, cache_dir, fake_compiler):
    import kernels_public as kp
    x, y, out, ref = _add_args(tv, torch, 1)
    # n == 1 is specialised to a constexpr by Triton: the launcher must skip it; the fake kernel
    # still takes 4 arguments, so Triton's signature has 3 and the launch reports the mismatch.
    with pytest.raises(TypeError, match="takes 4 arguments"):
        kp.add_kernel[(1,)](x, y, out, 1, BLOCK=1024)
    c = kp.add_kernel.warmup(x, y, out, 64, BLOCK=1024, grid=(1,))
    assert c.metadata.name == "add_kernel" and c.metadata.shared == 0 and c.asm["spv"][:4] == b"\x03\x02#\x07"
    assert c.metadata.vk_reflection["args"][2]["written"] is True


def test_jit_launch_hooks(tv, torch, triton_vk, cache_dir, fake_compiler):
    import kernels_public as kp
    seen = []

    def hook(meta):
        seen.append(meta.get()["name"])
    triton_vk.knobs.runtime.launch_enter_hook.add(hook)
    try:
        x, y, out, ref = _add_args(tv, torch, 100)
        kp.add_kernel[(1,)](x, y, out, 100, BLOCK=1024)
    finally:
        triton_vk.knobs.runtime.launch_enter_hook.remove(hook)
    assert seen == ["add_kernel"]


def test_jit_cuda_tensor_is_a_clear_error(tv, torch, triton_vk, cache_dir, fake_compiler):
    import kernels_public as kp

    class FakeCudaTensor:
        device = torch.device("cuda", 0)
        dtype = torch.float32

        def data_ptr(self):
            return 0x7f0000000000

        def element_size(self):
            return 4
    a = tv.zeros(64)
    with pytest.raises(tv.VulkanError, match="argument 'out_ptr' is a cuda tensor"):
        kp.add_kernel[(1,)](a, a, FakeCudaTensor(), 64, BLOCK=1024)


def test_do_bench_uses_gpu_timestamps(tv, torch, triton_vk, cache_dir, fake_compiler):
    import kernels_public as kp
    from triton.runtime import driver
    n = 1 << 20
    x, y, out, ref = _add_args(tv, torch, n)
    di = driver.active.get_device_interface()
    assert di.Event.__module__ == "triton_vulkan.backend.driver"
    ms = triton_vk.testing.do_bench(lambda: kp.add_kernel[(n // 1024,)](x, y, out, n, BLOCK=1024),
                                    warmup=5, rep=20)
    assert 0 < ms < 10_000
    tv.synchronize()
    assert torch.equal(out, ref)


def test_store_binary_only_is_a_clear_error(tv, torch, triton_vk, cache_dir, monkeypatch):
    import kernels_public as kp
    monkeypatch.setattr(triton_vk.knobs.compilation, "store_binary_only", True)
    a = tv.zeros(64)
    with pytest.raises(tv.CompilationError, match="TRITON_STORE_BINARY_ONLY=1 is not supported"):
        kp.add_kernel[(1,)](a, a, a, 64, BLOCK=64)


def test_activate_registers_backend_without_entry_point(tv, triton_vk, monkeypatch):
    from triton.backends import backends
    monkeypatch.delitem(backends, "vulkan")
    tv.activate()
    assert backends["vulkan"].compiler.__name__ == "VulkanBackend"
