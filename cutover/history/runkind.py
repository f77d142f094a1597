"""What kind of run an evidence file records, written and read in this one module: only a full run is the next
run's baseline.

"Since the last run" and the renewal timeline compare a night with the nights before it. A run of one pod
(``--pod``), a what-if (``--at 2028-06-01``), a run stopped by Ctrl-C, or `cutover prepare`'s proving run of a
copy of the store checked something else than the nightly run does; taken as the baseline, the next night
reported pods "new since the last run", verdicts flipped by the what-if's date, pods "no longer checked", or
"nothing changed" against a store nobody uses. Each file says which kind of run it was (the member ``run``);
the reader takes only a full run as a baseline, and a file written before the member existed
(``cutover-evidence/2``) as full unless it was interrupted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath

#: Every gate test of the file collected and run to its end, at real time, with the file's own stores and JDK.
FULL = "full"
#: The kinds that are not full, the strongest first: a run that is several is named by the first.
PREPARE, INTERRUPTED, WHAT_IF, OVERRIDE, SUBSET = "prepare", "interrupted", "what-if", "override", "subset"
_ORDER = (PREPARE, INTERRUPTED, WHAT_IF, OVERRIDE, SUBSET)


@dataclass(frozen=True)
class RunKind:
    """The kind of a run and the series it belongs to.

    Attributes:
        kind: `FULL`, or the first of `_ORDER` that applies.
        why: what made it so, in the words of its command line (``--pod us2/abcd``, ``--at 2028-06-01``); empty
            for a full run.
        series: the history series (`cutover.config.Config.series_name`): ``[run] series``, else the datacenters
            file's name.
    """

    kind: str
    why: tuple[str, ...] = ()
    series: str = ""

    @property
    def full(self) -> bool:
        """Whether the run can be the next run's baseline."""
        return self.kind == FULL

    def to_json(self) -> dict[str, object]:
        """The JSON's ``run`` member, as `read` reads it back."""
        return {"kind": self.kind, "why": list(self.why), "series": self.series}


#: A run nothing is known against: full, of no series (a default for records made before the kind is known).
UNKNOWN_FULL = RunKind(FULL)


def decide(departures: Iterable[tuple[str, str]], series: str, stopped: bool = False) -> RunKind:
    """The run's kind from how it departs from a full run: (kind, the words of its command line) pairs, and
    whether it was stopped before its end."""
    found = list(departures) + ([(INTERRUPTED, "stopped before its end")] if stopped else [])
    if not found:
        return RunKind(FULL, (), series)
    kind = min((k for k, _ in found), key=_ORDER.index)
    return RunKind(kind, tuple(dict.fromkeys(why for _, why in found)), series)


def read(doc: Mapping[str, object], datacenters_file: str | None) -> RunKind:
    """The kind a file records; a file from before the member (schema /2): full unless interrupted, of the series
    of its datacenters file's name."""
    fallback = PurePath(datacenters_file).name if datacenters_file else ""
    member = doc.get("run")
    if not isinstance(member, dict):
        return RunKind(INTERRUPTED if doc.get("interrupted") else FULL, (), fallback)
    kind = member.get("kind")
    why = member.get("why")
    series = member.get("series")
    return RunKind(kind if isinstance(kind, str) and kind in (FULL, *_ORDER) else SUBSET,
                   tuple(str(w) for w in why) if isinstance(why, list) else (),
                   series if isinstance(series, str) and series else fallback)
