"""Where the built tools and the conformance cases are, and the expected-failures lists."""
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("TVK_BUILD", ROOT / "build"))
CASES = ROOT / "tests" / "conformance" / "cases"
CONFORMANCE_XFAIL = ROOT / "tests" / "conformance" / "expected_failures.txt"
ALL_CASES = sorted(p.name for p in CASES.iterdir() if (p / "case.json").exists())
# The lowering's own semantic cases (hand-written TTIR, NumPy-computed expectations).
LOWERING_CASES_DIR = ROOT / "src" / "lower" / "testdata"
LOWERING_CASES = sorted(p.name for p in LOWERING_CASES_DIR.iterdir() if (p / "case.json").exists())


def read_expected_failures(path):
    """Parses `name: reason` lines (# comments, blank lines ignored) into a dict."""
    out = {}
    p = pathlib.Path(path)
    if not p.exists():
        return out
    for line in p.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, reason = line.partition(":")
        out[name.strip()] = reason.strip() or "no reason given"
    return out
