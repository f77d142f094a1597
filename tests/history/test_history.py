"""History: the last run's evidence is found, compared, and never fatal; a run twice around a switch says so."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from cutover.closing.news import WIDTH, changes, diff, input_changes
from cutover.history.layout import SCHEMA
from cutover.history.runs import Snapshot, find_previous, read_snapshot
from cutover.history.states import HistoryError, Leaf, PodState
from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import run_gates

T0 = dt.datetime(2026, 11, 28, 2, 17, 5, tzinfo=dt.UTC)
OLD = Leaf("A" * 64, "CN=acme.fa.us2.oraclecloud.com", "2027-01-30T00:00:00+00:00")
NEW = Leaf("B" * 64, "CN=acme.fa.us2.oraclecloud.com", "2027-12-31T00:00:00+00:00")


def evidence_file(folder: Path, name: str, datacenters: Path, started: dt.datetime, *, mtime: float | None = None,
                  interrupted: bool = False, lifecycle: dict | None = None, sr: str | None = None) -> Path:
    """An evidence file as the writer makes it, reduced to what history reads."""
    doc = {"schema": SCHEMA, "started": started.isoformat(), "datacenters_file": str(datacenters),
           "interrupted": interrupted, "lifecycle": lifecycle or {}, "service_request": sr,
           "records": [{"gate": "chain_trusted", "target": "us2/acme", "outcome": "passed"}]}
    path = folder / name
    path.write_text(json.dumps(doc))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.mark.parametrize(("content", "says"), [
    (b'{"schema": "cutover-evidence/1", "started": ', "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not valid JSON"),
    (b"[1, 2, 3]", "not a cutover evidence file (no schema)"),
    (b'{"name": "package.json", "version": "1.0.0"}', "not a cutover evidence file (schema 'None')"),
    (b'{"schema": "https://json-schema.org/draft/2020-12/schema"}', "not a cutover evidence file"),
    (b'{"schema": "cutover-evidence/99", "started": "2026-11-28T02:17:05+00:00"}',
     "schema cutover-evidence/99, newer than this cutover reads"),
    (b'{"schema": "cutover-evidence/1"}', "no valid 'started' time"),
    (b'{"schema": "cutover-evidence/1", "started": "yesterday"}', "no valid 'started' time"),
    (b'{"schema": "cutover-evidence/1", "started": "2026-11-28T02:17:05+00:00", "lifecycle": []}',
     "a 'lifecycle' section that is not an object"),
    (b'{"schema": "cutover-evidence/1", "started": "2026-11-28T02:17:05+00:00", "lifecycle": {"us2/acme": 3}}',
     "a lifecycle entry without a phase"),
    (b'{"schema": "cutover-evidence/1", "started": "2026-11-28T02:17:05+00:00", '
     b'"lifecycle": {"us2/acme": {"phase": "staged", "leaves": {"staging": {"127.0.0.1": {"name": "x"}}}}}}',
     "a malformed lifecycle entry (KeyError"),
])
def test_unusable_files_say_why(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(HistoryError, match=re.escape(says)):
        read_snapshot(path)


def test_a_file_from_before_phases_were_kept_still_compares_gate_outcomes(tmp_path: Path) -> None:
    """schema /1 files written before this feature have no lifecycle section or datacenters_file field."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps({
        "schema": "cutover-evidence/1", "started": T0.isoformat(),
        "environment": {"Datacenters file": "/etc/cutover/datacenters.toml (SHA-256 ABCD)"},
        "records": [{"gate": "chain_trusted", "target": "us2/acme", "outcome": "failed"}, {"gate": 3}]}))
    snap = read_snapshot(path)
    assert snap.datacenters == "/etc/cutover/datacenters.toml" and snap.pods == {}
    assert diff(snap, {}, {("chain_trusted", "default", "us2/acme"): "passed"}) == \
        ["chain_trusted failed -> passed: us2/acme"]


