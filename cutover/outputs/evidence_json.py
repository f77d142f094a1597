"""The JSON evidence file (``cutover-evidence/2``): the document written here, its JSON Schema shipped beside it.

The document is for machines (a dashboard, the change ticket, the next run's history), so its shape is one
contract: the full file, a per-SR file, an interrupted run's file, the "since the last run" section and
prepare's store diff are made by this module, and ``cutover-evidence.schema.json`` beside it (JSON Schema,
draft 2020-12) states the shape. The parts history reads back are written by history's own modules
(`cutover.history.states`: ``lifecycle``; `cutover.history.inputs`: ``inputs``; `cutover.history.layout`: the
schema's name and the file's layout), so a reader and its writer cannot drift. A change of shape is a change
of `cutover.history.layout.SCHEMA`. Nothing is decided here: the verdict, the plan and the comparison arrive in
the run's closing record (`cutover.closing.record.Closing`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from cutover.base import atomic
from cutover.base.digest import sha256_of
from cutover.base.instants import iso_of_timestamp
from cutover.closing.news import Since
from cutover.closing.record import Closing, Part
from cutover.closing.series import Series
from cutover.config import Config
from cutover.evidence import ClientEvidence, Evidence, PodEvidence, PodTrust
from cutover.gates.fixplan import Step
from cutover.gates.outcomes import Record
from cutover.gates.run_verdict import RunVerdict
from cutover.history import inputs as judged
from cutover.history import layout
from cutover.history.layout import SCHEMA
from cutover.history.phases import Phase
from cutover.history.states import PodState, lifecycle_json
from cutover.judge.wire import TrustVerdict
from cutover.net.tls import ChainFetch
from cutover.outputs.fixtext import plan_json
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents

#: The JSON Schema of `SCHEMA`, shipped as package data beside this module.
SCHEMA_FILE = "cutover-evidence.schema.json"

Json = dict[str, object]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the document this module writes, for a validator (the suite's, or a dashboard's)."""
    text = resources.files("cutover.outputs").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


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
        states: each pod's state as the closing record made it (`cutover.closing.record.Closing.states`): the
            ``lifecycle`` section, written as the next run reads it back.
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
    states: Mapping[str, PodState] = field(default_factory=dict)

    @property
    def stopped_at(self) -> str | None:
        """The step named by the verdict of an interrupted run (never "ready"); None when it went to its end."""
        return (self.interrupted_at or "an unknown step") if self.interrupted else None


def write(path: Path, doc: Mapping[str, object]) -> None:
    """Whole or not at all (cutover.base.atomic): a killed run leaves no half file under a final name."""
    atomic.write_text(path, layout.dumps(doc))


def full_document(run: RunFacts, closing: Closing) -> Json:
    """The run's evidence file: every record, with what changed since the last run, the timeline of the runs
    of its datacenters file, what it judged and prepare's store diff, as the closing record holds them."""
    doc = _document(run, closing.records, closing.plan, closing.verdict, sr=None, since=closing.since)
    doc["timeline"] = timeline_json(closing.series)
    # What kind of run, of which series (only a full run is a baseline): second, in the head history reads.
    doc = {"schema": doc["schema"], "run": closing.kind.to_json(), **doc}
    if closing.inputs is not None:
        doc["inputs"] = judged.as_written(closing.inputs)
    if closing.store_diff is not None:
        doc["store_diff"] = dict(closing.store_diff)
    return doc


def sr_document(run: RunFacts, sr: str, part: Part) -> Json:
    """One service request's file: its records, and only the pods, bundles and lifecycle entries they refer to.

    The "since the last run" section stays in the full file: it compares whole runs and names other SRs' pods.
    """
    return _document(replace(run, env={**run.env, "Service request": sr}), part.records, part.plan, part.verdict,
                     sr=sr)


