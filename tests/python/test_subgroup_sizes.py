"""The Triton cases at lavapipe's other subgroup sizes (LP_NATIVE_VECTOR_WIDTH=128 → 4, 512 → 16),
each in a fresh process (the width is read when the Vulkan device is created). The subgroup size is
part of the target, so Triton's cache keeps the kernels of each size apart."""
import pytest

import case_runner
from tvk_testlib import HERE, ROOT, XFAIL_FILE, run_at_lavapipe_width

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
    lines = run_at_lavapipe_width(code, width, subgroup, tmp_path, timeout=900)
    assert lines == ["ALL OK"], "\n".join(lines)