def test_the_newest_earlier_run_of_the_same_file_is_found_and_bad_files_are_named(tmp_path: Path) -> None:
    dc = tmp_path / "datacenters.toml"
    dc.write_text("")
    other = tmp_path / "other.toml"
    other.write_text("")
    now = T0 + dt.timedelta(days=3)
    t = now.timestamp()
    evidence_file(tmp_path, "older.json", dc, T0, mtime=t - 300)
    wanted = evidence_file(tmp_path, "yesterday.json", dc, now - dt.timedelta(days=1), mtime=t - 200)
    evidence_file(tmp_path, "interrupted.json", dc, now - dt.timedelta(hours=1), mtime=t - 100, interrupted=True)
    evidence_file(tmp_path, "other-file.json", other, now - dt.timedelta(hours=1), mtime=t - 90)
    evidence_file(tmp_path, "later-than-this-run.json", dc, now + dt.timedelta(hours=1), mtime=t - 80)
    (tmp_path / "corrupt.json").write_text("{")
    os.utime(tmp_path / "corrupt.json", (t - 50, t - 50))
    (tmp_path / "future.json").write_text(json.dumps({"schema": "cutover-evidence/7", "started": now.isoformat()}))
    os.utime(tmp_path / "future.json", (t - 40, t - 40))
    mine = evidence_file(tmp_path, "this-run.json", dc, now - dt.timedelta(seconds=1), mtime=t)
    found = find_previous(tmp_path, dc.name, now, exclude=[mine])
    assert found.snapshot is not None and found.snapshot.path == wanted
    assert [x.split(": ")[0] for x in found.ignored] == [str(tmp_path / "future.json"), str(tmp_path / "corrupt.json")]
    assert "newer than this cutover reads" in found.ignored[0] and "not valid JSON" in found.ignored[1]


def test_no_folder_or_no_earlier_run_is_a_note_not_an_error(tmp_path: Path) -> None:
    dc = tmp_path / "datacenters.toml"
    missing = find_previous(tmp_path / "nowhere", dc.name, T0)
    assert missing.snapshot is None and "does not exist" in missing.note
    (tmp_path / "notes.json").write_text('{"schema": "somebody-else/1"}')
    empty = find_previous(tmp_path, dc.name, T0)
    assert empty.snapshot is None and empty.note.startswith("no earlier full run of series")
    assert empty.ignored == (f"{tmp_path / 'notes.json'}: not a cutover evidence file (schema 'somebody-else/1')",)


def test_the_diff_names_phase_ip_leaf_and_verdict_changes() -> None:
    before = Snapshot(Path("y.json"), T0, "dc.toml", {
        "us2/acme": PodState("staged", staging_ips=("127.20.11.1",), production_ips=("127.10.11.1",),
                             leaves={"staging": {"127.20.11.1": NEW}, "production": {"127.10.11.1": OLD}},
                             trust={"default": {"production": {"127.10.11.1": True}}}),
        "em3/wxyz": PodState("staged", staging_ips=("127.20.7.1",)),
        "la1/gone": PodState("staged"),
    }, {("chain_trusted", "default", "us2/acme"): "passed"})
    now = {
        "us2/acme": PodState("cut over", staging_ips=("127.20.11.1",), production_ips=("127.10.11.1",),
                             leaves={"staging": {"127.20.11.1": NEW}, "production": {"127.10.11.1": NEW}},
                             trust={"default": {"production": {"127.10.11.1": False}}}),
        "em3/wxyz": PodState("staged", staging_ips=("127.20.7.9",)),
        "ap1/new": PodState("staged"),
    }
    lines = diff(before, now, {("chain_trusted", "default", "us2/acme"): "failed"})
    assert lines == [  # in order of news: phases, pods, verdicts, (inputs), the network's churn
        "cut over since the last run: us2/acme (was staged)",
        "new since the last run: ap1/new",
        "no longer checked: la1/gone",
        "chain_trusted passed -> failed: us2/acme",
        "us2/acme: trust at production 127.10.11.1: trusted -> rejected",
        "us2/acme: production leaf AAAAAAAAAAAA (expires 2027-01-30) -> BBBBBBBBBBBB (expires 2027-12-31)",
        "em3/wxyz: staging IPs 127.20.7.1 -> 127.20.7.9",
    ]
    [leaf] = [c for c in changes(before, now, {}) if "leaf" in c.line]
    assert leaf.detail["to"] == [vars(NEW)]  # the whole of it (name, SHA-256) in the JSON


