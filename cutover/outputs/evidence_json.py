"""The JSON evidence file (``cutover-evidence/2``): every part of it written here, and its schema named here once.

The document is for machines (a dashboard, the change ticket, the next run's "since the last run"), so
its shape is one contract: the full file, a per-SR file, an interrupted run's file, the lifecycle section
that history reads back (`cutover.outputs.history.PodState.from_json`), the "since the last run"
section and prepare's store diff are all made by this module, and ``cutover-evidence.schema.json``
beside it (JSON Schema, draft 2020-12) states the shape. A change of shape is a change of `SCHEMA`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cutover.config import Config
from cutover.evidence import ClientEvidence, Evidence, PodEvidence, TrustVerdicts
from cutover.gates import lifecycle
from cutover.gates.fixplan import Step, plan_json
from cutover.gates.lifecycle import Phase
from cutover.judge.java import JavaVerdict
from cutover.net.tls import ChainFetch
from cutover.outputs import atomic, layout
from cutover.outputs.environment import sha256_of
from cutover.outputs.records import Record, verdict_sentence
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents

if TYPE_CHECKING:  # timeline reads history, which reads this module: the type alone is needed here
    from cutover.outputs.timeline import Series

#: /2: the store, each bundle and each pod's evidence are held once (``truststores``, ``bundles``, ``pods``) and
#: records refer to them; ``fix_plan`` and ``sr`` were added. /1 carried them in every record.
SCHEMA = "cutover-evidence/2"
SCHEMA_PREFIX = "cutover-evidence/"
#: The JSON Schema of `SCHEMA`, shipped as package data beside this module.
SCHEMA_FILE = "cutover-evidence.schema.json"

Json = dict[str, object]


def schema_version(schema: object) -> int | None:
    """``cutover-evidence/3`` -> 3; None for anything that is not ours."""
    if isinstance(schema, str) and (m := re.fullmatch(re.escape(SCHEMA_PREFIX) + r"(\d+)", schema)):
        return int(m[1])
    return None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the document this module writes, for a validator (the suite's, or a dashboard's)."""
    text = resources.files("cutover.outputs").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class SinceSection(Protocol):
    """What the "since the last run" section is made of (cutover.outputs.history.Since has it)."""

    @property
    def heading(self) -> str: ...

    @property
    def lines(self) -> Sequence[str]: ...

    @property
    def ignored(self) -> Sequence[str]: ...

    @property
    def changes(self) -> Sequence[ChangeLike]: ...


class ChangeLike(Protocol):
    """One change of the section (cutover.outputs.history.Change): its kind, its line, the whole of it."""

    @property
    def kind(self) -> str: ...

    @property
    def line(self) -> str: ...

    @property
    def detail(self) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class RunFacts:
    """What every evidence file of one run shares, the full one and each per-SR part.

    Attributes:
        config: the run's configuration.
        evidence: what it observed; None when nothing was gathered (interrupted before the first gate).
        phases: each pod's lifecycle phase, per target id.
        env: the report's Environment rows.
        started, finished: the run's UTC times.
        interrupted: the run was cut short (Ctrl-C, SIGTERM): its evidence is partial.
        interrupted_at: the step it was stopped at (``running the gates: 40 of 112``), when interrupted.
        not_run: the node ids of the gate tests collected that did not run, when interrupted.
    """

    config: Config
    evidence: Evidence | None
    env: Mapping[str, str]
    started: dt.datetime
    finished: dt.datetime
    phases: Mapping[str, Phase] = field(default_factory=dict)
    interrupted: bool = False
    interrupted_at: str | None = None
    not_run: Sequence[str] = ()

    @property
    def stopped_at(self) -> str | None:
        """The step named by the verdict of an interrupted run (never "ready"); None when it went to its end."""
        return (self.interrupted_at or "an unknown step") if self.interrupted else None


def write(path: Path, doc: Mapping[str, object]) -> None:
    """Whole or not at all (cutover.outputs.atomic): a killed run leaves no half file under a final name."""
    atomic.write_text(path, layout.dumps(doc))


