"""A non-editable install runs the gates from any folder: the gate modules ship inside the package.

`pip install .` (or a wheel, or from git) puts cutover in site-packages with no clone beside it; the plugin
must find its checks there (as the package ``cutover.checks``), and a run from an empty folder must pass
every gate of the good sandbox and fail exactly as a clone does on a fault.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import report_files
from tests.installs import install_copy

# Each test installs cutover into a fresh venv (half a minute or more): the slow tier, which .ci/run runs.
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _pytest(bindir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # `python -m pytest`: with the dependencies borrowed, pip wrote no `pytest` script into this venv.
    return subprocess.run([str(bindir / "python"), "-m", "pytest", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_a_non_editable_install_runs_the_gates_from_an_empty_folder(tmp_path: Path) -> None:
    bindir, project = install_copy(tmp_path, editable=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([str(bindir / "python"), "-c", "import cutover.base.paths as p; print(p.CHECKS, p.CLONE)"],
                           cwd=empty, capture_output=True, text=True, timeout=60)
    checks, clone = where.stdout.split()
    assert "site-packages" in checks and not Path(checks).is_relative_to(project), where.stdout + where.stderr
    assert clone == "None", "an installed cutover has no clone to put its reports in"

    # The console script is the same program as python -m cutover, and says so by its own name.
    helped = subprocess.run([str(bindir / "cutover"), "--help"], cwd=empty, capture_output=True, text=True,
                            timeout=60)
    assert helped.returncode == 0 and helped.stdout.startswith("usage: cutover "), helped.stdout + helped.stderr
    assert all(cmd in helped.stdout for cmd in ("truststore", "bundle", "prepare")), helped.stdout

    good = _pytest(bindir, empty, "--sandbox", "--dc", "us2", "--sandbox-pods", "1")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ready for cutover: all 5 gate tests passed" in good.stdout
    assert {p.suffix for p in report_files(empty / "reports")} == {".html", ".json", ".xml"}, \
        "the reports of an installed cutover go to the reports/ folder of the folder it runs in"

    pinned = _pytest(bindir, empty, "--sandbox=pinned-leaf", "--dc", "us2", "--sandbox-pods", "1", "--no-reports",
                     f"--html={tmp_path / 'pinned.html'}")
    assert pinned.returncode == 1, pinned.stdout + pinned.stderr
    doc = json.loads((tmp_path / "pinned.json").read_text())
    failed = {(r["gate"], r["target"]) for r in doc["records"] if r["outcome"] == "failed"}
    assert failed == {("no_lb_cert", "us2")}
    assert "server certificate of the us2 bundle" in pinned.stdout
    # The ids read as the gates, not as the site-packages path the modules have, and run as printed.
    assert "FAILED cutover::no_lb_cert[us2] - " in pinned.stdout and "checks/test_" not in pinned.stdout
    again = _pytest(bindir, empty, "--sandbox=pinned-leaf", "--dc", "us2", "--sandbox-pods", "1", "--no-reports",
                    "cutover::no_lb_cert[us2]")
    assert again.returncode == 1 and "collected 1 item" in again.stdout, again.stdout + again.stderr


def test_make_demo_installs_what_a_gate_run_needs_and_nothing_else(tmp_path: Path) -> None:
    """`make demo` from scratch: the runtime install only; the [dev] extra (playwright, ruff, ...) is make test's."""
    import shutil

    import pytest

    if shutil.which("make") is None:
        pytest.skip("no make")
    root = Path(__file__).resolve().parent.parent
    venv = tmp_path / "venv"

    def plan(target: str) -> str:
        done = subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=root, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    demo, test = plan("demo"), plan("test")
    assert "pip install --quiet -e .\n" in demo and "[dev]" not in demo and "wheelhouse" not in demo, demo
    assert "--sandbox=good" in demo
    assert "pip install --quiet -e '.[dev]'" in test and "pip install --quiet -e .\n" in test, test


