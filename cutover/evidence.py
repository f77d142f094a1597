"""Gather every observation of a run once, concurrently, into frozen records.

Two kinds of evidence. What the network shows (DNS, the chains presented at each address) is observed
once per pod however many clients there are. What a client decides (its store as its JVM lists it,
its verdicts) is kept per client, and per pod. One JVM runs per distinct (JDK, options): it judges
the stores of every client that shares them on one handshake per address.

The gates only assert on these records, so tests stay fast and simple, the report can show all that
was observed, and a slow data centre costs its own time, not everyone's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from cutover.base.instants import format_instant
from cutover.config import Client, Config, ConfigError, Target
from cutover.config.proxy import Proxy, client_proxy, for_target
from cutover.judge import python as pyjudge
from cutover.judge.java import HTTPS_OPTIONS_IGNORED, JudgeUnavailable, ProbeRun, find_java
from cutover.judge.locate import StoreSpec, store_of
from cutover.judge.presented import chain_future, speaks_for_python
from cutover.judge.wire import Job, JvmInfo, Probed, ProbeResult, StoreResult, TrustVerdict
from cutover.net.dns import StagingEvidence, make_resolver, resolve_staging_async
from cutover.net.tls import ChainFetch
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents


@dataclass(frozen=True)
class PodEvidence:
    """What the network showed for one pod: the same for every client.

    Attributes:
        target: the pod.
        staging: the DNS evidence.
        staging_chains: the chain presented at each staging IP (SNI = the production hostname).
        production_chains: the chain presented at each production IP.
    """

    target: Target
    staging: StagingEvidence
    staging_chains: tuple[ChainFetch, ...]
    production_chains: tuple[ChainFetch, ...]

    @property
    def true_staging_chains(self) -> tuple[ChainFetch, ...]:
        """The chains fetched at staging addresses that are not production's (`StagingEvidence.true_staging_ips`)."""
        return tuple(f for f in self.staging_chains if f.ip not in self.staging.production_ips)


@dataclass(frozen=True)
class PodTrust:
    """One client's trust verdicts on one pod's staging chains.

    Attributes:
        verdicts: the verdict for each staging IP, now (or at --at), from the JVM or, without one,
            approximate.
        later: (label, verdict) for each staging IP at the renewal date and N days after, when configured.
        strict: cryptography's web-PKI verdict for each staging IP, computed beside the JVM's as advice;
            empty when there is no JVM (then it is the verdict itself).
        production: the verdict for each production IP, now (or at --at): what the client gets today,
            which after the cutover is the new chain.
    """

    verdicts: tuple[TrustVerdict, ...]
    later: tuple[tuple[str, TrustVerdict], ...] = ()
    strict: tuple[TrustVerdict, ...] = ()
    production: tuple[TrustVerdict, ...] = ()


@dataclass(frozen=True)
class ClientEvidence:
    """What one client decides.

    Attributes:
        client: the client.
        store: its store as the judge saw it (the JVM's listing when a JVM ran); None if unreadable.
        store_error: why the judge could not read the store.
        jvm: which JVM judged; None when the approximate Python engine did.
        engine_note: why there is no JVM verdict, to be said loudly; None when a JVM judged.
        verdicts: per target id (``dc/pod``) of the client's data centres.
        store_why: why the judged file is the client's store (JSSE's choice, an option, the toml), in words.
        shadows: the JDK's cacerts when its jssecacerts is judged instead; None otherwise.
    """

    client: Client
    store: StoreContents | None
    store_error: str | None
    jvm: JvmInfo | None
    engine_note: str | None
    verdicts: dict[str, PodTrust] = field(default_factory=dict)
    store_why: str = ""
    shadows: Path | None = None


@dataclass(frozen=True)
class Evidence:
    """Everything a run observed.

    Attributes:
        pods: network evidence per target id (``dc/pod``).
        clients: per client name, in the configuration's order.
        bundles: per data centre code.
        seconds: wall time of the gathering.
        jvms: how many JVMs judged (one per distinct JDK and options).

    Only observations: where a pod stands in its renewal (its phase) is a decision on these and on the
    previous run, made in `cutover.gates.lifecycle`.
    """

    pods: dict[str, PodEvidence]
    clients: dict[str, ClientEvidence]
    bundles: dict[str, Bundle]
    seconds: float
    jvms: int = 0

    @property
    def first(self) -> ClientEvidence:
        """The one client of a run with no [clients] table."""
        return next(iter(self.clients.values()))


