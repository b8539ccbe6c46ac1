"""64-bit indices, comparisons, masks and `other` values on every load/store path
(int64_kernels.py), in-process at the default subgroup size and in fresh processes at lavapipe's
other subgroup sizes (LP_NATIVE_VECTOR_WIDTH=128 → 4, 512 → 16)."""
import pytest

import int64_kernels
from tvk_testlib import HERE, ROOT, run_at_lavapipe_width


@pytest.mark.parametrize("name", sorted(int64_kernels.CHECKS))
def test_int64(triton_vk, name):
    errors = int64_kernels.CHECKS[name]()
    assert not errors, "\n".join(errors)


SCRIPT = r"""
import sys
sys.path[:0] = [{here!r}, {python!r}]
import triton  # before triton_vulkan: Triton's backend discovery imports an installed plugin
import triton_vulkan as tv
tv.activate()
import int64_kernels
print('SUBGROUP', tv.device().target.subgroup_size)
bad = []
for name, check in sorted(int64_kernels.CHECKS.items()):
    bad += check()
print('\n'.join(bad) if bad else 'ALL OK')
"""


@pytest.mark.parametrize("width,subgroup", [("128", 4), ("512", 16)], ids=["sg4", "sg16"])
def test_int64_at_subgroup_size(width, subgroup, tmp_path):
    code = SCRIPT.format(here=str(HERE), python=str(ROOT / "python"))
    lines = run_at_lavapipe_width(code, width, subgroup, tmp_path, timeout=600)
    assert lines == ["ALL OK"], "\n".join(lines)
