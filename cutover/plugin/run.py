"""The run object of a gate run: one per pytest config, kept in ``config.stash`` and registered as a plugin.

pytest's own pattern (junitxml's ``LogXML``): ``pytest_configure`` makes the object, registers it with
the plugin manager, and ``pytest_unconfigure`` unregisters it. Its hook methods (pytest-html's
optional ones too) reach the run through ``self``, never through a module global, so in-process runs
(pytester, a scheduler calling ``pytest.main`` again and again) each see their own run and keep none
of the earlier ones. What the run knows arrives in stages: `Setup` at configure time and `Gathered` once the
evidence is in (`cutover.plugin.state`), the closing record at the end (`cutover.closing.record.close`, where
the run's verdict and plan are decided); only the records arrive test by test.
Rendering lives in cutover.plugin.report, the fixtures the gates use in cutover.plugin.fixtures.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import html
import os
import pickle
import tempfile
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cutover.base import exit_codes, paths
from cutover.base.instants import format_instant
from cutover.config import Client, Config, DataCenter, Target
from cutover.evidence import Evidence, GatherInterrupted, gather
from cutover.gates import fixplan, lifecycle, registry
from cutover.gates.outcomes import Record
from cutover.gates.verdict import GateVerdict
from cutover.outputs import environment
from cutover.outputs.fixtext import commands
from cutover.plugin import collect, configure, interrupt, metadata
from cutover.plugin import files as pytest_outputs
from cutover.plugin import kind as run_kind
from cutover.plugin.keys import VERDICT
from cutover.plugin.state import Gathered, Setup

if TYPE_CHECKING:
    from cutover.closing.record import Closing
    from cutover.gates.storeplan import StorePlan
    from cutover.history.runs import Lookup

# History, the closing, the report's HTML and JSON writers and the per-SR files are imported where they are
# first used, not with the plugin: pytest imports the plugin in every run (our own tests', `pytest --help`),
# and a gate run imports them after its JVM has started, so that they overlap its start-up rather than delay it.

#: The run object of a gate run, in ``config.stash``: defined with the class it holds; the fixtures read it.
RUN = pytest.StashKey["GateRun"]()

# At exit Python's last garbage collection walks every object the run made, though nothing is left to
# collect then. Freezing them first saves CPU per run of the gates (`make bench`, 56 pods, alternated
# runs): 2.02 -> 2.00 s on a quiet machine, 2.41 -> 2.23 s on a busy one, where that walk is slow.
# Registered once, at import, so in-process runs (pytester, the soak) freeze nothing before the end.
atexit.register(gc.freeze)

#: An error in setup or teardown counts as a failure: never a green for a gate that did not run.
_WORST = {"passed": 0, "skipped": 1, "failed": 2}


@pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml read their paths
def pytest_configure(config: pytest.Config) -> None:
    if collect.runs_gates(config):
        run = config.stash[RUN] = GateRun(config, configure.setup(config))
        config.pluginmanager.register(run, "cutover-run")
        config.pluginmanager.register(collect.Gates(run.config), "cutover-collect")
        config.pluginmanager.register(run.interrupt, "cutover-interrupt")
        run.interrupt.install()
    elif not hasattr(config, "workerinput"):
        config.pluginmanager.register(collect.Note(config), "cutover-collect")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Let go of a finished session: a process that runs the gates again (a scheduler calling pytest.main)
    must not keep every earlier run's config and evidence (make soak measured 3,100 objects a run)."""
    collecting = config.pluginmanager.get_plugin("cutover-collect")
    if collecting is not None:
        config.pluginmanager.unregister(collecting)
    run = config.stash.get(RUN, None)
    if run is not None:
        gc.unfreeze()  # what `GateRun._gather` froze is the collector's again: this run's are garbage now
        del config.stash[RUN]
        config.pluginmanager.unregister(run)
        config.pluginmanager.unregister(run.interrupt)


