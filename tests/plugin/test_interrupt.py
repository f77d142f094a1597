"""A stopped run (issue #23, item 5): Ctrl-C or SIGTERM, sent to the run's process group as a terminal or a CI
runner does, leaves the evidence gathered so far in the JSON and the HTML, says where it stopped, exits 2.

Each run is a real child pytest of checks/ against the sandbox, started in its own process group with SIGINT
at its default (a script's background job would start with it ignored, and Python keeps it so: GUIDE.md),
and the signal goes to that group, the JVM included. Every child is killed in a finally.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest

from cutover.gates.run_verdict import INCOMPLETE
from cutover.sandbox import Sandbox
from tests.conftest import CHECKS
from tests.outputs.validate import assert_valid

pytestmark = pytest.mark.e2e

#: The sandbox's 14 data centres with one pod each; silent-dc silences us2's staging addresses.
PODS = 14
#: Every gate test waits this long in this plugin, so that a signal can land while the gates run.
SLOW_GATES = '''
import time

def pytest_runtest_call(item):
    time.sleep(0.4)
'''


class Run:
    """A child gate run in its own process group; its output is read as it comes (the pipe never fills)."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.reports = tmp_path / "reports"
        self.lines: list[str] = []
        env = {**(env or os.environ), "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", str(CHECKS), "-p", "no:cacheprovider", f"--reports-dir={self.reports}",
             *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            process_group=0, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 180) -> float:
        """Block until `count` lines match `pattern`; return when (time.monotonic())."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(bool(re.search(pattern, line)) for line in list(self.lines)) >= count:
                return time.monotonic()
            assert self.proc.poll() is None, f"the run ended before {pattern!r}:\n{self.output[-3000:]}"
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} within {timeout}s:\n{self.output[-3000:]}")

    def signal(self, sig: int) -> float:
        os.killpg(self.proc.pid, sig)
        return time.monotonic()

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def evidence(self) -> tuple[dict[str, Any], Path]:
        """The JSON evidence and the HTML report the terminal named, and that they exist."""
        named = dict(re.findall(r"^(report|json evidence): (\S+)$", self.output, re.MULTILINE))
        assert set(named) == {"report", "json evidence"}, self.output[-3000:]
        html, doc = Path(named["report"]), Path(named["json evidence"])
        assert html.is_file() and doc.is_file(), named
        return json.loads(doc.read_text()), html


def assert_stopped_cleanly(run: Run, code: int) -> None:
    """Exit 2; the summary, its report paths and our one line; no KeyboardInterrupt banner, no traceback."""
    out = run.output
    assert code == pytest.ExitCode.INTERRUPTED, out[-3000:]
    assert "KeyboardInterrupt" not in out and "Traceback" not in out, out[-3000:]
    assert re.search(r"^=+ cutover =+$", out, re.MULTILINE), out[-3000:]
    assert re.search(rf"^!+ Interrupted: at .+: {INCOMPLETE} !+$", out, re.MULTILINE), out[-3000:]
    assert re.search(r"^verdict: (not proven|NOT ready)", out, re.MULTILINE), out[-3000:]


def others_answered(sb: Sandbox, since: float, timeout: float = 60, margin: float = 2) -> None:
    """Wait until at least 5 s into the gathering and every address of the sandbox has been connected to (one
    handshake per address: the JVM's, whose chain stands for Python's; the silent one accepts too, and never
    answers); then a margin for the last handshakes to end: on a loaded machine the JVM's take over a second each."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connections = sb.counters()[1]
        if len(connections) >= 2 * PODS and min(connections.values()) >= 1 and time.monotonic() >= since + 5:
            time.sleep(margin)
            return
        time.sleep(0.1)
    raise AssertionError(f"the run did not reach every address: {sb.counters()[1]}")


