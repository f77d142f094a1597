"""The judging JVM hands back the chain it was presented (issue 24.1): when that chain may stand for
Python's own fetch, what the wire says, and that Probe.java returns the very bytes it was sent.

The rules are unit tests on built values; the JVM tests handshake with real servers on 127.0.0.0/8 and
compare the JVM's chain with what Python's fetch of the same address records.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from cutover.judge.java import ProbeRun
from cutover.judge.presented import chain_fetch, negotiates_as_python, speaks_for_python
from cutover.judge.wire import Job, Probed, Transcript, job_line
from cutover.net.tls import fetch_chain, presented
from cutover.sandbox import pki
from cutover.sandbox.tlsserver import Endpoint, TLSServer
from tests.conftest import make_store

HOST = "pod.fa.us2.oraclecloud.com"
IPS = ("127.31.2.1", "127.31.2.2")
DER = Encoding.DER
JDK = next((p.parent.parent for p in sorted(Path("/usr/lib/jvm").glob("*/bin/javac"))), None)


@pytest.mark.parametrize(("protocol", "offered", "same"), [
    ("TLSv1.3", ("TLSv1.3", "TLSv1.2"), True),
    ("TLSv1.3", ("TLSv1.3",), True),
    ("TLSv1.2", ("TLSv1.3", "TLSv1.2"), True),   # the server speaks no TLS 1.3: Python gets 1.2 too
    ("TLSv1.2", ("TLSv1.2",), False),            # the JVM never offered 1.3: the server may speak it to Python
    ("TLSv1.1", ("TLSv1.3", "TLSv1.1"), False),  # the JVM skipped 1.2, which Python offers
    (None, ("TLSv1.3",), False),
    ("DTLSv1.2", ("DTLSv1.2",), False),
])
def test_the_jvms_protocol_stands_for_pythons_only_when_it_offered_every_newer_one(
        protocol: str | None, offered: tuple[str, ...], same: bool) -> None:
    assert negotiates_as_python(protocol, offered) is same


@pytest.mark.parametrize(("options", "same"), [
    ((), True),
    (("-Dhttps.proxyHost=proxy.example", "-Dhttps.proxyPort=8080", "-Dhttp.nonProxyHosts=*.local"), True),
    (("-Dcom.sun.net.ssl.checkRevocation=true",), True),
    (("-Djsse.enableSNIExtension=false",), False),  # no SNI: the edge would present its default certificate
    (("-Djdk.tls.client.protocols=TLSv1.2",), False),
    (("-Dcom.sun.net.ssl.checkRevocation=true", "-Djdk.tls.client.SignatureSchemes=ecdsa_secp256r1_sha256"), False),
])
def test_only_a_jvm_whose_options_leave_its_client_hello_alone_speaks_for_python(
        options: tuple[str, ...], same: bool) -> None:
    assert speaks_for_python(options) is same


def test_a_probed_address_is_answered_whether_watched_before_or_after_and_at_the_end_if_never() -> None:
    t = Transcript()
    early = t.watch("us2/pod", IPS[0])
    t.feed('{"type":"verdict","store":0,"id":"us2/pod","ip":"127.31.2.1","ok":true}\n')
    assert not early.done()  # a verdict is not the last line of a probe
    t.feed('{"type":"probed","id":"us2/pod","ip":"127.31.2.1","chain":["AAEC"],"protocol":"TLSv1.3",'
           '"offered":"TLSv1.3,TLSv1.2","ms":12}\n')
    assert early.result(0) == Probed("us2/pod", IPS[0], (b"\x00\x01\x02",), "TLSv1.3", ("TLSv1.3", "TLSv1.2"), 0.012)
    assert t.watch("us2/pod", IPS[0]).result(0) == early.result(0)
    t.feed('{"type":"probed","id":"us2/pod","ip":"127.31.2.2","chain":null,"protocol":null,"offe')  # cut short
    never = t.watch("us2/pod", IPS[1])
    assert not never.done()
    t.close()
    assert never.result(0) is None  # Python fetches it
    assert t.watch("us2/other", IPS[1]).result(0) is None
    assert len(t.lines) == 3  # every line is kept for the verdicts, read once the JVM is done


def test_a_job_line_is_what_probe_java_reads() -> None:
    job = Job("us2/pod", IPS[0], 8443, HOST, ("now", "2026-12-15T00:00:00Z"), 1.5, None)
    assert job_line(job, 10.0, "proxy:3128") == \
        f"us2/pod\t{IPS[0]}\t8443\t{HOST}\tnow,2026-12-15T00:00:00Z\t1500\t10000\tproxy:3128\n"


def test_the_jvms_chain_is_recorded_in_the_words_of_pythons_fetch() -> None:
    root = pki.make_root("Presented Root")
    leaf = pki.make_leaf([HOST], root)
    ders = (leaf.cert.public_bytes(DER), root.cert.public_bytes(DER))
    record = chain_fetch(Probed("us2/pod", IPS[0], ders, "TLSv1.3", ("TLSv1.3", "TLSv1.2"), 0.1), 443, HOST, None)
    assert record == presented(IPS[0], 443, HOST, ders, "TLSv1.3", 0.1, None)
    assert record is not None and record.error is None and [c.der for c in record.chain] == list(ders)
    assert chain_fetch(Probed("us2/pod", IPS[0], None, None, ("TLSv1.3",), 0.1), 443, HOST, None) is None
    assert chain_fetch(Probed("us2/pod", IPS[0], ders, "TLSv1.2", ("TLSv1.2",), 0.1), 443, HOST, None) is None


def _probe(store: Path, port: int, ip: str) -> tuple[bool, Probed | None]:
    assert JDK is not None
    run = ProbeRun(JDK / "bin" / "java", store, "PRESENTED_PW", timeout=10).start()
    answer = run.submit(Job("us2/pod", ip, port, HOST))
    verdict = run.finish().stores[0].verdicts[("us2/pod", ip, "now")]
    return verdict.ok, answer.result(0)


needs_jdk = pytest.mark.skipif(JDK is None or shutil.which("keytool") is None, reason="no JDK with keytool")


@needs_jdk
@pytest.mark.e2e
def test_the_jvm_hands_back_the_chain_it_rejected_in_one_handshake(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A store without the server's CA: the verdict is a rejection, and the chain is still evidence, the very
    bytes Python's fetch of the same address records, from the one handshake the JVM made."""
    root, other = pki.make_root("Served Root"), pki.make_root("Another Root")
    inter = pki.make_intermediate("Served Issuing CA", root)
    leaf = pki.make_leaf([HOST], inter)
    (tmp_path / "chain.pem").write_bytes(leaf.pem + inter.pem)
    (tmp_path / "key.pem").write_bytes(leaf.key_pem)
    server = TLSServer([Endpoint(IPS[0], HOST, tmp_path / "chain.pem", tmp_path / "key.pem")],
                       tmp_path / "chain.pem", tmp_path / "key.pem")
    monkeypatch.setenv("PRESENTED_PW", "Pr-Pa55")
    store = make_store(Path(str(shutil.which("keytool"))), tmp_path / "store.p12", "Pr-Pa55", {"other": other})
    try:
        ok, probed = _probe(store, server.port, IPS[0])
        handshakes = server.connections[IPS[0]]
        fetched = fetch_chain(IPS[0], server.port, HOST, 5)
    finally:
        server.stop()
    assert not ok
    assert handshakes == 1
    record = chain_fetch(probed, server.port, HOST, None)
    assert record is not None and fetched.error is None
    assert [c.der for c in record.chain] == [c.der for c in fetched.chain] and len(record.chain) == 2
    assert (record.protocol, record.sni, record.ip, record.port) == \
        (fetched.protocol, fetched.sni, fetched.ip, fetched.port)


