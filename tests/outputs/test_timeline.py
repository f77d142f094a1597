"""The timeline: the series of runs read from hand-built history, its JSON, and the SVG drawn from it."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from cutover.closing import series
from cutover.config import Target
from cutover.history.layout import SCHEMA
from cutover.history.phases import PHASES, Phase
from cutover.history.runs import MAX_RUNS, find_runs
from cutover.outputs import timeline
from cutover.outputs.evidence_json import json_schema, timeline_json

T0 = dt.datetime(2026, 11, 20, 2, 17, 5, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=10)
SVG = "{http://www.w3.org/2000/svg}"


def target(tid: str, renewal: dt.date | None = dt.date(2026, 12, 15)) -> Target:
    dc, _, pod = tid.partition("/")
    return Target(dc, pod, f"{pod}.fa.{dc}.oraclecloud.com", 443, None, 5.0, renewal_date=renewal)


def run_file(folder: Path, name: str, datacenters: Path, started: dt.datetime, phases: dict[str, str] | None,
             failed: tuple[tuple[str, str | None, str], ...] = (), **extra: object) -> Path:
    """A run's evidence as the writer makes it, reduced to what history reads; its mtime is its start."""
    records = [{"gate": g, "client": c, "target": t, "outcome": "failed"} for g, c, t in failed]
    records += [{"gate": "staging_resolves", "client": None, "target": t, "outcome": "passed"} for t in phases or {}]
    doc: dict[str, object] = {"schema": SCHEMA, "started": started.isoformat(), "datacenters_file": str(datacenters),
                              "interrupted": False, "service_request": None, "records": records, **extra}
    if phases is not None:
        doc["lifecycle"] = {tid: {"phase": p} for tid, p in phases.items()}
    path = folder / name
    path.write_text(json.dumps(doc))
    os.utime(path, (started.timestamp(), started.timestamp()))
    return path


@pytest.fixture
def dc(tmp_path: Path) -> Path:
    path = tmp_path / "datacenters.toml"
    path.write_text("")
    return path


def now_phases(**by: str) -> dict[str, Phase]:
    return {tid.replace("__", "/"): Phase(name, "") for tid, name in by.items()}


