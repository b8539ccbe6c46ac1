"""The plugin as pip installs it (entry point `vulkan` in group `triton.backends`), imported in
both orders. Before the fix, `import triton_vulkan; triton_vulkan.activate()` before
`import triton` failed: Triton's backend discovery re-entered our half-imported driver module
("Found 0 concrete subclasses of DriverBase").

A `*.dist-info` folder with the entry point on PYTHONPATH is what `importlib.metadata` sees
after `pip install`, without installing anything."""
import subprocess
import sys

import pytest

import tvk_testlib

ORDERS = {
    "ours_first": "import triton_vulkan as tv; tv.activate(); import triton",
    "triton_first": "import triton; import triton_vulkan as tv; tv.activate()",
    "backend_module_first": "from triton_vulkan.backend.driver import VulkanDriver; import triton_vulkan as tv; tv.activate(); import triton",
}
CHECK = ("; from triton.backends import backends; "
         "assert 'vulkan' in backends, sorted(backends); "
         "assert backends['vulkan'].driver.__name__ == 'VulkanDriver'; "
         "print(triton.runtime.driver.active.get_current_target().backend)")


@pytest.fixture(scope="module")
def entry_point_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("ep")
    info = d / "triton_vulkan_entry_point-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: triton-vulkan-entry-point\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[triton.backends]\nvulkan = triton_vulkan.backend\n")
    return d


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_import_order_with_entry_point(order, entry_point_path):
    import os
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(entry_point_path), str(tvk_testlib.ROOT / "python")])
    env.pop("TRITON_BACKENDS_IN_TREE", None)
    out = subprocess.run([sys.executable, "-c", ORDERS[order] + CHECK], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "vulkan"