def full_document(run: RunFacts, records: Sequence[Record], fix_plan: Sequence[Step],
                  since: SinceSection | None = None, store_diff: Mapping[str, object] | None = None,
                  timeline: Series | None = None, inputs: Json | None = None) -> Json:
    """The run's evidence file: every record, with what changed since the last run, the timeline of the runs
    of its datacenters file, what it judged (`inputs_json` with its entries, as the comparison used it) and
    prepare's store diff."""
    doc = _document(run, records, fix_plan, sr=None, since=since)
    doc["timeline"] = timeline_json(timeline)
    if inputs is not None:
        doc["inputs"] = _as_written(inputs)
    if store_diff is not None:
        doc["store_diff"] = dict(store_diff)
    return doc


def sr_document(run: RunFacts, sr: str, records: Sequence[Record], fix_plan: Sequence[Step]) -> Json:
    """One service request's file: its records, and only the pods, bundles and lifecycle entries they refer to.

    The "since the last run" section stays in the full file: it compares whole runs and names other SRs' pods.
    """
    return _document(replace(run, env={**run.env, "Service request": sr}), records, fix_plan, sr=sr)


def _document(run: RunFacts, records: Sequence[Record], fix_plan: Sequence[Step], sr: str | None,
              since: SinceSection | None = None) -> Json:
    """The parts every file has; `records` may be a part of the run (a per-SR file, `sr` set)."""
    config, ev = run.config, run.evidence
    verdict, ready = run_verdict(run, records)
    pods, bundles = _referred(run, records, sr)
    dcs = {d.code: d for d in config.datacenters}
    lifecycle = lifecycle_json(ev, run.phases) if ev is not None else {}
    return {
        "schema": SCHEMA,
        "simulated": config.simulated,
        "sandbox_scenario": config.sandbox_scenario,
        "service_request": sr,
        "verdict": verdict,
        "ready": ready,
        "interrupted": run.interrupted,
        "interrupted_at": run.stopped_at,
        "not_run": [n for n in run.not_run if sr is None or _of_sr(run, n, sr)],
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat(),
        "judge": None if ev is None else _judge_json(ev.first),
        "clients": None if ev is None else {name: _client_json(c) for name, c in ev.clients.items()},
        "environment": dict(run.env),
        "fix_plan": plan_json(fix_plan),
        "datacenters": {c: {"name": dcs[c].name, "sr": dcs[c].sr, "srs": list(dcs[c].srs)}
                        for c in dict.fromkeys(r.dc for r in records) if c in dcs},
        "truststores": {} if ev is None else _stores_json(ev),
        "bundles": bundles,
        "pods": pods,
        "datacenters_file": str(config.path.resolve()),
        # A per-SR file holds only its own pods' lifecycle entries (nothing of another SR's pods).
        "lifecycle": {tid: v for tid, v in lifecycle.items() if sr is None or tid in pods},
        "since_last_run": since_json(since),
        "records": [record_json(r, _reference(run, r)) for r in records],
    }


def run_verdict(run: RunFacts, records: Sequence[Record]) -> tuple[str, bool]:
    """The verdict of `records` (a whole run, or one SR's part), as `verdict_of` decides it."""
    return verdict_of(records, run.evidence, run.phases, run.stopped_at)


def verdict_of(records: Sequence[Record], evidence: Evidence | None, phases: Mapping[str, Phase],
               stopped_at: str | None) -> tuple[str, bool]:
    """The one verdict the JSON, the HTML and the terminal say: never "ready" once the run was stopped; "cut
    over" once every pod of `records` is (the pods the run judged, not every pod it observed), and every
    client accepts production."""
    done = evidence is not None and lifecycle.all_cut_over(evidence, phases,
                                                           {r.target for r in records if r.pod is not None})
    return verdict_sentence(records, stopped_at, cut_over=done)


