"""One handshake per address when a JVM judges (issue 24.1, 24.2), counted on the sandbox's own TLS servers,
and the presented chains of the evidence JSON exactly what Python's own fetch of each address records.

Python handshakes an address itself only where the JVM's handshake cannot stand for its fetch: the JVM
saw no certificate (TLS 1.0 only, here), its options change its ClientHello, or there is no JVM.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cutover.net.tls import fetch_chain
from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import run_gates

pytestmark = pytest.mark.e2e  # starts the sandbox, JVMs and child pytests

DCS = ("us2", "em3")


def _once(chain: dict[str, Any]) -> int:
    return 1


def _twice_where_the_jvm_saw_none(chain: dict[str, Any]) -> int:
    return 2 if chain["protocol"] == "TLSv1" else 1  # Python's observer still speaks TLS 1.0


def _twice(chain: dict[str, Any]) -> int:
    return 2


@pytest.mark.parametrize(("scenario", "options", "handshakes", "failed"), [
    # The JVM rejects the fault pod's chain from another CA: still one handshake, and its chain is the evidence.
    ("untrusted-ca", (), _once, {("chain_trusted", "us2/acme"), ("new_cert_staged", "us2/acme")}),
    # The JVM will not speak TLS 1.0 and sees no certificate: Python fetches that address (and gets its chain).
    ("tls10-only", (), _twice_where_the_jvm_saw_none, {("chain_trusted", "us2/acme")}),
    # A JVM told to offer TLS 1.2 only may be served what Python is not: Python fetches every address.
    ("good", ("--java-option=-Djdk.tls.client.protocols=TLSv1.2",), _twice, set()),
    # No JVM (the approximate engine): Python fetches every address, once.
    ("good", ("--java-home=/nonexistent-jdk",), _once, set()),
], ids=["rejected-chain", "tls10-only", "tls12-option", "no-jvm"])
def test_handshakes_per_address_and_the_chains_pythons_fetch_records(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, scenario: str, options: tuple[str, ...],
        handshakes: Callable[[dict[str, Any]], int], failed: set[tuple[str, str]]) -> None:
    with Sandbox(scenario, datacenters=DCS) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        sb.reset_counters()
        run = run_gates(pytester, "--datacenters", str(sb.config_path), "--reports-dir", str(pytester.path / "r"),
                        *options)
        _, connections = sb.counters()
        doc = json.loads(next((pytester.path / "r").glob("*.json")).read_text())
        chains = [(pod["port"], c) for pod in doc["pods"].values() for c in pod["presented_chains"]]
        fetched = {c["ip"]: fetch_chain(c["ip"], port, c["sni"], 5) for port, c in chains}
    assert run.failed == failed, run.output
    assert len(doc["pods"]) == len(DCS) * 2 and chains
    # Staging and production: every address the evidence shows, handshaken as often as the case says.
    assert connections == {c["ip"]: handshakes(c) for _, c in chains}, connections
    for _, c in chains:
        f = fetched[c["ip"]]
        assert (c["protocol"], c["error"], c["failure"], c["via"]) == (f.protocol, f.error, f.failure, f.via), c
        assert [x["sha256"] for x in c["chain"]] == [x.sha256 for x in f.chain] and (f.chain or f.error)
    if scenario == "untrusted-ca":
        [fault] = [c for c in doc["pods"]["us2/acme"]["presented_chains"] if c["network"] == "staging"]
        assert "Unknown Issuing CA" in fault["chain"][0]["issuer"], fault  # the chain Java rejected
