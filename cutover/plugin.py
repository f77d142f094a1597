"""cutover's command-line options, registered as a pytest plugin (entry point ``pytest11``).

They live here and not in the root conftest because pytest reads a conftest's options only after its
first pass over the command line: there, ``--reports-dir reports`` (an existing folder, given as two
words) would be taken for a test path and pytest would look for its configuration in the wrong place.
A plugin's options are known from the start, in plain runs and in every pytest-xdist worker.
Everything else of the pytest glue stays in the root conftest.py.
"""

from __future__ import annotations

import pytest


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
    g.addoption("--timeout", metavar="SECONDS", type=float,
                help="seconds every network step may take (DNS, connect, TLS handshake, the JVM's probes)")
    for step in ("dns", "connect", "handshake"):
        g.addoption(f"--{step}-timeout", metavar="SECONDS", type=float, help=f"seconds the {step} step may take")
    g.addoption("--concurrency", metavar="N", type=int,
                help="network look-ups, handshakes and probes at a time (default 32)")
    g.addoption("--sandbox-latency-ms", metavar="MS", type=int, default=0,
                help="delay the sandbox adds to every DNS answer and TLS accept")
    g.addoption("--sandbox", metavar="SCENARIO", nargs="?", const="good",
                help="start the built-in simulated staging edge (scenario, default 'good') and run against it")
    g.addoption("--sandbox-pods", metavar="N", type=int, default=2, help="pods per data centre in the sandbox")
    g.addoption("--sr", metavar="NUMBER",
                help="the provider's service request this evidence is for (shown in the report)")
    g.addoption("--reports-dir", metavar="DIR",
                help="where the default report, JUnit XML and JSON go (default: reports/)")
    g.addoption("--no-reports", action="store_true",
                help="write no report, JUnit XML or JSON evidence unless asked for with --html/--junit-xml")


_PATH_OPTIONS = ("--datacenters", "--truststore", "--java-home", "--reports-dir", "--html", "--junit-xml")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Refuse a run in which pytest lost cutover's configuration to an option value it took for a path.

    pytest finds its rootdir and configuration file from the command line's paths before any plugin
    is loaded; an option value written as a separate word (``--reports-dir /tmp/out``) looks like one.
    When that value lies outside the repository, pytest settles on the wrong folder, finds no
    pyproject.toml, and would collect everything under the current folder, the suite's own tests
    included. Say so and how to write it instead, rather than run the wrong tests.
    """
    if config.inipath is not None:
        return
    args = list(config.invocation_params.args)
    for i, arg in enumerate(args[:-1]):
        if arg in _PATH_OPTIONS and (config.invocation_params.dir / args[i + 1]).exists():
            raise pytest.UsageError(
                f"pytest took {args[i + 1]!r}, the value of {arg}, for a test path and so did not find cutover's "
                f"pyproject.toml. Write it with an equals sign: {arg}={args[i + 1]} (or run pytest with "
                "the repository as the current folder and name checks/ explicitly)."
            )