def _document(run: RunFacts, records: Sequence[Record], fix_plan: Sequence[Step], verdict: RunVerdict,
              sr: str | None, since: Since | None = None) -> Json:
    """The parts every file has; `records` may be a part of the run (a per-SR file, `sr` set)."""
    config, ev = run.config, run.evidence
    pods, bundles = _referred(run, records, sr)
    dcs = {d.code: d for d in config.datacenters}
    lifecycle = lifecycle_json(run.states)
    return {
        "schema": SCHEMA,
        "simulated": config.simulated,
        "sandbox_scenario": config.sandbox_scenario,
        "service_request": sr,
        "verdict": verdict.sentence,
        "ready": verdict.ready,
        "to_prove": list(verdict.to_prove),
        "interrupted": run.interrupted,
        "interrupted_at": run.stopped_at,
        "not_run": [n for n in run.not_run if sr is None or _of_sr(run, n, sr)],
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat(),
        # Before the pods: history reads a run's head (cutover.history.runs.read_head) from the file's first bytes.
        "datacenters_file": str(config.path.resolve()),
        "judge": None if ev is None else _judge_json(ev.first),
        "clients": None if ev is None else {name: _client_json(c) for name, c in ev.clients.items()},
        "environment": dict(run.env),
        "fix_plan": plan_json(fix_plan),
        "datacenters": {c: {"name": dcs[c].name, "sr": dcs[c].sr, "srs": list(dcs[c].srs)}
                        for c in dict.fromkeys(r.dc for r in records) if c in dcs},
        "truststores": {} if ev is None else _stores_json(ev),
        "bundles": bundles,
        "pods": pods,
        # A per-SR file holds only its own pods' lifecycle entries (nothing of another SR's pods).
        "lifecycle": {tid: v for tid, v in lifecycle.items() if sr is None or tid in pods},
        "since_last_run": since_json(since),
        "records": [record_json(r, _reference(run, r)) for r in records],
    }


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
        "start": iso_of_timestamp(r.start), "stop": iso_of_timestamp(r.stop),
        "duration_s": round(r.stop - r.start, 3) if r.start and r.stop else None,
        "test": r.nodeid, "evidence": dict(evidence),
    }


def since_json(since: Since | None) -> Json | None:
    """The "since the last run" section; None when history was off."""
    if since is None:
        return None
    return {"heading": since.heading, "changes": list(since.lines), "ignored": list(since.ignored),
            "details": [{"kind": c.kind, "line": c.line, **c.detail} for c in since.changes]}


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


def _verdict_json(v: TrustVerdict) -> Json:
    return {"ip": v.ip, "ok": v.ok, "reason": v.reason, "step": v.step, "engine": v.engine, "when": v.when,
            "protocol": v.protocol, "via": v.via, "failure": v.failure, "options": v.options,
            "served_without_sni": v.served}


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


def trust_json(trust: PodTrust) -> Json:
    """One client's verdicts on one pod: at staging (now and later dates), strict advice, and at production."""
    return {
        "verdicts": [_verdict_json(v) for v in trust.verdicts],
        "later_verdicts": [{"label": label, **_verdict_json(v)} for label, v in trust.later],
        "strict_verdicts": [_verdict_json(v) for v in trust.strict],
        "production_verdicts": [_verdict_json(v) for v in trust.production],
    }


def store_json(store: StoreContents | None, store_error: str | None = None) -> Json:
    """A store as its judge read it; every field None (and no entries) when it could not be read. `path`, `type`
    and `sha256` are the first file's; `files` lists every file (several for a client trusting them together,
    whose entries then each say which file holds them)."""
    return {"path": None if store is None else str(store.path), "type": None if store is None else store.store_type,
            "sha256": None if store is None else sha256_of(store.path),
            "read_by": None if store is None else store.read_by, "error": store_error,
            "files": [] if store is None else [{"path": str(f), "type": store.type_of(f), "sha256": sha256_of(f)}
                                               for f in store.files],
            "entries": [] if store is None else [
                {"alias": x.alias, "kind": x.kind, "certificate": x.cert.to_json() if x.cert else None,
                 **({"file": str(store.file_of(x))} if store.union else {})}
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
        where = ", ".join(map(str, c.store.files)) if c.store is not None else f"unreadable:{name}"
        if where in seen:
            out[name] = {"same_as": seen[where]}
        else:
            seen[where] = name
            out[name] = store_json(c.store, c.store_error)
    return out


def _client_json(c: ClientEvidence) -> Json:
    return {"truststore": None if c.store is None else str(c.store.path),
            "truststore_sha256": None if c.store is None else sha256_of(c.store.path),
            "truststore_files": [] if c.store is None else [str(f) for f in c.store.files],
            "truststore_chosen": c.store_why or None,
            "truststore_shadows": None if c.shadows is None else str(c.shadows),
            "datacenters": list(c.client.datacenters), "java_options": list(c.client.java_options),
            "store_error": c.store_error, "judge": _judge_json(c),
            # What the next run compares (history reads it back: cutover.history.inputs.read).
            "runtime": judged.runtime(c)}


def _judge_json(c: ClientEvidence) -> Json:
    return {
        "engine": "jvm" if c.jvm else "python",
        "jvm": None if c.jvm is None else {"java": str(c.jvm.java), "home": c.jvm.home,
                                           "version": c.jvm.version, "vendor": c.jvm.vendor},
        "note": c.engine_note,
    }
