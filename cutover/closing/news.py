"""What changed since the last run, in order of news: the comparison of the last run (`cutover.history.runs`
read it) with this one, made from this run's own records and states (`cutover.history.states.states`).

A lead reads this section every morning of a renewal. What they need first is which pods cut over, then which
verdicts flipped, then whether what was judged changed (a truststore, a bundle, the datacenters file, the SRs), and
only then the network's churn. Each change is one line a person reads, at most `WIDTH` characters; its whole detail
goes to the JSON, where a dashboard can read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from cutover.base.text import shorten
from cutover.history.runs import Lookup, Outcomes, Snapshot
from cutover.history.states import Leaf, PodState

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


def _fit(line: str) -> str:
    return shorten(line, WIDTH)


def _listed(head: str, items: Sequence[str], tail: str = "") -> str:
    """``head: a, b, c and 4 more tail``, no longer than WIDTH."""
    shown = list(items)
    while True:
        rest = len(items) - len(shown)
        more = f" and {rest} more" if rest else ""
        line = f"{head}: {', '.join(shown)}{more}{tail}"
        if len(line) <= WIDTH or len(shown) <= 1:
            return _fit(line)
        shown.pop()


@dataclass(frozen=True)
class Since:
    """The "since the last run" section: its heading and lines, for the report and the terminal alike."""

    heading: str
    lines: tuple[str, ...]
    ignored: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()


def since_last_run(lookup: Lookup | None, now: Mapping[str, PodState], outcomes: Outcomes,
                   inputs: Mapping[str, object] | None = None, whole: bool = True) -> Since | None:
    """The section, or None when history was turned off (``--no-history``). `now`: this run's pods
    (`cutover.history.states.states`); `inputs`: what this run judged (`cutover.history.inputs.inputs`),
    compared with what the last run recorded; `whole`: this run is a full one (a subset, a what-if or a stopped
    run compares itself only on what it checked: the pods it did not reach are not "no longer checked")."""
    if lookup is None:
        return None
    if lookup.snapshot is None:
        return Since(f"since the last run: {lookup.note}", (), lookup.ignored)
    snap = lookup.snapshot
    found = changes(snap, now, outcomes, inputs, whole)
    lines = [c.line for c in found] or ["nothing changed"]
    heading = f"since the last run ({snap.started.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z, {snap.path})"
    return Since(heading, tuple(lines), lookup.ignored, tuple(found))


def changes(before: Snapshot, now: Mapping[str, PodState], outcomes: Outcomes,
            inputs: Mapping[str, object] | None = None, whole: bool = True) -> list[Change]:
    """What changed since `before`, in order of news (KINDS); `inputs`: this run's (cutover.history.inputs.inputs);
    `whole`: this run checked every pod of its file (else the pods it did not check are no news)."""
    found = _phase_changes(before, now, whole) + _verdict_changes(before, now, outcomes)
    found += input_changes(before.inputs, inputs or {}) + _network_changes(before, now)
    return sorted(found, key=lambda c: KINDS.index(c.kind))  # stable: within a kind, the order found


def diff(before: Snapshot, now: Mapping[str, PodState], outcomes: Outcomes,
         inputs: Mapping[str, object] | None = None) -> list[str]:
    """The lines of `changes`."""
    return [c.line for c in changes(before, now, outcomes, inputs)]


def _phase_changes(before: Snapshot, now: Mapping[str, PodState], whole: bool = True) -> list[Change]:
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
    gone = [tid for tid in before.pods if tid not in now] if whole else []
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
    """What changed in what was judged: the datacenters file, the clients, each client's runtime (`runtime_changes`:
    its judged file, its JDK, its store's content by entry), each bundle (by certificate), the SRs of the pods.
    Nothing when the earlier run recorded no inputs."""
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
    a_runtimes, b_runtimes = _dict(was.get("runtimes")), _dict(now.get("runtimes"))
    a_stores, b_stores = _dict(was.get("truststores")), _dict(now.get("truststores"))
    for name in dict.fromkeys([*b_stores, *b_runtimes]):
        out += runtime_changes(name, _dict(a_runtimes.get(name)), _dict(b_runtimes.get(name)),
                               _dict(a_stores.get(name)), _dict(b_stores.get(name)))
    a_all, b_all = _dict(was.get("bundles")), _dict(now.get("bundles"))
    for name in b_all:
        a, b = _dict(a_all.get(name)), _dict(b_all.get(name))
        if a and a.get("sha256") != b.get("sha256"):
            added, gone, changed = _entries_diff(a, b, "certificates")
            line = f"bundle of {name} changed (SHA-256 {_sha(a)} -> {_sha(b)}): {_what(added, gone, changed)}"
            out.append(Change("inputs", _fit(line), {"input": "bundle", "name": name, "from": a, "to": b,
                                                     "added": added, "removed": gone, "changed": changed}))
    a_srs, b_srs = _dict(was.get("srs")), _dict(now.get("srs"))
    moved: dict[tuple[str, str], list[str]] = {}
    for tid, sr in b_srs.items():
        if tid in a_srs and a_srs[tid] != sr:
            moved.setdefault((str(a_srs[tid] or "none"), str(sr or "none")), []).append(tid)
    out += [Change("inputs", _listed(f"SR {a} -> {b}", pods), {"input": "sr", "from": a, "to": b, "pods": pods})
            for (a, b), pods in moved.items()]
    return out


def runtime_changes(name: str, was: Mapping[str, object], now: Mapping[str, object], was_store: Mapping[str, object],
                    now_store: Mapping[str, object]) -> list[Change]:
    """Client `name`'s runtime since the last run, by content and version, never by a file's time: the judged file
    switched (a jssecacerts appeared, an option names another file), the JDK changed (vendor, version or home), a
    judged file's content was replaced (by SHA-256, with the entries added and removed). `was_store`, `now_store`:
    the client's ``truststores`` inputs (path, SHA-256, entries). A switched file is one line, not also a content
    change: its SHA-256 differs because it is another file. A run that recorded no runtime (older than it) is
    compared on its first store file and that file's SHA-256 (`cutover.history.inputs.read` marks it first_only)."""
    out: list[Change] = []
    a_files, b_files = _files(was) or _files({"files": [was_store]}), _files(now) or _files({"files": [now_store]})
    first_only = bool(was.get("first_only") or now.get("first_only")) or not (_files(was) and _files(now))
    a_paths, b_paths = list(a_files), list(b_files)
    if first_only:
        a_paths, b_paths = a_paths[:1], b_paths[:1]
    added, gone, changed = _entries_diff(was_store, now_store, "entries")
    detail = {"client": name, "added": added, "removed": gone, "changed": changed}
    switched = bool(a_paths and b_paths and a_paths != b_paths)
    if switched:
        out.append(Change("inputs", _switch_line(name, a_paths, b_paths, was, now), {
            "input": "judged_file", **detail, "from": [{"path": p, "sha256": a_files[p]} for p in a_paths],
            "to": [{"path": p, "sha256": b_files[p]} for p in b_paths], "why": now.get("why")}))
    if was and now and _jdk(was) != _jdk(now):
        out.append(Change("inputs", _jdk_line(name, was, now), {"input": "jdk", "client": name,
                                                                "from": was.get("jdk"), "to": now.get("jdk")}))
    replaced = [p for p in b_paths if p in a_paths and a_files[p] != b_files[p] and _known(a_files[p], b_files[p])]
    for path in replaced:
        a, b = {"sha256": a_files[path]}, {"sha256": b_files[path]}
        lines = [f"client {name}'s truststore{where} content replaced (SHA-256 {_sha(a)} -> {_sha(b)}): "
                 f"{_what(added, gone, changed)}" for where in ((f" {path}", f" {PurePath(path).name}")
                                                                if len(b_paths) > 1 else ("",))]
        line = next((x for x in lines if len(x) <= WIDTH), lines[-1])
        out.append(Change("inputs", _fit(line), {"input": "truststore", "name": name, "path": path, "from":
                                                 {"path": path, **a}, "to": {"path": path, **b}, **detail}))
    return out


