"""What the run object's reporting hooks show: a row's extras, the HTML summary, the JSON files, the terminal.

Functions of the run's stages (`cutover.plugin.state`), not of pytest's hook arguments: the hooks
themselves are methods of `cutover.plugin.run.GateRun`, registered per config, so pytest-html's optional
hooks reach the run that belongs to their session. The HTML fragments come from cutover.outputs.html,
the JSON from cutover.outputs.evidence_json; this module only chooses what goes where.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from cutover.base.text import printable
from cutover.closing.record import Closing
from cutover.config import Client, Config, DataCenter, Target
from cutover.evidence import ClientEvidence
from cutover.gates.run_verdict import INCOMPLETE
from cutover.gates.verdict import GateVerdict
from cutover.history.phases import Phase
from cutover.outputs import certfiles, environment, evidence_json, fixtext, interrupted, summary, timeline
from cutover.outputs import html as html_mod
from cutover.outputs import matrix as matrix_mod
from cutover.outputs import runtime as runtime_mod
from cutover.outputs.evidence_json import RunFacts
from cutover.plugin.state import Gathered, Setup


def add_extras(report: pytest.TestReport, item: pytest.Item, config: Config, gathered: Gathered | None,
               gate: str, verdict: GateVerdict | None) -> None:
    """The row's evidence in the HTML report: the verdict, then what the gate decided on."""
    try:
        from pytest_html import extras
    except ImportError:
        return
    blocks = []
    if verdict is not None:
        blocks.append(html_mod.verdict_html(verdict.ok, verdict.message, verdict.warnings,
                                              fixtext.commands(verdict.actions)))
    funcargs = getattr(item, "funcargs", {})
    target, datacenter, client = funcargs.get("target"), funcargs.get("datacenter"), funcargs.get("client")
    ev = gathered.evidence if gathered is not None else None
    mine: ClientEvidence | None = ev.clients.get(client.name) if ev is not None and isinstance(client, Client) \
        else None
    if ev is not None and mine is None and not config.several_clients:
        mine = ev.first  # one client: its verdicts beside every pod's evidence, as before there were clients
    if gathered is not None and ev is not None and isinstance(target, Target):
        blocks.append(html_mod.pod_html(ev.pods[target.id], mine, gate, gathered.phases.get(target.id)))
    elif ev is not None and isinstance(datacenter, DataCenter):
        name = mine.client.name if mine is not None else ""
        blocks.append(html_mod.dc_html(datacenter, mine.store if mine else None, ev.bundles.get(datacenter.code),
                                       html_mod.bundle_anchor(config, datacenter.code),
                                       html_mod.store_anchors(ev).get(name, "")))
    if blocks:
        block = extras.html("<div class='cutover'>" + "".join(blocks) + "</div>")
        # pytest-html reads `extras` off the report; TestReport declares no such attribute.
        report.extras = [*getattr(report, "extras", []), block]  # type: ignore[attr-defined]


