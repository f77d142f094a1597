"""Reports written atomically: a run killed at any moment leaves each report whole under its final name, or none.

A scheduled job is stopped by its CI's timeout (SIGTERM), the OOM killer (SIGKILL), or loses its JVM.
Whoever reads the reports folder must never find half a report: the unit tests pin the helper's
promise, and the kill test stops real gate runs at seeded random moments and reads every file left.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.base import atomic
from cutover.history.layout import SCHEMA
from cutover.sandbox import Sandbox
from tests.conftest import CHECKS, ROOT
from tests.processes import descendants

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

SEED = 20261129
KILLS = 8  # two of each kind
DCS = ("us2", "em3", "ap1")


# -- the helper ---------------------------------------------------------------------------------------

def test_write_text_replaces_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    final = tmp_path / "cutover-x.json"
    atomic.write_text(final, "old, complete")
    real_fsync = os.fsync

    def dies_before_rename(fd: int) -> None:
        raise KeyboardInterrupt("SIGTERM while writing")

    monkeypatch.setattr(os, "fsync", dies_before_rename)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text(final, "new" * 10_000)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert final.read_text() == "old, complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cutover-x.json"], "the partial file was removed"
    atomic.write_text(final, "new")
    assert final.read_text() == "new"


def test_publish_renames_only_what_was_written(tmp_path: Path) -> None:
    final = tmp_path / "cutover-x.html"
    partial = atomic.partial_name(final)
    assert partial.parent == final.parent and partial.name.startswith(".") and str(os.getpid()) in partial.name
    assert atomic.publish(partial, final) is False and not final.exists()
    partial.write_text("<html></html>")
    assert atomic.publish(partial, final) is True
    assert final.read_text() == "<html></html>" and not partial.exists()


def test_sweep_removes_only_leftovers_of_dead_writers(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f".cutover-a.html.{gone.pid}{atomic.SUFFIX}"
    live = atomic.partial_name(tmp_path / "cutover-b.html")  # ours: this process is running
    other = tmp_path / "cutover-c.html"
    for p in (dead, live, other):
        p.write_text("x")
    assert atomic.sweep(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
    assert atomic.sweep(tmp_path / "no-such-folder") == []


# -- real runs, killed ----------------------------------------------------------------------------------

def assert_complete(path: Path) -> None:
    """A report is complete when its whole format parses: a cut anywhere breaks each of these."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        doc = json.loads(text)
        assert doc["schema"] == SCHEMA and isinstance(doc["records"], list) and doc["finished"], path
    elif path.suffix == ".xml":
        assert ET.fromstring(text).tag == "testsuites", path
    elif path.suffix == ".html":
        assert text.rstrip().endswith("</html>"), path
        blob = re.search(r'data-jsonblob="([^"]*)"', text)
        assert blob is not None, path
        json.loads(html.unescape(blob[1]))
    else:
        raise AssertionError(f"unexpected file under a final name: {path}")


def final_files(folder: Path) -> list[Path]:
    """Every file a reader would take for a report: all but the dot-named temporary files."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One edge for every run: the kills should land in the gate runs, not in building the sandbox."""
    with Sandbox("good", workdir=tmp_path_factory.mktemp("edge"), pods_per_dc=2, datacenters=DCS) as sb:
        yield sb


def start(edge: Sandbox, folder: Path, tmp: Path, log: Path) -> subprocess.Popen[bytes]:
    """A gate run as a scheduled job runs it, in its own process group so that every straggler can be stopped."""
    tmp.mkdir(exist_ok=True)
    env = {**edge.env(), "TMPDIR": str(tmp)}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pytest", str(CHECKS), "-p", "no:cacheprovider", f"--datacenters={edge.config_path}",
             f"--reports-dir={folder}"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)