def _files(runtime: Mapping[str, object]) -> dict[str, object]:
    """path -> SHA-256 of a runtime's judged files, in order."""
    files = [_dict(f) for f in _list(runtime.get("files"))]
    return {str(f["path"]): f.get("sha256") for f in files if f.get("path")}


def _known(*shas: object) -> bool:
    """Both fingerprints were taken: a file unreadable on one night is the store gates' news, not a replacement."""
    return all(isinstance(x, str) and x not in ("", "unreadable") for x in shas)


def _entries_diff(a: Mapping[str, object], b: Mapping[str, object], key: str) -> tuple[list[str], list[str],
                                                                                     list[str]]:
    """(added, removed, changed) between two entry maps (alias or SHA-256 -> what it is)."""
    a_set, b_set = _dict(a.get(key)), _dict(b.get(key))
    return ([k for k in b_set if k not in a_set], [k for k in a_set if k not in b_set],
            [k for k in b_set if k in a_set and a_set[k] != b_set[k]])


def _what(added: Sequence[str], gone: Sequence[str], changed: Sequence[str]) -> str:
    parts = [f"+{', +'.join(added)}" if added else "", f"-{', -'.join(gone)}" if gone else "",
             f"changed {', '.join(changed)}" if changed else ""]
    return "; ".join(x for x in parts if x) or "same entries"


