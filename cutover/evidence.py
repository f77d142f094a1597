"""Gather every network observation of a run once, concurrently, into frozen records.

The gates only assert on these records, so tests stay fast and simple, the report can show all that
was observed, and a slow data centre costs its own time, not everyone's.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from cutover import pyjudge
from cutover.bundle import Bundle
from cutover.certs import CertInfo
from cutover.config import Config, Target
from cutover.handshake import ChainFetch, fetch_chain
from cutover.javajudge import JavaVerdict, JudgeUnavailable, JvmInfo, ProbeRun, find_java
from cutover.proxy import for_target
from cutover.staging import StagingEvidence, make_resolver, resolve_staging
from cutover.truststore import StoreContents


@dataclass(frozen=True)
class PodEvidence:
    """All that was observed for one pod.

    Attributes:
        target: the pod.
        staging: the DNS evidence.
        staging_chains: the chain presented at each staging IP (SNI = the production hostname).
        production_chains: the chain presented at each production IP.
        verdicts: the trust verdict for each staging IP, now (or at --at), from the JVM or, without one,
            approximate.
        later: (label, verdict) for each staging IP at the renewal date and N days after, when configured.
        strict: cryptography's web-PKI verdict for each staging IP, computed beside the JVM's as advice;
            empty when there is no JVM (then it is the verdict itself).
    """

    target: Target
    staging: StagingEvidence
    staging_chains: tuple[ChainFetch, ...]
    production_chains: tuple[ChainFetch, ...]
    verdicts: tuple[JavaVerdict, ...]
    later: tuple[tuple[str, JavaVerdict], ...] = ()
    strict: tuple[JavaVerdict, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """Everything a run observed.

    Attributes:
        pods: per target id (``dc/pod``).
        store: the truststore as the judge saw it (the JVM's listing when a JVM ran); None if unreadable.
        store_error: why the judge could not read the store.
        bundles: per data centre code.
        jvm: which JVM judged; None when the approximate Python engine did.
        engine_note: why there is no JVM verdict, to be said loudly; None when a JVM judged.
        seconds: wall time of the gathering.
    """

    pods: dict[str, PodEvidence]
    store: StoreContents | None
    store_error: str | None
    bundles: dict[str, Bundle]
    jvm: JvmInfo | None
    engine_note: str | None
    seconds: float


def gather(
    config: Config,
    targets: Sequence[Target],
    python_store: StoreContents,
    bundles: dict[str, Bundle],
    *,
    concurrency: int | None = None,
) -> Evidence:
    """Resolve, fetch and judge every target; never raises for a network fault of one target."""
    start = time.monotonic()
    concurrency = concurrency or config.concurrency
    timeout = max((t.timeout for t in targets), default=10.0)
    probe: ProbeRun | None = None
    engine_note: str | None = None
    jvm_proxy = config.jvm_proxy
    try:
        java = find_java(config.java_home)
        probe = ProbeRun(java, config.truststore.path, config.truststore.password_env, timeout,
                         threads=concurrency, java_options=config.java_options, proxy=jvm_proxy)
    except JudgeUnavailable as e:
        engine_note = f"{pyjudge.APPROXIMATE}: {e}"
    primary = _instant(config.at) if config.at else "now"
    t_by_id = {t.id: t for t in targets}
    staging: dict[str, StagingEvidence] = {}
    fetches: dict[tuple[str, str, str], Future[ChainFetch]] = {}
    result = None
    try:
        # One pipeline per pod, no barrier between pods: as soon as a pod's staging IPs are known, the
        # JVM starts probing them and its chains are fetched, while other pods are still resolving.
        with ThreadPoolExecutor(max_workers=concurrency) as dns_pool, \
                ThreadPoolExecutor(max_workers=concurrency) as tls_pool:

            def pipeline(t: Target) -> None:
                try:
                    st = resolve_staging(t.hostname, make_resolver(config.nameservers, t.dns_timeout),
                                         t.staging_hostname)
                except Exception as e:  # one pod's surprise must not end the session: it fails that pod only
                    st = StagingEvidence(t.hostname, problem=f"internal error while resolving {t.hostname}: "
                                                             f"{type(e).__name__}: {e}")
                staging[t.id] = st
                whens = (primary, *(_instant(d) for _, d in t.later_dates()))
                for ip in st.staging_ips:
                    if probe is not None:
                        proxied = for_target(jvm_proxy, t.hostname, ip) is not None
                        probe.submit((t.id, ip, t.port, t.hostname, whens, t.connect_timeout, t.handshake_timeout,
                                      proxied))
                for kind, ips in (("staging", st.staging_ips), ("production", st.production_ips)):
                    for ip in ips:
                        fetches[(t.id, kind, ip)] = tls_pool.submit(
                            fetch_chain, ip, t.port, t.hostname, t.connect_timeout, t.handshake_timeout,
                            for_target(config.proxy, t.hostname, ip))

            for f in [dns_pool.submit(pipeline, t) for t in targets]:
                f.result()
            if probe is not None:
                try:
                    result = probe.finish()
                except JudgeUnavailable as e:
                    engine_note = f"{pyjudge.APPROXIMATE}: {e}"
            fetched = {k: _outcome(f, k[2], t_by_id[k[0]]) for k, f in fetches.items()}
    finally:
        if probe is not None:
            probe.stop()

    store: StoreContents | None = python_store
    store_error = None
    jvm = None
    if result is not None:
        jvm, store, store_error = result.jvm, result.store, result.store_error
    pods: dict[str, PodEvidence] = {}
    anchors = [e.cert for e in (store or python_store).trusted if e.cert is not None]
    for t in targets:
        st = staging[t.id]
        s_chains = tuple(fetched[(t.id, "staging", ip)] for ip in st.staging_ips)
        p_chains = tuple(fetched[(t.id, "production", ip)] for ip in st.production_ips)
        later: list[tuple[str, JavaVerdict]] = []
        strict: tuple[JavaVerdict, ...] = ()
        if result is not None:
            verdicts = tuple(result.verdicts[(t.id, ip, primary)] for ip in st.staging_ips)
            later = [(label, result.verdicts[(t.id, ip, _instant(d))]) for label, d in t.later_dates()
                     for ip in st.staging_ips]
            strict = tuple(_python_verdict(t, f, anchors, config.at) for f in s_chains)
        else:
            verdicts = tuple(_python_verdict(t, f, anchors, config.at) for f in s_chains)
            later = [(label, _python_verdict(t, f, anchors, d)) for label, d in t.later_dates() for f in s_chains]
        pods[t.id] = PodEvidence(t, st, s_chains, p_chains, verdicts, tuple(later), strict)
    return Evidence(pods, store, store_error, bundles, jvm, engine_note, time.monotonic() - start)


def _outcome(future: Future[ChainFetch], ip: str, t: Target) -> ChainFetch:
    try:
        return future.result()
    except Exception as e:  # fetch_chain reports network faults itself; this is anything else
        return ChainFetch(ip, t.port, t.hostname, error=f"internal error while fetching the chain: "
                                                         f"{type(e).__name__}: {e}")


def _instant(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _python_verdict(t: Target, fetch: ChainFetch, anchors: list[CertInfo], at: dt.datetime | None) -> JavaVerdict:
    if fetch.error is not None:
        step = "proxy" if fetch.via and fetch.error.startswith("proxy ") else "TLS handshake"
        return JavaVerdict(t.id, fetch.ip, False, fetch.error, step, engine="python", via=fetch.via)
    when = _instant(at) if at else "now"
    verdict = pyjudge.verify(t.id, fetch.ip, fetch.chain, t.hostname, anchors, at)
    return JavaVerdict(verdict.target_id, verdict.ip, verdict.ok, verdict.reason, engine="python", when=when,
                       via=fetch.via)
