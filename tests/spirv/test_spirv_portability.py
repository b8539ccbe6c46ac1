"""Every module the compiler produces for the conformance cases passes `spirv-val` for its
Vulkan target environment and translates with `spirv-cross --msl` at MSL 2.3 (macOS 11 on Apple M1, what MoltenVK runs), for
each named target profile — no device needed."""
import subprocess

import pytest

from tvk_cases import ALL_CASES as ALL, CASES, CONFORMANCE_XFAIL, read_expected_failures

XFAIL = read_expected_failures(CONFORMANCE_XFAIL)
PROFILES = {"lavapipe": "vulkan1.3", "nvidia-hopper": "vulkan1.3", "apple-m1-moltenvk": "vulkan1.2"}


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("case", [c for c in ALL if c not in XFAIL])
def test_spirv_valid_and_msl(tvk_bin, tmp_path, case, profile):
    spv = tmp_path / f"{case}.spv"
    r = subprocess.run([tvk_bin, "compile", str(CASES / case / "kernel.ttir"), "--target", profile,
                        "-o", str(spv)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["spirv-val", "--target-env", PROFILES[profile], str(spv)],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"spirv-val: {r.stdout}{r.stderr}"
    r = subprocess.run(["spirv-cross", "--msl", "--msl-version", "20300", str(spv)],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"spirv-cross --msl: {r.stderr}"
    assert "kernel void" in r.stdout
