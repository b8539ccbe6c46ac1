"""The Triton cases at lavapipe's other subgroup sizes (LP_NATIVE_VECTOR_WIDTH=128 → 4, 512 → 16),
each in a fresh process (the width is read when the Vulkan device is created). The subgroup size is
part of the target, so Triton's cache keeps the kernels of each size apart."""
import os
import subprocess
import sys

import pytest

import case_runner
from tvk_testlib import HERE, ROOT, XFAIL_FILE

SCRIPT = r"""
import sys
sys.path[:0] = [{here!r}, {python!r}]
import triton_vulkan as tv
tv.activate()
import case_runner
sg = tv.device().target.subgroup_size
bad = []
for name in {names!r}:
    try:
        launch, storages, case = case_runner.build(name, tv.from_torch)
        launch(); tv.synchronize()
        errs = case_runner.compare(case, {{k: v.numpy() for k, v in storages.items()}})
        if errs:
            bad.append(name + ': ' + errs[0])
    except tv.VulkanError as e:
        bad.append(name + ': ' + str(e).splitlines()[0])
bad += ['validation: ' + m[:400] for m in tv._C.validation_messages()[:3]]
print('SUBGROUP', sg)
print('\n'.join(bad) if bad else 'ALL OK')
"""


@pytest.mark.parametrize("width,subgroup", [("128", 4), ("512", 16)], ids=["sg4", "sg16"])
def test_cases_at_subgroup_size(width, subgroup, tmp_path):
    names = [n for n in case_runner.case_names() if n not in case_runner.read_expected_failures(XFAIL_FILE)]
    code = SCRIPT.format(here=str(HERE), python=str(ROOT / "python"), names=names)
    env = dict(os.environ, LP_NATIVE_VECTOR_WIDTH=width, TRITON_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    if lines[0] != f"SUBGROUP {subgroup}":
        pytest.skip(f"the default Vulkan device is not lavapipe at this width ({lines[0]})")
    assert lines[1:] == ["ALL OK"], "\n".join(lines[1:])
