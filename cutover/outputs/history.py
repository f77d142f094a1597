"""What changed since the last run: earlier runs' JSON evidence, read by the code that writes it.

A scheduled run's reader wants "since yesterday: us2/abcd's production switched to the new
certificate; em3/wxyz's staging IPs changed". Each run's JSON evidence holds a ``lifecycle`` section,
one entry per pod (`cutover.outputs.evidence_json.pod_state_json` writes it, `PodState.from_json` reads
it back, for this run and for earlier ones alike). A run looks for the most recent earlier evidence of
the same datacenters file and compares. History is a convenience, never a gate: a corrupt, foreign or
future-schema file is named and ignored, and no file can stop a run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cutover.evidence import Evidence
from cutover.gates.lifecycle import Phase, Previous
from cutover.outputs.evidence_json import SCHEMA, lifecycle_json, schema_version

#: (gate, client, target) -> outcome; client is None for the network gates.
Outcomes = Mapping[tuple[str, str | None, str], str]

#: A larger file is not read: evidence of 500 pods is a few MB; anything this big is not ours.
MAX_BYTES = 64 * 1024 * 1024
#: At most this many files are opened looking for the last run, newest first: a bound on a folder of years.
MAX_FILES = 400


class HistoryError(Exception):
    """An earlier evidence file that cannot be used; the message says why, in a few words."""


@dataclass(frozen=True)
class Leaf:
    """A served leaf as history keeps it: enough to say what changed."""

    sha256: str
    name: str
    not_after: str

    @property
    def short(self) -> str:
        return f"{self.name} (expires {self.not_after[:10]}, SHA-256 {self.sha256[:16]}...)"


@dataclass(frozen=True)
class PodState:
    """One pod as one run saw it.

    Attributes:
        phase: the lifecycle phase.
        new_leaves: SHA-256 of what that run knew to be the new certificate.
        cut_over_since: when production was first seen serving the new certificate.
        staging_ips, production_ips: the addresses the names resolved to.
        leaves: per network (``staging``, ``production``), the leaf at each address; None where none was fetched.
        trust: per client, per network, the trust verdict at each address (True: trusted).
    """

    phase: str
    new_leaves: frozenset[str] = frozenset()
    cut_over_since: dt.datetime | None = None
    staging_ips: tuple[str, ...] = ()
    production_ips: tuple[str, ...] = ()
    leaves: Mapping[str, Mapping[str, Leaf | None]] = field(default_factory=dict)
    trust: Mapping[str, Mapping[str, Mapping[str, bool]]] = field(default_factory=dict)

    def previous(self, when: dt.datetime) -> Previous:
        """This state as the lifecycle decision reads an earlier run."""
        production = frozenset(lf.sha256 for lf in self.leaves.get("production", {}).values() if lf is not None)
        return Previous(when, self.phase, self.new_leaves, production, self.cut_over_since)

    @classmethod
    def from_json(cls, doc: object) -> PodState:
        """Read what `evidence_json.pod_state_json` wrote; raise HistoryError on anything else."""
        if not isinstance(doc, dict) or not isinstance(doc.get("phase"), str):
            raise HistoryError("a lifecycle entry without a phase")
        try:
            leaves = {net: {str(ip): None if lf is None else Leaf(str(lf["sha256"]), str(lf.get("name", "")),
                                                                   str(lf.get("not_after", "")))
                            for ip, lf in dict(by_ip).items()}
                      for net, by_ip in dict(doc.get("leaves") or {}).items()}
            trust = {str(client): {net: {str(ip): bool(ok) for ip, ok in dict(by_ip).items()}
                                   for net, by_ip in dict(nets).items()}
                     for client, nets in dict(doc.get("trust") or {}).items()}
            since = doc.get("cut_over_since")
            return cls(
                phase=doc["phase"],
                new_leaves=frozenset(str(x) for x in doc.get("new_leaves") or ()),
                cut_over_since=_instant(since) if since else None,
                staging_ips=tuple(str(x) for x in doc.get("staging_ips") or ()),
                production_ips=tuple(str(x) for x in doc.get("production_ips") or ()),
                leaves=leaves, trust=trust,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise HistoryError(f"a malformed lifecycle entry ({type(e).__name__}: {e})") from None


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
    """

    path: Path
    started: dt.datetime
    datacenters: str | None
    pods: dict[str, PodState]
    outcomes: dict[tuple[str, str | None, str], str]
    interrupted: bool = False
    part_of: str | None = None
    inputs: Mapping[str, object] = field(default_factory=dict)

    def previous(self) -> dict[str, Previous]:
        return {tid: state.previous(self.started) for tid, state in self.pods.items()}


