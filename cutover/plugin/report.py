"""The pytest glue of a gate run's evidence: per-test records, the HTML report's parts, JSON, terminal summary.

pytest-html's hooks work from a plugin module as from the root conftest (a nested conftest is what
made them fire only sometimes); they are marked optional so that a run without pytest-html still works.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from cutover.config import Client, DataCenter, Target
from cutover.gates import fixplan, registry
from cutover.gates.lifecycle import Phase
from cutover.gates.verdict import Verdict
from cutover.outputs import atomic, per_sr
from cutover.outputs import history as history_mod
from cutover.outputs import report as report_mod
from cutover.plugin import files as pytest_outputs
from cutover.plugin.run import RUN, VERDICT, Run, _the_run
from cutover.text import printable

# -- reporting ------------------------------------------------------------------------------------------

def _gate_of(item: pytest.Item) -> str | None:
    return next((g for g in registry.NAMES if item.get_closest_marker(g)), None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the gate's verdict to the report itself (user_properties travel from xdist workers)."""
    report = yield
    run = item.config.stash.get(RUN, None)
    gate = _gate_of(item)
    if run is None or gate is None or (report.when != "call" and report.passed):
        return report
    callspec = getattr(item, "callspec", None)
    verdict = item.stash.get(VERDICT, None)
    params = callspec.params if callspec is not None else {}
    where = params.get("target") or params.get("datacenter")
    target = where.id if isinstance(where, Target) else where.code if isinstance(where, DataCenter) else \
        (callspec.id if callspec is not None else item.name)
    client = params.get("client")
    info = {"gate": gate, "target": target, "client": client.name if isinstance(client, Client) else None}
    if verdict is not None and report.when == "call":
        info |= {"message": verdict.message, "remedy": list(verdict.remedy), "warnings": list(verdict.warnings),
                 "actions": [a.to_json() for a in verdict.actions]}
    report.user_properties.append(("cutover", info))
    _add_extras(report, item, run, verdict)
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Build the run's records where the report is written: here, or in the xdist controller."""
    run = _the_run()
    info = next((v for k, v in report.user_properties if k == "cutover"), None) if run is not None else None
    if run is None or info is None:
        return
    record = run.records.get(report.nodeid)
    if record is None:
        target = next((t for t in run.config.targets if t.id == info["target"]), None)
        record = run.records[report.nodeid] = report_mod.Record(report.nodeid, info["gate"], info["target"],
                                                                client=info.get("client"),
                                                                sr=target.sr if target else None)
    # An error in setup or teardown counts as a failure: never a green for a gate that did not run.
    worst = {"passed": 0, "skipped": 1, "failed": 2}
    record.outcome = max(record.outcome, report.outcome, key=worst.__getitem__)
    if report.when == "call":
        record.start, record.stop = report.start, report.stop
    if "message" in info:
        record.message, record.remedy, record.warnings = info["message"], info["remedy"], info["warnings"]
        # A store action is the client's: the plan groups per client's store and files a rejected chain
        # under the imports of the same client.
        record.actions = [replace(fixplan.Action.from_json(a), client=record.client) for a in info.get("actions", [])]
    elif not report.passed and not record.message:
        record.message = _reason(report)


def _reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext else report.outcome


