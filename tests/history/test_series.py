"""History with an identity and an order, on hand-made files: a run's series is its datacenters file's name (or
[run] series), runs are ordered by the start written in each file, only a full run is a baseline, files of
cutover's own that record no run are passed over, and a history folder of its own is pruned per series."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from cutover.closing.news import changes
from cutover.history import runkind
from cutover.history.keep import keep
from cutover.history.layout import SCHEMA
from cutover.history.runs import find_previous, find_runs
from cutover.history.states import PodState

T0 = dt.datetime(2026, 11, 28, 2, 17, 5, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=30)
SAME_MTIME = 1_700_000_000


def run_file(folder: Path, name: str, started: dt.datetime, datacenters: str = "/builds/123/datacenters.toml",
             run: dict[str, object] | None = None, schema: str = SCHEMA, **more: object) -> Path:
    doc: dict[str, object] = {"schema": schema, "started": started.isoformat(), "datacenters_file": datacenters,
                              "interrupted": False, "lifecycle": {}, "service_request": None, "records": [], **more}
    if run is not None:
        doc["run"] = run
    path = folder / name
    path.write_text(json.dumps(doc))
    os.utime(path, (SAME_MTIME, SAME_MTIME))  # as a restored cache or artifact leaves them: one time for all
    return path


def full(series: str = "datacenters.toml") -> dict[str, object]:
    return {"kind": "full", "why": [], "series": series}


def test_runs_are_ordered_by_their_start_never_by_mtime(tmp_path: Path) -> None:
    names = ["b.json", "c.json", "a.json"]  # names and mtimes say nothing of the order
    for i, name in enumerate(names):
        run_file(tmp_path, name, T0 + dt.timedelta(days=i), run=full())
    found = find_runs(tmp_path, "datacenters.toml", NOW)
    assert found.snapshot is not None and found.snapshot.path.name == "a.json"
    assert [s.path.name for s in found.runs] == names


def test_a_series_is_the_files_name_not_its_path(tmp_path: Path) -> None:
    """A CI checkout lies in a new folder every night; a copied folder is the same series."""
    run_file(tmp_path, "night1.json", T0, "/builds/1/datacenters.toml", full())
    run_file(tmp_path, "other.json", T0 + dt.timedelta(hours=1), "/builds/1/emea.toml", full("emea.toml"))
    found = find_previous(tmp_path, "datacenters.toml", NOW)
    assert found.snapshot is not None and found.snapshot.path.name == "night1.json"
    assert find_previous(tmp_path, "other", NOW).snapshot is None


def test_an_explicit_series_joins_two_file_names(tmp_path: Path) -> None:
    run_file(tmp_path, "old-name.json", T0, "/x/dc-2026.toml", full("fusion-prod"))
    assert find_previous(tmp_path, "fusion-prod", NOW).snapshot is not None
    assert find_previous(tmp_path, "dc-2026.toml", NOW).snapshot is None


def test_only_a_full_run_is_a_baseline(tmp_path: Path) -> None:
    run_file(tmp_path, "full.json", T0, run=full())
    for i, kind in enumerate(("subset", "what-if", "override", "interrupted", "prepare", "some-future-kind")):
        run_file(tmp_path, f"{kind}.json", T0 + dt.timedelta(hours=i + 1),
                 run={"kind": kind, "why": ["--pod us2/acme"], "series": "datacenters.toml"})
    found = find_runs(tmp_path, "datacenters.toml", NOW)
    assert found.snapshot is not None and found.snapshot.path.name == "full.json"
    assert [s.path.name for s in found.runs] == ["full.json"] and found.ignored == ()


def test_the_previous_schema_is_read_as_a_full_run_unless_interrupted(tmp_path: Path) -> None:
    run_file(tmp_path, "v2.json", T0, schema="cutover-evidence/2")
    run_file(tmp_path, "v2-stopped.json", T0 + dt.timedelta(hours=1), schema="cutover-evidence/2", interrupted=True)
    found = find_runs(tmp_path, "datacenters.toml", NOW)
    assert found.snapshot is not None and found.snapshot.path.name == "v2.json"
    assert found.snapshot.kind == runkind.RunKind("full", (), "datacenters.toml")


def test_prepares_diff_files_are_passed_over_in_silence(tmp_path: Path) -> None:
    run_file(tmp_path, "full.json", T0, run=full())
    (tmp_path / "prepare-20261207T000000Z-diff.json").write_text(json.dumps(
        {"schema": "cutover-store-diff/1", "original": "a.jks", "copy": "b.jks", "changes": []}))
    (tmp_path / "prepare-20261101T000000Z-diff.json").write_text(json.dumps(  # from before it had a schema
        {"original": "a.jks", "copy": "b.jks", "sha256_original": "AB", "changes": []}))
    found = find_previous(tmp_path, "datacenters.toml", NOW)
    assert found.snapshot is not None and found.ignored == ()


def test_the_kind_is_decided_by_the_strongest_departure() -> None:
    assert runkind.decide([], "dc.toml") == runkind.RunKind("full", (), "dc.toml")
    kind = runkind.decide([("subset", "--pod abcd"), ("what-if", "--at 2028-06-01")], "dc.toml", stopped=True)
    assert kind.kind == "interrupted" and not kind.full
    assert kind.why == ("--pod abcd", "--at 2028-06-01", "stopped before its end")
    assert runkind.decide([("subset", "--dc us2"), ("prepare", "python -m cutover prepare")], "x").kind == "prepare"


def test_a_run_that_checked_less_does_not_call_the_rest_no_longer_checked(tmp_path: Path) -> None:
    from cutover.history.runs import read_snapshot

    path = run_file(tmp_path, "full.json", T0, run=full(), lifecycle={
        "us2/acme": {"phase": "staged"}, "us2/acme-test": {"phase": "staged"}})
    before = read_snapshot(path)
    now = {"us2/acme": PodState("staged")}
    assert [c.line for c in changes(before, now, {})] == ["no longer checked: us2/acme-test"]
    assert changes(before, now, {}, whole=False) == []
    added = {**now, "us2/acme-test": PodState("staged"), "em3/wxyz": PodState("staged")}
    assert [c.line for c in changes(before, added, {})] == ["new since the last run: em3/wxyz"]


def test_a_history_folder_of_its_own_keeps_the_last_runs_of_each_series(tmp_path: Path) -> None:
    history, reports = tmp_path / "history", tmp_path / "reports"
    history.mkdir()
    reports.mkdir()
    for i in range(4):
        run_file(history, f"old-{i}.json", T0 + dt.timedelta(days=i), run=full())
    other = run_file(history, "emea.json", T0, run=full("emea.toml"))
    (history / "notes.txt").write_text("not ours")
    this = run_file(reports, "cutover-20261228T021705Z.json", NOW, run=full())
    gone = keep(history, this, "datacenters.toml", 3)
    assert sorted(p.name for p in gone) == ["old-0.json", "old-1.json"]
    assert sorted(p.name for p in history.iterdir()) == sorted(
        ["old-2.json", "old-3.json", this.name, other.name, "notes.txt"])
    assert (history / this.name).read_bytes() == this.read_bytes()


def test_a_runs_head_is_read_from_the_files_first_bytes(tmp_path: Path) -> None:
    """Choosing the baseline reads every file's head: of a big run's file, only its first bytes."""
    from cutover.history import layout
    from cutover.history.runs import read_head

    doc = {"schema": SCHEMA, "run": full(), "started": T0.isoformat(), "interrupted": False, "service_request": None,
           "datacenters_file": "/builds/1/datacenters.toml", "pods": {"us2/acme": "x" * (2 * layout.HEAD_BYTES)}}
    path = tmp_path / "big.json"
    path.write_bytes(layout.dumps(doc).encode()[:layout.HEAD_BYTES + 100])  # the rest would not even parse
    head = read_head(path)
    assert head.started == T0 and head.kind.series == "datacenters.toml" and head.baseline
    assert layout.head_members(b'{\n "schema": "x",\n "run": {}', ["schema", "run"]) is None, "run: not whole"
