"""Never a false green (issue 25): `--at` carried to the millisecond, and messages that say what happened.

The trust matrix (tests/judge/test_trust_matrix.py) judges the millisecond boundaries and the approximate
engine's false accepts with live JVMs; this file pins the instant's text end to end, and the three
messages that used to say something else: a store certificate cryptography cannot parse, a handshake
that ends before any certificate is sent, an IP address where a hostname belongs.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from cutover.base.certs import CertInfo
from cutover.base.instants import format_instant, parse_instant
from cutover.config import ConfigError, Target, load, parse_when
from cutover.evidence import PodEvidence, PodTrust
from cutover.gates.chain_trusted import chain_trusted
from cutover.judge import python as pyjudge
from cutover.judge.java import ProbeRun
from cutover.judge.wire import Job, TrustVerdict
from cutover.net.dns import StagingEvidence
from cutover.net.tls import ChainFetch, fetch_chain
from cutover.sandbox import pki
from cutover.sandbox.tlsserver import Endpoint, TLSServer
from cutover.stores.truststore import StoreContents, StoreEntry
from tests.conftest import make_store

HOST = "pod.fa.us2.oraclecloud.com"
IP = "127.31.1.1"


@pytest.mark.parametrize(("given", "carried"), [
    ("2024-04-01T00:00:00.005+00:00", "2024-04-01T00:00:00.005Z"),
    ("2024-04-01T00:00:00.005Z", "2024-04-01T00:00:00.005Z"),
    ("2024-04-01T02:00:00.999+02:00", "2024-04-01T00:00:00.999Z"),
    ("2024-04-01T00:00:00.000250Z", "2024-04-01T00:00:00.000250Z"),
    ("2024-04-01T00:00:00Z", "2024-04-01T00:00:00Z"),
    ("2024-04-01", "2024-04-01T00:00:00Z"),
])
def test_at_is_carried_with_every_digit_given(given: str, carried: str) -> None:
    when = parse_when(given)
    assert format_instant(when) == carried
    assert parse_instant(carried) == when  # what chain_trusted reads back from a verdict's `when`


def _pod(chain: tuple[CertInfo, ...]) -> PodEvidence:
    target = Target("us2", "pod", HOST, 443, None, 5.0)
    return PodEvidence(target, StagingEvidence(HOST, staging_ips=(IP,)), (ChainFetch(IP, 443, HOST, chain),), ())


def test_the_message_shows_the_instant_as_given() -> None:
    at = parse_when("2024-04-01T00:00:00.005Z")
    rejected = TrustVerdict("us2/pod", IP, False, "java.security.cert.CertificateExpiredException: NotAfter: ...",
                           when=format_instant(at))
    gate = chain_trusted(_pod(()), PodTrust((rejected,)), at=at)
    assert "(judged at 2024-04-01T00:00:00.005Z)" in gate.message, gate.message


def test_a_later_date_with_a_fraction_is_read_back() -> None:
    """A renewal-date verdict's `when` with milliseconds is parsed, not a crash (it was strptime to the second)."""
    ok = TrustVerdict("us2/pod", IP, True, "trusted")
    later = TrustVerdict("us2/pod", IP, False, "CertificateExpiredException", when="2030-01-01T00:00:00.001Z")
    gate = chain_trusted(_pod(()), PodTrust((ok,), (("the renewal date 2030-01-01", later),)))
    assert not gate.ok and "but not on the renewal date 2030-01-01" in gate.message


def test_an_unparseable_store_certificate_is_named_as_such() -> None:
    """The store's only root is one Java reads and cryptography cannot (a negative serial): say so, by alias."""
    root = pki.make_root("Refused Root")
    inter = pki.make_intermediate("Refused Issuing CA", root)
    bad = CertInfo.from_der(pki.malformed(root).cert.public_bytes(pki.serialization.Encoding.DER))
    assert bad.parsed_by == "der"
    store = StoreContents(Path("store.p12"), "PKCS12", (StoreEntry("their-root", "trustedCertEntry", bad),), "Python")
    anchors, aliases = pyjudge.anchors(store)
    chain = (CertInfo.from_cert(pki.make_leaf([HOST], inter).cert), CertInfo.from_cert(inter.cert))
    verdict = pyjudge.verify("us2/pod", IP, chain, HOST, anchors, aliases=aliases)
    assert not verdict.ok
    assert "no trusted certificate" not in verdict.reason
    assert "alias 'their-root'" in verdict.reason and bad.sha256 in verdict.reason, verdict.reason
    assert "Java reads it, cryptography cannot" in verdict.reason
    # Beside a JVM that accepts, it is not a browser's rejection: it is no strict verdict at all.
    gate = chain_trusted(_pod(chain), PodTrust((TrustVerdict("us2/pod", IP, True, "trusted"),), (),
                                                    (TrustVerdict("us2/pod", IP, False, verdict.reason,
                                                                 engine="python"),)))
    assert gate.ok and any("no strict web-PKI verdict" in w and "their-root" in w for w in gate.warnings)


