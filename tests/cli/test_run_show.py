"""`tvk run CASE --show N` (used by `make demo`): the first N values the kernel produced and
the case's expected values, from the kernel's pointer on."""
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

import pathlib

# The conformance cases (same place as tests/tvk_cases.py says; kept local so that this file
# needs only the `tvk_bin` fixture).
CASES = pathlib.Path(__file__).resolve().parents[1] / "conformance" / "cases"


def show(tvk_bin, case_dir, n):
    r = subprocess.run([tvk_bin, "run", str(case_dir), "--show", str(n)], capture_output=True,
                       text=True, timeout=300)
    got = {m.group(1): [float(v) for v in m.group(2).split()] for m in re.finditer(
        r"^(\w+) \S+ n=\d+ .*\n\s+got\s+([^\n]*)", r.stdout, re.M)}
    expected = {m.group(1): [float(v) for v in m.group(2).split()] for m in re.finditer(
        r"^(\w+) \S+ n=\d+ .*\n\s+got[^\n]*\n\s+expected\s+([^\n]*)", r.stdout, re.M)}
    return r, got, expected


@pytest.mark.parametrize("case,n", [("softmax", 6), ("strided", 3), ("add_f32", 1)])
def test_show_prints_expected_values_from_the_pointer(tvk_bin, case, n):
    r, got, expected = show(tvk_bin, CASES / case, n)
    assert r.returncode == 0 and r.stdout.split()[-1] == "PASS", r.stdout + r.stderr
    spec = json.loads((CASES / case / "case.json").read_text())
    written = [a for a in spec["args"] if a["kind"] == "buffer" and "expected" in a]
    assert sorted(got) == sorted(a["name"] for a in written), r.stdout
    for a in written:
        want = np.load(CASES / case / a["expected"]).ravel()[a["offset"]:a["offset"] + n]
        np.testing.assert_allclose(expected[a["name"]], want.astype(np.float64), rtol=1e-5)
        np.testing.assert_allclose(got[a["name"]], want.astype(np.float64), rtol=1e-3, atol=1e-6)


def test_show_reveals_a_wrong_expectation(tvk_bin, tmp_path):
    d = tmp_path / "add_f32"
    shutil.copytree(CASES / "add_f32", d)
    a = np.load(d / "out_ptr.out.npy")
    a[1] += 10.0
    np.save(d / "out_ptr.out.npy", a)
    r, got, expected = show(tvk_bin, d, 3)
    assert r.returncode > 0 and r.stdout.split()[-1] == "FAIL", r.stdout
    assert abs(expected["out_ptr"][1] - got["out_ptr"][1] - 10.0) < 1e-3, r.stdout
    assert expected["out_ptr"][0] == pytest.approx(got["out_ptr"][0], rel=1e-5)


@pytest.mark.parametrize("bad", ["-1", "abc"])
def test_show_needs_a_count(tvk_bin, bad):
    r = subprocess.run([tvk_bin, "run", str(CASES / "add_f32"), "--show", bad],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode > 0 and "--show" in r.stdout + r.stderr, r.stdout + r.stderr
    assert "PASS" not in r.stdout.split()