def summary_html(setup: Setup, gathered: Gathered | None, closing: Closing, sr_links: list[tuple[str, str]],
                 prefix: list[str], postfix: list[str], tool_env: Mapping[str, object] | None = None,
                 env: Mapping[str, str] | None = None, no_sr: Sequence[str] = ()) -> None:
    """pytest-html's summary in a reader's order: the verdict, the fix plan, the matrix, what changed since the
    last run, the run's environment; after the rows (report.css orders the postfix there) the stores, the
    bundles and pytest-html's own environment, folded. `tool_env`: pytest-metadata's rows; `env`: ours;
    `no_sr`: with --report-per-sr, the pods in no per-SR file."""
    cfg = setup.config
    phases = gathered.phases if gathered else {}
    prefix.append(html_mod.STYLE)
    if cfg.simulated:
        prefix.append(summary.simulated_html(cfg.sandbox_scenario))
    stopped = closing.stopped
    if stopped is not None:
        prefix.append(interrupted.banner_html(stopped.step, len(stopped.not_run), stopped.collected))
    prefix.append(summary.verdict_line(closing.verdict.sentence, closing.verdict.ready, closing.verdict.to_prove))
    prefix.append(html_mod.fix_plan_html(closing.plan))
    prefix.append(html_mod.sr_links_html(sr_links) + summary.no_sr_html(no_sr))
    prefix.append(matrix_mod.matrix_html(cfg, closing.records, phases=phases))
    prefix.extend(after_matrix(closing))  # the one place a section after the matrix goes
    if closing.since is not None:
        prefix.append(summary.since_html(closing.since.heading, closing.since.lines, closing.since.ignored))
    judged = ""
    if gathered is not None:
        for who, judge, approximate in _judges(cfg, gathered):
            judge = f"APPROXIMATE verdicts: {judge}" if approximate else judge
            judged += f"<p>Trust judged{html.escape(who)} by: {html.escape(judge)}</p>"
    prefix.append(summary.environment_html(env if env is not None else setup.env) + judged)
    if gathered is not None and stopped is not None:  # what it saw that no row shows
        prefix.append(interrupted.observed_html(gathered.evidence, gathered.phases,
                                                {r.target for r in closing.records}))
    if closing.store_diff is not None:
        prefix.append(summary.store_diff_html(closing.store_diff))
    if gathered is not None:
        # Each client's runtime (which file, which JDK), then each store and each bundle once, folded, after the rows
        # that link to them.
        postfix.append(runtime_mod.runtime_html(gathered.evidence))
        postfix.append(html_mod.stores_html(gathered.evidence) + html_mod.bundles_html(cfg, gathered.evidence.bundles))
    postfix.append(summary.tool_environment_html(tool_env or {}, env if env is not None else setup.env))


def after_matrix(closing: Closing) -> list[str]:
    """Sections that follow the matrix, before "since the last run": the renewal timeline."""
    return [timeline.timeline_html(closing.series)]


def write_json(setup: Setup, gathered: Gathered | None, closing: Closing, env: Mapping[str, str],
               per_sr: bool) -> list[tuple[str, Path]]:
    """The JSON evidence beside the report, and with --report-per-sr each SR's files; returns (SR, HTML path)."""
    assert setup.json_path is not None
    stopped = closing.stopped
    # The certificates the plan imports, as the files its commands name (before the JSON that names them).
    certfiles.write([d.code for d in setup.config.datacenters], setup.bundles, certfiles.folder(setup.json_path),
                    (s.action.sha256 for s in closing.plan if s.action.kind == "import"))
    facts = RunFacts(setup.config, gathered.evidence if gathered else None, env, setup.started,
                     dt.datetime.now(dt.UTC), gathered.phases if gathered else {}, stopped is not None,
                     stopped.step if stopped else None, stopped.not_run if stopped else (), closing.states)
    evidence_json.write(setup.json_path, evidence_json.full_document(facts, closing))
    if not per_sr:
        return []
    from cutover.outputs import per_sr as per_sr_mod  # only a run that asks for per-SR files needs its code

    return per_sr_mod.write(setup.json_path.parent, setup.json_path.stem, facts, closing.parts)


def keep_history(config: pytest.Config, json_path: Path, closing: Closing) -> None:
    """With a ``--history-dir`` of its own (not the reports folder), a copy of this run's JSON evidence goes there
    and the folder keeps the last ``--history-keep`` runs of the series (`cutover.history.keep`)."""
    folder = config.getoption("history_dir", None)
    if not folder or config.getoption("no_history", False) or not json_path.is_file() \
            or Path(folder).resolve() == json_path.parent.resolve():
        return
    from cutover.history.keep import keep

    try:
        keep(Path(folder), json_path, closing.kind.series, config.getoption("history_keep", 60))
    except OSError as e:  # history is a convenience: the run's own reports are written already
        config.issue_config_time_warning(pytest.PytestWarning(
            f"--history-dir {folder}: this run's evidence could not be kept there ({e.strerror or e})"), 2)


