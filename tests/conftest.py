"""Shared pytest set-up: the `tvk` executable fixture and the expected-failures header."""
import pytest

from tvk_cases import BUILD, CONFORMANCE_XFAIL, ROOT, read_expected_failures


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
