"""One report per service request, and a report whose size grows with the pods, not with pods x store entries."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import run_gates


def with_srs(text: str) -> str:
    """us2's pods on SR 3-2000 (its data centre's SR), em3's acme on 3-3000 (a pod table), the rest on none."""
    text = text.replace('[datacenters.us2]\nname = "US2 - Chicago"\n', '[datacenters.us2]\nname = "US2 - Chicago"\n'
                        'sr = "3-2000"\n')
    return text.replace('[datacenters.em3]\nname = "EM3 - Slough"\npods = ["acme", "acme-test"]',
                        '[datacenters.em3]\nname = "EM3 - Slough"\npods = [{ name = "acme", sr = "3-3000" }, '
                        '"acme-test"]')


def test_one_report_per_sr_holds_only_its_pods_and_their_store_gates(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    with Sandbox("not-staged-yet", workdir=tmp_path / "edge", pods_per_dc=2, datacenters=("us2", "em3", "la1")) as sb:
        config = sb.workdir / "with-srs.toml"
        config.write_text(with_srs(sb.config_path.read_text()))
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        run = run_gates(pytester, f"--datacenters={config}", f"--reports-dir={folder}", "--report-per-sr")
    assert run.failed == {("new_cert_staged", "us2/acme")}
    [full] = [p for p in folder.glob("*.html") if "-SR-" not in p.name]
    stem = full.stem
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{stem}{tail}" for tail in (".html", ".json", *(f"-SR-{sr}.{ext}" for sr in ("3-2000", "3-3000")
                                                         for ext in ("html", "json", "xml"))))  # JUnit: run_gates's
    expected = {
        "3-2000": {(g, f"us2/{p}") for g in ("staging_resolves", "chain_trusted", "new_cert_staged")
                   for p in ("acme", "acme-test")} | {("aliases_present", "us2"), ("no_lb_cert", "us2")},
        "3-3000": {(g, "em3/acme") for g in ("staging_resolves", "chain_trusted", "new_cert_staged")}
                  | {("aliases_present", "em3"), ("no_lb_cert", "em3")},
    }
    others = {"3-2000": ("em3", "la1"), "3-3000": ("us2", "la1", "acme-test.fa.em3", "em3/acme-test")}
    for sr, want in expected.items():
        base = folder / f"{stem}-SR-{sr}"
        doc = json.loads(base.with_name(base.name + ".json").read_text())
        assert doc["service_request"] == sr and doc["environment"]["Service request"] == sr
        assert {(r["gate"], r["target"]) for r in doc["records"]} == want
        assert set(doc["pods"]) == {t for _, t in want if "/" in t}
        assert set(doc["bundles"]) == {t for _, t in want if "/" not in t}
        # Its pods' phases, as in the full report: the JSON's lifecycle section, the matrix column, each pod row.
        assert set(doc["lifecycle"]) == set(doc["pods"]) and all(p["phase"] for p in doc["pods"].values())
        cases = ET.parse(base.with_name(base.name + ".xml")).getroot().iter("testcase")
        assert {c.get("name") for c in cases} == {f"{g}[{t}]" for g, t in want}
        page = base.with_name(base.name + ".html").read_text()
        assert f"<title>SIMULATED staging edge (sandbox &#x27;not-staged-yet&#x27;): cutover: certificate renewal " \
               f"gates for SR {sr}</title>" in page
        assert not re.search(r"<(script|link)\b|src=|https?://", page), "self-contained, nothing fetched"
        assert "<th>phase</th>" in page and "class='cutover-phase'" in page
        # Nothing of another SR's pods: no hostname, no row, no matrix line. (The data centre's bundle is the
        # provider's one file for it, shown whole: it names the server certificates of all its pods.)
        evidence = json.dumps([doc[k] for k in ("pods", "records", "datacenters", "fix_plan")])
        outside_bundles = re.sub(r"<details id='cutover-bundle-.*?</details>", "", page)
        for other in others[sr]:
            assert other not in outside_bundles and other not in evidence, other
        if sr == "3-2000":
            [step] = doc["fix_plan"]
            assert step["owner"] == "provider" and step["sr"] == "3-2000"
            assert step["sentence"].startswith("ask the provider on SR 3-2000: activate the renewed certificate")
            assert "id='fix-plan'" in page and "ask the provider on SR 3-2000" in page
        else:
            assert doc["fix_plan"] == [] and "id='fix-plan'" not in page
    full_page = full.read_text()
    for sr in expected:
        assert f"href='{stem}-SR-{sr}.html'" in full_page
    # Pods without an SR are in the full report only, which holds everything.
    assert len(json.loads(full.with_suffix(".json").read_text())["records"]) == 3 * 6 + 2 * 3
    assert f"SR 3-2000: {folder / f'{stem}-SR-3-2000.html'}" in run.output
    # ... and both the terminal and the full report say which they are, so nobody takes the SR files for all pods.
    lost = "em3/acme-test, la1/acme, la1/acme-test"
    assert f"in no per-SR report (3 pod(s) without an SR; the full report has them): {lost}" in run.output
    assert f"In no per-SR report (3 pod(s) without an SR; this report has them): {lost}." in full_page


def test_report_per_sr_needs_a_report_to_sit_beside(pytester: pytest.Pytester) -> None:
    run = run_gates(pytester, "--sandbox", "good", "--dc", "us2", "--report-per-sr",  # run_gates adds --no-reports
                    exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--report-per-sr writes files beside the full report" in run.result.stderr.str()


CACERTS = Path("/etc/ssl/certs/java/cacerts")


@pytest.mark.skipif(not CACERTS.is_file(), reason="no JDK cacerts at /etc/ssl/certs/java/cacerts "
                    "(.ci/run installs openjdk-17-jdk-headless)")
def test_report_size_grows_with_pods_not_with_store_entries(pytester: pytest.Pytester, keytool: Path,
                                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """56 pods, the sandbox store merged with the JDK's cacerts (about 150 entries), a store-wide fault: the HTML
    report and the JSON evidence each stay under 1 MB (they were 2.7 MB and 3.9 MB with the store in every row)."""
    folder = tmp_path / "reports"
    with Sandbox("missing-intermediate", workdir=tmp_path / "edge", pods_per_dc=4) as sb:
        subprocess.run([str(keytool), "-importkeystore", "-noprompt", "-srckeystore", str(CACERTS),
                        "-srcstorepass:env", "SRC", "-destkeystore", str(sb.truststore_path),
                        "-deststorepass:env", PASSWORD_ENV], env={**sb.env(), "SRC": "changeit"}, check=True,
                       capture_output=True, timeout=120)
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        run = run_gates(pytester, f"--datacenters={sb.config_path}", f"--reports-dir={folder}")
    assert len(run.outcomes) == 56 * 3 + 14 * 2
    doc_path = next(folder.glob("*.json"))
    doc = json.loads(doc_path.read_text())
    assert len(doc["truststores"]["default"]["entries"]) > 140
    sizes = {p.suffix: p.stat().st_size for p in folder.iterdir()}
    assert sizes[".html"] < 1_000_000 and sizes[".json"] < 1_000_000, sizes
    # The store is written once: its last entry's fingerprint appears once in the JSON, at most twice in the HTML
    # (the folded store table, and a row's entries that concern it only when relevant).
    last = doc["truststores"]["default"]["entries"][-1]["certificate"]["sha256"]
    assert doc_path.read_text().count(last) == 1
    assert next(folder.glob("*.html")).read_text().count(last) <= 2
