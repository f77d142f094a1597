"""All pytest glue of cutover: options, loading, parametrization, evidence fixtures, report hooks.

It lives in the root conftest because pytest-html's hooks only fire reliably there. The gates in
checks/ stay a few lines each: they call a decision from `cutover.gates` and hand it to `expect_pass`.
"""

from __future__ import annotations

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
from cutover import truststore as truststore_mod
from cutover.bundle import Bundle
from cutover.config import Config, ConfigError, Target, load
from cutover.evidence import Evidence, PodEvidence, gather
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
    sandbox: object | None = None
    evidence: Evidence | None = None
    outcomes: dict[str, str] = field(default_factory=dict)


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("cutover", "cutover: certificate renewal gates")
    g.addoption("--datacenters", metavar="PATH",
                help="datacenters.toml to read (default: the one at the repository root)")
    g.addoption("--truststore", metavar="PATH",
                help="the client's truststore; its password comes from the environment variable named in the toml")
    g.addoption("--nameserver", metavar="IP[:PORT]", action="append", default=[],
                help="DNS resolver to ask (repeatable; default: the system resolver)")
    g.addoption("--dc", metavar="CODE", action="append", default=[], help="only this data centre (repeatable)")
    g.addoption("--pod", metavar="NAME", action="append", default=[], help="only this pod (repeatable)")
    g.addoption("--java-home", metavar="PATH", help="the client's JDK (default: JAVA_HOME, then java on PATH)")
    g.addoption("--java-option", metavar="-Dname=value", action="append", default=[],
                help="a system property the client's JVM runs with, passed to the judging JVM (repeatable)")
    g.addoption("--at", metavar="DATE", help="judge every chain as the JVM would on this ISO date or date-time")
    g.addoption("--sandbox", metavar="SCENARIO", nargs="?", const="good",
                help="start the built-in simulated staging edge (scenario, default 'good') and run against it")
    g.addoption("--sandbox-pods", metavar="N", type=int, default=2, help="pods per data centre in the sandbox")


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


def pytest_configure(config: pytest.Config) -> None:
    if not _runs_gates(config):
        return
    sandbox = None
    datacenters = config.getoption("datacenters")
    scenario = config.getoption("sandbox")
    if scenario:
        from cutover.sandbox import PASSWORD_ENV, Sandbox, SandboxError

        try:
            sandbox = Sandbox(scenario, pods_per_dc=config.getoption("sandbox_pods")).start()
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
        )
        _password(config, cfg)
        store = truststore_mod.read(cfg.truststore.path, cfg.truststore.password())
        bundles = {dc.code: bundle_mod.read(dc.bundle) for dc in cfg.datacenters if dc.bundle is not None}
    except (ConfigError, truststore_mod.TruststoreError, bundle_mod.BundleError) as e:
        raise pytest.UsageError(str(e)) from None
    config.stash[RUN] = Run(cfg, store, bundles, config, sandbox)
    _metadata(config, cfg, store)


