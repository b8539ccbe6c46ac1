"""Runs every conformance case with `tvk run` on the default Vulkan device (lavapipe in CI),
with the Khronos validation layer on (any message fails), at lavapipe subgroup sizes 4, 8, 16
(LP_NATIVE_VECTOR_WIDTH=128/256/512; other drivers ignore the variable). Cases listed in
expected_failures.txt (`source/<case>` for runs from kernel.source.ttir) must fail with a clear `unsupported:` error (strict xfail)."""
import os
import re
import subprocess

import pytest

from tvk_cases import ALL_CASES as ALL, CASES, CONFORMANCE_XFAIL, LOWERING_CASES, LOWERING_CASES_DIR, read_expected_failures

XFAIL = read_expected_failures(CONFORMANCE_XFAIL)
WIDTHS = {"sg4": "128", "sg8": "256", "sg16": "512"}


def run_case(tvk_bin, case, width, source=False, root=CASES):
    env = dict(os.environ, TVK_VALIDATION="1", LP_NATIVE_VECTOR_WIDTH=width)
    cmd = [tvk_bin, "run", str(root / case)] + (["--source"] if source else [])
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def check(proc, case, key=None):
    key = key or case
    out = proc.stdout + proc.stderr
    assert proc.returncode >= 0, f"{case}: tvk crashed with signal {-proc.returncode}\n{out}"
    lines = [l for l in proc.stdout.strip().splitlines() if l.strip()]
    if key in XFAIL:
        # Must be a clean, located error, never a crash or a wrong result.
        assert proc.returncode != 0, f"{case} passed but is listed as an expected failure"
        assert re.search(r"unsupported: \S+ at \S+:\d+", out), f"{case}: unclear error\n{out}"
        pytest.xfail(XFAIL[key])
    assert proc.returncode == 0 and lines and lines[-1] == "PASS", f"{case} failed:\n{out}"


@pytest.mark.parametrize("width", list(WIDTHS.values()), ids=list(WIDTHS.keys()))
@pytest.mark.parametrize("case", ALL)
def test_case(tvk_bin, case, width):
    check(run_case(tvk_bin, case, width), case)


@pytest.mark.parametrize("width", list(WIDTHS.values()), ids=list(WIDTHS.keys()))
@pytest.mark.parametrize("case", LOWERING_CASES)
def test_lowering_case(tvk_bin, case, width):
    """src/lower/testdata: paths the captured cases do not reach (partial tiles, wide pointers...)."""
    check(run_case(tvk_bin, case, width, root=LOWERING_CASES_DIR), case, key="lowering/" + case)


@pytest.mark.parametrize("case", ALL)
def test_case_from_source_ttir(tvk_bin, case):
    check(run_case(tvk_bin, case, "256", source=True), case, key="source/" + case)


@pytest.mark.parametrize("width", list(WIDTHS.values()), ids=list(WIDTHS.keys()))
def test_lavapipe_subgroup_size_follows_vector_width(tvk_bin, width):
    """The sg4/sg8/sg16 runs above really run at those subgroup sizes on lavapipe."""
    env = dict(os.environ, LP_NATIVE_VECTOR_WIDTH=width)
    out = subprocess.run([tvk_bin, "devices"], env=env, capture_output=True, text=True).stdout
    default = out.split("[default]", 1)[1] if "[default]" in out else out
    if "llvmpipe" not in out.split("[default]", 1)[0].splitlines()[-1]:
        pytest.skip("the default device is not lavapipe")
    m = re.search(r"subgroup size: (\d+)", default)
    assert m and int(m.group(1)) == int(width) // 32, out
