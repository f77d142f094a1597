"""`python -m cutover prepare`: a fixed copy of the store, proven by the gates with the JVM; the original untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cutover.cli.prepare import file_sha256
from cutover.sandbox import PASSWORD_ENV, Sandbox
from cutover.stores import truststore
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

INTER = "sandbox-issuing-ca-g2"

#: scenario -> the diff prepare must show: (change, alias)
FIXABLE = {
    "missing-intermediate": {("added", INTER)},
    "missing-intermediate-alias": {("added", INTER)},
    "stale-intermediate": {("replaced", INTER)},
    "intermediate-other-alias": {("added", INTER)},  # the entry under another alias stays, for what names it
    "pinned-leaf": {("removed", "us2-lb-cert")},
    "pinned-production-leaf": {("removed", "us2-prod-lb")},
}


def prepare(sb: Sandbox, out: Path, reports: Path, *more: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PASSWORD_ENV: sb.password}
    return subprocess.run([sys.executable, "-m", "cutover", "prepare", f"--datacenters={sb.config_path}",
                           f"--out={out}", f"--reports-dir={reports}", *more],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


#: make test prepares a store whose entry is replaced and one whose leaf is removed; the added ones in the slow tier.
FAST_FIXABLE = ("stale-intermediate", "pinned-leaf")


@pytest.mark.parametrize("scenario", [s if s in FAST_FIXABLE else pytest.param(s, marks=pytest.mark.slow)
                                      for s in FIXABLE])
def test_prepare_fixes_what_a_store_change_can_fix(scenario: str, tmp_path: Path, keytool: Path) -> None:
    with Sandbox(scenario, workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
        original = sb.truststore_path.read_bytes()
        out = tmp_path / "renewed.jks"
        done = prepare(sb, out, tmp_path / "reports")
        assert done.returncode == 0, done.stdout + done.stderr
        assert sb.truststore_path.read_bytes() == original, "the original store is only read"
        assert done.stdout.count(file_sha256(sb.truststore_path)) == 2, "SHA-256 printed before and after"
        assert "(unchanged)" in done.stdout and "READY: every gate passes" in done.stdout
        reports = sorted((tmp_path / "reports").glob("prepare-*Z.json"))
        assert len(reports) == 1, "the proof: one evidence report of the run against the copy"
        doc = json.loads(reports[0].read_text())
        assert doc["judge"]["engine"] == "jvm", "proven with the JVM, not the approximate engine"
        assert {r["outcome"] for r in doc["records"]} == {"passed"}
        assert {(c["change"], c["alias"]) for c in doc["store_diff"]["changes"]} == FIXABLE[scenario]
        html = reports[0].with_suffix(".html").read_text()
        assert "id='store-diff'" in html
        # Unrelated entries are never touched: the partner's pinned leaf is still there, byte for byte.
        def listing(store: Path) -> dict[str, str]:
            return {e.alias: e.cert.sha256 for e in truststore.read(store, sb.password).java_entries if e.cert}

        before, after = listing(sb.truststore_path), listing(out)
        assert after["partner-sftp"] == before["partner-sftp"]
        touched = {alias for _, alias in FIXABLE[scenario]}
        assert {a: s for a, s in before.items() if a not in touched} == \
               {a: s for a, s in after.items() if a not in touched}


def test_prepare_says_what_a_store_change_cannot_fix(tmp_path: Path, keytool: Path) -> None:
    with Sandbox("hostname-mismatch", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
        original = sb.truststore_path.read_bytes()
        out = tmp_path / "renewed.jks"
        done = prepare(sb, out, tmp_path / "reports")
        assert done.returncode == 1, done.stdout + done.stderr
        assert sb.truststore_path.read_bytes() == original
        assert "NOT READY" in done.stdout and "a change of the store cannot fix" in done.stdout
        assert "chain_trusted us2/acme" in done.stdout
        assert not out.exists() and (tmp_path / "renewed.NOT-READY.jks").exists()


def test_prepare_refuses_to_overwrite_or_to_write_the_original(tmp_path: Path, keytool: Path) -> None:
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        (tmp_path / "there.jks").write_bytes(b"keep me")
        done = prepare(sb, tmp_path / "there.jks", tmp_path / "reports")
        assert done.returncode == 2 and "already exists; move it away or add --force" in done.stderr
        assert (tmp_path / "there.jks").read_bytes() == b"keep me"
        done = prepare(sb, sb.truststore_path, tmp_path / "reports")
        assert done.returncode == 2 and "is the client's truststore itself" in done.stderr
        assert "Traceback" not in done.stderr


def test_with_several_clients_prepare_fixes_the_one_named(tmp_path: Path, keytool: Path) -> None:
    """--client picks the store; without it, prepare names the clients instead of taking the first."""
    from tests.plugin.test_clients import clients_toml

    with Sandbox("missing-intermediate-alias", workdir=tmp_path / "edge", pods_per_dc=1,
                 datacenters=("us2", "em3")) as sb:
        good = tmp_path / "good.jks"  # a second integration whose store already holds the intermediate
        with Sandbox("good", workdir=tmp_path / "other", pods_per_dc=1, datacenters=("us2",)) as other:
            good.write_bytes(other.truststore_path.read_bytes())
            good_password = other.password
        toml = sb.workdir / "clients.toml"
        toml.write_text(clients_toml(sb, f"""[clients.soa]
truststore = "{sb.truststore_path}"
password_env = "{PASSWORD_ENV}"

[clients.gateway]
truststore = "{good}"
password_env = "GATEWAY_PW"
"""))
        env = {**os.environ, PASSWORD_ENV: sb.password, "GATEWAY_PW": good_password}

        def run(*more: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "cutover", "prepare", f"--datacenters={toml}",
                                   f"--reports-dir={tmp_path / 'reports'}", *more],
                                  capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)

        done = run(f"--out={tmp_path / 'new.jks'}")
        assert done.returncode == 2 and "several clients (soa, gateway)" in done.stderr
        assert "--client NAME" in done.stderr and "Traceback" not in done.stderr
        original = sb.truststore_path.read_bytes()
        done = run(f"--out={tmp_path / 'soa-renewed.jks'}", "--client", "soa")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "READY: every gate passes" in done.stdout and "added" in done.stdout
        assert sb.truststore_path.read_bytes() == original
