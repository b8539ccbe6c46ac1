"""Inputs the fuzzer (tvk_fuzz) found crashing, hanging or producing invalid SPIR-V, kept as
regressions: `tvk compile` must end each with a clean error (exit 1, an `error:` line with the
message the file names in `// expect-error: ...`), never a signal or a sanitizer report; an input
marked `// expect: compiles` must compile. Run with TVK_BUILD=build-asan under the sanitizers
(`make check-sanitizers`)."""
import pathlib
import re
import subprocess

import pytest

REGRESSIONS = pathlib.Path(__file__).resolve().parent / "regressions"
FILES = sorted(REGRESSIONS.glob("*.ttir"))
# Extra fuzz seeds (ops and shapes the conformance cases do not reach): they must compile.
SEEDS = sorted((REGRESSIONS.parent / "seeds").glob("*.ttir"))
TARGETS = ["lavapipe", "nvidia-hopper"]
CRASH_MARKS = ("terminate called", "Segmentation", "AddressSanitizer", "runtime error:",
               "LeakSanitizer", "Assertion", "Aborted")


def expectations(path):
    text = path.read_text(errors="replace")
    errors = re.findall(r"^// expect-error: (.*)$", text, re.M)
    compiles = re.search(r"^// expect: compiles$", text, re.M) is not None
    return errors, compiles


def test_there_are_regressions():
    assert len(FILES) >= 10, FILES
    for f in FILES:
        errors, compiles = expectations(f)
        assert errors or compiles, f"{f.name}: needs `// expect-error: ...` or `// expect: compiles`"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_regression_compiles_or_fails_cleanly(tvk_bin, tmp_path, path, target):
    tvk = str(pathlib.Path(tvk_bin).resolve())  # runs in the regressions folder (short file names)
    r = subprocess.run([tvk, "compile", path.name, "--target", target, "-o", str(tmp_path / "o.spv")],
                       capture_output=True, text=True, timeout=120, cwd=path.parent)
    out = r.stdout + r.stderr
    for mark in CRASH_MARKS:
        assert mark not in out, out
    errors, compiles = expectations(path)
    if compiles:
        assert r.returncode == 0, out
        return
    assert r.returncode == 1, f"exit {r.returncode} (negative = killed by a signal):\n{out}"
    assert out.startswith("error: "), out
    for e in errors:
        assert e in out, f"expected {e!r} in:\n{out}"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", SEEDS, ids=[f.stem for f in SEEDS])
def test_seed_compiles(tvk_bin, tmp_path, path, target):
    r = subprocess.run([tvk_bin, "compile", str(path), "--target", target, "-o", str(tmp_path / "o.spv")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