@dataclass
class _Group:
    """The clients one JVM judges: same java and options; each distinct store once."""

    java: Path
    options: tuple[str, ...]
    stores: list[StoreSpec] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)
    probe: ProbeRun | None = None
    result: ProbeResult | None = None
    note: str | None = None


class GatherInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM arrived while gathering. Still a KeyboardInterrupt, so whoever does not know this
    class stops as on any Ctrl-C; whoever does finds in `partial` what the pods' pipelines had finished."""

    def __init__(self, partial: Evidence) -> None:
        super().__init__("interrupted while gathering evidence")
        self.partial = partial


@dataclass
class _Progress:
    """What `_observe` has so far, kept outside it so that a stopped run can still say what it saw."""

    staging: dict[str, StagingEvidence] = field(default_factory=dict)
    fetches: dict[tuple[str, str, str], Future[ChainFetch]] = field(default_factory=dict)


class _Pool(ThreadPoolExecutor):
    """A pool that, left by an exception (Ctrl-C), does not wait for the handshakes in flight (Python's fetches):
    a silent data centre would hold the stopped run for its whole timeout."""

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)


def gather(
    config: Config,
    targets: Sequence[Target],
    python_stores: Mapping[str, StoreContents],
    bundles: dict[str, Bundle],
    *,
    concurrency: int | None = None,
) -> Evidence:
    """Resolve, fetch and judge every target; never raises for a network fault of one target.

    `python_stores`: each client's store as Python read it, by client name (the listing when no JVM judges).
    Stopped by a KeyboardInterrupt (Ctrl-C, or SIGTERM made one), it raises `GatherInterrupted` with the
    evidence of every pod observed whole by then and the verdicts the JVMs had given on them.
    """
    run = _Gathering(config, targets, python_stores, bundles, concurrency or config.concurrency)
    try:
        return run.whole()
    except KeyboardInterrupt:
        raise GatherInterrupted(run.stopped()) from None