JDK = next((p.parent.parent for p in sorted(Path("/usr/lib/jvm").glob("*/bin/javac"))), None)


@pytest.mark.e2e  # a JVM and a TLS server
@pytest.mark.skipif(JDK is None or shutil.which("keytool") is None, reason="no JDK with keytool")
def test_a_handshake_that_fails_before_any_certificate_says_so(tmp_path: Path) -> None:
    """An ECDSA-only server and a client JVM that allows RSA signatures only: the server has no key it may
    sign with, so it ends the handshake before sending a certificate, and no chain was ever judged."""
    assert JDK is not None
    root = pki.make_root("Handshake Root")
    leaf = pki.make_leaf([HOST], root)
    (tmp_path / "chain.pem").write_bytes(leaf.pem + root.pem)
    (tmp_path / "key.pem").write_bytes(leaf.key_pem)
    server = TLSServer([Endpoint(IP, HOST, tmp_path / "chain.pem", tmp_path / "key.pem")],
                       tmp_path / "chain.pem", tmp_path / "key.pem")
    store = make_store(Path(str(shutil.which("keytool"))), tmp_path / "store.p12", "Hs-Pa55", {"root": root})
    os.environ["HS_PW"] = "Hs-Pa55"
    try:
        run = ProbeRun(JDK / "bin" / "java", store, "HS_PW", timeout=10,
                       java_options=("-Djdk.tls.client.SignatureSchemes=rsa_pkcs1_sha256,rsa_pss_rsae_sha256",)).start()
        verdict = run.finish([Job("us2/pod", IP, server.port, HOST)]).stores[0].verdicts[("us2/pod", IP, "now")]
        fetched = fetch_chain(IP, server.port, HOST, 5)
    finally:
        os.environ.pop("HS_PW", None)
        server.stop()
    assert fetched.error is None  # the same server hands an unrestricted client its chain
    assert not verdict.ok and verdict.chain_sent is False, verdict
    assert verdict.failure == "no_certificate"
    gate = chain_trusted(_pod(fetched.chain), PodTrust((verdict,)))
    assert f"the handshake with staging {IP} for {HOST} failed before any certificate was sent (Java said: " \
           f'"{verdict.reason}")' in gate.message, gate.message  # the JVM's words, labelled, after our sentence
    assert "rejects the chain" not in gate.message


@pytest.mark.parametrize(("template", "pods", "named"), [
    ("{pod}.0.2.1", ["192"], "192.0.2.1"),
    ("192.0.2.{pod}", ["7"], "192.0.2.7"),
    ("{pod}.fa.us2.10", ["abcd"], "abcd.fa.us2.10"),
])
def test_an_ip_address_as_a_hostname_is_a_config_error_naming_the_pod(tmp_path: Path, template: str,
                                                                      pods: list[str], named: str) -> None:
    (tmp_path / "store.jks").write_bytes(b"\xfe\xed\xfe\xed")
    path = tmp_path / "datacenters.toml"
    path.write_text(f'[truststore]\npath = "store.jks"\n\n[datacenters.us2]\nhostname = "{template}"\n'
                    f"pods = {pods!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError, match="is an IP address, not a hostname") as e:
        load(path)
    assert f"for pod {pods[0]!r}" in str(e.value) and repr(named) in str(e.value)


def test_dates_a_millisecond_apart_are_different_questions() -> None:
    """The instant of `--at` T+1ms is not the instant of T: the JVM gets two different dates."""
    t = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)
    assert format_instant(t + dt.timedelta(milliseconds=1)) != format_instant(t)