class _OneContext:
    """A TLS 1.2 server with one context (and so one session cache) on two addresses, one port: what a
    pod's two edge addresses may share. It records whether each handshake resumed a session."""

    def __init__(self, chain: Path, key: Path) -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(chain, key)
        self.resumed: list[bool] = []
        first = socket.create_server((IPS[0], 0))
        self.port = first.getsockname()[1]
        self.socks = [first, socket.create_server((IPS[1], self.port))]
        for s in self.socks:
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as tls:
                    self.resumed.append(bool(tls.session_reused))
                    tls.settimeout(2)
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass

    def stop(self) -> None:
        for s in self.socks:
            s.close()


@needs_jdk
@pytest.mark.e2e
def test_no_probe_resumes_a_session_so_every_address_presents_and_has_its_chain_judged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A resumed session sends no certificate: the trust manager would judge nothing (a trusted verdict on
    the chain of another address) and there would be no chain to hand back. Each probe has its own context."""
    root = pki.make_root("Shared Root")
    leaf = pki.make_leaf([HOST], root)
    (tmp_path / "chain.pem").write_bytes(leaf.pem)
    (tmp_path / "key.pem").write_bytes(leaf.key_pem)
    server = _OneContext(tmp_path / "chain.pem", tmp_path / "key.pem")
    monkeypatch.setenv("PRESENTED_PW", "Pr-Pa55")
    store = make_store(Path(str(shutil.which("keytool"))), tmp_path / "store.p12", "Pr-Pa55", {"root": root})
    assert JDK is not None
    try:
        run = ProbeRun(JDK / "bin" / "java", store, "PRESENTED_PW", timeout=10, threads=1).start()
        answers = [run.submit(Job("us2/pod", ip, server.port, HOST)) for ip in (*IPS, IPS[0])]
        result = run.finish()
    finally:
        server.stop()
    assert server.resumed == [False, False, False]
    assert all(v.ok for v in result.stores[0].verdicts.values())
    probed = [a.result(0) for a in answers]
    assert [p.chain if p else None for p in probed] == [(leaf.cert.public_bytes(DER),)] * 3
    assert [p.protocol if p else None for p in probed] == ["TLSv1.2"] * 3