@dataclass
class _Gathering:
    """One gathering: what it was asked, the JVM groups it started, and what it has seen so far (`progress`),
    so that a whole run and a stopped one are assembled by the same code (`_assemble`)."""

    config: Config
    targets: Sequence[Target]
    python_stores: Mapping[str, StoreContents]
    bundles: dict[str, Bundle]
    concurrency: int
    start: float = field(default_factory=time.monotonic)
    progress: _Progress = field(default_factory=lambda: _Progress())

    def __post_init__(self) -> None:
        self.groups, self.of_client, self.notes = _groups(self.config)
        self.primary = format_instant(self.config.at) if self.config.at else "now"

    def whole(self) -> Evidence:
        """Every pod, every chain, every client's verdicts."""
        targets, groups = self.targets, self.groups
        _start_probes(groups, self.config, max((t.timeout for t in targets), default=10.0), self.concurrency)
        try:
            staging, fetched = _observe(self.config, targets, groups, self.primary, self.concurrency, self.progress)
        finally:
            for g in groups:
                if g.probe is not None:
                    g.probe.stop()
        pods = {t.id: PodEvidence(t, staging[t.id],
                                  tuple(fetched[(t.id, "staging", ip)] for ip in staging[t.id].staging_ips),
                                  tuple(fetched[(t.id, "production", ip)] for ip in staging[t.id].production_ips))
                for t in targets}
        return self._assemble(pods, stopped=False)

    def stopped(self) -> Evidence:
        """What a stopped gathering keeps: each pod whose DNS and every chain were in, whole (a pod half seen
        would read as a pod without a chain); per client, the JVM's verdicts on those of them it had judged
        entirely. The JVMs are stopped here; the look-ups still in flight end on their own timeouts."""
        staging, fetches = dict(self.progress.staging), dict(self.progress.fetches)  # pipelines may still add
        pods: dict[str, PodEvidence] = {}
        for t in self.targets:
            st = staging.get(t.id)
            if st is None:
                continue
            keys = {kind: [(t.id, kind, ip) for ip in ips]
                    for kind, ips in (("staging", st.staging_ips), ("production", st.production_ips))}
            futures = [fetches.get(k) for ks in keys.values() for k in ks]
            if all(f is not None and f.done() and not f.cancelled() for f in futures):
                pods[t.id] = PodEvidence(t, st, *(tuple(_outcome(fetches[k], k[2], t) for k in keys[kind])
                                                  for kind in ("staging", "production")))
        for g in self.groups:
            if g.probe is not None:  # even with a result: a JVM the signal ended first got "no verdict" filled in
                try:
                    g.result = g.probe.received()
                except JudgeUnavailable:
                    g.note = f"the run was stopped before the JVM ({g.java}) gave a verdict"
        return self._assemble(pods, stopped=True)

    def _assemble(self, pods: dict[str, PodEvidence], stopped: bool) -> Evidence:
        """The evidence of `pods`: each client's verdicts on those of its data centres' pods (of a stopped run,
        only those its JVM had judged entirely); the approximate engine where no JVM judged, or none for a
        stopped run whose JVM gave nothing."""
        config = self.config
        seen = [t for t in self.targets if t.id in pods]
        clients: dict[str, ClientEvidence] = {}
        for client in config.clients:
            mine = [t for t in seen if t.dc in client.datacenters]
            store = self.python_stores.get(client.name)
            group = self.of_client.get(client.name)
            if client.name in self.notes or group is None:
                clients[client.name] = _python_client(client, store, self.notes.get(client.name), mine, pods,
                                                      config.at)
            elif group[0].result is None:
                spec = group[0].stores[group[1]]
                clients[client.name] = ClientEvidence(client, store, None, None, group[0].note) if stopped else \
                    _python_client(client, store, group[0].note, mine, pods, config.at,
                                   spec.cacerts and spec.path.name == "jssecacerts")
            else:
                listing = group[0].result.stores[group[1]]
                judged = [t for t in mine if not stopped or all(
                    (t.id, ip, when) in listing.verdicts for ip, when in _asked(t, pods[t.id], self.primary))]
                clients[client.name] = _jvm_client(client, group[0].result.jvm, listing, store, judged, pods, config.at,
                                                   self.primary)
        return Evidence(pods, _chosen(clients, self.of_client), self.bundles, time.monotonic() - self.start,
                        jvms=sum(g.result is not None for g in self.groups))


def _chosen(clients: dict[str, ClientEvidence],
            of_client: Mapping[str, tuple[_Group, int]]) -> dict[str, ClientEvidence]:
    """Each client's evidence with why its store is the one judged: the spec its JVM was given (`_groups` chose it
    with `cutover.judge.locate.store_of`), chosen afresh only for a client no JVM judged."""
    out = {}
    for name, c in clients.items():
        group = of_client.get(name)
        try:
            spec = group[0].stores[group[1]] if group is not None else store_of(c.client)
        except ConfigError:  # no JDK to choose with: the approximate engine's note says so already
            out[name] = c
            continue
        out[name] = replace(c, store_why=spec.why, shadows=spec.shadows)
    return out


def _start_probes(groups: Sequence[_Group], config: Config, timeout: float, concurrency: int) -> None:
    """Start each group's JVM before DNS is asked, so its start-up overlaps the look-ups."""
    for g in groups:
        try:
            first, *more = g.stores
            g.probe = ProbeRun(g.java, first.files, first.password_env, timeout, threads=concurrency,
                               java_options=g.options, more_stores=[(s.files, s.password_env) for s in more],
                               jsse=[s.path for s in g.stores if s.jsse],
                               compiler_hint=find_java(config.java_home) if config.java_home else None,
                               proxy=client_proxy(g.options, config.proxy)).start()
        except JudgeUnavailable as e:
            g.note = f"{pyjudge.APPROXIMATE}: {e}"


