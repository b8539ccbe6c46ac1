"""64-bit indices, comparisons, masks and `other` values on every load/store path
(int64_kernels.py), in-process at the default subgroup size and in fresh processes at lavapipe's
other subgroup sizes (LP_NATIVE_VECTOR_WIDTH=128 → 4, 512 → 16)."""
import pytest

import int64_kernels
from tvk_testlib import run_checks_at_lavapipe_width


@pytest.mark.parametrize("name", sorted(int64_kernels.CHECKS))
def test_int64(triton_vk, name):
    errors = int64_kernels.CHECKS[name]()
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("width,subgroup", [("128", 4), ("512", 16)], ids=["sg4", "sg16"])
def test_int64_at_subgroup_size(width, subgroup, tmp_path):
    lines = run_checks_at_lavapipe_width("int64_kernels", width, subgroup, tmp_path, timeout=600)
    assert lines == ["ALL OK"], "\n".join(lines)
