"""Pods as customers have them today: by name, by full hostname, by URL, in data centres named by region.

Real Fusion hostnames are not all ``<pod>.fa.<dc>.oraclecloud.com`` (ocs pods name no data centre, a
government cloud's em1 is outside the provider's table), and users copy them from the address bar. The
config unit tests pin each form and mistake; the sandbox run proves the gates pass against an edge that
serves exactly those names, and that a data centre's store gates cover its ocs pods.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cutover.config import ConfigError, load
from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import run_gates

OCS = "fa-eabc-test-saasfaprod1.fa.ocs.oraclecloud.com"
UKG = "eqay-dev3.fa.em1.ukg.oraclecloud.com"


def write(tmp_path: Path, pods: str, code: str = "us6", extra: str = "") -> Path:
    (tmp_path / "store.jks").write_bytes(b"\xfe\xed\xfe\xed")
    path = tmp_path / "datacenters.toml"
    path.write_text(f'[truststore]\npath = "store.jks"\n\n[datacenters.{code}]\npods = {pods}\n{extra}')
    return path


def test_a_pod_is_a_name_a_hostname_a_url_or_a_table(tmp_path: Path) -> None:
    pods = (f'["ejwl", "{OCS}", "https://iaceiz.fa.ocs.oraclecloud.com/fscmUI/faces/FuseWelcome?x=1", '
            f'"https://{UKG}:8443/", {{ name = "soa", hostname = "fa-euxo-saasfaprod1.fa.ocs.oraclecloud.com", '
            'sr = "3-1111" }]')
    cfg = load(write(tmp_path, pods))
    got = [(t.id, t.hostname, t.port, t.sr) for t in cfg.targets]
    assert got == [
        ("us6/ejwl", "ejwl.fa.us6.oraclecloud.com", 443, None),
        ("us6/fa-eabc-test-saasfaprod1", OCS, 443, None),
        ("us6/iaceiz", "iaceiz.fa.ocs.oraclecloud.com", 443, None),  # the URL's path is ignored
        ("us6/eqay-dev3", UKG, 8443, None),  # the URL's port is the pod's
        ("us6/soa", "fa-euxo-saasfaprod1.fa.ocs.oraclecloud.com", 443, "3-1111"),
    ]
    assert cfg.warnings == ()


@pytest.mark.parametrize("code", ["us2", "em1", "us-ashburn-1", "ocs"])
def test_data_centre_codes_may_be_the_providers_or_a_region(tmp_path: Path, code: str) -> None:
    cfg = load(write(tmp_path, f'["{OCS}"]', code))
    assert [t.id for t in cfg.targets] == [f"{code}/fa-eabc-test-saasfaprod1"]


def test_a_scheme_other_than_https_is_accepted_with_a_warning(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, f'["http://{OCS}/"]'))
    assert cfg.targets[0].hostname == OCS
    [notice] = cfg.warnings
    assert "not an https:// URL" in notice.text and notice.text.startswith("datacenters.us6.pods: ")
    lines = notice.path.read_text().splitlines()
    assert notice.path == cfg.path and f"http://{OCS}/" in lines[notice.line - 1], "located at the pod's own line"


@pytest.mark.parametrize(("pods", "code", "message"), [
    (f'["{OCS}", "https://{OCS.upper()}/x"]', "us6",
     rf"two pods have the id 'fa-eabc-test-saasfaprod1' \({OCS} and {OCS}\)"),
    ('["ejwl", "ejwl.fa.ocs.oraclecloud.com"]', "us6",
     r"'ejwl' \(ejwl.fa.us6.oraclecloud.com and ejwl.fa.ocs.oraclecloud.com\)"),
    ('["10.0.0.5"]', "us6", r"datacenters.us6.pods: '10.0.0.5' is an IP address, not a hostname"),
    ('["https://[::1]:8443/"]', "us6", r"is an IP address, not a hostname"),
    ('["https://host.example:99999/"]', "us6", r"no valid port"),
    ('["Bad Pod"]', "us6", r"'Bad Pod' is not a pod name"),
    ('["a..b.example"]', "us6", r"is not a hostname"),
    ('[{ hostnme = "x.fa.ocs.oraclecloud.com" }]', "us6", r"unknown key 'hostnme'.*Did you mean 'hostname'\?"),
    ('[{ sr = "3-1" }]', "us6", r"a pod table needs a name or a hostname"),
    ('["ejwl"]', "US-Ashburn-1", r"lower-case letters, digits and hyphens"),
    ('["ejwl"]', "-us2", r"lower-case letters, digits and hyphens"),
])
def test_each_pod_mistake_names_the_pod_and_the_fix(tmp_path: Path, pods: str, code: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load(write(tmp_path, pods, f'"{code}"' if not re.match(r"^[a-z0-9-]+$", code) or code.startswith("-")
                   else code))
    assert str(tmp_path / "datacenters.toml") in str(caught.value)


#: The sandbox's names: us6 has a pod of the provider's template and two ocs pods; a data centre named by
#: its OCI region holds two more ocs pods.
HOSTNAMES = {
    "us6": ["acme.fa.us6.oraclecloud.com", OCS, UKG],
    "us-ashburn-1": ["fa-euxo-saasfaprod1.fa.ocs.oraclecloud.com", "iaceiz.fa.ocs.oraclecloud.com"],
}


def test_every_gate_passes_on_pods_by_name_hostname_and_url(pytester: pytest.Pytester, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox("good", workdir=tmp_path / "edge", datacenters=(), hostnames=HOSTNAMES) as sb:
        text = sb.config_path.read_text()
        port = re.search(r"^port = (\d+)$", text, re.M).group(1)  # type: ignore[union-attr]
        us6 = f'pods = ["acme", "{OCS}", {{ hostname = "https://{UKG}:{port}/fscmUI/faces", sr = "3-2222" }}]'
        ashburn = ('pods = ["https://fa-euxo-saasfaprod1.fa.ocs.oraclecloud.com/", '
                   '{ name = "iaceiz-prod", hostname = "iaceiz.fa.ocs.oraclecloud.com" }]')
        text = re.sub(r"^pods = \[.*acme\.fa\.us6.*\]$", lambda _: us6, text, flags=re.M)
        text = re.sub(r"^pods = \[.*fa-euxo.*\]$", lambda _: ashburn, text, flags=re.M)
        sb.config_path.write_text(text)
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        run = run_gates(pytester, f"--datacenters={sb.config_path}")
    ids = {"us6/acme", "us6/fa-eabc-test-saasfaprod1", "us6/eqay-dev3", "us-ashburn-1/fa-euxo-saasfaprod1",
           "us-ashburn-1/iaceiz-prod"}
    pod_gates = {(g, i) for g in ("staging_resolves", "chain_trusted", "new_cert_staged") for i in ids}
    store_gates = {(g, dc) for g in ("aliases_present", "no_lb_cert") for dc in ("us6", "us-ashburn-1")}
    assert run.outcomes == dict.fromkeys(pod_gates | store_gates, "passed"), run.output
    # The store gates of a data centre read its bundle, which names its ocs pods: no_lb_cert looked at them.
    assert run.result.ret == 0, run.output


def test_the_store_gates_of_a_region_named_data_centre_cover_its_ocs_pods(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A leaf pinned in the store for an ocs pod fails no_lb_cert of the data centre the user put it in; an
    http:// URL still runs, with the warning shown."""
    with Sandbox("pinned-leaf", workdir=tmp_path / "edge", datacenters=(), hostnames=HOSTNAMES,
                 fault_dc="us-ashburn-1") as sb:
        text = sb.config_path.read_text().replace('"fa-euxo-saasfaprod1.fa.ocs.oraclecloud.com"',
                                                   '"http://fa-euxo-saasfaprod1.fa.ocs.oraclecloud.com/"')
        sb.config_path.write_text(text)
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        run = run_gates(pytester, f"--datacenters={sb.config_path}")
    assert run.failed == {("no_lb_cert", "us-ashburn-1")}, run.output
    assert "fa-euxo-saasfaprod1.fa.ocs.oraclecloud.com" in run.messages[("no_lb_cert", "us-ashburn-1")]
    assert "is not an https:// URL" in run.output


