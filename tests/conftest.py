"""Shared pytest set-up: where the built tools are, and the expected-failures lists."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("TVK_BUILD", ROOT / "build"))
CASES = ROOT / "tests" / "conformance" / "cases"


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


CONFORMANCE_XFAIL = ROOT / "tests" / "conformance" / "expected_failures.txt"


def pytest_report_header(config):
    xf = read_expected_failures(CONFORMANCE_XFAIL)
    lines = [f"conformance expected failures ({len(xf)}) from {CONFORMANCE_XFAIL.relative_to(ROOT)}:"]
    lines += [f"  {k}: {v}" for k, v in sorted(xf.items())] or ["  (none)"]
    return lines


@pytest.fixture(scope="session")
def tvk_bin():
    exe = BUILD / "tvk"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make` first")
    return str(exe)