def _referred(run: RunFacts, records: Sequence[Record], sr: str | None) -> tuple[Json, Json]:
    """The pods and bundles `records` refer to, each once, in the order of the first record that refers to it;
    an interrupted run's file has every pod it observed too (of the SR, in a per-SR file), gate or not."""
    ev = run.evidence
    pods: Json = {}
    bundles: Json = {}
    if ev is None:
        return pods, bundles
    srs = {t.id: t.sr for t in run.config.targets}
    unrun = [tid for tid in ev.pods if sr is None or srs.get(tid) == sr] if run.interrupted else []
    for r in records:
        if r.pod is not None and r.target in ev.pods and r.target not in pods:
            pods[r.target] = _pod_entry(ev, r.target, srs.get(r.target), run.phases.get(r.target))
        elif r.pod is None and r.dc in ev.bundles and r.dc not in bundles:
            bundles[r.dc] = bundle_json(ev.bundles[r.dc])
    for tid in unrun:
        if tid not in pods:
            pods[tid] = _pod_entry(ev, tid, srs.get(tid), run.phases.get(tid))
    return pods, bundles


def _pod_entry(ev: Evidence, tid: str, sr: str | None, phase: Phase | None) -> Json:
    return {"sr": sr, **pod_json(ev.pods[tid], phase),
            "trust": {name: trust_json(c.verdicts[tid]) for name, c in ev.clients.items() if tid in c.verdicts}}


def _of_sr(run: RunFacts, nodeid: str, sr: str) -> bool:
    """A gate test that did not run belongs to `sr`: its pod's (``...[us2/acme]``), or one of its data centre's."""
    label = nodeid.rpartition("[")[2].rstrip("]").rpartition(":")[2]
    target = run.config.target_by_id.get(label)
    if target is not None:
        return target.sr == sr
    return any(d.code == label and sr in d.srs for d in run.config.datacenters)


def _reference(run: RunFacts, r: Record) -> Json:
    """Where a record's evidence is in the file: its pod (and client), or its data centre's bundle and store."""
    if r.pod is not None:
        ref: Json = {"pod": r.target}
        return ref | ({"client": r.client} if r.client is not None else {})
    has_bundle = run.evidence is not None and r.dc in run.evidence.bundles
    first_client = run.config.clients[0].name if run.config.clients else None
    return {"bundle": r.dc if has_bundle else None, "truststore": r.client or first_client}


def record_json(r: Record, evidence: Mapping[str, object]) -> Json:
    """One gate test: its outcome, message and fix, its times, and where its evidence is (`evidence`)."""
    return {
        "gate": r.gate, "client": r.client, "target": r.target, "dc": r.dc, "pod": r.pod, "sr": r.sr,
        "outcome": r.outcome,
        "message": r.message, "remedy": r.remedy, "warnings": r.warnings,
        "start": _iso(r.start), "stop": _iso(r.stop),
        "duration_s": round(r.stop - r.start, 3) if r.start and r.stop else None,
        "test": r.nodeid, "evidence": dict(evidence),
    }


def since_json(since: SinceSection | None) -> Json | None:
    """The "since the last run" section; None when history was off."""
    if since is None:
        return None
    return {"heading": since.heading, "changes": list(since.lines), "ignored": list(since.ignored),
            "details": [{"kind": c.kind, "line": c.line, **c.detail} for c in since.changes]}


def inputs_json(config: Config, ev: Evidence, entries: bool = False) -> Json:
    """What the run judged, by SHA-256: the next run says what changed in it ("since the last run").

    `entries`: with each truststore's entries (alias -> the certificate's SHA-256) and each bundle's certificates
    (SHA-256 -> role and name), for the comparison. The file is written without them: they are in its
    ``truststores`` and ``bundles`` sections already, where `cutover.outputs.history` reads them back.
    """
    stores: Json = {}
    for name, c in ev.clients.items():
        if c.store is not None:
            stores[name] = {"path": str(c.store.path), "sha256": sha256_of(c.store.path)} | (
                {"entries": store_entries(c.store)} if entries else {})
    bundles: Json = {}
    for code, b in ev.bundles.items():
        certs = bundle_certificates(b)
        # A bundle may be a folder: its fingerprint is then that of its certificates.
        sha = sha256_of(b.path) if b.path.is_file() else hashlib.sha256("".join(sorted(certs)).encode()).hexdigest()
        bundles[code] = {"path": str(b.path), "sha256": sha.upper()} | ({"certificates": certs} if entries else {})
    return {"datacenters_file": {"path": str(config.path), "sha256": sha256_of(config.path)},
            "clients": list(ev.clients), "truststores": stores, "bundles": bundles,
            "srs": {t.id: t.sr for t in config.targets}}


