"""The pytest glue of a gate run: loading the configuration, parametrization, evidence fixtures, xdist.

It is a plugin module (registered by cutover.plugin, which the ``pytest11`` entry point loads), not the
root conftest, so that it is in force wherever pytest settles its rootdir: a run started from another
folder, or with an option value pytest mistook for a test path, has exactly the same glue. The gates in
checks/ stay a few lines each: they call a decision from `cutover.gates` and hand it to `expect_pass`.
Reporting lives in cutover.pytest_report.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import getpass
import html
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cutover import paths
from cutover.config import DEFAULT_CLIENT, Client, Config, ConfigError, DataCenter, Target, load
from cutover.evidence import ClientEvidence, Evidence, PodEvidence, gather
from cutover.gates import lifecycle
from cutover.gates.verdict import Verdict
from cutover.judge.locate import StoreSpec, store_of
from cutover.outputs import history as history_mod
from cutover.outputs import report as report_mod
from cutover.plugin import files as pytest_outputs
from cutover.stores import bundle as bundle_mod
from cutover.stores import truststore as truststore_mod
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents
from cutover.text import printable

VERDICT = pytest.StashKey[Verdict]()
RUN = pytest.StashKey["Run"]()

# At exit Python's last garbage collection walks every object the run made, though nothing is left to
# collect then. Freezing them first saves CPU per run of the gates (`make bench`, 56 pods, alternated
# runs): 2.02 -> 2.00 s on a quiet machine, 2.41 -> 2.23 s on a busy one, where that walk is slow.
# Registered once, at import, so in-process runs (pytester, the soak) freeze nothing before the end.
atexit.register(gc.freeze)


class CutoverWarning(UserWarning):
    """Something a person should look at that does not fail a gate."""


@dataclass
class Run:
    """What one pytest session of the gates works with; the evidence is gathered on first use."""

    config: Config
    python_stores: dict[str, StoreContents]
    bundles: dict[str, Bundle]
    pytest_config: pytest.Config
    evidence: Evidence | None = None
    records: dict[str, report_mod.Record] = field(default_factory=dict)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    json_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    evidence_file: Path | None = None
    staged: dict[str, tuple[Path, Path]] = field(default_factory=dict)  # report option -> (temporary, final)
    per_sr_reports: list[tuple[str, Path]] = field(default_factory=list)
    history: history_mod.Lookup | None = None  # None: history is off (--no-history, or a fresh sandbox)
    phases: dict[str, lifecycle.Phase] = field(default_factory=dict)  # per target id, decided once gathered

    @property
    def python_store(self) -> StoreContents:
        """The first client's store as Python read it: the one store of a file with no [clients]."""
        return self.python_stores[self.config.clients[0].name]


def _runs_gates(config: pytest.Config) -> bool:
    """Load datacenters.toml only when checks/ is part of the run, so `pytest tests` needs none.

    A run that names no test path but gives a cutover option (``pytest --datacenters /x/dc.toml``, from
    any folder) is a gate run too: then the test paths become checks/ itself, since pytest may have
    settled its rootdir next to that file and would otherwise collect whatever lies in the current folder.
    """
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    wants_gates = bool(config.getoption("sandbox") or config.getoption("datacenters")
                       or config.getoption("truststore"))
    if not explicit and wants_gates:
        config.args[:] = [str(paths.CHECKS)]
        return True
    if config.getoption("sandbox"):
        return True
    base = config.invocation_params.dir
    for arg in config.args:
        p = (base / arg.split("::")[0]).resolve()
        if p == paths.CHECKS or paths.CHECKS in p.parents or p in paths.CHECKS.parents:
            if not explicit:
                config.args[:] = [str(paths.CHECKS)]
            return True
    return False


