"""cutover's pytest plugin (entry point ``pytest11``): the options, the gates' markers, and the glue modules.

Everything a gate run needs is registered here and in the modules it loads (cutover.plugin.run, which
registers the run object of each gate run, and cutover.plugin.fixtures), not in an ini file or the root
conftest. pytest settles its rootdir and ini file
from the command line before any plugin is loaded, and takes an option value written as a separate word
(``--datacenters /etc/cutover/dc.toml``) for a test path: it may then settle next to that file and find
no pyproject.toml. A plugin is in force wherever pytest settles, so both ``--opt value`` and
``--opt=value`` work from any folder (see `cutover.plugin.collect.runs_gates` for how the test paths are
then chosen).
"""

from __future__ import annotations

import pytest

from cutover.gates.registry import GATES

# The rest of the glue: loaded with this module wherever pytest looks for its configuration.
pytest_plugins = ["cutover.plugin.run", "cutover.plugin.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("cutover", "cutover: certificate renewal gates")
    g.addoption("--datacenters", metavar="PATH",
                help="datacenters.toml to read (default: ./datacenters.toml of the current folder, then the clone's)")
    g.addoption("--truststore", metavar="PATH",
                help="the client's truststore; its password comes from the environment variable named in the toml")
    g.addoption("--nameserver", metavar="IP[:PORT]", action="append", default=[],
                help="DNS resolver to ask (repeatable; default: the system resolver)")
    g.addoption("--dc", metavar="CODE", action="append", default=[],
                help="only this data centre: its pods and store gates (repeatable); with --sandbox, the sandbox "
                     "serves only these")
    g.addoption("--pod", metavar="[CLIENT:][DC/]NAME", action="append", default=[],
                help="only this pod's gates, no store gate: abcd (in every data centre), us2/abcd, or soa:us2/abcd "
                     "for one client's (repeatable; as the test ids print it)")
    g.addoption("--client", metavar="NAME", action="append", default=[],
                help="only this client of [clients] in datacenters.toml (repeatable)")
    g.addoption("--java-home", metavar="PATH", help="the client's JDK (default: JAVA_HOME, then java on PATH)")
    g.addoption("--java-option", metavar="-Dname=value", action="append", default=[],
                help="a system property the client's JVM runs with, passed to the judging JVM (repeatable)")
    g.addoption("--at", metavar="DATE", help="judge every chain as the JVM would on this ISO date or date-time")
    g.addoption("--timeout", metavar="SECONDS", type=float,
                help="seconds every network step may take (DNS, connect, TLS handshake, the JVM's probes)")
    for step in ("dns", "connect", "handshake"):
        g.addoption(f"--{step}-timeout", metavar="SECONDS", type=float, help=f"seconds the {step} step may take")
    g.addoption("--proxy", metavar="http://[user@]host:port",
                help="reach staging and production through this HTTP CONNECT proxy (the password comes from the "
                     "environment variable named by [run] proxy_password_env, never from here)")
    g.addoption("--no-proxy", action="store_true",
                help="connect directly: ignore [run] proxy and HTTPS_PROXY/https_proxy")
    g.addoption("--concurrency", metavar="N", type=int,
                help="network look-ups, handshakes and probes at a time (default 64)")
    g.addoption("--sandbox-latency-ms", metavar="MS", type=int, default=0,
                help="delay the sandbox adds to every DNS answer and TLS accept")
    g.addoption("--sandbox", metavar="SCENARIO", nargs="?", const="good",
                help="start the built-in simulated staging edge (scenario, default 'good') and run against it")
    g.addoption("--sandbox-pods", metavar="N", type=int, default=2, help="pods per data centre in the sandbox")
    g.addoption("--sr", metavar="NUMBER",
                help="the provider's service request for the whole run (wins over sr in datacenters.toml)")
    g.addoption("--report-per-sr", action="store_true",
                help="also write <report>-SR-<number>.html/.json/.xml per service request, each with only its pods")
    g.addoption("--reports-dir", metavar="DIR",
                help="where the default report, JUnit XML and JSON go "
                     "(default: ./reports/ of the folder pytest runs in)")
    g.addoption("--store-diff", metavar="JSON", help="(set by python -m cutover prepare) the entries it changed in "
                "the copy of the store, shown in the report's summary and JSON")
    g.addoption("--prepare-run", action="store_true", help="(set by python -m cutover prepare) this run proves a copy "
                "of the store: kept in the history, never the next run's baseline")
    g.addoption("--no-reports", action="store_true",
                help="write no report, JUnit XML or JSON evidence unless asked for with --html/--junit-xml")
    g.addoption("--history-dir", metavar="DIR",
                help="where earlier runs' JSON evidence is looked for, to say what changed since the last run "
                     "(default: the reports folder); a folder of its own (a CI job's memory) also gets a copy of "
                     "this run's JSON, and keeps the last --history-keep runs of its series")
    g.addoption("--history-keep", metavar="N", type=int, default=60,
                help="runs of this series a --history-dir of its own keeps, the newest by their start (default 60)")
    g.addoption("--no-history", action="store_true", help="do not compare with earlier runs")


#: The gates' markers are registered by the plugin itself, from the gate table: a run whose rootdir pytest
#: settled elsewhere (and so found no pyproject.toml) still knows them, under --strict-markers too.


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for gate in GATES:
        config.addinivalue_line("markers", f"{gate.name}: {gate.marker}")


_GATE_OPTIONS = ("--datacenters", "--truststore", "--sandbox", "--java-home", "--reports-dir", "--history-dir")


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """A gate run for which pytest found no ini file writes no ``.pytest_cache``.

    pytest then roots itself next to an option's value (the folder of ``--datacenters /secrets/dc.toml``),
    and its cache would be written there, into the user's folder of stores and secrets. A gate run needs
    no cache (no --lf across runs of evidence); the suite's own runs, which find pyproject.toml, keep it.
    """
    if early_config.inipath is None and any(a.split("=")[0] in _GATE_OPTIONS for a in args):
        for name in ("cacheprovider", "stepwise"):  # stepwise (--sw) cannot work without the cache
            early_config.pluginmanager.set_blocked(name)