def _observe(config: Config, targets: Sequence[Target], groups: Sequence[_Group], primary: str,
             concurrency: int, progress: _Progress) -> tuple[dict[str, StagingEvidence],
                                                             dict[tuple[str, str, str], ChainFetch]]:
    """DNS, chains and the JVMs' verdicts of every target: per target id its DNS evidence, per
    (target id, ``staging`` or ``production``, IP) its chain; each group's result is left on the group.
    What is in so far is in `progress` (what a stopped run keeps, `_Gathering.stopped`)."""
    t_by_id = {t.id: t for t in targets}
    staging, fetches = progress.staging, progress.fetches
    # One pipeline per pod, no barrier between pods: as soon as a pod's staging IPs are known, the
    # JVMs start probing them, while other pods are still resolving. Each address's chain is the one its
    # JVM was presented, or, where no JVM's handshake can stand for Python's, fetched by Python. Every
    # look-up is in flight on one event loop in this thread, `concurrency` pods at a time.
    with _Pool(max_workers=concurrency) as tls_pool:

        def probe(t: Target, st: StagingEvidence) -> None:
            staging[t.id] = st
            probed = _submit_probes(t, st, groups, primary, config.proxy)
            for kind, ips in (("staging", st.staging_ips), ("production", st.production_ips)):
                for ip in ips:
                    fetches[(t.id, kind, ip)] = chain_future(config.proxy, t, ip, probed.get(ip), tls_pool)

        asyncio.run(_resolve_all(config, targets, concurrency, probe))
        for g in groups:  # the JVMs ran side by side; collect each in turn
            if g.probe is not None:
                try:
                    g.result = g.probe.finish()
                except JudgeUnavailable as e:
                    g.note = f"{pyjudge.APPROXIMATE}: {e}"
        return staging, {k: _outcome(f, k[2], t_by_id[k[0]]) for k, f in fetches.items()}


def _asked(t: Target, pod: PodEvidence, primary: str) -> list[tuple[str, str]]:
    """(IP, when) of every verdict a JVM gives on `pod` (as `_submit_probes` asks and `_jvm_client` reads)."""
    st = pod.staging
    later = [format_instant(d) for _, d in t.later_dates()]
    return [(ip, primary) for ip in (*st.staging_ips, *st.production_ips)] + \
        [(ip, when) for ip in st.staging_ips for when in later]


async def _resolve_all(config: Config, targets: Sequence[Target], concurrency: int,
                       then: Callable[[Target, StagingEvidence], None]) -> None:
    """Resolve every target, at most `concurrency` at a time, and hand each to `then` as soon as it is."""
    gate = asyncio.Semaphore(concurrency)

    async def one(t: Target) -> None:
        async with gate:
            st = await _resolve(config, t)
        then(t, st)

    await asyncio.gather(*(one(t) for t in targets))


async def _resolve(config: Config, t: Target) -> StagingEvidence:
    try:
        return await resolve_staging_async(t.hostname, make_resolver(config.nameservers, t.dns_timeout),
                                           t.staging_hostname)
    except Exception as e:  # one pod's surprise must not end the session: it fails that pod only
        return StagingEvidence(t.hostname, problem=f"internal error while resolving {t.hostname}: "
                                                   f"{type(e).__name__}: {e}", failure="internal")


def _submit_probes(t: Target, st: StagingEvidence, groups: Sequence[_Group], primary: str,
                   run_proxy: Proxy | None) -> dict[str, Future[Probed | None]]:
    """Production too: what clients get today (after the cutover, the new chain). An address both names
    resolve to is probed once, at every date. Per address, what the handshake of the first JVM that can
    stand for Python's fetch there showed (`cutover.judge.presented`); no entry where none can."""
    whens = (primary, *(format_instant(d) for _, d in t.later_dates()))
    python_route = {ip: _route(for_target(run_proxy, t.hostname, ip)) for ip in (*st.staging_ips, *st.production_ips)}
    probed: dict[str, Future[Probed | None]] = {}
    for ip in dict.fromkeys((*st.staging_ips, *st.production_ips)):
        for g in groups:
            if g.probe is not None and t.dc in g.codes:
                proxy = for_target(g.probe.proxy, t.hostname, ip)
                answer = g.probe.submit(Job(t.id, ip, t.port, t.hostname,
                                            whens if ip in st.staging_ips else (primary,),
                                            t.connect_timeout, t.handshake_timeout, proxy is not None))
                if ip not in probed and speaks_for_python(g.options) and _route(proxy) == python_route[ip]:
                    probed[ip] = answer
    return probed


