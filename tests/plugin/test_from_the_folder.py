"""The first hour (issue 34, item 1): `pytest` in the folder of datacenters.toml, and ids copied from its output.

Each case is a real `pytest` process started in a folder of the user's (outside the repository), against one
sandbox whose us2 pod fails chain_trusted (`untrusted-ca`), so that a failing id, `--lf` and `--deselect` have
something to select; the gate run's exit code is checked every time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.sandbox import PASSWORD_ENV, Sandbox

pytestmark = pytest.mark.e2e  # starts processes and servers

PYTEST = Path(sys.executable).with_name("pytest")
COPIED = ("datacenters.toml", "client-truststore.jks", "certs")
FAILING = "cutover::chain_trusted[us2/acme]"
ALSO_FAILING = "cutover::new_cert_staged[us2/acme]"  # the scenario's staged leaf is not the bundle's either


@pytest.fixture(scope="module")
def edge() -> Iterator[Sandbox]:
    with Sandbox("untrusted-ca", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
        yield sb


@pytest.fixture
def folder(edge: Sandbox, tmp_path: Path) -> Path:
    """A user's folder: their datacenters.toml, store and bundles, nothing else."""
    for name in COPIED:
        src = edge.workdir / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, tmp_path / name)
    return tmp_path


def run(edge: Sandbox | None, cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", PASSWORD_ENV)}
    if edge is not None:
        env[PASSWORD_ENV] = edge.password
    return subprocess.run([str(PYTEST), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def collected(done: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"\bcollected (\d+) items?", done.stdout)
    assert found, done.stdout + done.stderr
    return int(found.group(1))


def test_bare_pytest_in_the_folder_runs_the_gates_named_as_gates(edge: Sandbox, folder: Path) -> None:
    done = run(edge, folder, "-v")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out  # the sandbox's one failing gate, not pytest's "no tests ran" (5)
    assert collected(done) == 10, out
    assert re.search(rf"^{re.escape(FAILING)} FAILED", done.stdout, re.M), out
    assert f"FAILED {FAILING} - " in done.stdout, out
    assert "site-packages" not in done.stdout and "checks/test_" not in done.stdout, out
    reports = folder / "reports"
    junit = ET.parse(next(reports.glob("cutover-*.xml"))).getroot()
    cases = {(c.get("classname"), c.get("name")) for c in junit.iter("testcase")}
    assert ("cutover", "chain_trusted[us2/acme]") in cases and len(cases) == 10, cases
    evidence = json.loads(next(reports.glob("cutover-*.json")).read_text())
    assert FAILING in {r["test"] for r in evidence["records"]}


def test_k_selects_among_the_gates(edge: Sandbox, folder: Path) -> None:
    done = run(edge, folder, "-k", "chain_trusted", "--no-reports")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 1 passed, 8 deselected" in done.stdout, done.stdout


def test_an_id_as_printed_runs_that_test_alone_here_and_under_xdist(edge: Sandbox, folder: Path) -> None:
    for extra in ([], ["-n", "2"]):
        done = run(edge, folder, FAILING, "--no-reports", *extra)
        assert done.returncode == 1, done.stdout + done.stderr
        assert re.search(r"^FAILED cutover::chain_trusted\[us2/acme\] - .*\n.*1 failed in", done.stdout, re.M), \
            done.stdout
    passing = run(edge, folder, "cutover::chain_trusted[em3/acme]", "--no-reports")
    assert passing.returncode == 0 and "1 passed" in passing.stdout, passing.stdout + passing.stderr
    gate = run(edge, folder, "cutover::chain_trusted", "--no-reports")  # one gate, every pod
    assert gate.returncode == 1 and "1 failed, 1 passed in" in gate.stdout, gate.stdout + gate.stderr


def test_deselect_and_last_failed_take_the_printed_id(edge: Sandbox, folder: Path) -> None:
    first = run(edge, folder, "--no-reports")
    assert first.returncode == 1, first.stdout + first.stderr
    again = run(edge, folder, "--lf", "--no-reports")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "rerun previous 2 failures" in again.stdout and "2 failed, 8 deselected" in again.stdout, again.stdout
    rest = run(edge, folder, "--deselect", FAILING, "--deselect", ALSO_FAILING, "--no-reports")
    assert rest.returncode == 0, rest.stdout + rest.stderr
    assert "8 passed, 2 deselected" in rest.stdout, rest.stdout


def test_an_unknown_gate_in_an_id_is_refused_with_the_gates_named(edge: Sandbox, folder: Path) -> None:
    done = run(edge, folder, "cutover::chain_trustd[us2/acme]")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "no gate 'chain_trustd'; the gates are" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_test_project_keeps_its_tests_and_hears_how_to_run_the_gates(edge: Sandbox, folder: Path) -> None:
    (folder / "test_own.py").write_text("def test_own():\n    pass\n")
    done = run(edge, folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert collected(done) == 1 and "test_own.py ." in done.stdout, done.stdout
    hint = next(line for line in done.stdout.splitlines() if line.startswith("cutover: "))
    command = hint.rpartition(": ")[2]
    assert command == "pytest --datacenters=datacenters.toml", hint
    gates = run(edge, folder, *command.split()[1:], "--no-reports")  # the printed command, as printed
    assert gates.returncode == 1, gates.stdout + gates.stderr
    assert collected(gates) == 10 and "test_own" not in gates.stdout, gates.stdout


def test_collect_only_in_a_folder_without_a_datacenters_file_says_where_it_looked(tmp_path: Path) -> None:
    done = run(None, tmp_path, "--co", "-q")
    assert done.returncode == 5, done.stdout + done.stderr
    assert f"{tmp_path / 'datacenters.toml'} does not exist" in done.stdout, done.stdout
    assert "pytest --sandbox" in done.stdout


def test_a_folder_with_tests_and_no_datacenters_file_hears_nothing_of_the_gates(tmp_path: Path) -> None:
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    done = run(None, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cutover:" not in done.stdout, done.stdout


def test_warnings_point_at_the_users_file_and_line_and_w_error_still_applies(edge: Sandbox, folder: Path) -> None:
    """A pod written as an http:// URL is a warning located at its own line of datacenters.toml, and a gate's
    warning at its data centre's table; `-W error::...CutoverWarning` ends the run on it, in one sentence."""
    toml = folder / "datacenters.toml"
    text = toml.read_text()
    em3 = text.index("[datacenters.em3]")
    toml.write_text(text[:em3] + text[em3:].replace('pods = ["acme"]', 'pods = ["http://acme.fa.em3.oraclecloud.com/"]',
                                                     1))
    lines = toml.read_text().splitlines()
    pod_line = next(i for i, line in enumerate(lines, 1) if "http://acme" in line)
    us2_line = lines.index("[datacenters.us2]") + 1
    done = run(edge, folder, "--no-reports")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out  # the scenario's failing us2 gates; em3's http:// pod passes its gates
    assert (f"{toml}:{pod_line}: CutoverWarning: datacenters.em3.pods: 'http://acme.fa.em3.oraclecloud.com/' is "
            "not an https:// URL") in out, out
    assert 'pods = ["http://acme.fa.em3.oraclecloud.com/"]' in out, "the user's own line is shown under it"
    gate_warnings = [line for line in out.splitlines() if "CutoverWarning: end-entity entry" in line]
    assert gate_warnings and all(line.strip().startswith(f"{toml}:{us2_line}: ") for line in gate_warnings), out
    assert "configure.py" not in out and "issue_config_time_warning" not in out and "fixtures.py" not in out, out
    strict = run(edge, folder, "--no-reports", "-W", "error::cutover.plugin.keys.CutoverWarning")
    assert strict.returncode == 4, strict.stdout + strict.stderr
    assert f"{toml}:{pod_line}: datacenters.em3.pods: 'http://acme" in strict.stderr, strict.stderr
    assert "Traceback" not in strict.stderr, strict.stderr
