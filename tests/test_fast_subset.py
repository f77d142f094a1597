"""make test-fast is the unit tests of decisions on hand-built evidence: no socket, and no test that waits."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e  # runs a child pytest


def test_unit_timeout_fails_a_test_that_waits_and_names_it(pytester: pytest.Pytester,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeconftest("from tests.conftest import pytest_addoption, pytest_runtest_protocol  # noqa: F401\n")
    pytester.makepyfile(test_waits="import time\n\ndef test_quick():\n    pass\n\n"
                                   "def test_waits():\n    time.sleep(5)\n")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:cutover", "--unit-timeout=0.5",
                                           timeout=60)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_waits.py::test_waits took more than --unit-timeout=0.5 s*"])


def test_the_fast_subset_opens_no_socket(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """make test-fast runs with pytest-socket's --disable-socket: a test that opens one fails there."""
    pytester.makepyfile(test_net="import socket\n\ndef test_opens():\n    socket.socket().close()\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:cutover", "--disable-socket",
                                           "--allow-unix-socket", timeout=60)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SocketBlockedError*"])