@pytest.mark.e2e  # starts processes: not in make test-fast
def test_a_run_reads_and_writes_in_the_folder_it_runs_in(tmp_path: Path) -> None:
    """No --datacenters, no --reports-dir: ./datacenters.toml of the current folder, and ./reports/ there,
    not the clone's (whose history would mix every user's runs)."""
    import os
    import subprocess
    import sys

    from tests.conftest import CHECKS, ROOT

    clone_reports = ROOT / "reports"
    before = set(clone_reports.iterdir()) if clone_reports.is_dir() else set()
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        env = {**os.environ, PASSWORD_ENV: sb.password}
        cmd = [sys.executable, "-m", "pytest", str(CHECKS), "-q", "-p", "no:cacheprovider"]
        first = subprocess.run(cmd, cwd=sb.workdir, env=env, capture_output=True, text=True, timeout=300)
        second = subprocess.run(cmd, cwd=sb.workdir, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "ready for cutover: all 5 gate tests passed" in first.stdout
    made = sorted(p.suffix for p in (tmp_path / "edge" / "reports").iterdir() if p.suffix != ".png")
    assert made == [".html", ".html", ".json", ".json", ".xml", ".xml"], made
    # The second run finds the first one's evidence in ./reports/ of its folder.
    assert "since the last run (" in second.stdout and str(tmp_path / "edge" / "reports") in second.stdout, \
        second.stdout
    # Nothing of these runs in the clone's reports/ (where `make demo`, run by another test at the same time, may
    # write its own): no new file there names this sandbox's folder.
    new = (set(clone_reports.iterdir()) if clone_reports.is_dir() else set()) - before
    ours = [p for p in new if p.is_file() and str(tmp_path).encode() in p.read_bytes()]
    assert ours == [], ours


@pytest.mark.e2e  # starts processes: not in make test-fast
def test_prepare_says_where_its_reports_go() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "cutover", "prepare", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert "./reports/ of the current folder" in " ".join(done.stdout.split()), done.stdout
