"""Every kernel of kernels_public.py through @triton.jit with the Vulkan driver active, from the
conformance case's captured inputs, compared with its captured outputs (CUDA, Triton 3.6).

Cases the backend cannot run yet are listed in expected_failures.txt (`name: reason`): they are
strict xfails that must fail with a clear triton_vulkan error (VulkanError/CompilationError), never
with wrong numbers; an unexpected pass is reported as a failure."""
import re

import pytest

import case_runner
from tvk_testlib import XFAIL_FILE

XFAIL = case_runner.read_expected_failures(XFAIL_FILE)


def _params():
    import triton_vulkan
    out = []
    for name in case_runner.case_names():
        marks = []
        if name in XFAIL:
            marks.append(pytest.mark.xfail(reason=XFAIL[name], strict=True, raises=triton_vulkan.VulkanError))
        out.append(pytest.param(name, marks=marks, id=name))
    return out


@pytest.mark.parametrize("name", _params())
def test_case(tv, torch, triton_vk, name):
    launch, storages, case = case_runner.build(name, tv.from_torch)
    try:
        launch()
        tv.synchronize()
    except tv.VulkanError as e:
        # An expected failure must be a located `unsupported:` error, not any error.
        if name in XFAIL and not re.search(r"unsupported: \S+ at \S+:\d+", str(e)):
            pytest.fail(f"{name}: listed as an expected failure but failed without a clear error: {e}")
        raise
    errors = case_runner.compare(case, {k: v.numpy() for k, v in storages.items()})
    assert not errors, f"{name}: wrong results\n" + "\n".join(errors)


def test_expected_failures_name_real_cases():
    unknown = set(XFAIL) - set(case_runner.case_names())
    assert not unknown, f"expected_failures.txt names unknown cases: {sorted(unknown)}"
