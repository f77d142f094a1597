"""The pytest glue of cutover: loading, parametrization, evidence fixtures, xdist, report hooks.

It lives in the root conftest because pytest-html's hooks only fire reliably there (the command-line
options are in cutover/plugin.py, see why there). The gates in checks/ stay a few lines each: they
call a decision from `cutover.gates` and hand it to `expect_pass`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import html
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cutover import bundle as bundle_mod
from cutover import gates
from cutover import report as report_mod
from cutover import truststore as truststore_mod
from cutover.bundle import Bundle
from cutover.config import Config, ConfigError, DataCenter, Target, load
from cutover.evidence import Evidence, PodEvidence, gather
from cutover.text import printable
from cutover.truststore import StoreContents

ROOT = Path(__file__).resolve().parent
CHECKS = ROOT / "checks"
VERDICT = pytest.StashKey["gates.Verdict"]()
RUN = pytest.StashKey["Run"]()


class CutoverWarning(UserWarning):
    """Something a person should look at that does not fail a gate."""


@dataclass
class Run:
    """What one pytest session of the gates works with; the evidence is gathered on first use."""

    config: Config
    python_store: StoreContents
    bundles: dict[str, Bundle]
    pytest_config: pytest.Config
    evidence: Evidence | None = None
    records: dict[str, report_mod.Record] = field(default_factory=dict)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    json_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    evidence_file: Path | None = None


def _runs_gates(config: pytest.Config) -> bool:
    """Load datacenters.toml only when checks/ is part of the run, so `pytest tests` needs none."""
    if config.getoption("sandbox"):
        return True
    base = config.invocation_params.dir
    for arg in config.args:
        p = (base / arg.split("::")[0]).resolve()
        if p == CHECKS or CHECKS in p.parents or p in CHECKS.parents:
            return True
    return False


def _password(config: pytest.Config, cfg: Config) -> None:
    """Make sure the password variable is set, asking on the terminal when it is not and one is there."""
    env = cfg.truststore.password_env
    if not env or env in os.environ:
        return
    if sys.__stdin__ is not None and sys.__stdin__.isatty():
        capman = config.pluginmanager.getplugin("capturemanager")
        with capman.global_and_fixture_disabled():
            os.environ[env] = getpass.getpass(f"Password of truststore {cfg.truststore.path} ({env} is not set): ")
        return
    raise pytest.UsageError(
        f"the truststore password is not set: export {env} with the password of {cfg.truststore.path}. "
        "It is read from the environment only, never from the command line (the variable's name is "
        "[truststore] password_env in datacenters.toml)."
    )


def _default_outputs(config: pytest.Config, simulated: bool) -> Path | None:
    """Every run leaves evidence: an HTML report, JUnit XML and JSON, unless told not to. Returns the JSON path."""
    html_path = config.getoption("htmlpath", None)
    if config.getoption("no_reports"):
        return Path(html_path).with_suffix(".json") if html_path else None
    folder = Path(config.getoption("reports_dir") or ROOT / "reports")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    base = folder / f"cutover-{stamp}{'-SIMULATED' if simulated else ''}"
    if not html_path:
        config.option.htmlpath = str(base.with_suffix(".html"))
        config.option.self_contained_html = True
        html_path = config.option.htmlpath
    if not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(Path(html_path).with_suffix(".xml"))
    Path(html_path).parent.mkdir(parents=True, exist_ok=True)
    return Path(html_path).with_suffix(".json")


@pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml read their paths
def pytest_configure(config: pytest.Config) -> None:
    if not _runs_gates(config):
        return
    datacenters = config.getoption("datacenters")
    scenario = config.getoption("sandbox")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "cutover_datacenters" in workerinput:
        # An xdist worker: the controller already started the sandbox and gathered the evidence.
        datacenters, scenario = workerinput["cutover_datacenters"], None
    if scenario:
        from cutover.sandbox import PASSWORD_ENV, Sandbox, SandboxError

        try:
            sandbox = Sandbox(scenario, pods_per_dc=config.getoption("sandbox_pods"),
                              latency_ms=config.getoption("sandbox_latency_ms")).start()
        except SandboxError as e:
            raise pytest.UsageError(f"--sandbox: {e}") from None
        os.environ[PASSWORD_ENV] = sandbox.password
        datacenters = sandbox.config_path
        config.add_cleanup(sandbox.stop)
    try:
        cfg = load(
            Path(datacenters) if datacenters else ROOT / "datacenters.toml",
            truststore=Path(config.getoption("truststore")) if config.getoption("truststore") else None,
            nameservers=config.getoption("nameserver"),
            java_home=Path(config.getoption("java_home")) if config.getoption("java_home") else None,
            only_dcs=config.getoption("dc"),
            only_pods=config.getoption("pod"),
            java_options=config.getoption("java_option"),
            at=config.getoption("at"),
            timeouts={k: config.getoption(k) for k in ("timeout", "dns_timeout", "connect_timeout",
                                                        "handshake_timeout")},
            concurrency=config.getoption("concurrency"),
        )
        _password(config, cfg)
        store = truststore_mod.read(cfg.truststore.path, cfg.truststore.password())
        bundles = {dc.code: bundle_mod.read(dc.bundle) for dc in cfg.datacenters if dc.bundle is not None}
    except (ConfigError, truststore_mod.TruststoreError, bundle_mod.BundleError) as e:
        raise pytest.UsageError(str(e)) from None
    json_path = _default_outputs(config, simulated=cfg.simulated) if workerinput is None else None
    run = config.stash[RUN] = Run(cfg, store, bundles, config, json_path=json_path)
    run.env = report_mod.environment(cfg, store, config.getoption("sr"), run.started)


def _set_metadata(config: pytest.Config, key: str, value: str) -> None:
    """A row of the report's Environment table (pytest-metadata, which pytest-html renders)."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    config.stash[metadata_key][key] = html.escape(value)  # pytest-html renders these values as HTML