def read_snapshot(path: Path) -> Snapshot:
    """Read an earlier run's evidence file; HistoryError says why it cannot be used."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise HistoryError(f"{size // (1024 * 1024)} MB, larger than any evidence file")
        doc = json.loads(path.read_bytes())
    except OSError as e:
        raise HistoryError(f"cannot be read ({e.strerror or e})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HistoryError(f"not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise HistoryError("not a cutover evidence file (no schema)")
    version, ours = schema_version(doc.get("schema")), schema_version(SCHEMA)
    if version is None:
        raise HistoryError(f"not a cutover evidence file (schema {str(doc.get('schema'))[:60]!r})")
    assert ours is not None
    if version > ours:
        raise HistoryError(f"schema {doc['schema']}, newer than this cutover reads ({SCHEMA}): written by a newer "
                           "version")
    try:
        started = _instant(doc["started"])
    except (KeyError, TypeError, ValueError):
        raise HistoryError("no valid 'started' time") from None
    pods: dict[str, PodState] = {}
    section = doc.get("lifecycle")
    section = {} if section is None else section
    if not isinstance(section, dict):
        raise HistoryError("a 'lifecycle' section that is not an object")
    for tid, entry in section.items():
        pods[str(tid)] = PodState.from_json(entry)
    outcomes: dict[tuple[str, str | None, str], str] = {}
    for r in doc.get("records") or ():
        if isinstance(r, dict) and all(isinstance(r.get(k), str) for k in ("gate", "target", "outcome")):
            client = r.get("client")
            outcomes[(r["gate"], client if isinstance(client, str) else None, r["target"])] = r["outcome"]
    part = doc.get("service_request")
    inputs = doc.get("inputs")
    return Snapshot(path, started, _datacenters_of(doc), pods, outcomes, bool(doc.get("interrupted")),
                    str(part) if part else None, inputs if isinstance(inputs, dict) else {})


def _datacenters_of(doc: dict[str, Any]) -> str | None:
    """The datacenters file a run was for; files from before the field existed name it in their environment."""
    if isinstance(doc.get("datacenters_file"), str):
        return str(doc["datacenters_file"])
    env = doc.get("environment")
    text = env.get("Datacenters file") if isinstance(env, dict) else None
    return text.split(" (SHA-256 ")[0] if isinstance(text, str) else None


def _instant(text: object) -> dt.datetime:
    if not isinstance(text, str):
        raise ValueError("not a time")
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Lookup:
    """The outcome of looking for the last run.

    Attributes:
        snapshot: the last earlier run of the same datacenters file; None when there is none.
        ignored: ``file: why`` for each file that could not be used.
        note: why there is no snapshot, in a sentence, when there is none.
    """

    snapshot: Snapshot | None
    ignored: tuple[str, ...] = ()
    note: str = ""


def find_previous(folder: Path, datacenters: Path, before: dt.datetime, exclude: Iterable[Path] = ()) -> Lookup:
    """The most recent evidence in `folder`, older than `before`, of a run of the same datacenters file.

    Files are opened newest first (by modification time) and the search stops at the first match, so a
    folder of a year of nightly runs costs one or two reads. Files of other datacenters files and runs
    that were interrupted (their evidence is partial) are passed over in silence; files that are not
    usable evidence are named. A per-SR file (written beside its run's full evidence, and newer than it) is
    a part of a run, passed over too: the full file of the same run holds every pod.
    """
    if not folder.is_dir():
        return Lookup(None, note=f"no earlier run: history folder {folder} does not exist")
    skip = {p.resolve() for p in exclude}
    want = str(datacenters.resolve())
    ignored: list[str] = []
    try:
        files = sorted((p for p in folder.glob("*.json") if p.resolve() not in skip),
                       key=_mtime, reverse=True)[:MAX_FILES]
    except OSError as e:
        return Lookup(None, note=f"no earlier run: history folder {folder} cannot be read ({e.strerror or e})")
    for path in files:
        try:
            snap = read_snapshot(path)
        except HistoryError as e:
            ignored.append(f"{path}: {e}")
            continue
        if snap.datacenters is None or not _same_file(snap.datacenters, want) or snap.started >= before \
                or snap.interrupted or snap.part_of is not None:
            continue
        return Lookup(snap, tuple(ignored))
    return Lookup(None, tuple(ignored), f"no earlier run of {datacenters} in {folder}")


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def _same_file(recorded: str, want: str) -> bool:
    try:
        return str(Path(recorded).resolve()) == want
    except (OSError, ValueError):
        return False


# -- the comparison ----------------------------------------------------------------------------------
#
# In order of news: a phase that changed is what the lead reads the report for, then a verdict that flipped, then
# a change of what was judged (the inputs), then the network's churn (IPs and leaves). One line each, at most
# `WIDTH` characters; the whole of each change is in the JSON (`Change.detail`).

#: The longest line a change gets: a list of pods beyond it ends "and N more" (all of them are in the JSON).
WIDTH = 120
#: The order of the kinds of change.
KINDS = ("phase", "pods", "verdict", "inputs", "network")


@dataclass(frozen=True)
class Change:
    """One change since the last run.

    Attributes:
        kind: one of KINDS: the order the section shows them in.
        line: what the report and the terminal show, at most WIDTH characters.
        detail: the whole of it, for the JSON (pods, addresses, fingerprints).
    """

    kind: str
    line: str
    detail: Mapping[str, object] = field(default_factory=dict)


def _listed(head: str, items: Sequence[str], tail: str = "") -> str:
    """``head: a, b, c and 4 more tail``, no longer than WIDTH."""
    shown = list(items)
    while True:
        rest = len(items) - len(shown)
        more = f" and {rest} more" if rest else ""
        line = f"{head}: {', '.join(shown)}{more}{tail}"
        if len(line) <= WIDTH or len(shown) <= 1:
            return line if len(line) <= WIDTH else line[:WIDTH - 3] + "..."
        shown.pop()


def changes(before: Snapshot, now: Mapping[str, PodState], outcomes: Outcomes,
            inputs: Mapping[str, object] | None = None) -> list[Change]:
    """What changed since `before`, in order of news (KINDS); `inputs`: this run's (evidence_json.inputs_json)."""
    found = _phase_changes(before, now) + _verdict_changes(before, now, outcomes)
    found += input_changes(before.inputs, inputs or {}) + _network_changes(before, now)
    return sorted(found, key=lambda c: KINDS.index(c.kind))  # stable: within a kind, the order found


def diff(before: Snapshot, now: Mapping[str, PodState], outcomes: Outcomes,
         inputs: Mapping[str, object] | None = None) -> list[str]:
    """The lines of `changes`."""
    return [c.line for c in changes(before, now, outcomes, inputs)]


def _phase_changes(before: Snapshot, now: Mapping[str, PodState]) -> list[Change]:
    """``cut over since the last run: us2/abcd, us2/abcd-test (was staged)``: pods grouped by their change."""
    groups: dict[tuple[str, str], list[str]] = {}
    for tid, state in now.items():
        old = before.pods.get(tid)
        if old is not None and old.phase != state.phase:
            groups.setdefault((old.phase, state.phase), []).append(tid)
    # Cut over first: it is the news of a renewal.
    order = sorted(groups, key=lambda k: (k[1] != "cut over", k[1]))
    out = [Change("phase", _listed(f"{new} since the last run", groups[(was, new)], f" (was {was})"),
                  {"from": was, "to": new, "pods": groups[(was, new)]}) for was, new in order]
    added = [tid for tid in now if tid not in before.pods] if before.pods else []
    gone = [tid for tid in before.pods if tid not in now]
    if added:
        out.append(Change("pods", _listed("new since the last run", added), {"added": added}))
    if gone:
        out.append(Change("pods", _listed("no longer checked", gone), {"removed": gone}))
    return out


def _verdict_changes(before: Snapshot, now: Mapping[str, PodState], outcomes: Outcomes) -> list[Change]:
    """Gate outcomes that flipped, grouped by gate and flip; then trust verdicts per address that flipped."""
    several = len({c for state in now.values() for c in state.trust}
                  | {c for (_, c, _) in outcomes if c is not None}) > 1
    flips: dict[tuple[str, str, str], list[str]] = {}
    for (gate, who, target), outcome in outcomes.items():
        # A file written before records named their client has None there: the same test for a one-client run.
        was = before.outcomes.get((gate, who, target), before.outcomes.get((gate, None, target)))
        if was is not None and was != outcome:
            flips.setdefault((gate, was, outcome), []).append(f"{who}:{target}" if several and who else target)
    out = [Change("verdict", _listed(f"{gate} {was} -> {outcome}", targets),
                  {"gate": gate, "from": was, "to": outcome, "targets": targets})
           for (gate, was, outcome), targets in flips.items()]
    for tid, state in now.items():
        old = before.pods.get(tid)
        for client, nets in (state.trust.items() if old is not None else ()):
            whose = f"client {client}'s trust" if several else "trust"
            for net in ("staging", "production"):
                a, b = old.trust.get(client, {}).get(net, {}), nets.get(net, {})  # type: ignore[union-attr]
                for ip in (ip for ip in b if ip in a and a[ip] != b[ip]):
                    line = f"{tid}: {whose} at {net} {ip}: {_ok(a[ip])} -> {_ok(b[ip])}"
                    out.append(Change("verdict", line[:WIDTH], {"pod": tid, "client": client, "network": net,
                                                                 "ip": ip, "from": a[ip], "to": b[ip]}))
    return out


def _network_changes(before: Snapshot, now: Mapping[str, PodState]) -> list[Change]:
    out: list[Change] = []
    for tid, state in now.items():
        old = before.pods.get(tid)
        if old is None:
            continue
        for kind, a, b in (("staging", old.staging_ips, state.staging_ips),
                           ("production", old.production_ips, state.production_ips)):
            if sorted(a) != sorted(b):
                line = f"{tid}: {kind} IPs {_ips(a)} -> {_ips(b)}"
                out.append(Change("network", line if len(line) <= WIDTH else f"{tid}: {kind} IPs changed (see the "
                                  "JSON)", {"pod": tid, "network": kind, "from": list(a), "to": list(b)}))
        for net in ("staging", "production"):
            a_leaves, b_leaves = _leaves(old, net), _leaves(state, net)
            if a_leaves and b_leaves and set(a_leaves) != set(b_leaves):
                line = f"{tid}: {net} leaf {_shas(a_leaves)} -> {_shas(b_leaves)}"
                out.append(Change("network", line[:WIDTH], {
                    "pod": tid, "network": net, "from": [vars(lf) for lf in a_leaves.values()],
                    "to": [vars(lf) for lf in b_leaves.values()]}))
    return out


def _shas(leaves: Mapping[str, Leaf]) -> str:
    """``AB12CD34EF56 (expires 2027-12-31)``: a leaf told apart in a line; its name is in the JSON."""
    return ", ".join(f"{lf.sha256[:12]} (expires {lf.not_after[:10]})" for lf in leaves.values())


def input_changes(was: Mapping[str, object], now: Mapping[str, object]) -> list[Change]:
    """What changed in what was judged: the datacenters file, each client's truststore (by entry), each bundle (by
    certificate), the SRs of the pods, the clients. Nothing when the earlier run recorded no inputs."""
    if not was or not now:
        return []
    out: list[Change] = []
    a_file, b_file = _dict(was.get("datacenters_file")), _dict(now.get("datacenters_file"))
    if a_file.get("sha256") != b_file.get("sha256"):
        out.append(Change("inputs", f"datacenters file changed: SHA-256 {_sha(a_file)} -> {_sha(b_file)}",
                          {"input": "datacenters_file", "from": a_file, "to": b_file}))
    a_clients, b_clients = [str(c) for c in _list(was.get("clients"))], [str(c) for c in _list(now.get("clients"))]
    if a_clients != b_clients:
        added, gone = [c for c in b_clients if c not in a_clients], [c for c in a_clients if c not in b_clients]
        what = "; ".join(x for x in (f"added {', '.join(added)}" if added else "",
                                     f"removed {', '.join(gone)}" if gone else "") if x) or "reordered"
        out.append(Change("inputs", f"clients: {what}"[:WIDTH], {"input": "clients", "from": a_clients,
                                                                  "to": b_clients}))
    for section, noun, entries in (("truststores", "truststore", "entries"), ("bundles", "bundle", "certificates")):
        a_all, b_all = _dict(was.get(section)), _dict(now.get(section))
        for name in b_all:
            a, b = _dict(a_all.get(name)), _dict(b_all.get(name))
            if not a or a.get("sha256") == b.get("sha256"):
                continue
            whose = f"client {name}'s truststore" if noun == "truststore" else f"bundle of {name}"
            a_set, b_set = _dict(a.get(entries)), _dict(b.get(entries))
            added = [k for k in b_set if k not in a_set]
            gone = [k for k in a_set if k not in b_set]
            changed = [k for k in b_set if k in a_set and a_set[k] != b_set[k]]
            parts = [f"+{', +'.join(added)}" if added else "", f"-{', -'.join(gone)}" if gone else "",
                     f"changed {', '.join(changed)}" if changed else ""]
            what = "; ".join(x for x in parts if x) or "same entries"
            line = f"{whose} changed (SHA-256 {_sha(a)} -> {_sha(b)}): {what}"
            out.append(Change("inputs", line if len(line) <= WIDTH else line[:WIDTH - 3] + "...",
                              {"input": noun, "name": name, "from": a, "to": b, "added": added, "removed": gone,
                               "changed": changed}))
    a_srs, b_srs = _dict(was.get("srs")), _dict(now.get("srs"))
    moved: dict[tuple[str, str], list[str]] = {}
    for tid, sr in b_srs.items():
        if tid in a_srs and a_srs[tid] != sr:
            moved.setdefault((str(a_srs[tid] or "none"), str(sr or "none")), []).append(tid)
    out += [Change("inputs", _listed(f"SR {a} -> {b}", pods), {"input": "sr", "from": a, "to": b, "pods": pods})
            for (a, b), pods in moved.items()]
    return out


def _dict(x: object) -> dict[str, object]:
    return {str(k): v for k, v in x.items()} if isinstance(x, dict) else {}


def _list(x: object) -> list[object]:
    return list(x) if isinstance(x, list) else []


def _sha(x: Mapping[str, object]) -> str:
    return f"{str(x.get('sha256') or '?')[:12]}..."


def _ips(ips: Sequence[str]) -> str:
    return ", ".join(ips) or "none"


def _ok(ok: bool) -> str:
    return "trusted" if ok else "rejected"


def _leaves(state: PodState, net: str) -> dict[str, Leaf]:
    return {lf.sha256: lf for lf in state.leaves.get(net, {}).values() if lf is not None}


@dataclass(frozen=True)
class Since:
    """The "since the last run" section: its heading and lines, for the report and the terminal alike."""

    heading: str
    lines: tuple[str, ...]
    ignored: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()


def since_last_run(lookup: Lookup | None, evidence: Evidence | None, phases: Mapping[str, Phase],
                   outcomes: Outcomes, inputs: Mapping[str, object] | None = None) -> Since | None:
    """The section, or None when history was turned off (``--no-history``). `inputs`: what this run judged
    (`cutover.outputs.evidence_json.inputs_json`), compared with what the last run recorded."""
    if lookup is None:
        return None
    if lookup.snapshot is None:
        return Since(f"since the last run: {lookup.note}", (), lookup.ignored)
    snap = lookup.snapshot
    now: dict[str, PodState] = {}
    if evidence is not None:
        now = {tid: PodState.from_json(entry) for tid, entry in lifecycle_json(evidence, phases).items()}
    found = changes(snap, now, outcomes, inputs)
    lines = [c.line for c in found] or ["nothing changed"]
    heading = f"since the last run ({snap.started.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z, {snap.path})"
    return Since(heading, tuple(lines), lookup.ignored, tuple(found))
