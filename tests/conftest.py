"""Helpers for the suite's own tests: run checks/ in a child pytest and read what each gate decided."""

from __future__ import annotations

import shutil
import signal
import xml.etree.ElementTree as ET
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cutover.judge.java import JVM_SPEED_FLAGS
from cutover.sandbox import pki
from cutover.stores import keytool as keytool_mod

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ROOT / "checks"


@dataclass
class ChildRun:
    """A child pytest run of the gates: its outcome per (gate, id) and each failure's message."""

    result: pytest.RunResult
    outcomes: dict[tuple[str, str], str]
    messages: dict[tuple[str, str], str]
    junit: Path

    @property
    def failed(self) -> set[tuple[str, str]]:
        return {k for k, v in self.outcomes.items() if v == "failed"}

    @property
    def output(self) -> str:
        return self.result.stdout.str() + self.result.stderr.str()


def report_files(folder: Path) -> list[Path]:
    """A reports folder's reports, without what the fix plan's commands name beside them: the folder of
    certificates it imports (``<report>-certs``) and, for a --sandbox run, the store (``<report>-truststore.jks``)."""
    return [p for p in folder.iterdir() if not p.name.endswith(("-certs", "-truststore.jks"))]


#: A gate run that went to its end: 0 ready, 1 a gate failed. Anything else (interrupted, an internal error, a usage
#: error, no tests) is what a test must ask for by name, or a run that died at configure would pass its asserts.
FINISHED = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)


def run_gates(pytester: pytest.Pytester, *args: str, timeout: float = 300,
              exit_codes: tuple[int, ...] = FINISHED) -> ChildRun:
    """Run checks/ in a fresh pytest process and parse its JUnit XML; bounded by `timeout`; its exit code must be
    one of `exit_codes`."""
    junit = pytester.path / "gates.xml"
    reports = () if any(a.startswith(("--reports-dir", "--html")) for a in args) else ("--no-reports",)
    # History is read from the reports folder; a test that does not name one must not read the repository's.
    if not any(a.startswith(("--reports-dir", "--history-dir", "--no-history")) for a in args):
        reports += ("--no-history",)
    result = pytester.runpytest_subprocess(
        str(CHECKS), "-p", "no:cacheprovider", f"--junit-xml={junit}", *reports, *args, timeout=timeout
    )
    outcomes: dict[tuple[str, str], str] = {}
    messages: dict[tuple[str, str], str] = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = case.get("name", "")
            func, _, ident = name.partition("[")
            gate = func.removeprefix("test_")
            key = (gate, ident.rstrip("]"))
            outcome = "passed"
            for tag in ("failure", "error", "skipped"):
                el = case.find(tag)
                if el is not None:
                    outcome = "skipped" if tag == "skipped" else "failed"
                    messages[key] = (el.get("message") or "") + "\n" + (el.text or "")
            outcomes[key] = outcome
    run = ChildRun(result, outcomes, messages, junit)
    assert result.ret in exit_codes, f"the gate run exited {result.ret}, expected one of {exit_codes}:\n{run.output}"
    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--unit-timeout", metavar="SECONDS", type=float, default=0,
                     help="(the suite's own) fail a test that takes longer: make test-fast, which waits on nothing")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """--unit-timeout: a test of a decision on hand-built evidence that waits (on a socket's timeout, a sleep, a
    server) fails by name rather than slowing the fast subset. Not pytest-timeout: its --timeout is the gates'
    own option, and pytest refuses two plugins that register one name."""
    limit = item.config.getoption("unit_timeout")
    if not limit:
        return (yield)

    def expired(signum: int, frame: object) -> None:
        pytest.fail(f"{item.nodeid} took more than --unit-timeout={limit:g} s: a unit test waits on nothing; "
                    "mark it e2e if it must", pytrace=False)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs the gates in a child pytest is end to end, whatever its module says: make test-fast
    (`-m "not e2e"`) keeps to the unit tests of decisions on hand-built evidence.

    Then the modules with the most end-to-end tests first, each module's tests together and in their order:
    xdist hands tests out in this order, and the longest ones last left one worker running alone at the end
    of `make test` while the other sat idle.
    """
    for item in items:
        if "pytester" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
    def module(item: pytest.Item) -> str:
        return str(getattr(item, "fspath", ""))

    heavy: dict[str, int] = {}
    for item in items:
        heavy[module(item)] = heavy.get(module(item), 0) + (item.get_closest_marker("e2e") is not None)
    items.sort(key=lambda item: -heavy[module(item)])


@pytest.fixture(scope="session", autouse=True)
def probe_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One compiled probe per JDK for the whole test session, also for child pytest runs (pytester
    gives each child its own HOME, so the default ~/.cache would compile again every time)."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture(scope="session", autouse=True)
def sandbox_jdk_copies(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The sandbox's JDK copies (a jssecacerts in lib/security, cutover.sandbox.jdk) made once per test session, not
    once per sandbox: every scenario that needs one reuses its copy (hard links, a real lib/security), and the
    installed JDK is never written to. Only a folder here: a copy is made when a scenario first asks for it."""
    import os

    from cutover.sandbox.jdk import JDKS_ENV

    os.environ[JDKS_ENV] = str(tmp_path_factory.mktemp("sandbox-jdks"))


@pytest.fixture(scope="session", autouse=True)
def no_proxy_from_this_machine() -> None:
    """The suite talks to 127.0.0.0/8 only: a CI machine's own HTTPS_PROXY must not carry our tests'
    connections (child pytest runs inherit this), nor change what a test's datacenters file means.
    Tests of the proxy set these variables themselves."""
    import os

    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "CUTOVER_PROXY_PASSWORD"):
        os.environ.pop(name, None)


@pytest.fixture(scope="session")
def keytool() -> Path:
    path = shutil.which("keytool")
    if path is None:
        pytest.skip("keytool is not installed (.ci/run installs openjdk-17-jdk-headless)")
    return Path(path)


def make_store(keytool: Path, store: Path, password: str, certs: dict[str, pki.Issued],
               storetype: str | None = None) -> Path:
    """A truststore made the way integration admins make theirs: keytool -importcert, one alias at a time, with
    the arguments the fix plan prints (`cutover.stores.keytool`), keytool's JVM started as the probe's is
    (JVM_SPEED_FLAGS: the same store, half the CPU)."""
    pems = {}
    for alias, issued in certs.items():
        pems[alias] = store.with_name(f"{store.stem}-{alias}.pem")  # per store: stores may be made side by side
        pems[alias].write_bytes(issued.pem)
    keytool_mod.import_certs(keytool, store, pems, password_env="TEST_STOREPASS", store_type=storetype,
                             env={"TEST_STOREPASS": password, "PATH": "/usr/bin:/bin"}, jvm_flags=JVM_SPEED_FLAGS)
    return store