# -- parametrization and fixtures ---------------------------------------------------------------------

def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = metafunc.config.stash.get(RUN, None)
    if run is None:
        return
    if "target" in metafunc.fixturenames:
        targets = run.config.targets
        metafunc.parametrize("target", targets, ids=[t.id for t in targets], scope="function")
    if "datacenter" in metafunc.fixturenames:
        dcs = run.config.datacenters
        metafunc.parametrize("datacenter", dcs, ids=[d.code for d in dcs], scope="function")


@pytest.fixture(scope="session")
def cutover_run(pytestconfig: pytest.Config) -> Run:
    run = pytestconfig.stash.get(RUN, None)
    if run is None:
        pytest.fail("the cutover gates were not configured: run them from checks/ or with --sandbox", pytrace=False)
    return run


def _gather(run: Run) -> Evidence:
    cfg = run.config
    run.evidence = ev = gather(cfg, cfg.targets, run.python_store, run.bundles)
    env = run.env
    env["JDK that judged"] = f"{ev.jvm.label}; java {ev.jvm.java}" if ev.jvm else f"none: {ev.engine_note}"
    if cfg.java_options:
        env["JVM options"] = " ".join(cfg.java_options)
    if cfg.at:
        env["Judged at"] = f"{cfg.at:%Y-%m-%d %H:%M:%S}Z (--at)"
    for key in ("JDK that judged", "JVM options", "Judged at"):
        if key in env:
            _set_metadata(run.pytest_config, key, env[key])
    return ev


@pytest.fixture(scope="session")
def evidence(cutover_run: Run) -> Evidence:
    """Every network observation of the run, gathered once, concurrently, on first use.

    Under pytest-xdist the controller gathered it before starting the workers, so that `-n 4` means
    one set of observations, the same verdicts and one report; a worker reads the controller's copy.
    """
    if cutover_run.evidence is None:
        workerinput = getattr(cutover_run.pytest_config, "workerinput", {})
        if "cutover_evidence" in workerinput:
            import pickle

            cutover_run.evidence = pickle.loads(Path(workerinput["cutover_evidence"]).read_bytes())
        else:
            _gather(cutover_run)
    assert cutover_run.evidence is not None
    return cutover_run.evidence


def _is_xdist_controller(config: pytest.Config) -> bool:
    if hasattr(config, "workerinput"):
        return False
    workers = config.getoption("numprocesses", None)
    return bool(workers) and config.getoption("dist", "no") != "no"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    """xdist: tell each worker where the controller's datacenters file and evidence are."""
    run = node.config.stash.get(RUN, None)  # type: ignore[attr-defined]
    if run is not None and run.evidence_file is not None:
        node.workerinput["cutover_datacenters"] = str(run.config.path)  # type: ignore[attr-defined]
        node.workerinput["cutover_evidence"] = str(run.evidence_file)  # type: ignore[attr-defined]


@pytest.fixture
def pod_evidence(target: Target, evidence: Evidence) -> PodEvidence:
    return evidence.pods[target.id]


@pytest.fixture
def expect_pass(request: pytest.FixtureRequest) -> Callable[[gates.Verdict], None]:
    """Record a gate's verdict for the report and fail the test, with its message and fix, when it is not ok."""

    def check(verdict: gates.Verdict) -> None:
        __tracebackhide__ = True
        request.node.stash[VERDICT] = verdict
        callspec = getattr(request.node, "callspec", None)
        where = callspec.id if callspec is not None else request.node.name
        for w in verdict.warnings:
            # Attributed to the data centre or pod it is about, not to a line of our code.
            warnings.warn_explicit(CutoverWarning(printable(w, 4000)), CutoverWarning, filename=where, lineno=0)
        if not verdict.ok:
            fix = ("\nTo fix it:\n  " + "\n  ".join(verdict.remedy)) if verdict.remedy else ""
            pytest.fail(printable(verdict.message + fix, 20_000, keep="\n"), pytrace=False)

    return check


# -- reporting ------------------------------------------------------------------------------------------