def _switch_line(name: str, a: Sequence[str], b: Sequence[str], was: Mapping[str, object],
                 now: Mapping[str, object]) -> str:
    """``client X: judged file switched: A -> B (why)``; when that is too long and both lie in one folder, the files
    by name, then the folder, then why (left to the JSON's detail when there is no room), the folder cut at its
    start when it must be: its end (a JDK's name and lib/security) is what a reader tells folders apart by."""
    why = _switch_reason(a, b, was, now)
    head = f"client {name}: judged file{'s' if max(len(a), len(b)) > 1 else ''} switched"
    full = f"{head}: {' + '.join(a)} -> {' + '.join(b)} ({why})"
    folders = {str(PurePath(p).parent) for p in (*a, *b)}
    if len(full) <= WIDTH or len(folders) != 1:
        return _fit(full)
    names = " -> ".join(" + ".join(PurePath(p).name for p in x) for x in (a, b))
    folder = folders.pop()
    for line in (f"{head}: {names} in {folder} ({why})", f"{head}: {names} in {folder}"):
        if len(line) <= WIDTH:
            return line
    room = WIDTH - len(f"{head}: {names} in …")
    return _fit(f"{head}: {names} in " + (f"…{folder[-room:]}" if room >= 12 else folder))


def _switch_reason(a: Sequence[str], b: Sequence[str], was: Mapping[str, object], now: Mapping[str, object]) -> str:
    """Why JSSE reads another file now, in the words of JSSE's rule (`cutover.judge.locate.store_of` chose it)."""
    old, new = PurePath(a[0]), PurePath(b[0])
    option = "named by -Djavax.net.ssl.trustStore"  # cutover.judge.locate.store_of's words for it
    by_option = option in str(now.get("why") or ""), option in str(was.get("why") or "")
    if old.parent == new.parent and (old.name, new.name) == ("cacerts", "jssecacerts"):
        return "a jssecacerts appeared"
    if old.parent == new.parent and (old.name, new.name) == ("jssecacerts", "cacerts"):
        return "the jssecacerts is gone"
    if by_option[0] != by_option[1]:
        return "-Djavax.net.ssl.trustStore names it" if by_option[0] else "-Djavax.net.ssl.trustStore no longer set"
    if _jdk(was) != _jdk(now) and str(now.get("why") or "").startswith("the JDK's"):
        return "the store of another JDK"
    return str(now.get("why") or "another file named")


def _jdk(runtime: Mapping[str, object]) -> tuple[str, str, str] | None:
    jdk = _dict(runtime.get("jdk"))
    return (str(jdk.get("vendor")), str(jdk.get("version")), str(jdk.get("home"))) if jdk else None


def _jdk_line(name: str, was: Mapping[str, object], now: Mapping[str, object]) -> str:
    """``client X: JDK changed: Eclipse Adoptium 25.0.1 (/usr/lib/jvm/...) -> Debian 17.0.15 (...)``: the home said
    once when it is the same (an upgrade in place), by its folder's name when the paths make the line too long."""
    a, b = _jdk(was), _jdk(now)
    head = f"client {name}: JDK changed"

    def said(jdk: tuple[str, str, str] | None, home: str = "full") -> str:
        if jdk is None:
            return "not found: judged approximately"
        where = {"full": f" ({jdk[2]})", "name": f" ({PurePath(jdk[2]).name})"}.get(home, "")
        return f"{jdk[0]} {jdk[1]}{where}"

    tries = [f"{head}: {said(a, h)} -> {said(b, h)}" for h in ("full", "name")]
    if a is not None and b is not None and a[2] == b[2]:
        tries.insert(0, f"{head} at {a[2]}: {said(a, '')} -> {said(b, '')}")
    tries.append(f"{head}: {said(a, '')} -> {said(b, '')} (homes in the JSON)")
    return _fit(next((t for t in tries if len(t) <= WIDTH), tries[-1]))


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