def _route(proxy: Proxy | None) -> tuple[str, int] | None:
    """Where a connection first goes: the proxy's address, or None for the address itself."""
    return None if proxy is None else (proxy.host, proxy.port)


def _jvm_client(client: Client, jvm: JvmInfo, listing: StoreResult, python_store: StoreContents | None,
                targets: Sequence[Target], pods: Mapping[str, PodEvidence], at: dt.datetime | None,
                primary: str) -> ClientEvidence:
    """A client its JVM judged; cryptography's strict verdict beside it, on the store as the JVM listed it."""
    store = listing.store or python_store
    anchors = pyjudge.anchors(store)
    verdicts = {}
    for t in targets:
        st, chains = pods[t.id].staging, pods[t.id].staging_chains
        verdicts[t.id] = PodTrust(
            tuple(listing.verdicts[(t.id, ip, primary)] for ip in st.staging_ips),
            tuple((label, listing.verdicts[(t.id, ip, format_instant(d))]) for label, d in t.later_dates()
                  for ip in st.staging_ips),
            tuple(pyjudge.judge_fetch(t, f, anchors, at) for f in chains),
            tuple(listing.verdicts[(t.id, ip, primary)] for ip in st.production_ips))
    return ClientEvidence(client, listing.store, listing.store_error, jvm, None, verdicts)


def _groups(config: Config) -> tuple[list[_Group], dict[str, tuple[_Group, int]], dict[str, str]]:
    """Clients grouped by (java, options); per client its group and the index of its store there.
    A client whose JDK cannot be found gets a note instead (it is judged approximately)."""
    groups: dict[tuple[Path, tuple[str, ...]], _Group] = {}
    of_client: dict[str, tuple[_Group, int]] = {}
    notes: dict[str, str] = {}
    for client in config.clients:
        try:
            java = find_java(client.java_home)
        except JudgeUnavailable as e:
            notes[client.name] = f"{pyjudge.APPROXIMATE}: {e}"
            continue
        spec = store_of(client)
        options = client.java_options + (() if client.https_options else (HTTPS_OPTIONS_IGNORED,))
        g = groups.setdefault((java.resolve(), options), _Group(java, options))
        if spec not in g.stores:
            g.stores.append(spec)
        g.codes.update(client.datacenters)
        of_client[client.name] = (g, g.stores.index(spec))
    return list(groups.values()), of_client, notes


def _python_client(client: Client, store: StoreContents | None, note: str | None, targets: Sequence[Target],
                   pods: Mapping[str, PodEvidence], at: dt.datetime | None, jsse_file: bool = False) -> ClientEvidence:
    """Approximate verdicts; none where its options or its JDK's jssecacerts need its JVM (`pyjudge.unmodelled`)."""
    anchors, why = pyjudge.anchors(store), pyjudge.unmodelled(client, jsse_file)
    verdicts = {}
    for t in targets:
        chains = pods[t.id].staging_chains
        verdicts[t.id] = PodTrust(
            tuple(pyjudge.judge_fetch(t, f, anchors, at, why) for f in chains),
            tuple((label, pyjudge.judge_fetch(t, f, anchors, d, why)) for label, d in t.later_dates() for f in chains),
            production=tuple(pyjudge.judge_fetch(t, f, anchors, at, why) for f in pods[t.id].production_chains))
    return ClientEvidence(client, store, None if store else "not read", None, note, verdicts)


def _outcome(future: Future[ChainFetch], ip: str, t: Target) -> ChainFetch:
    try:
        return future.result()
    except Exception as e:  # fetch_chain reports network faults itself; this is anything else
        return ChainFetch(ip, t.port, t.hostname, error=f"internal error while fetching the chain: "
                                                         f"{type(e).__name__}: {e}", failure="internal")