def _password(config: pytest.Config, client: Client, spec: StoreSpec) -> None:
    """Make sure the password variable is set, asking on the terminal when it is not and one is there."""
    env = spec.password_env
    if spec.cacerts or not env or env in os.environ:
        return
    named = "" if client.name == DEFAULT_CLIENT else f"client {client.name!r}: "
    if sys.__stdin__ is not None and sys.__stdin__.isatty():
        capman = config.pluginmanager.getplugin("capturemanager")
        with capman.global_and_fixture_disabled():
            os.environ[env] = getpass.getpass(f"{named}Password of truststore {spec.path} ({env} is not set): ")
        return
    where = "[truststore] password_env" if client.name == DEFAULT_CLIENT else f"[clients.{client.name}] password_env"
    raise pytest.UsageError(
        f"{named}the truststore password is not set: export {env} with the password of {spec.path}. "
        f"It is read from the environment only, never from the command line (the variable's name is "
        f"{where} in datacenters.toml)."
    )


def _read_stores(config: pytest.Config, cfg: Config) -> dict[str, StoreContents]:
    """Every client's store as Python reads it, each distinct store once: a wrong path or password ends
    the run before any test, with the client named."""
    out: dict[str, StoreContents] = {}
    read: dict[StoreSpec, StoreContents] = {}
    for client in cfg.clients:
        spec = store_of(client)
        _password(config, client, spec)
        if spec not in read:
            try:
                read[spec] = truststore_mod.read(spec.path, spec.password())
            except truststore_mod.TruststoreError as e:
                if client.name == DEFAULT_CLIENT:
                    raise
                raise truststore_mod.TruststoreError(f"client {client.name!r}: {e}") from None
        out[client.name] = read[spec]
    return out


def _default_outputs(config: pytest.Config, simulated: bool) -> Path | None:
    """Every run leaves evidence: an HTML report, JUnit XML and JSON, unless told not to. Returns the JSON path."""
    html_path = config.getoption("htmlpath", None)
    if config.getoption("no_reports"):
        return Path(html_path).with_suffix(".json") if html_path else None
    folder = Path(config.getoption("reports_dir") or paths.home() / "reports")
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
            Path(datacenters) if datacenters else paths.home() / "datacenters.toml",
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
            only_clients=config.getoption("client"),
            proxy=config.getoption("proxy"),
            no_proxy=config.getoption("no_proxy"),
            sr=config.getoption("sr"),
        )
        stores = _read_stores(config, cfg)
        bundles = {dc.code: bundle_mod.read(dc.bundle) for dc in cfg.datacenters if dc.bundle is not None}
    except (ConfigError, truststore_mod.TruststoreError, bundle_mod.BundleError) as e:
        raise pytest.UsageError(str(e)) from None
    json_path = _default_outputs(config, simulated=cfg.simulated) if workerinput is None else None
    if config.getoption("report_per_sr") and workerinput is None and json_path is None:
        raise pytest.UsageError("--report-per-sr writes files beside the full report, and this run writes none: "
                                "drop --no-reports, or give --html=PATH.")
    run = config.stash[RUN] = Run(cfg, stores, bundles, config, json_path=json_path)
    run.staged = pytest_outputs.stage(config) if workerinput is None else {}
    run.env = report_mod.environment(cfg, stores, config.getoption("sr"), run.started)


def _set_metadata(config: pytest.Config, key: str, value: str) -> None:
    """A row of the report's Environment table (pytest-metadata, which pytest-html renders)."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    config.stash[metadata_key][key] = html.escape(value)  # pytest-html renders these values as HTML


# -- parametrization and fixtures ---------------------------------------------------------------------

def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Pod gates per pod, data centre gates per data centre; a gate that asks for the client (through
    `client_evidence`) once per client too, over the data centres that client talks to. Ids are
    ``dc/pod`` and ``dc``, prefixed ``client:`` when the run has several clients."""
    run = metafunc.config.stash.get(RUN, None)
    if run is None:
        return
    cfg = run.config
    names = metafunc.fixturenames
    for kind, items in (("target", lambda dcs: [t for dc in dcs for t in dc.targets]),
                        ("datacenter", lambda dcs: list(dcs))):
        if kind not in names:
            continue
        if "client" in names:
            pairs = [(c, x) for c in cfg.clients for x in items(cfg.client_datacenters(c))]
            metafunc.parametrize("client," + kind, pairs, ids=[_id(cfg, c, x) for c, x in pairs], scope="function")
        else:
            values = items(cfg.datacenters)
            metafunc.parametrize(kind, values, ids=[_id(cfg, None, x) for x in values], scope="function")


