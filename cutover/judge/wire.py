"""The probe's wire protocol: the job lines Python writes to Probe.java, and the JSON lines it prints back.

On its own, apart from starting and stopping the JVM (`cutover.judge.java`): the records a probe run
yields, the one line per job, and the reading of what the JVM printed. Most lines are read once the JVM
has finished; a ``probed`` line is read as it arrives, because it carries the chain the server presented
and the evidence is waiting on it (`Transcript.watch`).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cutover.base.certs import CertInfo
from cutover.config.proxy import Proxy
from cutover.judge.reasons import VerdictFailure, failure_of
from cutover.net.tunnel import describe, hostport
from cutover.stores.truststore import StoreContents, StoreEntry, in_union_order


@dataclass(frozen=True)
class JvmInfo:
    """Which JVM judged: shown in the report because the same chain may pass under one JDK and fail under another."""

    java: Path
    home: str
    version: str
    vendor: str

    @property
    def label(self) -> str:
        return f"Java {self.version} ({self.vendor}) at {self.home}"


@dataclass(frozen=True)
class TrustVerdict:
    """Java's decision for one staging IP.

    Attributes:
        target_id: ``dc/pod``.
        ip: the staging IP probed.
        ok: the handshake completed: the chain is trusted and the hostname verified.
        reason: Java's exception text on failure, the exception chain joined; a short sentence on success.
        step: ``connect`` or ``TLS handshake``: where a failure happened.
        protocol: negotiated protocol on success.
        engine: ``jvm``, or ``python`` for the approximate fallback.
        when: ``now``, or the ISO instant the chain was judged at (``2026-12-15T00:00:00Z``).
        via: the proxy the probe went through (its label, which says where it was configured), or None
            for a direct connection.
        failure: why it was not trusted, as a kind, for the fix plan; None when `ok`. A connection's kind
            (`cutover.net.tls.FetchFailure`: ``timeout``, ``refused``, ``reset``, ``proxy_forbidden``, ...) or
            a trust kind (`cutover.judge.reasons.TrustFailure`: ``no_trust_path``, ``name_mismatch``,
            ``expired``, ...). Given by whoever observed a failure without words (a fetch, Probe's tunnel);
            else read once from `reason` when the verdict is made (`cutover.judge.reasons.failure_of`).
        chain_sent: False when the TLS handshake failed before the server's certificate reached the
            JVM's trust manager (nothing was judged: the reason is about the handshake, not a chain);
            None when not known (the approximate engine, a success, a failure before the handshake).
        options: the client's https.* options the probe applied as HttpsURLConnection applies them
            (``-Dhttps.protocols=TLSv1``), when a handshake failed before any certificate with them: the
            failure is then ``client_option``, the client's to fix, never the store's.
        served: for a client that sends no SNI (-Djsse.enableSNIExtension=false), the leaf the edge served it
            (subject and DNS names): its default certificate, not the pod's; the failure is then ``no_sni``.
    """

    target_id: str
    ip: str
    ok: bool
    reason: str
    step: str = "TLS handshake"
    protocol: str | None = None
    engine: str = "jvm"
    when: str = "now"
    via: str | None = None
    failure: VerdictFailure | None = None
    chain_sent: bool | None = None
    options: str | None = None
    served: str | None = None

    def __post_init__(self) -> None:
        if not self.ok and self.failure is None:
            object.__setattr__(self, "failure", failure_of(self.reason))  # frozen: set once, as it is made


@dataclass(frozen=True)
class StoreResult:
    """One store of a probe run: as the JVM listed it (or why it could not), and its verdicts.

    Attributes:
        store: the entries as the JVM lists them; None when Java could not load the store.
        store_error: Java's reason when it could not.
        verdicts: per (target id, IP, when).
    """

    store: StoreContents | None
    store_error: str | None
    verdicts: dict[tuple[str, str, str], TrustVerdict]


@dataclass(frozen=True)
class ProbeResult:
    """What one JVM decided: which JVM, and per store (in the order given to `ProbeRun`) its result."""

    jvm: JvmInfo
    stores: tuple[StoreResult, ...]


@dataclass(frozen=True)
class Job:
    """One address for the JVM to probe.

    Attributes:
        target_id: ``dc/pod``.
        ip: the address to connect to.
        port: its TCP port.
        hostname: the production hostname: SNI and the name verified.
        whens: when to judge: ``now`` or ISO instants, the first deciding the handshake.
        connect_timeout: seconds for the TCP connect (and a proxy's CONNECT); None: the run's timeout.
        handshake_timeout: seconds for the TLS handshake; None: the run's timeout.
        proxied: go through the run's proxy (when it has one); False where NO_PROXY says direct.
    """

    target_id: str
    ip: str
    port: int
    hostname: str
    whens: tuple[str, ...] = ("now",)
    connect_timeout: float | None = None
    handshake_timeout: float | None = None
    proxied: bool = True

    def limits(self, timeout: float) -> tuple[float, float]:
        """Seconds for the connect and for the handshake: the job's own, else the run's `timeout`."""
        return (self.connect_timeout if self.connect_timeout is not None else timeout,
                self.handshake_timeout if self.handshake_timeout is not None else timeout)


@dataclass(frozen=True)
class Probed:
    """What the JVM's handshake with one address showed of the server, apart from any verdict.

    Attributes:
        target_id: ``dc/pod``.
        ip: the address.
        chain: the certificates the server presented (DER, leaf first, as sent), from a handshake that ran
            to its end; None when it did not (refused, reset, not TLS, a protocol the JVM will not speak,
            silence, a certificate Java would not even parse), and then the JVM says nothing of the chain.
        protocol: the protocol negotiated in that handshake; None without a chain.
        offered: the protocols this JVM offered in its ClientHello (its options and java.security decide them).
        seconds: connect plus handshake, as the JVM timed them.
    """

    target_id: str
    ip: str
    chain: tuple[bytes, ...] | None
    protocol: str | None
    offered: tuple[str, ...]
    seconds: float


def job_line(job: Job, timeout: float, via: str) -> str:
    """The job as Probe.java reads it from stdin: `timeout` stands in for a step's own, `via` is the proxy's
    host:port (empty: direct)."""
    connect, handshake = job.limits(timeout)
    return f"{job.target_id}\t{job.ip}\t{job.port}\t{job.hostname}\t{','.join(job.whens)}\t" \
           f"{int(connect * 1000)}\t{int(handshake * 1000)}\t{via}\n"


#: How Probe.java begins the line of an address's presented chain (`Probed`).
_PROBED = '{"type":"probed"'


class Transcript:
    """Everything one JVM printed, line by line as it prints it; `probed` lines answer their watchers at once."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._watch: dict[tuple[str, str], Future[Probed | None]] = {}
        self._probed: dict[tuple[str, str], Probed] = {}
        self._closed = False

    def watch(self, target_id: str, ip: str) -> Future[Probed | None]:
        """A future for what the JVM's handshake with (target, ip) showed; None when the JVM ended without
        saying (it died, or was stopped). Ask before the job is submitted, or after: either way it is answered."""
        key = (target_id, ip)
        with self._lock:
            future = self._watch.get(key)
            if future is None:
                future = self._watch[key] = Future()
                if key in self._probed or self._closed:
                    future.set_result(self._probed.get(key))
        return future

    def feed(self, line: str) -> None:
        """One line from the JVM's stdout (called by the thread that drains it)."""
        self.lines.append(line)
        if not line.startswith(_PROBED):
            return
        probed = _probed(line)
        if probed is None:
            return
        key = (probed.target_id, probed.ip)
        with self._lock:
            self._probed[key] = probed
            future = self._watch.get(key)
        if future is not None and not future.done():
            future.set_result(probed)

    def close(self) -> None:
        """The JVM's stdout ended: every address not yet answered never will be."""
        with self._lock:
            self._closed = True
            pending = [f for f in self._watch.values() if not f.done()]
        for future in pending:
            future.set_result(None)


def _probed(line: str) -> Probed | None:
    try:
        msg = json.loads(line)
        chain = msg.get("chain")
        ders = tuple(base64.b64decode(d) for d in chain) if isinstance(chain, list) else None
        offered = tuple(p for p in str(msg.get("offered") or "").split(",") if p)
        return Probed(str(msg["id"]), str(msg["ip"]), ders, msg.get("protocol"), offered,
                      float(msg.get("ms", 0)) / 1000)
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        return None  # a line cut short: that address is fetched by Python


def parse_result(java: Path, store_files: Sequence[Sequence[Path]], lines: Sequence[str], err: str,
                 targets: Sequence[Job], proxy: Proxy | None, timeout: float, fill: bool = True) -> ProbeResult | None:
    """The run's result from the JVM's lines; None when the JVM never said which it is (it did not start).
    `store_files`: each store's files, as given to the JVM (several for a union: its listing says which file holds
    each entry). A job with no verdict gets one that says so, with the last line of the JVM's stderr (`fill`), or,
    for a stopped run, none: what it keeps is what the JVM said."""
    jvm: JvmInfo | None = None
    count = len(store_files)
    entries: list[list[StoreEntry]] = [[] for _ in range(count)]
    store_types: list[str | None] = [None] * count
    file_types: list[dict[int, str]] = [{} for _ in range(count)]
    store_errors: list[str | None] = [None] * count
    verdicts: list[dict[tuple[str, str, str], TrustVerdict]] = [{} for _ in range(count)]
    for line in lines:
        if line.startswith(_PROBED):  # a chain, read by `Transcript.feed` as it arrived: not parsed again
            continue
        try:
            msg = json.loads(line)
            kind = msg.get("type")
            n = int(msg.get("store", 0))
            if not 0 <= n < count:
                continue
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
            continue
        if kind == "jvm":
            jvm = JvmInfo(java, msg["home"], msg["version"], msg["vendor"])
        elif kind == "store":
            store_types[n] = store_types[n] or msg["store_type"]
            file_types[n][int(msg.get("file", 0))] = msg["store_type"]
        elif kind == "entry":
            der = msg.get("der")
            cert = CertInfo.from_der(base64.b64decode(der)) if der else None
            held = store_files[n][int(msg["file"])] if "file" in msg else None
            entries[n].append(StoreEntry(msg["alias"].lower(), msg["kind"], cert, held))
        elif kind == "store_error":
            store_errors[n] = msg["reason"]
        elif kind == "verdict":
            verdict = _verdict(msg, targets, proxy, timeout)
            verdicts[n][(verdict.target_id, verdict.ip, verdict.when)] = verdict
    if jvm is None:
        return None
    why = err.strip().splitlines()[-1] if err.strip() else "no verdict was printed"
    results = []
    for n in range(count):
        for job in targets if fill else ():
            for when in job.whens:
                if (job.target_id, job.ip, when) not in verdicts[n]:
                    verdicts[n][(job.target_id, job.ip, when)] = TrustVerdict(
                        job.target_id, job.ip, False, f"the JVM gave no verdict: {why}", when=when)
        store = None
        if store_types[n] is not None and (len(store_files[n]) == 1 or store_errors[n] is None):  # a union with
            # one file unread is not what the runtime trusts: it is not listed as if it were
            files = tuple(store_files[n])
            store = StoreContents(files[0], str(store_types[n]), in_union_order(entries[n], files),
                                  f"the JVM ({jvm.label})", union=files[1:],
                                  file_types=tuple(file_types[n].get(k, "?") for k in range(len(files)))
                                  if len(files) > 1 else ())
        results.append(StoreResult(store, store_errors[n], verdicts[n]))
    return ProbeResult(jvm, tuple(results))


def _verdict(msg: dict[str, Any], targets: Sequence[Job], proxy: Proxy | None, timeout: float) -> TrustVerdict:
    """One verdict line; a tunnel Probe could not open is said in the same paragraph as Python's fetch says it."""
    when = msg.get("when", "now")
    via = proxy.label if msg.get("via") and proxy is not None else None
    reason = msg["reason"]
    failure: VerdictFailure | None = None
    if msg.get("proxy_kind") and proxy is not None:
        detail = msg.get("proxy_detail") or ""
        job = next((j for j in targets if j.target_id == msg["id"] and j.ip == msg["ip"]), None)
        port = job.port if job else 0
        connect = job.limits(timeout)[0] if job is not None else timeout
        reason = describe(proxy.label, hostport(msg["ip"], port), msg["proxy_kind"], detail, connect, proxy.user)
        failure = failure_of(reason, msg["proxy_kind"], detail)
    chain_sent = None
    if not msg["ok"] and msg["step"] == "TLS handshake" and msg.get("chain_seen") is False \
            and not msg.get("proxy_kind"):
        # The trust manager was never called: the server sent no certificate before the handshake failed.
        chain_sent = False
        kind = failure_of(reason)
        failure = "no_certificate" if kind == "rejected" else kind
        if msg.get("options") and kind not in _NETWORK:  # the client's own https.* options ended it
            failure = "client_option"
    served = msg.get("served")
    if not msg["ok"] and msg.get("sni") is False and msg.get("chain_seen"):
        failure = "no_sni"  # whatever Java said of it, the certificate was the edge's default one
    return TrustVerdict(msg["id"], msg["ip"], bool(msg["ok"]), reason, msg["step"], msg.get("protocol"),
                       when=when, via=via, failure=None if msg["ok"] else failure, chain_sent=chain_sent,
                       options=msg.get("options") if failure == "client_option" else None,
                       served=served if failure == "no_sni" else None)


#: A handshake that failed on the network, whatever the client's options: the network's, not theirs.
_NETWORK = frozenset({"timeout", "refused", "unreachable", "reset"})