def test_ctrl_c_while_a_data_centre_is_silent_keeps_the_pods_seen(tmp_path: Path) -> None:
    """SIGINT 5 s (or more) into the gathering of silent-dc: the other 13 data centres are done, us2 waits on its
    handshakes. The JSON has those 13 pods with the JVM's verdicts, the HTML says "interrupted", exit 2."""
    with Sandbox("silent-dc", workdir=tmp_path / "edge", pods_per_dc=1) as sb:
        run = Run(tmp_path, f"--datacenters={sb.config_path}", "--timeout=10", "--no-history", env=sb.env())
        try:
            others_answered(sb, run.wait_for(r"^collected \d+ items"))
            sent = run.signal(signal.SIGINT)
            run.wait_for(r"^verdict: ", timeout=30)
            said = time.monotonic() - sent
            code = run.finish()
        finally:
            run.kill()
    assert_stopped_cleanly(run, code)
    # The reports at once; the process itself ends when the silent handshake reaches its own timeout.
    assert said < 8, f"the stopped run took {said:.1f}s to print its summary"
    doc, html = run.evidence()
    assert_valid(doc, "the interrupted run's evidence")
    assert len(doc["pods"]) == PODS - 1 and not any(p.startswith("us2/") for p in doc["pods"]), sorted(doc["pods"])
    judged = 0
    for tid, pod in doc["pods"].items():  # whole: DNS and chains; the JVM's verdict at each address if it gave one
        assert pod["staging_ips"] and pod["presented_chains"], tid
        for trust in pod["trust"].values():
            assert [(v["engine"], v["ok"]) for v in trust["verdicts"]] == [("jvm", True)], (tid, trust)
        judged += bool(pod["trust"])
    # 5 s is plenty for the JVM to judge the 13 that answer (about 2 s on a quiet machine); on a loaded one
    # it may still be at work, and then the step says so rather than pretend.
    step = "gathering evidence: 13 of 14 data centres observed, waiting on us2" if judged == PODS - 1 else \
        f"gathering evidence: {judged} of 14 data centres observed, waiting on us2 and the verdicts on "
    assert doc["interrupted"] is True and doc["ready"] is False and doc["interrupted_at"].startswith(step), \
        (judged, doc["interrupted_at"])
    step = doc["interrupted_at"]
    assert f"interrupted at {step}: {INCOMPLETE} (70 of 70 gate test(s) did not run)" in run.output, run.output[-3000:]
    assert doc["records"] == [] and doc["verdict"] == f"not proven: interrupted at {step}: {INCOMPLETE}"
    assert doc["judge"]["engine"] == "jvm"
    page = html.read_text()
    assert f"interrupted at {html_escape(step)}: {INCOMPLETE}" in page and "Observed before the stop (13 pod(s)" in page


def test_ctrl_c_while_the_gates_run_says_which_did_not(tmp_path: Path) -> None:
    """SIGINT after a few gate tests: the test running ends, the rest are "not run" in the JSON, the verdict is
    never "ready" though every gate that ran passed, and the page a person opens says so (Chromium)."""
    (tmp_path / "slow_gates.py").write_text(SLOW_GATES)
    run = Run(tmp_path, "--sandbox=good", "--sandbox-pods=1", "--dc=us2", "--dc=em3", "-v", "-p", "slow_gates")
    try:
        run.wait_for(r"PASSED", count=3)
        run.signal(signal.SIGINT)
        code = run.finish()
    finally:
        run.kill()
    assert_stopped_cleanly(run, code)
    doc, html = run.evidence()
    assert_valid(doc, "the interrupted run's evidence")
    ran, total = len(doc["records"]), len(doc["records"]) + len(doc["not_run"])
    assert total == 10 and 3 <= ran < total, (ran, doc["not_run"])
    assert all(r["outcome"] == "passed" for r in doc["records"])
    assert doc["interrupted_at"] in (f"running the gates: {n} of {total}" for n in (ran - 1, ran)), doc

    assert doc["ready"] is False and doc["verdict"].startswith("not proven: interrupted at running the gates")
    assert set(doc["pods"]) == {"us2/acme", "em3/acme"}
    assert f"{total - ran} of {total} gate test(s) did not run" in run.output
    _page_says_interrupted(html, f"{total - ran} of {total} gate test(s) did not run")


def test_sigterm_to_an_xdist_run_while_gathering(tmp_path: Path) -> None:
    """SIGTERM, as a CI job's timeout sends it, to a run with -n 2 while its controller gathers: the same
    evidence and exit 2; the workers start and are stopped before any test."""
    with Sandbox("silent-dc", workdir=tmp_path / "edge", pods_per_dc=1) as sb:
        # The silent data centre's handshakes wait 20 s, the others get 5 s after their last connection: the two
        # workers xdist starts meanwhile take the CPU the controller needs to record what it saw, and with 10 s
        # and 2 s a loaded machine (load 25 on 2 cores) had observed no data centre yet when the signal came.
        run = Run(tmp_path, f"--datacenters={sb.config_path}", "--timeout=20", "--no-history", "-n", "2",
                  env=sb.env())
        try:
            others_answered(sb, time.monotonic(), margin=5)  # xdist's controller gathers before it prints a line
            run.signal(signal.SIGTERM)
            code = run.finish()
        finally:
            run.kill()
    assert_stopped_cleanly(run, code)
    doc, _ = run.evidence()
    assert_valid(doc, "the interrupted xdist run's evidence")
    assert doc["interrupted"] is True and doc["ready"] is False and doc["records"] == []
    assert doc["interrupted_at"].startswith("gathering evidence: ") and "waiting on us2" in doc["interrupted_at"]
    assert 0 < len(doc["pods"]) < PODS and not any(p.startswith("us2/") for p in doc["pods"])


def _page_says_interrupted(html: Path, unrun: str) -> None:
    """What a person sees in headless Chromium: the banner on top, before the verdict, and the verdict."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(html.as_uri())
            banner = page.locator("#cutover-interrupted")
            assert banner.is_visible()
            text = banner.inner_text()
            assert text.startswith("interrupted at running the gates: ") and INCOMPLETE in text and unrun in text
            verdict = page.locator("#cutover-verdict").inner_text()
            assert "not proven: interrupted" in verdict and "ready for cutover" not in verdict
            assert banner.bounding_box()["y"] < page.locator("#cutover-verdict").bounding_box()["y"]
        finally:
            browser.close()