def finish(proc: subprocess.Popen[bytes], log: Path) -> int:
    """Wait for the run (bounded), then stop whatever of its process group is left, e.g. an orphaned JVM."""
    try:
        return proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the run did not end within 120 s:\n{log.read_text(errors='replace')[-3000:]}") from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def jvm_of(proc: subprocess.Popen[bytes], seconds: float) -> int | None:
    """The PID of the run's probe JVM once it starts (polled every 5 ms), or None if the run ended first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        java = [pid for pid, name in descendants(proc.pid).items() if name == "java"]
        if java:
            return java[0]
        time.sleep(0.005)
    return None


def first_new_file(folder: Path, before: set[str], proc: subprocess.Popen[bytes], seconds: float) -> str | None:
    """Poll (every millisecond, bounded) for a file in `folder` that was not there `before`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        new = set(os.listdir(folder)) - before
        if new:
            return new.pop()
        time.sleep(0.001)
    return None


def test_killed_runs_leave_whole_reports_or_none(edge: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    t0 = time.monotonic()
    proc = start(edge, folder, tmp_path / "tmp", tmp_path / "run-0.log")
    assert finish(proc, tmp_path / "run-0.log") == 0, (tmp_path / "run-0.log").read_text()
    whole_run = time.monotonic() - t0
    out = (tmp_path / "run-0.log").read_text()
    files = final_files(folder)
    assert [p.suffix for p in files] == [".html", ".json", ".xml"], files
    for p in files:
        assert_complete(p)
    html_file, json_file, xml_file = files
    # Every line that names a report names its final file; no temporary name ever shows.
    assert f"report: {html_file}" in out and f"Generated html report: {html_file.as_uri()}" in out
    assert f"generated xml file: {xml_file}" in out and f"json evidence: {json_file}" in out
    assert atomic.SUFFIX not in out

    rng = random.Random(SEED)
    kinds = ["SIGTERM", "SIGKILL", "SIGKILL the JVM", "SIGKILL while writing"] * (KILLS // 4)
    rng.shuffle(kinds)
    seen = []
    for i, kind in enumerate(kinds, 1):
        log = tmp_path / f"run-{i}.log"
        before = set(os.listdir(folder))
        proc = start(edge, folder, tmp_path / "tmp", log)
        if kind == "SIGKILL while writing":
            # The moment a file appears, this run is writing a report: the riskiest instant. Without the
            # temporary names, the final file would be caught empty or cut.
            assert first_new_file(folder, before, proc, whole_run + 30), f"run {i} wrote nothing"
            proc.send_signal(signal.SIGKILL)
        elif kind == "SIGKILL the JVM":
            jvm = jvm_of(proc, whole_run + 30)
            assert jvm is not None, f"run {i}: no JVM was started\n{log.read_text(errors='replace')[-3000:]}"
            time.sleep(rng.uniform(0, 0.3))
            with contextlib.suppress(ProcessLookupError):
                os.kill(jvm, signal.SIGKILL)
        else:
            time.sleep(rng.uniform(0, whole_run))
            proc.send_signal(signal.SIGTERM if kind == "SIGTERM" else signal.SIGKILL)
        ret = finish(proc, log)
        seen.append((kind, ret))
        for p in final_files(folder):
            assert_complete(p)
        if kind == "SIGKILL the JVM":  # the run goes on without its judge and writes every report
            text = log.read_text(errors="replace")
            assert ret in (0, 1), text[-3000:]
            written = re.findall(r"^(?:report|junit xml|json evidence): (\S+)$", text, re.MULTILINE)
            assert len(written) == 3 and all(Path(w).exists() for w in written), text[-3000:]
        elif kind == "SIGTERM" and ret == pytest.ExitCode.INTERRUPTED:
            stamp = re.search(r"json evidence: (\S+)", log.read_text())
            if stamp:  # stopped like Ctrl-C, and the evidence says so
                assert json.loads(Path(stamp[1]).read_text())["interrupted"] is True
    # The next run removes what killed runs left under temporary names, and leaves none of its own.
    proc = start(edge, folder, tmp_path / "tmp", tmp_path / "run-last.log")
    assert finish(proc, tmp_path / "run-last.log") == 0
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == [], seen
    for p in final_files(folder):
        assert_complete(p)
