"""Without a JVM, a client whose settings the approximate engine cannot apply is not judged: never passed.

The decision (`cutover.judge.python.unmodelled`) and what chain_trusted makes of it, on hand-built evidence; the
run without a JDK is in tests/sandbox/test_gates_sandbox.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cutover.base.certs import CertInfo
from cutover.config import Client, DataCenter, Target
from cutover.evidence import PodEvidence, PodTrust
from cutover.gates.aliases_present import aliases_present
from cutover.gates.chain_trusted import chain_trusted
from cutover.gates.remedies import GIVE_PASSWORD, RUN_JVM, verdict_action
from cutover.gates.verdict import GateVerdict
from cutover.judge import python as pyjudge
from cutover.net.dns import StagingEvidence
from cutover.net.tls import ChainFetch
from cutover.sandbox import pki
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents, StoreEntry

HOST, IP = "pod.fa.us2.oraclecloud.com", "127.31.9.1"


def client(*options: str, https_options: bool = True) -> Client:
    return Client("soa", Path("/stores/soa.p12"), "PW", None, options, ("us2",), https_options=https_options)


@pytest.mark.parametrize(("options", "named"), [
    (("-Dhttps.protocols=TLSv1.2",), "-Dhttps.protocols"),
    (("-Dhttps.cipherSuites=TLS_AES_128_GCM_SHA256",), "-Dhttps.cipherSuites"),
    (("-Djava.security.properties=/opt/app/extra.security",), "-Djava.security.properties"),
    (("-Djdk.tls.client.protocols=TLSv1.2",), "-Djdk.tls.client.protocols"),
    (("-Djdk.certpath.disabledAlgorithms=SHA1",), "-Djdk.certpath.disabledAlgorithms"),
    (("-Dcom.sun.net.ssl.checkRevocation=true",), "-Dcom.sun.net.ssl.checkRevocation"),
    (("-Docsp.enable=true",), "-Docsp.enable"),
    (("-Djsse.enableSNIExtension=false",), "-Djsse.enableSNIExtension"),
    (("-Djavax.net.ssl.trustStoreType=JCEKS",), "-Djavax.net.ssl.trustStoreType"),
    (("-Dhttps.proxyHost=proxy.example", "-Djdk.tls.namedGroups=x25519"), "-Djdk.tls.namedGroups"),
])
def test_options_it_cannot_apply_leave_the_client_not_judged(options: tuple[str, ...], named: str) -> None:
    why = pyjudge.unmodelled(client(*options), jssecacerts=False)
    assert why is not None and why.startswith(pyjudge.NEEDS_JVM) and named in why, why
    assert "-Dhttps.proxyHost" not in why  # where a connection goes is applied, not a reason


@pytest.mark.parametrize("options", [
    (),
    ("-Djavax.net.ssl.trustStore=/stores/soa.p12",),  # the store, read as JSSE reads it
    ("-Dhttps.proxyHost=proxy.example", "-Dhttps.proxyPort=3128", "-Dnetworkaddress.cache.ttl=30"),
    ("-Dfile.encoding=UTF-8", "-Duser.timezone=UTC"),
])
def test_options_it_applies_or_that_change_nothing_are_judged(options: tuple[str, ...]) -> None:
    assert pyjudge.unmodelled(client(*options), jssecacerts=False) is None


def test_https_options_of_a_stack_that_ignores_them_are_no_reason() -> None:
    assert pyjudge.unmodelled(client("-Dhttps.protocols=TLSv1", https_options=False), jssecacerts=False) is None
    assert pyjudge.unmodelled(client("-Dhttps.protocols=TLSv1", "-Djdk.tls.client.protocols=TLSv1",
                                     https_options=False), jssecacerts=False) is not None


def test_a_jssecacerts_store_is_not_judged_without_its_jvm() -> None:
    why = pyjudge.unmodelled(client(), jssecacerts=True)
    assert why is not None and "jssecacerts" in why, why


def _pod() -> PodEvidence:
    target = Target("us2", "pod", HOST, 443, None, 5.0)
    return PodEvidence(target, StagingEvidence(HOST, staging_ips=(IP,)), (ChainFetch(IP, 443, HOST),), ())


def test_the_gate_fails_not_judged_and_names_the_jdk_as_the_fix() -> None:
    """Whatever was fetched, and whatever cryptography would have said: a failure naming the options, the action
    to run with the client's JDK, never an import."""
    why = pyjudge.unmodelled(client("-Dhttps.protocols=TLSv1"), jssecacerts=False)
    verdict = pyjudge.judge_fetch(_pod().target, ChainFetch(IP, 443, HOST), ([], {}), None, why)
    assert not verdict.ok and verdict.failure == "needs_jvm" and verdict.engine == "python"
    gate = chain_trusted(_pod(), PodTrust((verdict,), production=()), engine_note=f"{pyjudge.APPROXIMATE}: no JDK")
    assert not gate.ok
    assert "not judged: needs the client's JVM because its java_options set -Dhttps.protocols" in gate.message
    assert gate.message.startswith(f"[{pyjudge.APPROXIMATE}: no JDK] ")
    assert [a.text for a in gate.actions] == [RUN_JVM] and verdict_action(verdict).text == RUN_JVM
    assert "import" not in gate.message


def _store_gate(client: Client, entries: tuple[StoreEntry, ...], kind: str = "PKCS12") -> GateVerdict:
    root = pki.make_root("Gate Root")
    inter = pki.make_intermediate("Gate Issuing CA", root)
    bundle = Bundle(Path("us2.zip"), CertInfo.from_cert(root.cert), (CertInfo.from_cert(inter.cert),), (), {})
    dc = DataCenter("us2", "US2", (), Path("us2.zip"), "root", "inter")
    store = StoreContents(Path("/stores/soa.p12"), kind, entries, "Java")
    return aliases_present(dc, store, bundle, None, client=client,
                           store_why="named by -Djavax.net.ssl.trustStore in the client's java_options")


def test_a_store_opened_with_no_password_that_shows_nothing_names_password_env() -> None:
    """Item 3 of issue 32: the client's options name the store, its JVM gets no password, the encrypted PKCS12 shows
    no entry: the message says how to give the JVM a password (password_env), and the step is that, not an import."""
    by_option = replace(client("-Djavax.net.ssl.trustStore=/stores/soa.p12"), password_env="", store_from="option")
    gate = _store_gate(by_option, ())
    assert not gate.ok
    assert "gets no trust-store password (no password_env for it)" in gate.message, gate.message
    assert 'set password_env = "VARIABLE" for the client' in gate.message
    assert "(named by -Djavax.net.ssl.trustStore in the client's java_options)" in gate.message
    assert [a.text for a in gate.actions] == [GIVE_PASSWORD]
    # With a password given, or a JKS (read whole without one), or the toml's store: the aliases are the question.
    for other in (replace(by_option, password_env="PW"), replace(by_option, store_from="toml")):
        gate = _store_gate(other, ())
        assert "alias 'root' is missing" in gate.message and "password_env" not in gate.message, gate.message
    assert "alias 'root' is missing" in _store_gate(by_option, (), kind="JKS").message