def test_after_a_cutover_the_news_comes_first_grouped_in_short_lines() -> None:
    """The issue's morning: us2's two pods cut over among 6, a verdict flipped, IPs moved; 120 characters a line."""
    pods = [f"{dc}/{p}" for dc in ("us2", "em3", "ap1") for p in ("abcd", "abcd-test")]
    before = Snapshot(Path("y.json"), T0, "dc.toml", {
        t: PodState("staged", staging_ips=("127.20.0.1",), production_ips=("127.10.0.1",)) for t in pods}, {
        ("new_cert_staged", None, "em3/abcd"): "passed"})
    now = {t: PodState("cut over" if t.startswith("us2") else "staged", staging_ips=("127.20.0.2",),
                       production_ips=("127.10.0.1",)) for t in pods}
    lines = diff(before, now, {("new_cert_staged", None, "em3/abcd"): "failed"})
    assert lines[0] == "cut over since the last run: us2/abcd, us2/abcd-test (was staged)"
    assert lines[1] == "new_cert_staged passed -> failed: em3/abcd"
    assert lines[2:] == [f"{t}: staging IPs 127.20.0.1 -> 127.20.0.2" for t in pods]
    many = {f"us{i}/pod-with-a-long-name-{i}": PodState("cut over") for i in range(20)}
    [line] = diff(Snapshot(Path("y.json"), T0, "dc.toml", {t: PodState("staged") for t in many}, {}), many, {})
    assert len(line) <= WIDTH and line.startswith("cut over since the last run: us0/pod-with-a-long-name-0, ")
    assert re.search(r" and \d+ more \(was staged\)$", line), line


def test_changes_to_the_inputs_are_named_by_sha256_and_entry() -> None:
    """The truststore, a bundle and the datacenters file changed, an SR was added: each says what, in a line."""
    was = {"datacenters_file": {"path": "/x/dc.toml", "sha256": "A" * 64}, "clients": ["default"],
           "truststores": {"default": {"path": "/x/t.jks", "sha256": "B" * 64,
                                       "entries": {"root": "R" * 64, "us2-lb-cert": "L" * 64}}},
           "bundles": {"us2": {"path": "/x/us2.zip", "sha256": "C" * 64, "certificates": {"R" * 64: "root CN=R"}}},
           "srs": {"us2/acme": None, "us2/acme-test": None}}
    now = {"datacenters_file": {"path": "/x/dc.toml", "sha256": "D" * 64}, "clients": ["default", "soa"],
           "truststores": {"default": {"path": "/x/t.jks", "sha256": "E" * 64,
                                       "entries": {"root": "R" * 64, "issuing-g2": "I" * 64}}},
           "bundles": {"us2": {"path": "/x/us2.zip", "sha256": "F" * 64,
                               "certificates": {"R" * 64: "root CN=R", "S" * 64: "server CN=acme"}}},
           "srs": {"us2/acme": "3-1", "us2/acme-test": "3-1"}}
    found = input_changes(was, now)
    assert [c.line for c in found] == [
        "datacenters file changed: SHA-256 AAAAAAAAAAAA... -> DDDDDDDDDDDD...",
        "clients: added soa",
        "client default's truststore content replaced (SHA-256 BBBBBBBBBBBB... -> EEEEEEEEEEEE...): +issuing-g2; "
        "-us2-lb-cert",
        f"bundle of us2 changed (SHA-256 CCCCCCCCCCCC... -> FFFFFFFFFFFF...): +{'S' * 64}"[:119] + "…",
        "SR none -> 3-1: us2/acme, us2/acme-test",
    ]
    assert all(len(c.line) <= WIDTH for c in found)
    assert found[3].detail["added"] == ["S" * 64]
    assert input_changes({}, now) == [], "a file from before inputs were kept: nothing to compare, no false news"
    assert input_changes(now, now) == []