def _judges(cfg: Config, gathered: Gathered) -> list[tuple[str, str, bool]]:
    """(' for client X' or '', judge, approximate) per client: the HTML and the terminal say the same."""
    return [(f" for client {name}" if cfg.several_clients else "",
             c.jvm.label if c.jvm else str(c.engine_note), c.jvm is None)
            for name, c in gathered.evidence.clients.items()]


def terminal_summary(tr: pytest.TerminalReporter, setup: Setup, gathered: Gathered | None, closing: Closing,
                     per_sr_reports: list[tuple[str, Path]]) -> None:
    """The run's section at the end of the terminal: the judge, the times, what changed, where the files
    are, the fix plan, and the verdict last, where the eye lands."""
    cfg = setup.config
    tr.section("cutover")
    if cfg.simulated:
        tr.line(f"SIMULATED run against the sandbox (scenario '{cfg.sandbox_scenario}'): not evidence.",
                yellow=True, bold=True)
    stopped = closing.stopped
    if stopped is not None:
        unrun = f"{len(stopped.not_run)} of {stopped.collected} gate test(s) did not run" if stopped.collected \
            else "no gate test ran"
        tr.line(f"interrupted at {stopped.step}: {INCOMPLETE} ({unrun})", red=True, bold=True)
    if gathered is not None:
        _terminal_evidence(tr, cfg, gathered)
    since = closing.since
    if since is not None:
        tr.line(printable(since.heading, 1000))
        for line in since.lines:
            tr.line("  " + printable(line, 1000))
        for line in since.ignored:
            tr.line("  history file ignored: " + printable(line, 1000), yellow=True)
    config = tr.config
    for label, path in (("report", config.getoption("htmlpath", None)),
                        ("junit xml", getattr(config.option, "xmlpath", None)), ("json evidence", setup.json_path)):
        if path:
            tr.line(f"{label}: {Path(path).resolve()}")
    for sr, path in per_sr_reports:
        tr.line(f"SR {sr}: {path.resolve()} (and .json, .xml)")
    if config.getoption("report_per_sr", False) and (lost := _without_sr(cfg)):
        tr.line(f"in no per-SR report ({len(lost)} pod(s) without an SR; the full report has them): "
                + printable(", ".join(lost), 2000), yellow=True)
    steps = closing.plan
    if steps:
        tr.line(f"fix plan ({len(steps)} step(s), in order):", bold=True)
        for line in fixtext.plan_lines(steps):
            tr.line("  " + printable(line, 2000))
    verdict = closing.verdict
    tr.line(f"verdict: {verdict.sentence}", green=verdict.ready, red=not verdict.ready, bold=True)
    for line in verdict.to_prove:
        tr.line("  skipped: " + printable(line, 2000), red=True)


def _terminal_evidence(tr: pytest.TerminalReporter, cfg: Config, gathered: Gathered) -> None:
    ev = gathered.evidence
    for who, judge, approximate in _judges(cfg, gathered):
        tr.line(f"trust judged{who} by " + (f"APPROXIMATE engine: {judge}" if approximate else judge))
    for name, c in ev.clients.items():
        if c.store is not None and c.store_why:
            who = f" of client {name}" if cfg.several_clients else ""
            tr.line(printable(f"truststore{who}: {c.store.described}, {c.store_why}", 2000))
    for key, value in environment.proxy_rows(cfg).items():
        if value != environment.NO_PROXY:
            tr.line(f"{key}: {value}")
    several = f", {len(ev.clients)} clients, {ev.jvms} JVM(s)" if cfg.several_clients else ""
    tr.line(f"evidence gathered in {ev.seconds:.1f}s for {len(ev.pods)} pod(s){several}")
    import resource  # ru_maxrss is in KiB on Linux; Windows has no resource module

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    tr.line(f"peak memory: python {own:.0f} MB, largest child process (the JVM) {child:.0f} MB")
    if gathered.phases:
        tr.line("phases: " + _phase_summary(gathered.phases))


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


def _without_sr(cfg: Config) -> list[str]:
    from cutover.outputs import per_sr as per_sr_mod  # only a run that asks for per-SR files needs its code

    return per_sr_mod.without_sr(cfg)