class GateRun:
    """One pytest session of the gates: its stages, its records, and the hooks that fill and read them.

    Attributes:
        setup: what was known at configure time.
        gathered: the evidence and what was decided on it; None until first needed.
        records: one per gate test, by node id, built as the reports arrive (in the xdist controller too).
        worker: this process is an xdist worker: the controller gathers, writes and publishes the reports.
        staged: report option -> (temporary, final) path, until published (cutover.plugin.files).
        per_sr_reports: (SR, HTML path) of the per-SR files written, for the terminal.
        interrupt: where the run is, and where Ctrl-C or SIGTERM stopped it (cutover.plugin.interrupt).
    """

    def __init__(self, pytest_config: pytest.Config, setup: Setup) -> None:
        self.pytest_config = pytest_config
        self.setup = setup
        self.gathered: Gathered | None = None
        self.records: dict[str, Record] = {}
        self.worker = hasattr(pytest_config, "workerinput")
        self.staged = {} if self.worker else pytest_outputs.stage(pytest_config)
        self.per_sr_reports: list[tuple[str, Path]] = []
        self.interrupt = interrupt.Interrupt(pytest_config, ran=lambda: len(self.records))
        self._evidence_file: Path | None = None
        self._closing: Closing | None = None
        self._store_plans: dict[str, StorePlan] | None = None

    @property
    def config(self) -> Config:
        """The loaded datacenters file: what the gates in checks/ read (``cutover_run.config``)."""
        return self.setup.config

    # -- the evidence ------------------------------------------------------------------------------------

    def ensure_gathered(self) -> Gathered:
        """Every observation of the run, gathered once, concurrently, on first use.

        Under pytest-xdist the controller gathered it before starting the workers, so that `-n 4` means
        one set of observations, the same verdicts and one report; a worker reads the controller's copy.
        """
        if self.gathered is None:
            workerinput = getattr(self.pytest_config, "workerinput", {})
            if "cutover_evidence" in workerinput:
                ev, phases = pickle.loads(Path(workerinput["cutover_evidence"]).read_bytes())
                self.gathered = Gathered(ev, phases)
            else:
                self.gathered = self._gather()
                self.interrupt.check()  # stopped while gathering: the session ends before the first gate
        assert self.gathered is not None  # None only when stopped before anything was seen, and check() raised
        return self.gathered

    def _gather(self) -> Gathered | None:
        cfg = self.config
        ev: Evidence | None = None
        # Python's cyclic collector took a tenth of a 56-pod run's Python CPU, traversing again and again what the
        # imports and the configuration made and the run keeps to its end: that is frozen (out of every
        # collection until the session is let go of, `pytest_unconfigure`), and the collector waits while the
        # evidence is gathered, whose objects are freed by their counts or kept.
        gc.freeze()
        collecting = gc.isenabled()
        gc.disable()
        try:
            with self.interrupt.gathering():
                ev = gather(cfg, cfg.targets, dict(self.setup.stores), dict(self.setup.bundles))
        except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM (cutover.plugin.interrupt): keep what was seen
            ev = stop.partial if isinstance(stop, GatherInterrupted) else ev
            self.interrupt.stop(interrupt.gathering_step(cfg, ev))
        finally:
            if collecting:
                gc.enable()
        if ev is None:
            return None
        lookup = self._history()
        previous = lookup.snapshot.previous() if lookup and lookup.snapshot else None
        env = environment.judges_environment(cfg, ev)
        if cfg.at:
            env["Judged at"] = f"{format_instant(cfg.at)} (--at)"
        for key, value in env.items():
            metadata.set_row(self.pytest_config, key, value)
        return Gathered(ev, lifecycle.phases(ev, previous), lookup, env)

    def _history(self) -> Lookup | None:
        """The last earlier run of the same datacenters file, unless history is off.

        A run started with --sandbox is skipped: its datacenters file is new every time, so no earlier run
        can be of it (a sandbox served from a fixed folder, run with --datacenters, does have history).
        """
        opt = self.pytest_config.getoption
        if opt("no_history") or opt("sandbox"):
            return None
        from cutover.history import runs as history_mod

        json_path = self.setup.json_path
        # Where this run's own evidence goes (beside --html when given) is where the earlier runs' went.
        folder = Path(opt("history_dir") or (json_path.parent if json_path is not None else None)
                      or opt("reports_dir") or paths.reports_dir(self.pytest_config.invocation_params.dir))
        exclude = [json_path] if json_path is not None else []
        return history_mod.find_runs(folder, self.config.series_name, self.setup.started, exclude)  # + the timeline's

    def store_plan(self, client: str) -> StorePlan | None:
        """The store steps for the file `client` reads, decided once per run (xdist workers: alike, same evidence)."""
        if self._store_plans is None:
            from cutover.gates.storeplan import plans

            self._store_plans = plans(self.config, self.ensure_gathered().evidence)
        return self._store_plans.get(client)

    @property
    def env(self) -> dict[str, str]:
        """The report's Environment rows: the configure-time ones, then the judges' once gathered."""
        return {**self.setup.env, **(self.gathered.env if self.gathered is not None else {})}

    # -- collection and the xdist hand-off -----------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Pod gates per pod, data centre gates per data centre; a gate that asks for the client (through
        `client_evidence`) once per client too, over the data centres that client talks to. Ids are
        ``dc/pod`` and ``dc``, prefixed ``client:`` when the run has several clients."""
        cfg = self.config
        names = metafunc.fixturenames
        for kind, items in (("target", lambda dcs: [t for dc in dcs for t in dc.targets]),
                            ("datacenter", lambda dcs: list(dcs))):
            if kind not in names:
                continue
            if "client" in names:
                pairs = [(c, x) for c in cfg.clients for x in items(cfg.client_datacenters(c))]
                metafunc.parametrize("client," + kind, pairs, ids=[_id(cfg, c, x) for c, x in pairs],
                                     scope="function")
            else:
                values = items(cfg.datacenters)
                metafunc.parametrize(kind, values, ids=[_id(cfg, None, x) for x in values], scope="function")

    @pytest.hookimpl(tryfirst=True)  # before xdist starts its workers
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if _is_xdist_controller(session.config):
            # Stopped while gathering: raised here, pytest would skip sessionfinish and write no report;
            # Interrupt ends the session at its test loop instead, before xdist schedules a test.
            with contextlib.suppress(pytest.Session.Interrupted):
                self.ensure_gathered()
            if self.gathered is not None:
                fd, name = tempfile.mkstemp(prefix="cutover-evidence-", suffix=".pickle")
                with os.fdopen(fd, "wb") as f:
                    pickle.dump((self.gathered.evidence, self.gathered.phases), f)
                self._evidence_file = Path(name)
                session.config.add_cleanup(self._evidence_file.unlink)
        # Here, not in pytest_configure: pytest-metadata makes its table after ours runs.
        for key, value in self.env.items():
            metadata.set_row(session.config, key, value)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:  # xdist's WorkerController: no public type to name
        """xdist: tell each worker where the controller's datacenters file and evidence are (none when the
        run was stopped before it saw anything: the worker then starts no sandbox, and is stopped unused)."""
        node.workerinput["cutover_datacenters"] = str(self.config.path)
        if self._evidence_file is not None:
            node.workerinput["cutover_evidence"] = str(self._evidence_file)
            node.workerinput["cutover_cert_files"] = dict(self.setup.cert_files)

    # -- records ---------------------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Attach the gate's verdict to the report itself (user_properties travel from xdist workers)."""
        test_report = yield
        gate = _gate_of(item)
        if gate is None or (test_report.when != "call" and test_report.passed):
            return test_report
        from cutover.plugin import report as reporting

        verdict = item.stash.get(VERDICT, None)
        test_report.user_properties.append(("cutover", _report_info(item, gate, test_report.when, verdict)))
        reporting.add_extras(test_report, item, self.config, self.gathered, gate, verdict)
        return test_report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Build the run's records where the report is written: here, or in the xdist controller."""
        info = _info_of(report)
        if info is None:
            return
        record = self.records.get(report.nodeid)
        if record is None:
            target = self.config.target_by_id.get(info["target"])
            record = self.records[report.nodeid] = Record(report.nodeid, info["gate"], info["target"],
                                                          client=info.get("client"),
                                                          sr=target.sr if target else None)
        record.outcome = max(record.outcome, report.outcome, key=_WORST.__getitem__)
        if report.when == "call":
            record.start, record.stop = report.start, report.stop
        if "message" in info:
            record.message, record.remedy, record.warnings = info["message"], info["remedy"], info["warnings"]
            # A store action is the client's: the plan groups per client's store and files a rejected chain
            # under the imports of the same client.
            record.actions = [replace(fixplan.Action.from_json(a), client=record.client)
                              for a in info.get("actions", [])]
        elif not report.passed and not record.message:
            record.message = _reason(report)

    # -- the end ---------------------------------------------------------------------------------------------

    def closing(self) -> Closing:
        """What the run's end says; decided once the session finished, and afresh before (a report drawn
        mid-run, pytest-html's generate_report_on_test, must not fix an incomplete plan)."""
        if self._closing is not None:
            return self._closing
        from cutover.closing.record import Stopped, close

        step = self.interrupt.stopped_at
        stopped = None if step is None else Stopped(step, tuple(self.interrupt.not_run(list(self.records))),
                                                    len(self.interrupt.collected))
        g = self.gathered
        departures = run_kind.departures(self.pytest_config, self.config, len(self.interrupt.collected),
                                         len(self.records))
        return close(self.config, tuple(self.records.values()), g.evidence if g else None, g.phases if g else {},
                     g.history if g else None, self.setup.started, stopped, metadata.store_diff(self.pytest_config),
                     departures)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:  # pytest-html's report object: no public type
        from cutover.outputs.summary import title

        report.title = title(self.config)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str]) -> None:
        from cutover.outputs import per_sr
        from cutover.plugin import report as reporting

        per_sr_on = bool(self.pytest_config.getoption("report_per_sr"))
        closing = self.closing()  # once: drawn mid-run (generate_report_on_test), it is not kept
        reporting.summary_html(self.setup, self.gathered, closing, self.per_sr_links(closing), prefix, postfix,
                               tool_env=metadata.rows(self.pytest_config), env=self.env,
                               no_sr=per_sr.without_sr(self.config) if per_sr_on else ())

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        """A column that titles each row by target and gate, before pytest's node id (kept for CI)."""
        cells.insert(1, '<th class="sortable col-check" data-column-type="check">Check</th>')
        cells[:] = [c.replace("<th>Links</th>", '<th class="col-links">Links</th>') for c in cells]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A skipped gate's log is its reason, a sentence: pytest-html prints a skip's longrepr, a Python tuple
        (file, line, "Skipped: ..."), as it is."""
        if report.skipped and isinstance(report.longrepr, tuple) and data:
            data[0] = html.escape(_reason(report)) + "\n"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        """``us2/abcd - chain_trusted``: the row's title, as the header hook promised (one cell each)."""
        info = _info_of(report)
        title = f"{info['target']} - {info['gate']}" if info is not None else report.nodeid
        if info is not None and info.get("client") and self.config.several_clients:
            title = f"{info['client']}: {title}"
        cells.insert(1, f'<td class="col-check">{html.escape(title)}</td>')

    def per_sr_links(self, closing: Closing) -> list[tuple[str, str]]:
        """(SR, file name) of each per-SR report beside the full one, when --report-per-sr is on."""
        json_path = self.setup.json_path
        if json_path is None or not self.pytest_config.getoption("report_per_sr"):
            return []
        from cutover.outputs import per_sr

        return [(sr, f"{per_sr.file_stem(json_path.stem, sr)}.html") for sr in closing.parts]

    # A wrapper, trylast: its second half runs after pytest-html and junitxml wrote their reports (under
    # temporary names, see cutover.plugin.files) and before the terminal reporter's wrapper prints where they are.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Generator[None, object, object]:
        stopped = self.interrupt.freeze(exitstatus)  # what the reports say; a signal from now on lets them finish
        self._closing = self.closing()
        from cutover.plugin import report as reporting

        if self.setup.json_path is not None:
            self.per_sr_reports = reporting.write_json(self.setup, self.gathered, self._closing, self.env,
                                                    per_sr=bool(session.config.getoption("report_per_sr")))
            reporting.keep_history(session.config, self.setup.json_path, self._closing)
        try:
            result = yield
        except BaseException:  # a report may be half-written (SIGTERM while writing): never publish it
            pytest_outputs.discard(self.staged)
            raise
        pytest_outputs.publish(session.config, self.staged)
        if stopped is not None:  # stopped between two of pytest's checks (the last test): still exit 2
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        elif session.exitstatus == pytest.ExitCode.OK and self._closing.verdict.not_proven:
            session.exitstatus = exit_codes.NOT_PROVEN  # a skipped gate proves nothing: never a green CI job
        return result

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter, exitstatus: int,
                                config: pytest.Config) -> None:
        if self.records or self.interrupt.stopped_at is not None:
            from cutover.plugin import report as reporting

            reporting.terminal_summary(terminalreporter, self.setup, self.gathered, self.closing(),
                                    self.per_sr_reports)
        self.interrupt.terminal_note(terminalreporter)