def _add_extras(report: pytest.TestReport, item: pytest.Item, run: Run, verdict: Verdict | None) -> None:
    try:
        from pytest_html import extras
    except ImportError:
        return
    blocks = []
    if verdict is not None:
        blocks.append(report_mod.verdict_html(verdict.ok, verdict.message, verdict.warnings, verdict.remedy))
    funcargs = getattr(item, "funcargs", {})
    target, datacenter, client = funcargs.get("target"), funcargs.get("datacenter"), funcargs.get("client")
    ev = run.evidence
    mine = ev.clients.get(client.name) if ev is not None and isinstance(client, Client) else None
    if ev is not None and mine is None and not run.config.several_clients:
        mine = ev.first  # one client: its verdicts beside every pod's evidence, as before there were clients
    gate = _gate_of(item)
    if ev is not None and isinstance(target, Target):
        blocks.append(report_mod.pod_html(ev.pods[target.id], mine, gate, run.phases.get(target.id)))
    elif ev is not None and isinstance(datacenter, DataCenter):
        name = mine.client.name if mine is not None else ""
        blocks.append(report_mod.dc_html(datacenter, mine.store if mine else None, ev.bundles.get(datacenter.code),
                                         report_mod.bundle_anchor(run.config, datacenter.code),
                                         report_mod.store_anchors(ev).get(name, "")))
    if blocks:
        block = extras.html("<div class='cutover'>" + "".join(blocks) + "</div>")
        report.extras = [*getattr(report, "extras", []), block]


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: object) -> None:
    run = _the_run()
    if run is not None and run.config.simulated:
        report.title = f"SIMULATED staging edge (sandbox '{run.config.sandbox_scenario}'): cutover gates"  # type: ignore[attr-defined]
    else:
        srs = run.config.srs if run is not None else ()
        report.title = "cutover: certificate renewal gates" + (f" for SR {', '.join(srs)}" if srs else "")  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str]) -> None:
    run = _the_run()
    if run is None:
        return
    prefix.append(report_mod.STYLE)
    if run.config.simulated:
        prefix.append(
            "<p id='cutover-simulated' style='background:#b00020;color:#fff;padding:8px;font-weight:bold'>SIMULATED: "
            f"produced against the built-in sandbox (scenario {html.escape(str(run.config.sandbox_scenario))}), not "
            "the provider's staging network. This report is not evidence of readiness.</p>"
        )
    verdict, ready = report_mod.verdict_sentence(run.records.values())
    prefix.append(report_mod.verdict_line(verdict, ready))
    closing = _closing(run)
    prefix.append(report_mod.fix_plan_html(closing.plan))
    prefix.append(report_mod.sr_links_html([(sr, f"{per_sr.file_stem(stem, sr)}.html")
                                            for sr, stem in _per_sr_stems(run)]))
    ev = run.evidence
    prefix.append(report_mod.matrix_html(run.config, run.records.values(),
                                         phases=run.phases))
    since = closing.since
    if since is not None:
        prefix.append(report_mod.since_html(since.heading, since.lines, since.ignored))
    if ev is not None:
        for who, judge, approximate in _judges(run):
            judge = f"APPROXIMATE verdicts: {judge}" if approximate else judge
            prefix.append(f"<p>Trust judged{html.escape(who)} by: {html.escape(judge)}</p>")
        # Each store and each bundle once, folded, above the rows that link to them.
        postfix.append(report_mod.stores_html(ev) + report_mod.bundles_html(run.config, ev.bundles))
    if closing.store_diff is not None:
        prefix.append(report_mod.store_diff_html(closing.store_diff))


@dataclass(frozen=True)
class _Closing:
    """What the run's end says, decided once from the complete records: the JSON, the HTML summary and the
    terminal all read it (they run one after another in sessionfinish and terminal_summary)."""

    plan: tuple[fixplan.Step, ...]
    since: history_mod.Since | None
    store_diff: dict[str, object] | None


_CLOSING = pytest.StashKey[_Closing]()


def _closing(run: Run) -> _Closing:
    config = run.pytest_config
    if _CLOSING not in config.stash:
        outcomes = {(r.gate, r.client, r.target): r.outcome for r in run.records.values()}
        config.stash[_CLOSING] = _Closing(fixplan.plan(run.records.values()),
                                          history_mod.since_last_run(run.history, run.evidence, run.phases, outcomes),
                                          _store_diff(config))
    return config.stash[_CLOSING]


def _per_sr_stems(run: Run) -> list[tuple[str, str]]:
    """(SR, stem of the full report) for each SR that gets its own files, when --report-per-sr is on."""
    if run.json_path is None or not run.pytest_config.getoption("report_per_sr"):
        return []
    return [(sr, run.json_path.stem) for sr in per_sr.split(run.config, list(run.records.values()))]


def _store_diff(config: pytest.Config) -> dict[str, object] | None:
    """The entries `python -m cutover prepare` changed in the copy this run judged, for the change ticket."""
    path = config.getoption("store_diff", None)
    if not path:
        return None
    import json

    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise pytest.UsageError(f"--store-diff {path}: cannot be read as prepare's JSON ({e}).") from None


def _judges(run: Run) -> list[tuple[str, str, bool]]:
    """(' for client X' or '', judge, approximate) per client: the HTML and the terminal say the same."""
    assert run.evidence is not None
    return [(f" for client {name}" if run.config.several_clients else "",
             c.jvm.label if c.jvm else str(c.engine_note), c.jvm is None)
            for name, c in run.evidence.clients.items()]