def test_cutover_init_writes_a_file_that_runs_from_an_empty_folder(tmp_path: Path) -> None:
    """A first real run: the pods' URLs (with their port, ocs names among them), the provider's zips and a shared
    store (one root under an alias per data centre) -> `cutover init` -> a bare `pytest` in the folder passes every
    gate, and the evidence lands in ./reports/ of the folder the user runs in. A typo'd scheme is refused first."""
    import os
    import re
    import zipfile

    from cutover.sandbox import PASSWORD_ENV, Sandbox, find_keytool
    from cutover.stores import keytool

    bindir, _ = install_copy(tmp_path, editable=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    # us2's bundle names an ocs pod beside its own; us-ashburn-1's names only an ocs pod (a group of its own).
    hostnames = {"us2": ["acme.fa.us2.oraclecloud.com", "fa-eabc-test-saasfaprod1.fa.ocs.oraclecloud.com"],
                 "em1": ["eqay-dev3.fa.em1.ukg.oraclecloud.com"],
                 "us-ashburn-1": ["fa-wxyz-saasfaprod1.fa.ocs.oraclecloud.com"]}
    with Sandbox("good", workdir=tmp_path / "edge", datacenters=(), hostnames=hostnames) as sb:
        port = re.search(r"^port = (\d+)$", sb.config_path.read_text(), re.M).group(1)  # type: ignore[union-attr]
        dns = "{}:{}".format(*sb.dns_address)
        env = {**os.environ, PASSWORD_ENV: sb.password}
        root = tmp_path / "root.pem"
        with zipfile.ZipFile(sb.workdir / "certs" / "us2.zip") as z:
            root.write_bytes(z.read("SandboxRootCAG2.crt.pem"))
        keytool.import_certs(find_keytool(), sb.truststore_path, {f"oracle-{dc}-root": root for dc in hostnames},
                             password_env=PASSWORD_ENV, env=env)  # beside sandbox-root-g2: four aliases, one root
        urls = [f"https://{h}:{port}/fscmUI/faces/FuseWelcome" for hosts in hostnames.values() for h in hosts]
        init = [str(bindir / "cutover"), "init", *urls, f"--bundles={sb.workdir / 'certs'}",
                f"--truststore={sb.truststore_path}", f"--password-env={PASSWORD_ENV}", f"--nameserver={dns}"]
        typo = subprocess.run([*init[:3], "htps://abcd.fa.us2.oraclecloud.com/", *init[3:]], cwd=empty, env=env,
                              capture_output=True, text=True, timeout=120)
        assert typo.returncode == 2 and typo.stdout == "", typo.stdout + typo.stderr  # refused before any look-up
        assert "'htps://abcd.fa.us2.oraclecloud.com/' starts with 'htps://', a typo of https://" in typo.stderr
        assert not (empty / "datacenters.toml").exists()

        wrote = subprocess.run(init, cwd=empty, env=env, capture_output=True, text=True, timeout=120)
        assert wrote.returncode == 0, wrote.stdout + wrote.stderr
        ids = ("us2/acme", "us2/fa-eabc-test-saasfaprod1", "em1/eqay-dev3", "us-ashburn-1/fa-wxyz-saasfaprod1")
        said = wrote.stdout.splitlines()
        assert said[0] == f"resolved 4 pod(s) and their staging twins through {dns}:", wrote.stdout
        assert [line.split(":")[0].strip() for line in said[1:5]] == list(ids), wrote.stdout
        assert all(" -> 127.20." in line and "warning" not in line for line in said[1:5]), wrote.stdout
        text = (empty / "datacenters.toml").read_text()
        tables = {t.split("]", 1)[0]: t for t in text.split("[datacenters.")[1:]}
        assert list(tables) == ["us2", "em1", "us-ashburn-1"], text  # no [datacenters.ocs]: every pod proven
        assert f'"https://fa-eabc-test-saasfaprod1.fa.ocs.oraclecloud.com:{port}/"' in tables["us2"], text
        assert f'nameservers = ["{dns}"]' in text
        for dc in hostnames:  # each data centre's alias is its own, the others named in a comment
            assert f'root_alias = "oracle-{dc}-root"   # the bundle\'s root CA sits under it in the truststore (also ' \
                   "under " in tables[dc], tables[dc]
        again = subprocess.run(init, cwd=empty, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 2 and "never overwrites" in again.stderr, again.stdout + again.stderr
        assert (empty / "datacenters.toml").read_text() == text

        run = subprocess.run([str(bindir / "python"), "-m", "pytest"], cwd=empty, env=env, capture_output=True,
                             text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ready for cutover: all 18 gate tests passed" in run.stdout, run.stdout  # 4 pods x 3 + 3 DCs x 2
    junit = next((empty / "reports").glob("*.xml")).read_text()
    for pod in ids:
        assert f"[{pod}]" in junit, pod
    assert sorted(p.suffix for p in report_files(empty / "reports")) == [".html", ".json", ".xml"]