def _gate_of(item: pytest.Item) -> str | None:
    return next((g for g in gates.GATES if item.get_closest_marker(g)), None)


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
    info = {"gate": gate, "target": callspec.id if callspec is not None else item.name}
    if verdict is not None and report.when == "call":
        info |= {"message": verdict.message, "remedy": list(verdict.remedy), "warnings": list(verdict.warnings)}
    report.user_properties.append(("cutover", info))
    _add_extras(report, item, run, verdict)
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Build the run's records where the report is written: here, or in the xdist controller."""
    run = _the_run()
    info = next((v for k, v in report.user_properties if k == "cutover"), None) if run is not None else None
    if run is None or info is None:
        return
    record = run.records.setdefault(report.nodeid, report_mod.Record(report.nodeid, info["gate"], info["target"]))
    # An error in setup or teardown counts as a failure: never a green for a gate that did not run.
    worst = {"passed": 0, "skipped": 1, "failed": 2}
    record.outcome = max(record.outcome, report.outcome, key=worst.__getitem__)
    if report.when == "call":
        record.start, record.stop = report.start, report.stop
    if "message" in info:
        record.message, record.remedy, record.warnings = info["message"], info["remedy"], info["warnings"]
    elif not report.passed and not record.message:
        record.message = _reason(report)


def _reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext else report.outcome


def _add_extras(report: pytest.TestReport, item: pytest.Item, run: Run, verdict: gates.Verdict | None) -> None:
    try:
        from pytest_html import extras
    except ImportError:
        return
    blocks = []
    if verdict is not None:
        blocks.append(report_mod.verdict_html(verdict.ok, verdict.message, verdict.warnings, verdict.remedy))
    funcargs = getattr(item, "funcargs", {})
    target, datacenter = funcargs.get("target"), funcargs.get("datacenter")
    if run.evidence is not None and isinstance(target, Target):
        blocks.append(report_mod.pod_html(run.evidence.pods[target.id], run.evidence))
    elif run.evidence is not None and isinstance(datacenter, DataCenter):
        blocks.append(report_mod.dc_html(datacenter, run.evidence.store, run.evidence.bundles.get(datacenter.code)))
    if blocks:
        block = extras.html("<div class='cutover'>" + "".join(blocks) + "</div>")
        report.extras = [*getattr(report, "extras", []), block]


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: object) -> None:
    run = _the_run()
    if run is not None and run.config.simulated:
        report.title = f"SIMULATED staging edge (sandbox '{run.config.sandbox_scenario}'): cutover gates"  # type: ignore[attr-defined]
    else:
        sr = run.pytest_config.getoption("sr") if run is not None else None
        report.title = "cutover: certificate renewal gates" + (f" for SR {sr}" if sr else "")  # type: ignore[attr-defined]


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
    prefix.append(report_mod.matrix_html(run.config, run.records.values(), verdict, ready))
    ev = run.evidence
    if ev is not None:
        judge = ev.jvm.label if ev.jvm else f"APPROXIMATE verdicts: {ev.engine_note}"
        prefix.append(f"<p>Trust judged by: {html.escape(judge)}</p>")


_CONFIG: list[pytest.Config] = []


def _the_run() -> Run | None:
    return _CONFIG[-1].stash.get(RUN, None) if _CONFIG else None


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG.append(session.config)
    run = session.config.stash.get(RUN, None)
    if run is not None and _is_xdist_controller(session.config):
        import pickle
        import tempfile

        _gather(run)
        fd, name = tempfile.mkstemp(prefix="cutover-evidence-", suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(run.evidence, f)
        run.evidence_file = Path(name)
        session.config.add_cleanup(run.evidence_file.unlink)
    if run is not None:  # here, not in pytest_configure: pytest-metadata makes its table after ours runs
        for key, value in run.env.items():
            _set_metadata(session.config, key, value)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN, None)
    if run is None or run.json_path is None:
        return
    import json

    doc = report_mod.evidence_document(run.config, run.evidence, list(run.records.values()), run.env, run.started,
                                       dt.datetime.now(dt.UTC), interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    run.json_path.parent.mkdir(parents=True, exist_ok=True)
    run.json_path.write_text(json.dumps(doc, indent=2))


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
        tr.line("trust judged by " + (run.evidence.jvm.label if run.evidence.jvm
                                      else f"APPROXIMATE engine: {run.evidence.engine_note}"))
        tr.line(f"evidence gathered in {run.evidence.seconds:.1f}s for {len(run.evidence.pods)} pod(s)")
        import resource  # ru_maxrss is in KiB on Linux

        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        tr.line(f"peak memory: python {own:.0f} MB, largest child process (the JVM) {child:.0f} MB")
    verdict, ready = report_mod.verdict_sentence(run.records.values())
    tr.line(f"verdict: {verdict}", green=ready, red=not ready, bold=True)
    for label, path in (("report", config.getoption("htmlpath", None)),
                        ("junit xml", getattr(config.option, "xmlpath", None)), ("json evidence", run.json_path)):
        if path:
            tr.line(f"{label}: {Path(path).resolve()}")
