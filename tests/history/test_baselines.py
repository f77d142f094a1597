"""Only a full run is the next run's baseline: a subset, a what-if, a stopped run and `prepare`'s runs between two
full runs leave the second full run's "since the last run" exactly as a run right after the first says it, and each
of them compares itself only on what it checked.

Real child gate runs against one sandbox each, history read from the reports folder as a plain run reads it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import ROOT, ChildRun, run_gates
from tests.plugin.test_interrupt import Run

pytestmark = pytest.mark.e2e

#: The sandbox's file is a series of its scenario's: never a real run's baseline.
SERIES = "sandbox: datacenters.toml"
SINCE = re.compile(r"^since the last run \((\S+ \S+Z), (\S+)\)\n((?:  .*\n)*)", re.M)


def since(run: ChildRun | str) -> tuple[Path, list[str]]:
    """The run this one compared with (its JSON) and the section's lines, as the terminal printed them."""
    out = run if isinstance(run, str) else run.output
    found = SINCE.search(out)
    assert found is not None, out[-3000:]
    lines = [line.strip() for line in found[3].splitlines() if not line.startswith("  history file ignored")]
    return Path(found[2]), lines


def gates(pytester: pytest.Pytester, sb: Sandbox, folder: Path, name: str, *more: str) -> ChildRun:
    return run_gates(pytester, f"--datacenters={sb.config_path}", f"--reports-dir={folder}",
                     f"--html={folder / name}.html", *more)


def kind(folder: Path, name: str) -> dict[str, object]:
    run: dict[str, object] = json.loads((folder / f"{name}.json").read_text())["run"]
    return run


def test_a_subset_and_a_what_if_are_no_baseline(pytester: pytest.Pytester, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "reports"
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=2, datacenters=("us2",)) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        gates(pytester, sb, folder, "a")
        reference = since(gates(pytester, sb, folder, "b"))
        subset = gates(pytester, sb, folder, "s", "--pod=us2/acme")
        after_subset = since(gates(pytester, sb, folder, "c1"))
        what_if = gates(pytester, sb, folder, "w", "--at=2099-01-01")
        after_what_if = since(gates(pytester, sb, folder, "c2"))
    assert reference == (folder / "a.json", ["nothing changed"])
    assert kind(folder, "s") == {"kind": "subset", "why": ["--pod us2/acme"], "series": SERIES}
    assert since(subset) == (folder / "b.json", ["nothing changed"]), "it compares only the pod it checked"
    assert after_subset == (folder / "b.json", reference[1])
    assert kind(folder, "w") == {"kind": "what-if", "why": ["--at 2099-01-01"], "series": SERIES}
    assert what_if.failed, "the what-if judged the chains in 2099: they have expired"
    assert after_what_if == (folder / "c1.json", reference[1])
    assert kind(folder, "c2") == {"kind": "full", "why": [], "series": SERIES}


def test_prepare_between_two_full_runs_is_no_baseline_and_its_files_trip_nothing(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keytool: Path) -> None:
    folder = tmp_path / "reports"
    with Sandbox("missing-intermediate-alias", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        gates(pytester, sb, folder, "a")
        reference = since(gates(pytester, sb, folder, "b"))
        done = subprocess.run([sys.executable, "-m", "cutover", "prepare", f"--datacenters={sb.config_path}",
                               f"--out={tmp_path / 'renewed.jks'}", f"--reports-dir={folder}"],
                              capture_output=True, text=True, env=sb.env(), cwd=ROOT, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        after = gates(pytester, sb, folder, "c")
    assert reference == (folder / "a.json", ["nothing changed"])
    assert since(after) == (folder / "b.json", reference[1])
    assert "history file ignored" not in after.output, after.output[-3000:]
    proving = [json.loads(p.read_text())["run"] for p in folder.glob("prepare-*Z*.json") if "-diff" not in p.name]
    assert [r["kind"] for r in proving] == ["prepare", "prepare"]


def test_a_stopped_run_is_no_baseline_and_names_only_the_pods_it_reached(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "reports"
    with Sandbox("silent-dc", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        gates(pytester, sb, folder, "a", "--timeout=2")
        reference = since(gates(pytester, sb, folder, "b", "--timeout=2"))
        sb.reset_counters()  # the connections of this run only
        stopped = Run(tmp_path, f"--datacenters={sb.config_path}", f"--html={folder / 'i.html'}", "--timeout=30",
                      env=sb.env())
        try:
            start = time.monotonic()
            deadline = start + 60
            while time.monotonic() < deadline:  # every address reached (us2's staging never answers)
                connections = sb.counters()[1]
                if len(connections) >= 4 and min(connections.values()) >= 1 and time.monotonic() >= start + 3:
                    break
                time.sleep(0.1)
            time.sleep(2)
            os.killpg(stopped.proc.pid, signal.SIGINT)
            assert stopped.finish() == pytest.ExitCode.INTERRUPTED, stopped.output[-3000:]
        finally:
            stopped.kill()
        after = gates(pytester, sb, folder, "c", "--timeout=2")
    assert reference == (folder / "a.json", ["nothing changed"])
    own = since(stopped.output)
    assert own[0] == folder / "b.json"
    assert not any("no longer checked" in line or "us2/" in line for line in own[1]), own
    assert kind(folder, "i")["kind"] == "interrupted"
    assert since(after) == (folder / "b.json", reference[1])
