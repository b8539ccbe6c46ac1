"""Fixtures of the triton_vulkan tests: the package (from python/ when not installed), the Triton
plugin (registered by hand when the entry point is not installed), and a hand-written GLSL add
kernel that exercises launches independently of the TTIR compiler."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

# Khronos validation on for every launch of these tests (before the Vulkan instance exists);
# each test fails on any new validation message (see `no_validation_messages`).
os.environ.setdefault("TVK_VALIDATION", "1")

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
# The repository's package (built by `make`) wins over an installed copy.
if list((ROOT / "python" / "triton_vulkan").glob("_C*.so")):
    sys.path.insert(0, str(ROOT / "python"))

import case_runner  # noqa: E402
from tvk_testlib import ADD_GLSL, ADD_REFLECTION, XFAIL_FILE  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    xf = case_runner.read_expected_failures(XFAIL_FILE)
    terminalreporter.section("triton_vulkan: Triton cases listed as expected failures")
    terminalreporter.write_line(f"{len(xf)} in {XFAIL_FILE.relative_to(ROOT)} (strict xfail: a pass is reported)")
    for k, v in sorted(xf.items()):
        terminalreporter.write_line(f"  {k}: {v}")


@pytest.fixture(scope="session")
def tv():
    import triton_vulkan
    if not triton_vulkan._C.has_runtime:
        pytest.fail("triton_vulkan._C was built without the runtime")
    return triton_vulkan


@pytest.fixture(autouse=True)
def no_validation_messages():
    """Fails the test if the Khronos validation layer reported anything during it."""
    import triton_vulkan
    before = len(triton_vulkan._C.validation_messages()) if triton_vulkan._C.has_runtime else 0
    yield
    if triton_vulkan._C.has_runtime:
        new = triton_vulkan._C.validation_messages()[before:]
        assert not new, f"{len(new)} validation message(s):\n" + "\n".join(m[:600] for m in new[:5])


@pytest.fixture(scope="session")
def torch():
    import torch
    return torch


@pytest.fixture(scope="session")
def triton_vk(tv):
    """Triton with our backend registered and the Vulkan driver active."""
    import triton
    from triton.backends import backends, Backend
    if "vulkan" not in backends:  # entry point not installed (PYTHONPATH=python)
        from triton_vulkan.backend.compiler import VulkanBackend
        from triton_vulkan.backend.driver import VulkanDriver
        backends["vulkan"] = Backend(compiler=VulkanBackend, driver=VulkanDriver)
    tv.activate()
    return triton


@pytest.fixture(scope="session")
def dev(tv, torch, triton_vk):
    """The "tvk" PyTorch device (triton_vulkan.torch_device), registered."""
    from triton_vulkan import torch_device
    if not torch_device.available():
        pytest.fail("the tvk device is not built for this PyTorch (make builds python/src/torch_device)")
    torch_device.register()
    return torch.device("tvk", tv.current_device())


@pytest.fixture(scope="session")
def glsl_add(tv, tmp_path_factory):
    """add(x, y, out, n) with BLOCK=1024 per program, written in GLSL following the reflection ABI
    (src/compiler/reflection.h), so launches are tested without the TTIR compiler."""
    exe = shutil.which("glslangValidator")
    if exe is None:
        pytest.fail("glslangValidator is missing (Debian glslang-tools)")
    d = tmp_path_factory.mktemp("glsl")
    (d / "add.comp").write_text(ADD_GLSL)
    subprocess.run([exe, "-V", "--target-env", "vulkan1.1", str(d / "add.comp"), "-o", str(d / "add.spv")],
                   check=True, capture_output=True)
    return tv.Kernel((d / "add.spv").read_bytes(), ADD_REFLECTION, tv.device())
