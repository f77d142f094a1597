"""A gate run's configure step: its datacenters file, stores, bundles and output paths.

Everything here happens before pytest-html and junitxml read their paths (`GateRun.configure` runs
tryfirst), and every mistake a user can make ends in a `pytest.UsageError` that says what to do, before
any test: a wrong path or password, a malformed datacenters file, --report-per-sr with nowhere to write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import warnings
from pathlib import Path

import pytest
from _pytest.config import apply_warning_filters  # the filters -W and filterwarnings set: no public name

from cutover.base import paths
from cutover.config import DEFAULT_CLIENT, KNOWN_DATACENTERS, Client, Config, ConfigError, Overrides, load
from cutover.gates import storeplan
from cutover.judge.locate import StoreSpec, store_of
from cutover.outputs import certfiles, environment
from cutover.plugin.keys import CutoverWarning
from cutover.plugin.state import Setup
from cutover.stores import bundle as bundle_mod
from cutover.stores import password as store_password
from cutover.stores import truststore as truststore_mod
from cutover.stores.truststore import StoreContents


def setup(config: pytest.Config) -> Setup:
    """Start the sandbox if asked, load the configuration, read every store and bundle, choose the outputs."""
    datacenters = config.getoption("datacenters")
    scenario = config.getoption("sandbox")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "cutover_datacenters" in workerinput:
        # An xdist worker: the controller already started the sandbox and gathered the evidence.
        datacenters, scenario = workerinput["cutover_datacenters"], None
    json_path: Path | None = None
    if scenario:  # the outputs first: the sandbox's store goes beside them, to outlive the sandbox's folder
        json_path = _default_outputs(config, simulated=True) if workerinput is None else None
        datacenters = _start_sandbox(config, scenario, json_path)
    try:
        cfg = _load(config, Path(datacenters) if datacenters
                    else paths.datacenters_file(config.invocation_params.dir))
        stores = _read_stores(config, cfg)
        bundles = {dc.code: bundle_mod.read(dc.bundle) for dc in cfg.datacenters if dc.bundle is not None}
        storeplan.check_aliases(cfg, bundles)
    except (ConfigError, truststore_mod.TruststoreError, bundle_mod.BundleError, storeplan.AliasConflict) as e:
        raise pytest.UsageError(str(e)) from None
    if workerinput is None:  # the controller shows them once, not every xdist worker
        for notice in cfg.warnings:
            warn_at(config, notice.text, notice.path, notice.line)
        if not scenario:
            json_path = _default_outputs(config, simulated=cfg.simulated)
    if config.getoption("report_per_sr") and workerinput is None and json_path is None:
        raise pytest.UsageError("--report-per-sr writes files beside the full report, and this run writes none: "
                                "drop --no-reports, or give --html=PATH.")
    started = dt.datetime.now(dt.UTC)
    env = environment.environment(cfg, stores, config.getoption("sr"), started)
    if workerinput is not None:
        cert_files = dict(workerinput.get("cutover_cert_files", {}))
    elif json_path is not None:
        cert_files = certfiles.paths([d.code for d in cfg.datacenters], bundles, certfiles.folder(json_path),
                                     config.invocation_params.dir)
    else:
        cert_files = {}
    return Setup(cfg, stores, bundles, started, env, json_path, cert_files)


def warn_at(config: pytest.Config, text: str, path: Path, line: int) -> None:
    """A `CutoverWarning` located at the user's file and line, as pytest's configure-time warnings are issued.

    ``config.issue_config_time_warning`` would place it where it is raised (our configure step, with pytest's
    machinery in the source line shown); ``warnings.warn_explicit`` names the datacenters file and the entry's
    line, so the warnings summary shows the user's own line. The ``-W`` and ``filterwarnings`` filters apply
    as to any warning: ``-W error::cutover.plugin.keys.CutoverWarning`` makes it end the run, with the sentence.
    """
    if config.pluginmanager.is_blocked("warnings"):
        return
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always", CutoverWarning)
        # pytest's own helper (what issue_config_time_warning uses): -W first, then the ini's filterwarnings.
        apply_warning_filters(config.getini("filterwarnings"), config.known_args_namespace.pythonwarnings or [])
        try:
            warnings.warn_explicit(CutoverWarning(text), CutoverWarning, str(path), line, module="datacenters")
        except CutoverWarning:
            raise pytest.UsageError(f"{path}:{line}: {text} (a CutoverWarning, made an error by -W or "
                                    "filterwarnings)") from None
    if records:
        config.hook.pytest_warning_recorded.call_historic(kwargs={
            "warning_message": records[0], "when": "config", "nodeid": "", "location": (str(path), line, "")})


def _start_sandbox(config: pytest.Config, scenario: str, json_path: Path | None) -> str:
    """The simulated edge, stopped when pytest cleans up; returns its datacenters file.

    Its truststore is written beside the run's report (``<report>-truststore.jks``) rather than in the
    sandbox's temporary folder, so the fix plan's commands name a store that is still there after the run;
    its password is ``CUTOVER_SANDBOX_PASSWORD`` when set, so a person trying those commands knows what to type.
    """
    from cutover.sandbox import PASSWORD_ENV, Sandbox, SandboxError  # its servers and PKI: only a --sandbox run

    store = json_path.with_name(f"{json_path.stem}-truststore.jks") if json_path is not None else None
    try:
        sandbox = Sandbox(scenario, pods_per_dc=config.getoption("sandbox_pods"),
                          datacenters=_sandbox_datacenters(config), latency_ms=config.getoption("sandbox_latency_ms"),
                          password=os.environ.get(PASSWORD_ENV) or None, truststore=store).start()
    except SandboxError as e:
        raise pytest.UsageError(f"--sandbox: {e}") from None
    os.environ[PASSWORD_ENV] = sandbox.password
    config.add_cleanup(sandbox.stop)
    return str(sandbox.config_path)


def _sandbox_datacenters(config: pytest.Config) -> tuple[str, ...]:
    """The data centres the sandbox serves: those --dc selects, else all fourteen. A fault on one pod needs no
    fourteen-data-centre edge (its fault goes to us2 when selected, else to the first chosen); a code that is
    not one of the fourteen is left to the datacenters file's reader, which names it."""
    chosen = {code.lower() for code in config.getoption("dc")}
    return tuple(code for code in KNOWN_DATACENTERS if code in chosen) or tuple(KNOWN_DATACENTERS)