def test_an_earlier_file_s_inputs_take_their_entries_from_its_own_store_and_bundle_sections(tmp_path: Path) -> None:
    """The file holds each store's entries once (``truststores``); ``inputs`` names the files and their SHA-256."""
    path = evidence_file(tmp_path, "run.json", tmp_path / "dc.toml", T0)
    doc = json.loads(path.read_text())
    cert = {"sha256": "R" * 64, "subject": "CN=Root"}
    doc |= {"inputs": {"datacenters_file": {"path": "dc.toml", "sha256": "A" * 64}, "clients": ["default", "soa"],
                       "truststores": {"default": {"path": "t.jks", "sha256": "B" * 64},
                                       "soa": {"path": "t.jks", "sha256": "B" * 64}},
                       "bundles": {"us2": {"path": "us2.zip", "sha256": "C" * 64}}, "srs": {}},
            "truststores": {"default": {"entries": [{"alias": "Root", "certificate": cert}]},
                            "soa": {"same_as": "default"}},
            "bundles": {"us2": {"root": cert, "intermediates": [], "servers": []}}}
    path.write_text(json.dumps(doc))
    inputs = read_snapshot(path).inputs
    assert inputs["truststores"] == {name: {"path": "t.jks", "sha256": "B" * 64, "entries": {"root": "R" * 64}}
                                     for name in ("default", "soa")}
    assert inputs["bundles"] == {"us2": {"path": "us2.zip", "sha256": "C" * 64,
                                         "certificates": {"R" * 64: "root CN=Root"}}}


