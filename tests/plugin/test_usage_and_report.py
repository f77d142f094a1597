"""What a user meets around the gates: usage errors, the sandbox command, the HTML report."""

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

from tests.conftest import ROOT, run_gates

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast


def test_bad_config_is_a_usage_error_before_any_test(pytester: pytest.Pytester, tmp_path: Path) -> None:
    toml = tmp_path / "datacenters.toml"
    toml.write_text('[defaults]\nprot = 443\n[truststore]\npath = "x.jks"\n[datacenters.us2]\npods = ["a"]\n')
    run = run_gates(pytester, "--datacenters", str(toml), exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    err = run.result.stderr.str()
    assert "unknown key 'prot' in [defaults]. Did you mean 'port'?" in err
    assert "Traceback" not in run.output and run.outcomes == {}


def test_password_variable_not_set_is_a_usage_error(pytester: pytest.Pytester, tmp_path: Path) -> None:
    (tmp_path / "s.jks").write_bytes(b"\xfe\xed\xfe\xed")
    toml = tmp_path / "datacenters.toml"
    toml.write_text('[truststore]\npath = "s.jks"\npassword_env = "CUTOVER_TEST_UNSET_PW"\n'
                    '[datacenters.us2]\npods = []\n')
    run = run_gates(pytester, "--datacenters", str(toml), exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "export CUTOVER_TEST_UNSET_PW" in run.result.stderr.str()


def test_unknown_scenario_is_a_usage_error(pytester: pytest.Pytester) -> None:
    run = run_gates(pytester, "--sandbox", "pinned-lef", exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown sandbox scenario 'pinned-lef'" in run.result.stderr.str()


def test_suite_tests_need_no_datacenters_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    assert pytester.runpytest_subprocess("-p", "no:cacheprovider").ret == 0


def test_sandbox_command_prints_how_to_point_pytest_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    workdir = tmp_path / "edge"
    proc = subprocess.Popen([sys.executable, "-m", "cutover.sandbox", "--dir", str(workdir), "--pods", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C stops it" in line or not line:
                break
        text = "".join(lines)
        assert f"pytest --datacenters {workdir / 'datacenters.toml'}" in text
        assert 'export CUTOVER_SANDBOX_PASSWORD="$(cat' in text
        password = (workdir / "truststore.password").read_text()
        assert password not in text
        # The servers really answer while it runs.
        ns = re.search(r'nameservers = \["([\d.]+):(\d+)"\]', (workdir / "datacenters.toml").read_text())
        assert ns is not None
        import dns.message
        import dns.query
        reply = dns.query.udp(dns.message.make_query("acme.fa.us2.oraclecloud.com.", "A"), ns[1],
                              port=int(ns[2]), timeout=2)
        assert reply.answer
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "cutover sandbox stopped." in out


def test_demo_report_says_simulated_and_holds_no_password(pytester: pytest.Pytester, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    run = run_gates(pytester, "--sandbox", "pinned-leaf", "--dc", "us2", f"--html={report}", "--self-contained-html")
    assert run.result.ret == 1
    page = report.read_text()
    import html as html_mod
    assert re.search(r"<title[^>]*>SIMULATED staging edge \(sandbox .pinned-leaf.\)", html_mod.unescape(page))
    assert "not the provider's staging network" in html_mod.unescape(page)
    assert "JDK that judged" in page and "Java 1" in html_mod.unescape(page)
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob is not None
    data = json.loads(html_mod.unescape(blob[1]))
    rows = json.dumps(data)
    assert "keytool -delete -alias us2-lb-cert" in rows
    assert "127.20.11.1 acme.fa.us2.oraclecloud.com" in rows  # the hosts-file line a person would use
    assert f"report: {report}" in run.output
    # The password the sandbox generated lives only in its (now removed) folder and the child's env.
    assert "CUTOVER_SANDBOX_PASSWORD=" not in page
    assert os.environ.get("CUTOVER_SANDBOX_PASSWORD") is None


def test_a_run_changes_no_input_file(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    """The truststore, the bundles and datacenters.toml are byte-for-byte the same after a run."""
    import hashlib

    from cutover.sandbox import PASSWORD_ENV, Sandbox

    def digests(folder: Path) -> dict[str, str]:
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".toml", ".jks", ".zip")}

    with Sandbox("pinned-leaf", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        before = digests(sb.workdir)
        assert len(before) == 4  # datacenters.toml, the store, two bundles
        mtimes = {p: p.stat().st_mtime_ns for p in sb.workdir.rglob("*") if p.is_file()}
        run = run_gates(pytester, f"--datacenters={sb.config_path}")
        assert run.failed == {("no_lb_cert", "us2")}
        assert digests(sb.workdir) == before
        assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items() if p.exists())


def test_ctrl_c_still_leaves_the_report(tmp_path: Path) -> None:
    """Interrupted while gathering (a silent data centre holds the handshakes open): the HTML report and the
    JSON evidence are still written, the JSON says it was interrupted, and the run ends within its timeouts."""
    folder = tmp_path / "reports"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", str(ROOT / "checks"), "-p", "no:cacheprovider", "--sandbox=silent-dc",
         "--timeout=6", f"--reports-dir={folder}"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    seen = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait for collection: the sandbox is up, gathering starts next
            line = proc.stdout.readline()
            seen.append(line)
            if not line or line.startswith("collected"):
                break
        time.sleep(1.5)  # now the silent handshakes are pending
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        out = "".join(seen) + out
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    html_files = list(folder.glob("*.html"))
    json_files = list(folder.glob("*.json"))
    assert len(html_files) == 1 and len(json_files) == 1, out
    doc = json.loads(json_files[0].read_text())
    assert doc["interrupted"] is True and doc["ready"] is False


def test_scenario_page_lists_every_scenario_with_its_gates() -> None:
    """docs/scenarios.md is generated from SCENARIOS (tests/test_docs.py keeps it current); read as a user would."""
    from cutover.sandbox import SCENARIOS

    readme = (ROOT / "docs" / "scenarios.md").read_text()
    for s in SCENARIOS.values():
        if s.name == "good":
            continue
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{s.name}` |")), None)
        assert row is not None, f"docs/scenarios.md lacks {s.name}"
        for gate, _ in s.fails:
            assert gate in row, f"{s.name}: docs/scenarios.md does not say {gate} fails"


def test_two_data_centres_naming_one_alias_for_different_certificates_is_a_usage_error(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One alias holds one certificate: no store satisfies two data centres that name it for different CAs, so
    the run stops before it gathers anything, naming both (a plan would otherwise replace one with the other,
    round after round)."""
    import zipfile

    from cutover.sandbox import pki

    roots = {dc: pki.make_root(f"Provider Root {dc}") for dc in ("us2", "em3")}
    for dc, root in roots.items():
        with zipfile.ZipFile(tmp_path / f"{dc}.zip", "w") as z:
            z.writestr("root.pem", root.pem)
            z.writestr("inter.pem", pki.make_intermediate(f"Provider CA {dc}", root).pem)
    (tmp_path / "store.pem").write_bytes(roots["us2"].pem)
    monkeypatch.setenv("CUTOVER_TEST_PW", "x")
    toml = tmp_path / "datacenters.toml"
    toml.write_text('[defaults]\nroot_alias = "oracle-root"\nintermediate_alias = "oracle-ca"\n'
                    '[truststore]\npath = "store.pem"\npassword_env = "CUTOVER_TEST_PW"\n'
                    '[datacenters.us2]\npods = []\nbundle = "us2.zip"\n'
                    '[datacenters.em3]\npods = []\nbundle = "em3.zip"\n')
    run = run_gates(pytester, "--datacenters", str(toml), exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    err = " ".join(run.result.stderr.str().split())
    assert f"{toml}: us2's root_alias and em3's root_alias both name alias 'oracle-root' in " in err, err
    assert "Provider Root us2" in err and "Provider Root em3" in err and 'root_alias = "oracle-em3-root"' in err
    assert "Traceback" not in run.output and run.outcomes == {}