def _id(cfg: Config, client: Client | None, item: Target | DataCenter) -> str:
    own = item.id if isinstance(item, Target) else item.code
    return f"{client.name}:{own}" if client is not None and cfg.several_clients else own


@pytest.fixture(scope="session")
def cutover_run(pytestconfig: pytest.Config) -> Run:
    run = pytestconfig.stash.get(RUN, None)
    if run is None:
        pytest.fail("the cutover gates were not configured: run them from checks/ or with --sandbox", pytrace=False)
    return run


def _history(run: Run) -> history_mod.Lookup | None:
    """The last earlier run of the same datacenters file, unless history is off.

    A run started with --sandbox is skipped: its datacenters file is new every time, so no earlier run
    can be of it (a sandbox served from a fixed folder, run with --datacenters, does have history).
    """
    opt = run.pytest_config.getoption
    if opt("no_history") or opt("sandbox"):
        return None
    # Where this run's own evidence goes (beside --html when given) is where the earlier runs' went.
    folder = Path(opt("history_dir") or (run.json_path.parent if run.json_path is not None else None)
                  or opt("reports_dir") or paths.home() / "reports")
    exclude = [run.json_path] if run.json_path is not None else []
    return history_mod.find_previous(folder, run.config.path, run.started, exclude)


def _gather(run: Run) -> Evidence:
    cfg = run.config
    ev = gather(cfg, cfg.targets, run.python_stores, run.bundles)
    run.history = _history(run)
    previous = run.history.snapshot.previous() if run.history and run.history.snapshot else None
    run.evidence = ev
    run.phases = lifecycle.phases(ev, previous)
    env = run.env
    added = report_mod.judges_environment(cfg, ev)
    if cfg.at:
        added["Judged at"] = f"{cfg.at:%Y-%m-%d %H:%M:%S}Z (--at)"
    env.update(added)
    for key, value in added.items():
        _set_metadata(run.pytest_config, key, value)
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

            cutover_run.evidence, cutover_run.phases = pickle.loads(Path(workerinput["cutover_evidence"]).read_bytes())
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
def phase(target: Target, evidence: Evidence, cutover_run: Run) -> lifecycle.Phase | None:
    """Where the pod stands in its renewal, decided on the gathered evidence and the previous run."""
    return cutover_run.phases.get(target.id)


@pytest.fixture
def client_evidence(client: Client, evidence: Evidence) -> ClientEvidence:
    """What `client` decided: its store as its JVM read it and its verdicts (`client` is parametrized)."""
    return evidence.clients[client.name]


@pytest.fixture
def expect_pass(request: pytest.FixtureRequest) -> Callable[[Verdict], None]:
    """Record a gate's verdict for the report and fail the test, with its message and fix, when it is not ok."""

    def check(verdict: Verdict) -> None:
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


_CONFIG: list[pytest.Config] = []


def _the_run() -> Run | None:
    return _CONFIG[-1].stash.get(RUN, None) if _CONFIG else None


def pytest_unconfigure(config: pytest.Config) -> None:
    """Let go of a finished session: a process that runs the gates again (a scheduler calling pytest.main)
    must not keep every earlier run's config and evidence (make soak measured 3,100 objects a run)."""
    if config in _CONFIG:
        _CONFIG.remove(config)


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
            pickle.dump((run.evidence, run.phases), f)
        run.evidence_file = Path(name)
        session.config.add_cleanup(run.evidence_file.unlink)
    if run is not None:  # here, not in pytest_configure: pytest-metadata makes its table after ours runs
        for key, value in run.env.items():
            _set_metadata(session.config, key, value)
