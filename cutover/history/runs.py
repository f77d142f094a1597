"""The earlier runs of a datacenters file: found in the history folder and read before any gate runs.

History is an input: each pod's phase is decided on the last run's view of it (`Snapshot.previous`), and the
run's closing compares with the last run (`cutover.closing.news`) and draws the runs as a timeline
(`cutover.closing.series`). Each run's JSON evidence holds a ``lifecycle`` section (`cutover.history.states`)
and an ``inputs`` section (`cutover.history.inputs`); this module finds the files and reads them. History is
a convenience, never a gate: a corrupt, foreign or future-schema file is named and ignored, and no file can
stop a run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cutover.base.instants import from_json as instant_from_json
from cutover.history import inputs as judged
from cutover.history import layout, runkind
from cutover.history.layout import SCHEMA, schema_version
from cutover.history.phases import Previous
from cutover.history.runkind import RunKind
from cutover.history.states import HistoryError, PodState

#: (gate, client, target) -> outcome; client is None for the network gates (cutover.closing.news reads it too).
Outcomes = Mapping[tuple[str, str | None, str], str]

#: A larger file is not read: evidence of 500 pods is a few MB; anything this big is not ours.
MAX_BYTES = 64 * 1024 * 1024
#: At most this many files are opened looking for the last run, newest first: a bound on a folder of years.
MAX_FILES = 400
#: At most this many earlier runs are read for the timeline: two months of nightly runs, and the re-runs of a bad night.
MAX_RUNS = 90


@dataclass(frozen=True)
class Snapshot:
    """An earlier run, as far as history needs it.

    Attributes:
        path: its JSON evidence file.
        started: when it started.
        pods: its lifecycle section, per target id (empty for a file written before phases were kept).
        outcomes: (gate, client, target) -> passed / failed / skipped; client None for network gates.
        interrupted: that run was interrupted (its evidence is partial).
        part_of: the SR of a per-SR file (``--report-per-sr``): a part of a run, not a run to compare with.
        inputs: what it judged (``inputs``: files and their SHA-256, entries, SRs, clients); empty for a file
            written before the section existed.
        kind: what kind of run it was and its series (`cutover.history.runkind`): only a full run is a baseline.
    """

    path: Path
    started: dt.datetime
    datacenters: str | None
    pods: dict[str, PodState]
    outcomes: dict[tuple[str, str | None, str], str]
    interrupted: bool = False
    part_of: str | None = None
    inputs: Mapping[str, object] = field(default_factory=dict)
    kind: RunKind = runkind.UNKNOWN_FULL

    @property
    def baseline(self) -> bool:
        """Whether the next run of its series may compare with it: a whole run, full, not a per-SR part."""
        return self.kind.full and not self.interrupted and self.part_of is None

    def previous(self) -> dict[str, Previous]:
        return {tid: state.previous(self.started) for tid, state in self.pods.items()}


def read_snapshot(path: Path, full: bool = True, wanted: Callable[[Snapshot], bool] | None = None) -> Snapshot:
    """Read an earlier run's evidence file; HistoryError says why it cannot be used.

    `full`: with each pod's addresses, leaves and trust verdicts and what the run judged (its truststores'
    and bundles' entries), which only the last run's comparison needs; without, each pod's phase and the
    outcomes: all the timeline reads of the older runs (a 504-pod run 41 -> 26 ms a file).
    `wanted`: asked of the run's head (when, which datacenters file, stopped or not, an SR's part); a run it
    does not want comes back without its pods and outcomes, unread: in a folder of nightly runs of several
    datacenters files, the others' lifecycle and records are most of what would be parsed.
    """
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise HistoryError(f"{size // (1024 * 1024)} MB, larger than any evidence file")
        data = path.read_bytes()
        whole = layout.members(data, _HEAD)
        head = _head_of(path, whole)  # a HistoryError unless `whole` is an object
        if wanted is not None and not wanted(head):
            return head
        doc = _object(whole)
        if layout.laid_out(data):  # else `_members` parsed it whole: the pods' members are in already
            doc = {**doc, **_object(layout.members(data, _BODY + (judged.MEMBERS if full else ())))}
    except OSError as e:
        raise HistoryError(f"cannot be read ({e.strerror or e})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HistoryError(f"not valid JSON ({e})") from None
    pods: dict[str, PodState] = {}
    section = doc.get("lifecycle")
    section = {} if section is None else section
    if not isinstance(section, dict):
        raise HistoryError("a 'lifecycle' section that is not an object")
    for tid, entry in section.items():
        pods[str(tid)] = PodState.from_json(entry) if full else PodState.phase_of(entry)
    outcomes: dict[tuple[str, str | None, str], str] = {}
    for r in doc.get("records") or ():
        if isinstance(r, dict) and all(isinstance(r.get(k), str) for k in ("gate", "target", "outcome")):
            client = r.get("client")
            outcomes[(r["gate"], client if isinstance(client, str) else None, r["target"])] = r["outcome"]
    return replace(head, pods=pods, outcomes=outcomes, inputs=judged.read(doc) if full else {})


class NotARun(HistoryError):
    """A file of cutover's own that records no run (`cutover prepare`'s diff of a store): passed over in silence."""


#: The members of a run's head that `cutover.outputs.evidence_json` writes first (schema /3 on).
HEAD_FIRST = ("schema", "run", "started", "interrupted", "service_request", "datacenters_file")


def read_head(path: Path) -> Snapshot:
    """A run's head (no pods, no outcomes), from the file's first bytes where it was written first, else from
    the whole file (an older schema, a file laid out otherwise)."""
    try:
        with path.open("rb") as f:
            prefix = f.read(layout.HEAD_BYTES)
    except OSError as e:
        raise HistoryError(f"cannot be read ({e.strerror or e})") from None
    try:
        doc = layout.head_members(prefix, HEAD_FIRST)
    except (json.JSONDecodeError, UnicodeDecodeError):
        doc = None
    return _head_of(path, doc) if doc is not None else read_snapshot(path, wanted=lambda _: False)


def _head_of(path: Path, doc: object) -> Snapshot:
    """A run's file as its head says (schema, start, datacenters file, stopped, SR, kind), with no pods yet."""
    if not isinstance(doc, dict):
        raise HistoryError("not a cutover evidence file (no schema)")
    version, ours = schema_version(doc.get("schema")), schema_version(SCHEMA)
    named = doc.get("schema")
    if (isinstance(named, str) and named.startswith("cutover-") and version is None) or \
            (named is None and {"original", "copy", "changes"} <= doc.keys()):  # prepare's, before it was named
        raise NotARun(f"a file of cutover's own that records no run ({str(named)[:60]})")
    if version is None:
        raise HistoryError(f"not a cutover evidence file (schema {str(doc.get('schema'))[:60]!r})")
    assert ours is not None
    if version > ours:
        raise HistoryError(f"schema {doc['schema']}, newer than this cutover reads ({SCHEMA}): written by a newer "
                           "version")
    try:
        started = instant_from_json(doc["started"])
    except (KeyError, TypeError, ValueError):
        raise HistoryError("no valid 'started' time") from None
    part = doc.get("service_request")
    dcs = _datacenters_of(doc)
    return Snapshot(path, started, dcs, {}, {}, bool(doc.get("interrupted")), str(part) if part else None,
                    kind=runkind.read(doc, dcs))