def test_a_run_before_and_after_the_switch_says_what_changed(pytester: pytest.Pytester, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Run 1 sees us2/acme staged; the provider switches production; run 2 names the switch; run 3 dates it."""
    folder = tmp_path / "reports"
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=2, datacenters=("us2", "em3")) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        args = ("--datacenters", str(sb.config_path), f"--reports-dir={folder}")
        first = run_gates(pytester, *args, f"--html={folder / 'run1.html'}")
        assert first.result.ret == 0, first.output
        assert "since the last run: no earlier full run of series 'sandbox: datacenters.toml'" in first.output
        assert "phases: staged 4" in first.output
        sb.cut_over("us2/acme")
        second = run_gates(pytester, *args, f"--html={folder / 'run2.html'}")
        (folder / "corrupt.json").write_text("{ not json")
        third = run_gates(pytester, *args, f"--html={folder / 'run3.html'}")
    assert second.result.ret == 0, second.output
    since = re.search(r"since the last run \((\S+ \S+Z), (\S+)\)\n((?:  .*\n)+)", second.output)
    assert since is not None, second.output
    assert since[2] == str(folder / "run1.json")
    changes = since[3]
    assert changes.startswith("  cut over since the last run: us2/acme (was staged)\n"), changes
    assert re.search(r"  us2/acme: production leaf \w{12} \(expires [-\d]+\) -> \w{12} \(expires [-\d]+\)\n", changes)
    assert all(len(line) <= 2 + 120 for line in changes.splitlines())
    assert "em3/" not in changes and "us2/acme-test" not in changes  # nothing else changed
    assert "phases: staged 3, cut over 1 (us2/acme)" in second.output
    # The report and the JSON evidence carry the same section.
    page = (folder / "run2.html").read_text()
    assert "since the last run (" in page and "cut over since the last run: us2/acme (was staged)" in page
    doc = json.loads((folder / "run2.json").read_text())
    assert doc["since_last_run"]["changes"][0] == "cut over since the last run: us2/acme (was staged)"
    assert doc["since_last_run"]["details"][0] == {"kind": "phase", "line": doc["since_last_run"]["changes"][0],
                                                   "from": "staged", "to": "cut over", "pods": ["us2/acme"]}
    assert doc["lifecycle"]["us2/acme"]["phase"] == "cut over"
    # The gates: a cut-over pod passes, dated by history; the corrupt file is named and changes nothing.
    assert third.result.ret == 0, third.output
    assert "nothing changed" in third.output
    assert f"history file ignored: {folder / 'corrupt.json'}: not valid JSON" in third.output
    run3 = json.loads((folder / "run3.json").read_text())
    message = next(r["message"] for r in run3["records"] if (r["gate"], r["target"]) == ("new_cert_staged", "us2/acme"))
    cut_over_at = doc["lifecycle"]["us2/acme"]["cut_over_since"]
    first_seen = f"{dt.datetime.fromisoformat(cut_over_at):%Y-%m-%d %H:%M}Z"
    assert message.startswith(f"cut over: production serves the new certificate since {first_seen} "
                              f"(first seen by the run of {first_seen})")
    assert run3["lifecycle"]["us2/acme"]["cut_over_since"] == cut_over_at


def test_no_history_turns_the_section_off(pytester: pytest.Pytester, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        run = run_gates(pytester, "--datacenters", str(sb.config_path), "--no-history")
    assert run.result.ret == 0, run.output
    assert "since the last run" not in run.output


def test_with_several_clients_the_diff_names_the_client() -> None:
    trusted = {"production": {"127.10.11.1": True}}
    before = Snapshot(Path("y.json"), T0, "dc.toml", {"us2/acme": PodState("cut over", trust={
        "payroll": trusted, "hr": trusted})}, {("chain_trusted", "hr", "us2/acme"): "passed"})
    now = {"us2/acme": PodState("cut over", trust={"payroll": trusted,
                                                   "hr": {"production": {"127.10.11.1": False}}})}
    assert diff(before, now, {("chain_trusted", "hr", "us2/acme"): "failed"}) == [
        "chain_trusted passed -> failed: hr:us2/acme",
        "us2/acme: client hr's trust at production 127.10.11.1: trusted -> rejected",
    ]


def test_a_per_sr_file_is_a_part_of_a_run_not_the_last_run(tmp_path: Path) -> None:
    """--report-per-sr writes its files after the full one (newer): history compares with the full file."""
    dc = tmp_path / "dc.toml"
    full = evidence_file(tmp_path, "run.json", dc, T0, mtime=1000)
    evidence_file(tmp_path, "run-SR-3-1.json", dc, T0, mtime=1001, sr="3-1",
                  lifecycle={"us2/acme": {"phase": "staged"}})
    found = find_previous(tmp_path, dc.name, T0 + dt.timedelta(days=1))
    assert found.snapshot is not None and found.snapshot.path == full and found.ignored == ()


def test_after_every_pod_cut_over_the_verdict_says_so_and_new_srs_are_news(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's morning after: the provider switched every pod, QA added the SR to the file. The verdict is
    "cut over", not "ready for cutover", and the datacenters file and the SR changes are named, not "nothing
    changed"."""
    folder = tmp_path / "reports"
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        args = ("--datacenters", str(sb.config_path), f"--reports-dir={folder}")
        first = run_gates(pytester, *args, f"--html={folder / 'run1.html'}")
        assert "verdict: ready for cutover: all 5 gate tests passed" in first.output, first.output
        sb.cut_over()
        text = sb.config_path.read_text()
        sb.config_path.write_text(text.replace('name = "US2 - Chicago"\n', 'name = "US2 - Chicago"\nsr = "3-2000"\n'))
        second = run_gates(pytester, *args, f"--html={folder / 'run2.html'}")
    assert second.result.ret == 0, second.output
    assert "verdict: cut over: every pod serves the new certificate and every client accepts it (all 5 gate tests " \
           "passed)" in second.output
    since = re.search(r"since the last run \(.*\)\n((?:  .*\n)+)", second.output)
    assert since is not None, second.output
    lines = [line.strip() for line in since[1].splitlines()]
    assert lines[0] == "cut over since the last run: us2/acme (was staged)"
    assert re.fullmatch(r"datacenters file changed: SHA-256 \w{12}\.\.\. -> \w{12}\.\.\.", lines[1]), lines
    assert lines[2] == "SR none -> 3-2000: us2/acme"
    assert all(len(line) <= WIDTH for line in lines)
    doc = json.loads((folder / "run2.json").read_text())
    assert doc["verdict"].startswith("cut over: ") and doc["ready"] is True
    assert doc["inputs"]["srs"] == {"us2/acme": "3-2000"} and len(doc["inputs"]["datacenters_file"]["sha256"]) == 64
    assert "Verdict: cut over: every pod serves the new certificate" in (folder / "run2.html").read_text()