def _as_written(inputs: Json) -> Json:
    """`inputs_json` with entries, as the file keeps it: without them (see there)."""
    def without(section: object, key: str) -> Json:
        assert isinstance(section, dict)
        return {name: {k: v for k, v in x.items() if k != key} for name, x in section.items()}

    return {**inputs, "truststores": without(inputs["truststores"], "entries"),
            "bundles": without(inputs["bundles"], "certificates")}


def store_entries(store: StoreContents) -> dict[str, str | None]:
    """alias (as Java compares it: lower case) -> the certificate's SHA-256."""
    return {x.alias.lower(): x.cert.sha256 if x.cert else None for x in store.entries}


def bundle_certificates(b: Bundle) -> dict[str, str]:
    """SHA-256 -> ``root CN=...``: a bundle's certificates by fingerprint, with their role."""
    roles = [("root", b.root), *(("intermediate", x) for x in b.intermediates), *(("server", x) for x in b.servers)]
    return {x.sha256: f"{role} {x.subject}" for role, x in roles}


def timeline_json(series: Series | None) -> Json | None:
    """The ``timeline`` section: each pod's phase and failing gates per run, oldest first, this run last (the
    report's picture, cutover.outputs.timeline, draws the same series); None when history was off.

    Per pod two lists aligned with ``runs``: ``phases`` (null where that run did not check the pod, or kept
    no phases) and ``failing`` (the gates that failed for it then). Two flat lists, not an object per run:
    written with indent=1 in every run's file, 56 pods over 61 runs took 125 KB instead of 222 KB.
    """
    if series is None:
        return None
    return {
        "runs": [{"started": r.started.isoformat(), "file": r.file, "this_run": r.file is None}
                 for r in series.runs],
        "renewal_dates": [{"date": d.isoformat(), "datacenters": list(dcs)} for d, dcs in series.renewals],
        "pods": {tid: {"phases": [c.phase for c in cells], "failing": [list(c.failing) for c in cells]}
                 for tid, cells in series.cells.items()},
    }


def _verdict_json(v: JavaVerdict) -> Json:
    return {"ip": v.ip, "ok": v.ok, "reason": v.reason, "step": v.step, "engine": v.engine, "when": v.when,
            "protocol": v.protocol, "via": v.via, "failure": v.failure}


def _fetch_json(kind: str, f: ChainFetch) -> Json:
    return {"network": kind, "ip": f.ip, "sni": f.sni, "protocol": f.protocol, "error": f.error, "via": f.via,
            "failure": f.failure, "chain": [c.to_json() for c in f.chain]}


def pod_json(pod: PodEvidence, phase: Phase | None = None) -> Json:
    """A pod's network evidence and its phase, the same for every client (their verdicts: `trust_json`)."""
    st = pod.staging
    return {
        "hostname": pod.target.hostname, "port": pod.target.port,
        "phase": phase.name if phase is not None else None,
        "cname_chain": list(st.cname_chain), "edge_hostname": st.edge_hostname, "staging_name": st.staging_name,
        "staging_chain": list(st.staging_chain), "staging_ips": list(st.staging_ips),
        "production_ips": list(st.production_ips), "dns_problem": st.problem,
        "dns_failure": st.failure, "hosts_lines": [f"{ip} {pod.target.hostname}" for ip in st.staging_ips],
        "presented_chains": [_fetch_json(kind, f) for kind, fetches in (("staging", pod.staging_chains),
                                                                         ("production", pod.production_chains))
                             for f in fetches],
    }