# A wrapper, trylast: its second half runs after pytest-html and junitxml wrote their reports (under
# temporary names, see cutover.pytest_outputs) and before the terminal reporter's wrapper prints where they are.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Iterator[None]:
    run = session.config.stash.get(RUN, None)
    if run is not None and run.json_path is not None:
        import json

        records = list(run.records.values())
        finished = dt.datetime.now(dt.UTC)
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        closing = _closing(run)
        since = closing.since
        lifecycle = history_mod.lifecycle_json(run.evidence, run.phases) if run.evidence is not None else None
        doc = report_mod.evidence_document(
            run.config, run.evidence, records, run.env, run.started, finished, interrupted=interrupted,
            fix_plan=closing.plan, lifecycle=lifecycle, phases=run.phases,
            since=None if since is None else {"heading": since.heading, "changes": list(since.lines),
                                              "ignored": list(since.ignored)})
        if closing.store_diff is not None:
            doc["store_diff"] = closing.store_diff
        atomic.write_text(run.json_path, json.dumps(doc, indent=1))
        if session.config.getoption("report_per_sr"):
            run.per_sr_reports = per_sr.write(run.json_path.parent, run.json_path.stem, run.config, run.evidence,
                                              records, run.env, run.started, finished, interrupted, lifecycle,
                                              run.phases)
    try:
        result = yield
    except BaseException:  # a report may be half-written (SIGTERM while writing): never publish it
        if run is not None:
            pytest_outputs.discard(run.staged)
        raise
    if run is not None:
        pytest_outputs.publish(session.config, run.staged)
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None or not run.records:
        return
    tr = terminalreporter
    tr.section("cutover")
    if run.config.simulated:
        tr.line(f"SIMULATED run against the sandbox (scenario '{run.config.sandbox_scenario}'): not evidence.",
                yellow=True, bold=True)
    if run.evidence is not None:
        for who, judge, approximate in _judges(run):
            tr.line(f"trust judged{who} by " + (f"APPROXIMATE engine: {judge}" if approximate else judge))
        for key, value in report_mod.proxy_rows(run.config).items():
            if value != report_mod.NO_PROXY:
                tr.line(f"{key}: {value}")
        several = f", {len(run.evidence.clients)} clients, {run.evidence.jvms} JVM(s)" \
            if run.config.several_clients else ""
        tr.line(f"evidence gathered in {run.evidence.seconds:.1f}s for {len(run.evidence.pods)} pod(s){several}")
        import resource  # ru_maxrss is in KiB on Linux

        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        tr.line(f"peak memory: python {own:.0f} MB, largest child process (the JVM) {child:.0f} MB")
        if run.phases:
            tr.line("phases: " + _phase_summary(run.phases))
    closing = _closing(run)
    since = closing.since
    if since is not None:
        tr.line(printable(since.heading, 1000))
        for line in since.lines:
            tr.line("  " + printable(line, 1000))
        for line in since.ignored:
            tr.line("  history file ignored: " + printable(line, 1000), yellow=True)
    verdict, ready = report_mod.verdict_sentence(run.records.values())
    for label, path in (("report", config.getoption("htmlpath", None)),
                        ("junit xml", getattr(config.option, "xmlpath", None)), ("json evidence", run.json_path)):
        if path:
            tr.line(f"{label}: {Path(path).resolve()}")
    for sr, path in run.per_sr_reports:
        tr.line(f"SR {sr}: {path.resolve()} (and .json, .xml)")
    steps = closing.plan
    if steps:
        keytool = "; keytool asks for the store password" if any(s.action.command for s in steps) else ""
        tr.line(f"fix plan ({len(steps)} step(s), in order{keytool}):", bold=True)
        for line in fixplan.plan_lines(steps):
            tr.line("  " + printable(line, 2000))
    tr.line(f"verdict: {verdict}", green=ready, red=not ready, bold=True)


def _phase_summary(phases: Mapping[str, Phase]) -> str:
    """``staged 26, cut over 2 (us2/acme, us2/acme-test)``: the pods are named for every phase but the commonest."""
    by: dict[str, list[str]] = {}
    for tid, phase in phases.items():
        by.setdefault(phase.name, []).append(tid)
    order = sorted(by, key=lambda name: -len(by[name]))
    parts = []
    for i, name in enumerate(order):
        pods = by[name]
        named = "" if i == 0 else " (" + ", ".join(pods[:12]) + (f", and {len(pods) - 12} more" if len(pods) > 12
                                                                  else "") + ")"
        parts.append(f"{name} {len(pods)}{named}")
    return ", ".join(parts)