def _gate_of(item: pytest.Item) -> str | None:
    return next((g for g in registry.NAMES if item.get_closest_marker(g)), None)


def _info_of(report: pytest.TestReport) -> dict[str, Any] | None:
    """What `_report_info` attached to a gate test's report; None on anything else's."""
    info = next((v for k, v in report.user_properties if k == "cutover"), None)
    return info if isinstance(info, dict) else None


def _report_info(item: pytest.Item, gate: str, when: str, verdict: GateVerdict | None) -> dict[str, object]:
    """What the record of this test needs, as plain data: it travels from an xdist worker to the controller."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    where = params.get("target") or params.get("datacenter")
    target = where.id if isinstance(where, Target) else where.code if isinstance(where, DataCenter) else \
        (callspec.id if callspec is not None else item.name)
    client = params.get("client")
    info: dict[str, object] = {"gate": gate, "target": target,
                               "client": client.name if isinstance(client, Client) else None}
    if verdict is not None and when == "call":
        info |= {"message": verdict.message, "remedy": list(commands(verdict.actions)),
                 "warnings": list(verdict.warnings),
                 "actions": [a.to_json() for a in verdict.actions]}
    return info


def _reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext else report.outcome


def _id(cfg: Config, client: Client | None, item: Target | DataCenter) -> str:
    own = item.id if isinstance(item, Target) else item.code
    return f"{client.name}:{own}" if client is not None and cfg.several_clients else own


def _is_xdist_controller(config: pytest.Config) -> bool:
    if hasattr(config, "workerinput"):
        return False
    workers = config.getoption("numprocesses", None)
    return bool(workers) and config.getoption("dist", "no") != "no"