def trust_json(trust: TrustVerdicts) -> Json:
    """One client's verdicts on one pod: at staging (now and later dates), strict advice, and at production."""
    return {
        "verdicts": [_verdict_json(v) for v in trust.verdicts],
        "later_verdicts": [{"label": label, **_verdict_json(v)} for label, v in trust.later],
        "strict_verdicts": [_verdict_json(v) for v in trust.strict],
        "production_verdicts": [_verdict_json(v) for v in trust.production],
    }


def store_json(store: StoreContents | None, store_error: str | None = None) -> Json:
    """A store as its judge read it; every field None (and no entries) when it could not be read."""
    return {"path": None if store is None else str(store.path), "type": None if store is None else store.store_type,
            "sha256": None if store is None else sha256_of(store.path),
            "read_by": None if store is None else store.read_by, "error": store_error,
            "entries": [] if store is None else [
                {"alias": x.alias, "kind": x.kind, "certificate": x.cert.to_json() if x.cert else None}
                for x in store.entries]}


def bundle_json(bundle: Bundle) -> Json:
    return {"path": str(bundle.path), "root": bundle.root.to_json(),
            "intermediates": [c.to_json() for c in bundle.intermediates],
            "servers": [c.to_json() for c in bundle.servers]}


def _stores_json(ev: Evidence) -> Json:
    """Each client's store as its judge read it; a store several clients share is written once and the
    others say whose it is (``{"same_as": "soa"}``)."""
    out: Json = {}
    seen: dict[str, str] = {}
    for name, c in ev.clients.items():
        where = str(c.store.path) if c.store is not None else f"unreadable:{name}"
        if where in seen:
            out[name] = {"same_as": seen[where]}
        else:
            seen[where] = name
            out[name] = store_json(c.store, c.store_error)
    return out


def _client_json(c: ClientEvidence) -> Json:
    return {"truststore": None if c.store is None else str(c.store.path),
            "truststore_sha256": None if c.store is None else sha256_of(c.store.path),
            "datacenters": list(c.client.datacenters), "java_options": list(c.client.java_options),
            "store_error": c.store_error, "judge": _judge_json(c)}


def _judge_json(c: ClientEvidence) -> Json:
    return {
        "engine": "jvm" if c.jvm else "python",
        "jvm": None if c.jvm is None else {"java": str(c.jvm.java), "home": c.jvm.home,
                                           "version": c.jvm.version, "vendor": c.jvm.vendor},
        "note": c.engine_note,
    }


def _iso(ts: float | None) -> str | None:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat() if ts else None


# -- the lifecycle section: what the next run compares with (read back by history.PodState.from_json) ------

def pod_state_json(pod: PodEvidence, phase: Phase, trust: Mapping[str, TrustVerdicts]) -> Json:
    """One pod's entry of the ``lifecycle`` section.

    `trust`: each client's verdicts on the pod (the phase is the network's, the same for every client).
    """
    def leaf(f: ChainFetch) -> dict[str, str] | None:
        c = f.leaf
        return None if c is None else {"sha256": c.sha256, "name": c.name, "not_after": c.not_after.isoformat()}

    return {
        "phase": phase.name,
        "why": phase.why,
        "new_leaves": sorted(phase.new_leaves),
        "cut_over_since": phase.since.isoformat() if phase.since is not None else None,
        "staging_ips": list(pod.staging.staging_ips),
        "production_ips": list(pod.staging.production_ips),
        "leaves": {"staging": {f.ip: leaf(f) for f in pod.staging_chains},
                   "production": {f.ip: leaf(f) for f in pod.production_chains}},
        "trust": {client: {"staging": {v.ip: v.ok for v in tv.verdicts},
                           "production": {v.ip: v.ok for v in tv.production}}
                  for client, tv in trust.items()},
    }


def lifecycle_json(evidence: Evidence, phases: Mapping[str, Phase]) -> dict[str, Json]:
    """The ``lifecycle`` section: every pod's phase and what it rests on."""
    return {tid: pod_state_json(pod, phases[tid], {name: c.verdicts[tid] for name, c in
                                                   evidence.clients.items() if tid in c.verdicts})
            for tid, pod in evidence.pods.items() if tid in phases}