def _load(config: pytest.Config, path: Path) -> Config:
    return load(path, overrides(config))


def overrides(config: pytest.Config) -> Overrides:
    """The command line's say over datacenters.toml, as the one record `cutover.config.load` applies."""
    opt = config.getoption
    return Overrides(
        truststore=Path(opt("truststore")) if opt("truststore") else None,
        nameservers=tuple(opt("nameserver")),
        java_home=Path(opt("java_home")) if opt("java_home") else None,
        only_dcs=tuple(opt("dc")),
        only_pods=tuple(opt("pod")),
        java_options=tuple(opt("java_option")),
        at=opt("at"),
        timeouts={k: opt(k) for k in ("timeout", "dns_timeout", "connect_timeout", "handshake_timeout")},
        concurrency=opt("concurrency"),
        only_clients=tuple(opt("client")),
        proxy=opt("proxy"),
        no_proxy=bool(opt("no_proxy")),
        sr=opt("sr"),
    )


def _stdin_is_terminal(config: pytest.Config) -> bool:
    """Whether pytest was started with a terminal on stdin. By configure time pytest's capture has pointed fd 0
    at /dev/null and kept the original in its (undocumented) saved descriptor: look there first."""
    capman = config.pluginmanager.getplugin("capturemanager")
    saved = getattr(getattr(getattr(capman, "_global_capturing", None), "in_", None), "targetfd_save", None)
    for fd in ((saved,) if isinstance(saved, int) else ()) + (0,):
        try:
            if os.isatty(fd):
                return True
        except OSError:
            continue
    return False


def _password_field(client: Client) -> str:
    """Where datacenters.toml names the client's password variable: what a message tells a person to check."""
    return "[truststore] password_env" if client.name == DEFAULT_CLIENT else f"[clients.{client.name}] password_env"


def _password(config: pytest.Config, client: Client, spec: StoreSpec) -> None:
    """Make sure the password variable is set, asking on the terminal when it is not and one is there."""
    env = spec.password_env
    if spec.cacerts or not env or env in os.environ:
        return
    named = "" if client.name == DEFAULT_CLIENT else f"client {client.name!r}: "
    where = _password_field(client)
    files = " and ".join(map(str, spec.files))  # a union's files share the one password (docs/trust.md)
    if _stdin_is_terminal(config):
        capman = config.pluginmanager.getplugin("capturemanager")
        with capman.global_and_fixture_disabled() if capman is not None else contextlib.nullcontext():
            try:
                typed = store_password.ask(f"{named}Password of truststore {files} ({env} is not set): ")
            except store_password.NotTyped as e:
                raise pytest.UsageError(f"{named}{e}: the gates need the password of {files}. Run again and "
                                        f"type it, or export {env} with it first.") from None
        os.environ[env] = typed or ""  # Enter alone: a store without a password
        return
    raise pytest.UsageError(
        f"{named}the truststore password is not set: export {env} with the password of {files}. "
        f"It is read from the environment only, never from the command line (the variable's name is "
        f"{where} in datacenters.toml)."
    )


def _read_stores(config: pytest.Config, cfg: Config) -> dict[str, StoreContents]:
    """Every client's store as Python reads it, each distinct store once (every file of a client that trusts
    several together, merged into one union): a wrong path or password ends the run before any test, with the
    client and the file named."""
    out: dict[str, StoreContents] = {}
    read: dict[StoreSpec, StoreContents] = {}
    for client in cfg.clients:
        spec = store_of(client)
        _password(config, client, spec)
        if spec not in read:
            try:
                read[spec] = truststore_mod.read_files(spec.files, spec.password(), password_env=spec.password_env,
                                                       env_from=_password_field(client), jsse=spec.jsse)
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
    folder = Path(config.getoption("reports_dir") or paths.reports_dir(config.invocation_params.dir))
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
