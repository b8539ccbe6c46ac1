"""Scans over vector runs (scan_kernels.py): in-process at the default subgroup size, in fresh
processes at lavapipe's other subgroup sizes (LP_NATIVE_VECTOR_WIDTH=128 → 4, 512 → 16), and
the 16-byte accesses they take."""
import pytest

import scan_kernels
from tvk_testlib import run_checks_at_lavapipe_width


@pytest.mark.parametrize("name", sorted(scan_kernels.CHECKS))
def test_scans(triton_vk, name):
    errors = scan_kernels.CHECKS[name]()
    assert not errors, "\n".join(errors[:20])


@pytest.mark.parametrize("width,subgroup", [("128", 4), ("512", 16)], ids=["sg4", "sg16"])
def test_scans_at_subgroup_size(width, subgroup, tmp_path):
    lines = run_checks_at_lavapipe_width("scan_kernels", width, subgroup, tmp_path)
    assert lines == ["ALL OK"], "\n".join(lines)


def test_scans_take_16_byte_accesses(triton_vk, torch):
    x = torch.zeros(4096, dtype=torch.int32)
    asm = scan_kernels.cumsum.warmup(x, x, 4096, BLOCK=4096, REVERSE=False, grid=(1,)).asm["spvdis"]
    lines = asm.splitlines()
    assert any("OpLoad %v4uint" in line and "Aligned 16" in line for line in lines), asm[-2000:]
    assert any("OpStore" in line and "Aligned 16" in line for line in lines)