#: The top-level members history reads: a tenth of a file; the pods' chains and the timeline are the rest.
#: The head says whether the run is one to read further (`read_snapshot`'s `wanted`); the body is its pods.
_HEAD = ("schema", "started", "interrupted", "service_request", "datacenters_file", "environment", "run",
         "original", "copy", "changes")
_BODY = ("lifecycle", "records")







def _datacenters_of(doc: dict[str, Any]) -> str | None:
    """The datacenters file a run was for; files from before the field existed name it in their environment."""
    if isinstance(doc.get("datacenters_file"), str):
        return str(doc["datacenters_file"])
    env = doc.get("environment")
    text = env.get("Datacenters file") if isinstance(env, dict) else None
    return text.split(" (SHA-256 ")[0] if isinstance(text, str) else None


@dataclass(frozen=True)
class Lookup:
    """The outcome of looking for the last run.

    Attributes:
        snapshot: the last earlier full run of the same series (`Snapshot.baseline`); None when there is none.
        ignored: ``file: why`` for each file that could not be used.
        note: why there is no snapshot, in a sentence, when there is none.
        runs: every earlier full run of the same series that was read, oldest first (`find_runs`: the last
            `MAX_RUNS`; `find_previous`: the last one only), for the timeline.
    """

    snapshot: Snapshot | None
    ignored: tuple[str, ...] = ()
    note: str = ""
    runs: tuple[Snapshot, ...] = ()