def test_the_series_holds_every_run_of_the_file_oldest_first_and_this_run_last(tmp_path: Path, dc: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text("")
    day = dt.timedelta(days=1)
    run_file(tmp_path, "b.json", dc, T0 + day, {"us2/acme": "staged", "em3/wxyz": "staged"})
    run_file(tmp_path, "a.json", dc, T0, {"us2/acme": "not staged", "em3/wxyz": "staged"},
             failed=(("new_cert_staged", None, "us2/acme"),))
    run_file(tmp_path, "c.json", dc, T0 + 2 * day, {"us2/acme": "cut over", "em3/wxyz": "rolling"})
    run_file(tmp_path, "foreign-file.json", other, T0 + 3 * day, {"us2/acme": "rolling", "la1/else": "staged"})
    run_file(tmp_path, "stopped.json", dc, T0 + 3 * day, {"us2/acme": "rolling"}, interrupted=True)
    run_file(tmp_path, "part.json", dc, T0 + 3 * day, {"us2/acme": "rolling"}, service_request="3-1")
    (tmp_path / "corrupt.json").write_text('{"schema": "cutover-evidence/2", "started": ')
    lookup = find_runs(tmp_path, dc.name, NOW)
    assert [p.path.name for p in lookup.runs] == ["a.json", "b.json", "c.json"]
    assert lookup.snapshot is not None and lookup.snapshot.path.name == "c.json"  # the last run, as before
    assert [x.split(": ")[0] for x in lookup.ignored] == [str(tmp_path / "corrupt.json")]

    s = series.series(lookup, NOW, now_phases(us2__acme="cut over", em3__wxyz="cut over"),
                        {("chain_trusted", "default", "em3/wxyz"): "failed"},
                        [target("us2/acme"), target("em3/wxyz")])
    assert s is not None
    assert [r.file and Path(r.file).name for r in s.runs] == ["a.json", "b.json", "c.json", None]
    assert s.pods == ("us2/acme", "em3/wxyz")  # la1/else was only in another datacenters file's run
    assert [c.phase for c in s.cells["us2/acme"]] == ["not staged", "staged", "cut over", "cut over"]
    assert [c.phase for c in s.cells["em3/wxyz"]] == ["staged", "staged", "rolling", "cut over"]
    assert [c.failing for c in s.cells["us2/acme"]] == [("new_cert_staged",), (), (), ()]
    assert s.cells["em3/wxyz"][-1].failing == ("chain_trusted",)
    assert s.renewals == ((dt.date(2026, 12, 15), ("us2", "em3")),)


def test_unknown_unrecognised_and_unrecorded_phases(tmp_path: Path, dc: Path) -> None:
    """unknown stays unknown; a phase this version does not know is read as unknown, saying what the file said;
    a file from before phases were kept has none, but its failures still show; a pod not in a run has no cell."""
    run_file(tmp_path, "old.json", dc, T0, None, failed=(("chain_trusted", None, "us2/acme"),))
    run_file(tmp_path, "odd.json", dc, T0 + dt.timedelta(days=1), {"us2/acme": "half-rolled", "em3/wxyz": "unknown"})
    s = series.series(find_runs(tmp_path, dc.name, NOW), NOW, now_phases(us2__acme="staged"), {},
                        [target("us2/acme"), target("em3/wxyz")])
    assert s is not None
    old, odd, now = s.cells["us2/acme"]
    assert now.phase == "staged"
    assert (old.phase, old.failing) == (None, ("chain_trusted",))
    assert (odd.phase, odd.recorded) == ("unknown", "half-rolled")
    assert [c.phase for c in s.cells["em3/wxyz"]] == [None, "unknown", None]
    doc = timeline_json(s)
    assert doc is not None and doc["pods"] == {
        "us2/acme": {"phases": [None, "unknown", "staged"], "failing": [["chain_trusted"], [], []]},
        "em3/wxyz": {"phases": [None, "unknown", None], "failing": [[], [], []]}}
    assert "the file says 'half-rolled'" in html.unescape(timeline.svg(s))


def test_failing_gates_name_the_data_centre_and_the_client(tmp_path: Path, dc: Path) -> None:
    s = series.series(find_runs(tmp_path, dc.name, NOW), NOW, now_phases(us2__acme="staged", em3__wxyz="staged"), {
        ("chain_trusted", "hr", "us2/acme"): "failed", ("chain_trusted", "payroll", "us2/acme"): "passed",
        ("aliases_present", "hr", "us2"): "failed", ("staging_resolves", None, "em3/wxyz"): "skipped"},
        [target("us2/acme"), target("em3/wxyz")])
    assert s is not None and len(s.runs) == 1  # no earlier run: this one alone
    assert s.cells["us2/acme"][0].failing == ("chain_trusted (hr)", "aliases_present (us2)")
    assert s.cells["em3/wxyz"][0].failing == ()  # skipped is not failed


def test_history_is_bounded_by_runs_and_days(tmp_path: Path, dc: Path) -> None:
    for i in range(5):
        run_file(tmp_path, f"r{i}.json", dc, T0 + dt.timedelta(hours=i), {"us2/acme": "staged"})
    assert [p.path.name for p in find_runs(tmp_path, dc.name, NOW, limit=3).runs] == ["r2.json", "r3.json", "r4.json"]
    assert MAX_RUNS >= 60
    run_file(tmp_path, "ancient.json", dc, NOW - dt.timedelta(days=series.MAX_DAYS + 1), {"us2/acme": "staged"})
    s = series.series(find_runs(tmp_path, dc.name, NOW), NOW, {}, {}, [target("us2/acme")])
    assert s is not None and [r.file and Path(r.file).name for r in s.runs] == [f"r{i}.json" for i in range(5)] + [None]


def test_no_history_means_no_timeline() -> None:
    assert series.series(None, NOW, {}, {}, [target("us2/acme")]) is None
    assert timeline.timeline_html(None) == "" and timeline_json(None) is None


def cells(svg_text: str) -> dict[tuple[str, int], ET.Element]:
    """(pod, run) -> the element that draws it: runs alike side by side share one bar."""
    root = ET.fromstring(svg_text)
    return {(g.get("data-pod", ""), i): g for g in root.iter(f"{SVG}g") if g.get("class") == "cutover-cell"
            for i in range(int(g.get("data-first", "0")), int(g.get("data-last", "-1")) + 1)}


def synthetic(pods: int, runs: int, renewal: dt.date | None = dt.date(2026, 12, 15)) -> series.Series:
    """`pods` pods over `runs` nightly runs ending at NOW: not staged, then staged, cut over from the renewal."""
    ids = [f"{dc}/pod-{i}" for dc in ("ca2", "ca3", "ap1", "ap2", "ap4", "ap5", "em2", "em3", "em4", "em5", "us1",
                                      "us2", "us6", "la1") for i in range(4)][:pods]
    starts = [NOW - dt.timedelta(days=runs - 1 - i) for i in range(runs)]
    cols = {tid: tuple(series.Cell(PHASES[(i + n) // 20 % len(PHASES)], ("new_cert_staged",) if (i + n) % 9 == 0
                                     else ()) for i in range(runs)) for n, tid in enumerate(ids)}
    return series.Series(tuple(series.RunPoint(t, None if i == runs - 1 else f"r{i}.json")
                                 for i, t in enumerate(starts)), tuple(ids), cols,
                           ((renewal, ("us2",)),) if renewal else ())


def test_56_pods_over_60_runs_fit_1280_px_with_12_px_labels() -> None:
    s = synthetic(56, 60)
    text = timeline.svg(s)
    root = ET.fromstring(text)
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    assert width <= timeline.WIDTH + 8 and root.get("viewBox") == f"0 0 {width:.0f} {height:.0f}"
    assert height < 56 * timeline.ROW + 14 * timeline.DC_GAP + timeline.TOP + 10
    assert min(float(t.get("font-size", "0")) for t in root.iter(f"{SVG}text")) >= 12
    drawn = cells(text)
    assert len(drawn) == 56 * 60
    for (tid, i), g in drawn.items():
        assert g.get("data-phase") == s.cells[tid][i].phase
        assert (g.find(f"{SVG}path") is not None) == bool(s.cells[tid][i].failing)
    # Runs alike side by side are one bar: as many bars as changes along each row, not one per cell.
    bars = {id(g) for g in drawn.values()}
    assert len(bars) == sum(1 + sum(a != b for a, b in itertools.pairwise(c)) for c in s.cells.values())
    assert len(text) < 320_000  # this worst case (a failure every 9th run) is 939 bars of about 300 bytes
    bar = drawn[("ca2/pod-0", 1)]
    assert (bar.get("data-first"), bar.get("data-last")) == ("1", "8")  # runs 1-8: not staged, nothing failed
    title = drawn[("ca2/pod-0", 0)].find(f"{SVG}title")
    assert title is not None and title.text == "ca2/pod-0, 2026-10-02 02:17Z: not staged; failing: new_cert_staged"
    labels = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end" and t.find(f"{SVG}title") is not None]
    assert len(labels) == 56 and "".join(labels[0].itertext()).endswith("ca2/pod-0")
    # A phase is told by its pattern as well as its colour: five different patterns.
    assert len({re.sub(r"fill='[^']*'|stroke='[^']*'|id='[^']*'", "", timeline._pattern("x", p)) for p in PHASES}) == 5


def test_the_renewal_date_is_a_line_on_the_axis_or_an_arrow_off_it() -> None:
    near = ET.fromstring(timeline.svg(synthetic(4, 10)))
    [line] = [x for x in near.iter(f"{SVG}line") if x.get("class") == "cutover-renewal"]
    assert line.get("data-date") == "2026-12-15"
    assert any("".join(t.itertext()) == "renewal 2026-12-15" for t in near.iter(f"{SVG}text"))
    far = ET.fromstring(timeline.svg(synthetic(4, 10, renewal=dt.date(2027, 3, 1))))
    assert not [x for x in far.iter(f"{SVG}line") if x.get("class") == "cutover-renewal"]
    assert any("".join(t.itertext()) == "renewal 2027-03-01 in 91 days \u2192" for t in far.iter(f"{SVG}text"))


def test_names_from_the_datacenters_file_are_escaped_in_the_picture(tmp_path: Path, dc: Path) -> None:
    tid = "us2/<script>alert(1)</script>"
    s = series.series(find_runs(tmp_path, dc.name, NOW), NOW, {tid: Phase("staged", "")}, {}, [target(tid)])
    assert s is not None
    page = timeline.timeline_html(s)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert cells(timeline.svg(s))[(tid, 0)].get("data-phase") == "staged"


def test_the_json_series_follows_the_schema(tmp_path: Path, dc: Path) -> None:
    run_file(tmp_path, "a.json", dc, T0, {"us2/acme": "staged"}, failed=(("new_cert_staged", None, "us2/acme"),))
    s = series.series(find_runs(tmp_path, dc.name, NOW), NOW, now_phases(us2__acme="cut over"), {},
                        [target("us2/acme")])
    doc = timeline_json(s)
    schema = json_schema()
    jsonschema.Draft202012Validator({"$ref": "#/$defs/timeline", "$defs": schema["$defs"]},
                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(doc)
    assert doc == {
        "runs": [{"started": T0.isoformat(), "file": str(tmp_path / "a.json"), "this_run": False},
                 {"started": NOW.isoformat(), "file": None, "this_run": True}],
        "renewal_dates": [{"date": "2026-12-15", "datacenters": ["us2"]}],
        "pods": {"us2/acme": {"phases": ["staged", "cut over"], "failing": [["new_cert_staged"], []]}},
    }


def test_history_reads_the_members_it_needs_alone_and_anything_else_whole(tmp_path: Path, dc: Path) -> None:
    """A file as the writer lays it out (and as older runs' indent=1 did) is read member by member, skipping the
    pods' chains and its own timeline; the same document in another layout, or cut short, is parsed whole
    (and fails as JSON)."""
    from cutover.history.layout import dumps, laid_out
    from cutover.history.runs import read_snapshot
    from cutover.history.states import HistoryError

    doc = {"schema": SCHEMA, "started": T0.isoformat(), "pods": {"us2/acme": {"note": "\n \"lifecycle\": {}"}},
           "datacenters_file": str(dc), "lifecycle": {"us2/acme": {"phase": "staged"}}, "interrupted": False,
           "records": [{"gate": "chain_trusted", "client": None, "target": "us2/acme", "outcome": "failed"}],
           "timeline": {"runs": []}}
    ours, older, other = tmp_path / "ours.json", tmp_path / "older.json", tmp_path / "other.json"
    ours.write_text(dumps(doc))
    older.write_text(json.dumps(doc, indent=1))
    other.write_text(json.dumps(doc))
    assert json.loads(ours.read_text()) == doc
    assert [laid_out(p.read_bytes()) for p in (ours, older, other)] == [True, True, False]
    for path in (ours, older, other):
        snap = read_snapshot(path)
        assert snap.pods["us2/acme"].phase == "staged" and snap.datacenters == str(dc)
        assert snap.outcomes == {("chain_trusted", None, "us2/acme"): "failed"}
    cut = tmp_path / "cut.json"
    cut.write_text(dumps(doc)[:-40])
    with pytest.raises(HistoryError, match="not valid JSON"):
        read_snapshot(cut)


#: The sandbox's lifecycle scenarios in the order a renewal goes through them, and each pod's phase then.
#: us2 is the data centre the faults go to and partial-cutover's first (cut over); em3 is its second.
ACROSS_A_CUTOVER = [
    ("not-staged-yet", {"us2/acme": "not staged", "em3/acme": "staged"}),
    ("good", {"us2/acme": "staged", "em3/acme": "staged"}),
    ("rolling-staging", {"us2/acme": "rolling", "em3/acme": "staged"}),
    ("partial-cutover", {"us2/acme": "cut over", "em3/acme": "staged"}),
    ("after-cutover", {"us2/acme": "cut over", "em3/acme": "cut over"}),
]


def test_runs_across_a_cutover_draw_each_pod_s_phase_per_run(pytester: pytest.Pytester, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's lifecycle scenarios in turn, one run each, the same datacenters file and reports folder:
    the last report draws every run, and the page still fits 1280 and 390 px."""
    from cutover.sandbox import PASSWORD_ENV, RENEWAL_IN, Sandbox, pki
    from tests.conftest import run_gates

    folder = tmp_path / "reports"
    for i, (scenario, _) in enumerate(ACROSS_A_CUTOVER):
        (tmp_path / "edge" / "client-truststore.jks").unlink(missing_ok=True)  # each scenario makes its own store
        with Sandbox(scenario, workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
            monkeypatch.setenv(PASSWORD_ENV, sb.password)
            run = run_gates(pytester, "--datacenters", str(sb.config_path), f"--reports-dir={folder}",
                            f"--html={folder / f'run{i}.html'}")
        assert run.result.ret == (1 if i in (0, 2) else 0), run.output
    page = (folder / "run4.html").read_text()
    svg_text = re.search(r"<svg xmlns='http://www.w3.org/2000/svg' id='cutover-timeline-svg'.*?</svg>", page, re.S)
    assert svg_text is not None, "no timeline in the report"
    drawn = cells(svg_text[0])
    for i, (scenario, expected) in enumerate(ACROSS_A_CUTOVER):
        for tid, phase in expected.items():
            assert drawn[(tid, i)].get("data-phase") == phase, (scenario, tid)
    # The runs that failed mark the failing gate on the pod, and the tooltip names it.
    assert drawn[("us2/acme", 0)].get("data-failing") == "new_cert_staged"
    assert drawn[("us2/acme", 2)].get("data-failing") == "new_cert_staged"
    assert [drawn[("em3/acme", i)].get("data-failing") for i in range(5)] == [""] * 5
    title = drawn[("us2/acme", 4)].find(f"{SVG}title")
    assert title is not None and title.text is not None and title.text.startswith("us2/acme, ")
    assert title.text.endswith(" (this run), 2 runs: cut over")  # runs 3 and 4, alike, are one bar
    root = ET.fromstring(svg_text[0])
    renewal = (pki.NOW + RENEWAL_IN).date().isoformat()  # the sandbox's renewal date: two weeks ahead, on the axis
    assert [x.get("data-date") for x in root.iter(f"{SVG}line") if x.get("class") == "cutover-renewal"] == [renewal]
    # The JSON carries the same series.
    doc = json.loads((folder / "run4.json").read_text())["timeline"]
    assert [r["this_run"] for r in doc["runs"]] == [False] * 4 + [True]
    assert [Path(r["file"]).name for r in doc["runs"][:4]] == [f"run{i}.json" for i in range(4)]
    for tid in ("us2/acme", "em3/acme"):
        assert doc["pods"][tid]["phases"] == [phases[tid] for _, phases in ACROSS_A_CUTOVER]
    assert doc["pods"]["us2/acme"]["failing"] == [["new_cert_staged"], [], ["new_cert_staged"], [], []]
    assert page.index("id='cutover-matrix'") < page.index("id='cutover-timeline'")
    _fits_in_chromium(folder / "run4.html")


def _fits_in_chromium(report: Path) -> None:
    """At 1280 and 390 px the timeline widens nothing: it fits at 1280, and scrolls in its own box at 390."""
    from tests.outputs.test_report import chromium

    if chromium() is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            for width in (1280, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(report.as_uri())
                box = page.evaluate("""(() => { const b = document.querySelector('.cutover-timeline-box');
                    const t = document.querySelector('#cutover-timeline-svg text');
                    return {box: b.getBoundingClientRect().right, inner: b.scrollWidth, outer: b.clientWidth,
                            parent: b.parentElement.getBoundingClientRect().right,
                            font: parseFloat(getComputedStyle(t).fontSize),
                            page: document.documentElement.scrollWidth}; })()""")
                page.evaluate("document.getElementById('cutover-timeline').style.display = 'none'")
                without = page.evaluate("document.documentElement.scrollWidth")
                assert box["page"] == without, f"at {width} px the timeline widens the page: {box}, {without}"
                assert box["box"] <= box["parent"] + 0.5 and box["font"] >= 12, (width, box)
                if width == 1280:
                    assert box["inner"] <= box["outer"], f"at 1280 px the timeline scrolls: {box}"
                page.close()
        finally:
            browser.close()
