"""The renewal timeline's series: each pod's phase and failing gates at each run, from the history the run read.

Part of the run's closing: the runs `cutover.history.runs.find_runs` read (the same datacenters file, the last
`cutover.history.runs.MAX_RUNS`) and this one. The JSON carries it (`cutover.outputs.evidence_json.timeline_json`)
and the full report draws it (`cutover.outputs.timeline`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cutover.config import Target
from cutover.history.phases import PHASES, UNKNOWN, Phase
from cutover.history.runs import Lookup, Outcomes, Snapshot

#: Runs older than this many days before this run are left out: the picture is of one renewal, not a year.
MAX_DAYS = 120
#: The axis reaches a renewal date this many days ahead, so the picture shows how close it is.
FUTURE_DAYS = 31


@dataclass(frozen=True)
class RunPoint:
    """One run of the series.

    Attributes:
        started: when it started (UTC).
        file: its JSON evidence file; None for this run (its file is being written).
    """

    started: dt.datetime
    file: str | None = None


@dataclass(frozen=True)
class Cell:
    """One pod in one run.

    Attributes:
        phase: one of `PHASES`; None when the pod was not in that run, or the run kept no phases (an old file).
        failing: the gates that failed for the pod in that run, its data centre's included
            (``aliases_present (us2)``), and the client where a run has several (``chain_trusted (hr)``).
        recorded: the phase as the file spelled it, when it is not one this version knows (read as unknown).
    """

    phase: str | None
    failing: tuple[str, ...] = ()
    recorded: str = ""


@dataclass(frozen=True)
class Series:
    """The timeline: every pod's cell in every run, oldest run first, this run last.

    Attributes:
        runs: the runs, oldest first.
        pods: the rows, this run's pods in the datacenters file's order, then pods only earlier runs had.
        cells: per pod, one cell per run (aligned with `runs`).
        renewals: each renewal date of this run's datacenters file, with the data centres it is for.
    """

    runs: tuple[RunPoint, ...]
    pods: tuple[str, ...]
    cells: Mapping[str, tuple[Cell, ...]]
    renewals: tuple[tuple[dt.date, tuple[str, ...]], ...] = ()

    @property
    def today(self) -> dt.date:
        return self.runs[-1].started.astimezone(dt.UTC).date()


def _column(phases: Mapping[str, str], outcomes: Outcomes, pods: Sequence[str]) -> dict[str, Cell]:
    """One run's cells. A pod without a phase there was not checked, unless the run kept no phases at all
    (a file from before they were kept): then its own gates' failures still show. A failed gate is named
    with its client where the run had several, and a data centre's gate with the data centre."""
    several = len({c for (_, c, _) in outcomes if c is not None}) > 1
    failed: dict[str, list[str]] = {}  # target -> gates, indexed once: 56 pods x 200 records x 90 runs otherwise
    for (gate, client, target), outcome in outcomes.items():
        if outcome == "failed":
            failed.setdefault(target, []).append(f"{gate} ({client})" if several and client else gate)
    cells: dict[str, Cell] = {}
    for tid in pods:
        name, dc = phases.get(tid), tid.split("/")[0]
        own = tuple(dict.fromkeys(failed.get(tid, ())))
        if name is None:
            cells[tid] = Cell(None, () if phases else own)
            continue
        dc_gates = tuple(dict.fromkeys(f"{g.split(' (')[0]} ({dc})" for g in failed.get(dc, ()))) if dc != tid else ()
        known = name if name in PHASES else UNKNOWN
        cells[tid] = Cell(known, own + dc_gates, "" if known == name else name)
    return cells


def series(lookup: Lookup | None, started: dt.datetime, phases: Mapping[str, Phase], outcomes: Outcomes,
           targets: Sequence[Target]) -> Series | None:
    """The series of the earlier runs `lookup` read and this run; None when history is off (``--no-history``).

    `phases` and `outcomes` are this run's; `targets` are its pods, whose renewal dates are drawn.
    """
    if lookup is None:
        return None
    oldest = started.astimezone(dt.UTC).date() - dt.timedelta(days=MAX_DAYS)
    earlier: list[Snapshot] = [s for s in lookup.runs if s.started.astimezone(dt.UTC).date() >= oldest]
    rows = dict.fromkeys(t.id for t in targets)
    for snap in earlier:
        rows.update(dict.fromkeys(tid for tid in snap.pods if tid not in rows))
    pods = list(rows)
    columns = [_column({t: p.phase for t, p in s.pods.items()}, s.outcomes, pods) for s in earlier]
    columns.append(_column({t: p.name for t, p in phases.items()}, outcomes, pods))
    runs = (*(RunPoint(s.started, str(s.path)) for s in earlier), RunPoint(started))
    by_date: dict[dt.date, list[str]] = {}
    for t in targets:
        if t.renewal_date is not None and t.dc not in by_date.setdefault(t.renewal_date, []):
            by_date[t.renewal_date].append(t.dc)
    return Series(runs, tuple(pods), {tid: tuple(col[tid] for col in columns) for tid in pods},
                  tuple((d, tuple(dcs)) for d, dcs in sorted(by_date.items())))