def find_previous(folder: Path, series: str, before: dt.datetime, exclude: Iterable[Path] = ()) -> Lookup:
    """The last full run of `series` in `folder` that started before `before`.

    Runs are ordered by the start written in each file, never by its modification time: files restored by a CI
    cache or an artifact download share one time, and any older night could have come first. Files of other
    series, and runs that were not full (a subset, a what-if, stopped, `prepare`'s, a per-SR part), are passed
    over in silence, and so are cutover's own files that record no run; files that are not usable evidence are
    named.
    """
    return find_runs(folder, series, before, exclude, limit=1)


def find_runs(folder: Path, series: str, before: dt.datetime, exclude: Iterable[Path] = (),
              limit: int = MAX_RUNS) -> Lookup:
    """The last `limit` full runs of `series` that started before `before`, by the rules of `find_previous`.

    One pass serves both readers: the newest is the last run ("since the last run"), and all of them, oldest
    first, are the timeline's series. The heads of at most `MAX_FILES` files are read (the newest by name, which
    starts with the run's time for files cutover named), then the bodies of at most `limit` runs.
    """
    heads, ignored = _heads(folder, exclude)
    if heads is None:
        return Lookup(None, note=ignored[0])

    def wanted(snap: Snapshot) -> bool:
        return snap.kind.series == series and snap.started < before and snap.baseline

    chosen = sorted((h for h in heads if wanted(h)), key=lambda h: h.started, reverse=True)
    found: list[Snapshot] = []
    for head in chosen:
        try:
            snap = read_snapshot(head.path, full=not found)
        except HistoryError as e:
            ignored.append(f"{head.path}: {e}")
            continue
        found.append(snap)  # the last run read in full; the older ones for their phases and outcomes only
        if len(found) >= limit:
            break
    if not found:
        return Lookup(None, tuple(ignored), f"no earlier full run of series {series!r} in {folder}")
    return Lookup(found[0], tuple(ignored), runs=tuple(sorted(found, key=lambda s: s.started)))


def heads(folder: Path, exclude: Iterable[Path] = ()) -> list[Snapshot]:
    """Every run's head in `folder` that can be read (for pruning the folder: `cutover.history.keep`)."""
    found, _ = _heads(folder, exclude)
    return found or []


def _heads(folder: Path, exclude: Iterable[Path]) -> tuple[list[Snapshot] | None, list[str]]:
    """The heads of the runs in `folder`, and ``file: why`` for each file that is not usable evidence; (None,
    [why]) when the folder cannot be listed."""
    if not folder.is_dir():
        return None, [f"no earlier run: history folder {folder} does not exist"]
    skip = {p.resolve() for p in exclude}
    try:
        files = sorted((p for p in folder.glob("*.json") if p.resolve() not in skip), reverse=True)[:MAX_FILES]
    except OSError as e:
        return None, [f"no earlier run: history folder {folder} cannot be read ({e.strerror or e})"]
    found: list[Snapshot] = []
    ignored: list[str] = []
    for path in files:
        try:
            found.append(read_head(path))
        except NotARun:
            continue
        except HistoryError as e:
            ignored.append(f"{path}: {e}")
    return found, ignored


def _object(x: object) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}
