"""The closing record of a run: every decision its end states, made once, for every output to render.

The JSON, the HTML summary, the per-SR files and the terminal run one after another in pytest's
sessionfinish and terminal_summary; each reads this record, and none decides a verdict, a plan or a
comparison again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cutover.closing import news
from cutover.closing import series as series_mod
from cutover.config import Config
from cutover.evidence import Evidence
from cutover.gates import fixplan, run_verdict
from cutover.gates.outcomes import Record
from cutover.gates.run_verdict import RunVerdict
from cutover.history import inputs as judged
from cutover.history import runkind, states
from cutover.history.phases import Phase
from cutover.history.runs import Lookup
from cutover.history.states import PodState


@dataclass(frozen=True)
class Stopped:
    """Where a run stopped by Ctrl-C or SIGTERM stopped (cutover.plugin.interrupt): its outputs say it.

    Attributes:
        step: the step it was stopped at, in words (``running the gates: 40 of 112``).
        not_run: the node ids of the collected gate tests that did not run.
        collected: how many gate tests were collected; 0 when stopped before they were.
    """

    step: str
    not_run: tuple[str, ...] = ()
    collected: int = 0


@dataclass(frozen=True)
class Part:
    """One service request's part of the run (``--report-per-sr``): its records, its plan and its verdict.

    Attributes:
        records: the SR's pods' gate tests and the store gates of the data centres they are in.
        plan: the fix plan over those records alone.
        verdict: the verdict of those records alone.
    """

    records: tuple[Record, ...]
    plan: tuple[fixplan.Step, ...]
    verdict: RunVerdict


@dataclass(frozen=True)
class Closing:
    """What the run's end says, decided once from the complete records.

    Attributes:
        records: every gate test's record, in the order they were reported.
        plan: the fix plan over them.
        verdict: the run's verdict (`cutover.gates.run_verdict.decide`).
        since: what changed since the last run; None when history is off.
        store_diff: what ``cutover prepare`` changed in the copy of the store judged (--store-diff).
        stopped: where the run was stopped; None for a run that went to its end.
        series: the renewal timeline (the runs history read, and this one): the report's picture and the
            JSON's ``timeline`` alike; None when history is off or nothing was gathered.
        inputs: what the run judged, by SHA-256 and entry (`cutover.history.inputs.inputs`): compared with the
            last run's, and written in the JSON; None when nothing was gathered.
        parts: each service request's part, by SR (`sr_parts`).
        states: each pod's state in this run, per target id (`cutover.history.states.states`): compared with the
            last run's, and the JSON's ``lifecycle`` section; empty when nothing was gathered.
        kind: what kind of run this was and its series (`cutover.history.runkind`): the JSON's ``run``; only a full
            run is a later run's baseline, and only a full run calls the pods it did not check "no longer checked".
    """

    records: tuple[Record, ...]
    plan: tuple[fixplan.Step, ...]
    verdict: RunVerdict
    since: news.Since | None = None
    store_diff: Mapping[str, object] | None = None
    stopped: Stopped | None = None
    series: series_mod.Series | None = None
    inputs: dict[str, object] | None = None
    parts: Mapping[str, Part] = field(default_factory=dict)
    states: Mapping[str, PodState] = field(default_factory=dict)
    kind: runkind.RunKind = runkind.UNKNOWN_FULL


def sr_parts(config: Config, records: Sequence[Record]) -> dict[str, list[Record]]:
    """SR -> its records: the pods of that SR, and the store gates of the data centres those pods are in.

    A data centre with pods in two SRs has its store gates in both files; pods without an SR are in
    no file (the full report has them); a data centre without pods goes to its own ``sr`` if it has one.
    """
    dcs = {d.code: d for d in config.datacenters}
    srs = {t.id: t.sr for t in config.targets}
    out: dict[str, list[Record]] = {sr: [] for sr in config.srs}
    for r in records:
        if r.pod is not None:
            sr = srs.get(r.target)
            if sr:
                out.setdefault(sr, []).append(r)
        elif r.dc in dcs:
            for sr in dcs[r.dc].srs:
                out.setdefault(sr, []).append(r)
    return {sr: rs for sr, rs in out.items() if rs}


def close(config: Config, records: Sequence[Record], evidence: Evidence | None, phases: Mapping[str, Phase],
          history: Lookup | None, started: dt.datetime, stopped: Stopped | None = None,
          store_diff: Mapping[str, object] | None = None, departures: Sequence[tuple[str, str]] = ()) -> Closing:
    """The closing record of a run: `records` as they stand, this run's evidence and phases (None and empty when
    nothing was gathered), the earlier runs `history` read (None: history is off), how the run departs from a
    full one (`cutover.plugin.kind.departures`)."""
    records = tuple(records)
    step = stopped.step if stopped is not None else None
    outcomes = {(r.gate, r.client, r.target): r.outcome for r in records}
    what = judged.inputs(config, evidence) if evidence is not None else None
    now = states.states(evidence, phases) if evidence is not None else {}
    kind = runkind.decide(departures, config.series_name, stopped is not None)
    since = news.since_last_run(history, now, outcomes, what, whole=kind.full)
    series = series_mod.series(history, started, phases, outcomes, config.targets) if evidence is not None else None
    parts = {sr: Part(tuple(rs), fixplan.plan(rs), run_verdict.decide(rs, evidence, phases, step))
             for sr, rs in sr_parts(config, records).items()}
    return Closing(records, fixplan.plan(records), run_verdict.decide(records, evidence, phases, step), since,
                   store_diff, stopped, series, what, parts, now, kind)