def _set_metadata(config: pytest.Config, key: str, value: str) -> None:
    """A row of the report's Environment table (pytest-metadata, which pytest-html renders)."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    config.stash[metadata_key][key] = value


def _metadata(config: pytest.Config, cfg: Config, store: StoreContents) -> None:
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    meta = config.stash[metadata_key]
    if cfg.simulated:
        meta["SIMULATED"] = (f"sandbox scenario '{cfg.sandbox_scenario}': {cfg.sandbox_description}. "
                             "Nothing here is evidence about the real provider.")
    meta["Datacenters file"] = str(cfg.path)
    meta["Truststore"] = f"{store.path} ({store.store_type})"
    meta["Nameservers"] = ", ".join(f"{h}:{p}" for h, p in cfg.nameservers) or "system resolver"


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


@pytest.fixture(scope="session")
def evidence(cutover_run: Run) -> Evidence:
    """Every network observation of the run, gathered once, concurrently, on first use."""
    if cutover_run.evidence is None:
        cfg = cutover_run.config
        cutover_run.evidence = ev = gather(cfg, cfg.targets, cutover_run.python_store, cutover_run.bundles)
        _set_metadata(cutover_run.pytest_config, "JDK that judged",
                      f"{ev.jvm.label}; java {ev.jvm.java}" if ev.jvm else f"none: {ev.engine_note}")
        if cfg.java_options:
            _set_metadata(cutover_run.pytest_config, "JVM options", " ".join(cfg.java_options))
        if cfg.at:
            _set_metadata(cutover_run.pytest_config, "Judged at", f"{cfg.at:%Y-%m-%d %H:%M:%S}Z (--at)")
    return cutover_run.evidence


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
            warnings.warn_explicit(CutoverWarning(w), CutoverWarning, filename=where, lineno=0)
        if not verdict.ok:
            fix = ("\nTo fix it:\n  " + "\n  ".join(verdict.remedy)) if verdict.remedy else ""
            pytest.fail(verdict.message + fix, pytrace=False)

    return check


# -- reporting ------------------------------------------------------------------------------------------

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when != "call" and report.passed:
        return report
    run = item.config.stash.get(RUN, None)
    if run is not None and any(item.get_closest_marker(g) for g in gates.GATES):
        # An error in setup or teardown counts as a failure: never a green for a gate that did not run.
        worst = {"passed": 0, "skipped": 1, "failed": 2}
        old = run.outcomes.get(item.nodeid, "passed")
        run.outcomes[item.nodeid] = max(old, report.outcome, key=worst.__getitem__)
    verdict = item.stash.get(VERDICT, None)
    try:
        from pytest_html import extras
    except ImportError:
        return report
    blocks = []
    if verdict is not None:
        blocks.append(f"<p><b>{'PASS' if verdict.ok else 'FAIL'}</b>: {html.escape(verdict.message)}</p>")
        blocks += [f"<p>warning: {html.escape(w)}</p>" for w in verdict.warnings]
        if verdict.remedy:
            blocks.append("<p>fix:</p><pre>" + html.escape("\n".join(verdict.remedy)) + "</pre>")
    target = item.funcargs.get("target") if hasattr(item, "funcargs") else None
    if run is not None and run.evidence is not None and isinstance(target, Target):
        blocks.append(_pod_html(run.evidence.pods[target.id], run.evidence))
    if blocks:
        block = extras.html("<div class='cutover'>" + "".join(blocks) + "</div>")
        report.extras = [*getattr(report, "extras", []), block]
    return report


def _pod_html(pod: PodEvidence, ev: Evidence) -> str:
    e = html.escape
    st = pod.staging
    rows = [
        ("CNAME chain", " &rarr; ".join(e(n) for n in st.cname_chain) or "-"),
        ("staging name", e(st.staging_name or "-")),
        ("staging IPs", e(", ".join(st.staging_ips) or "-")),
        ("production IPs", e(", ".join(st.production_ips) or "-")),
        ("judge", e(ev.jvm.label if ev.jvm else (ev.engine_note or "-"))),
    ]
    rows += [(f"verdict at {e(v.ip)}", e(("trusted: " if v.ok else "rejected: ") + v.reason)) for v in pod.verdicts]
    rows += [(f"hosts-file line ({e(ip)})", f"<code>{e(ip)} {e(pod.target.hostname)}</code>") for ip in st.staging_ips]
    out = "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"
    for f in pod.staging_chains:
        error = f": {e(f.error)}" if f.error else ""
        out += f"<p>chain presented at staging {e(f.ip)} (SNI {e(f.sni)}){error}</p>"
        if f.chain:
            out += ("<table><tr><th>subject</th><th>issuer</th><th>serial</th><th>SHA-256</th><th>not before</th>"
                    "<th>not after</th><th>SANs</th></tr>")
            out += "".join(
                f"<tr><td>{e(c.subject)}</td><td>{e(c.issuer)}</td><td>{e(c.serial)}</td><td>{e(c.sha256)}</td>"
                f"<td>{c.not_before:%Y-%m-%d %H:%M}Z</td><td>{c.not_after:%Y-%m-%d %H:%M}Z</td>"
                f"<td>{e(', '.join(c.sans))}</td></tr>" for c in f.chain) + "</table>"
    return out


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: object) -> None:
    run = _the_run()
    if run is not None and run.config.simulated:
        report.title = f"SIMULATED staging edge (sandbox '{run.config.sandbox_scenario}'): cutover gates"  # type: ignore[attr-defined]
    else:
        report.title = "cutover: certificate renewal gates"  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str]) -> None:
    run = _the_run()
    if run is None:
        return
    if run.config.simulated:
        prefix.append(
            "<p style='background:#b00020;color:#fff;padding:8px;font-weight:bold'>SIMULATED: produced against the "
            f"built-in sandbox (scenario {html.escape(str(run.config.sandbox_scenario))}), not the provider's staging "
            "network. This report is not evidence of readiness.</p>"
        )
    ev = run.evidence
    if ev is not None:
        judge = ev.jvm.label if ev.jvm else f"APPROXIMATE verdicts: {ev.engine_note}"
        prefix.append(f"<p>Trust judged by: {html.escape(judge)}</p>")


_CONFIG: list[pytest.Config] = []


def _the_run() -> Run | None:
    return _CONFIG[-1].stash.get(RUN, None) if _CONFIG else None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG.append(session.config)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None or not run.outcomes:
        return
    tr = terminalreporter
    failed = sum(1 for o in run.outcomes.values() if o == "failed")
    skipped = sum(1 for o in run.outcomes.values() if o == "skipped")
    tr.section("cutover")
    if run.config.simulated:
        tr.line(f"SIMULATED run against the sandbox (scenario '{run.config.sandbox_scenario}'): not evidence.",
                yellow=True, bold=True)
    if run.evidence is not None:
        tr.line("trust judged by " + (run.evidence.jvm.label if run.evidence.jvm
                                      else f"APPROXIMATE engine: {run.evidence.engine_note}"))
        tr.line(f"evidence gathered in {run.evidence.seconds:.1f}s for {len(run.evidence.pods)} pod(s)")
    if failed:
        verdict = f"NOT ready for cutover: {failed} of {len(run.outcomes)} gate test(s) failed"
    elif skipped:
        verdict = f"not proven: no gate failed, but {skipped} gate test(s) were skipped (see the reasons above)"
    else:
        verdict = f"ready for cutover: all {len(run.outcomes)} gate tests passed"
    tr.line(f"verdict: {verdict}", green=failed == 0, red=failed > 0, bold=True)
    html_path = config.getoption("htmlpath", None)
    if html_path:
        tr.line(f"report: {Path(html_path).resolve()}")
