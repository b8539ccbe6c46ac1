"""Shared pytest set-up: the `tvk` executable fixture and the expected-failures header."""
import pytest

from tvk_cases import BUILD, CONFORMANCE_XFAIL, ROOT, read_expected_failures


def pytest_terminal_summary(terminalreporter):
    """Shows the conformance expected-failures list in every run's output (also with -q)."""
    xf = read_expected_failures(CONFORMANCE_XFAIL)
    tr = terminalreporter
    tr.section("triton-vulkan: conformance cases listed as expected failures")
    tr.write_line(f"{len(xf)} in {CONFORMANCE_XFAIL.relative_to(ROOT)} (must fail with `unsupported: <op> at <file>:<line>`)")
    for k, v in sorted(xf.items()):
        tr.write_line(f"  {k}: {v}")


@pytest.fixture(scope="session")
def tvk_bin():
    exe = BUILD / "tvk"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make` first")
    return str(exe)
