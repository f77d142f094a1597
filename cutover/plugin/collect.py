"""Which tests a pytest run collects: the gates, the folder's own tests, or nothing, decided before anything is read.

A QA engineer types ``pytest`` in the folder that holds their ``datacenters.toml``, copies an id from the
terminal into the next command, and expects both to work as they do for any other test suite. pytest,
though, only knows paths: the gate modules live wherever pip put them (``site-packages/cutover/checks``),
so this module

* decides from the command line, the ini file and the folder whether the run is a gate run (`runs_gates`):
  options that only a gate run has, a test path into the gates or an id as printed, or a bare ``pytest`` in a
  folder with a ``datacenters.toml`` and no tests of its own; a test project stays the user's (`Note` says in
  one line how the gates are run there);
* names the gates ``cutover::<gate>[<dc>/<pod>]`` (`GateModule`, collected by `Gates`), and turns such an id,
  as the terminal prints it, back into the gate module's path and the test's name (`gate_args`), so that
  ``pytest '<id>'``, ``--deselect`` and ``--lf`` select by it and xdist's workers, which parse the same command
  line, agree;
* deselects what ``--pod`` leaves out (`Gates`).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from cutover.base import paths
from cutover.config import Client, Config, Target
from cutover.config.model import PodChoice
from cutover.gates import registry

#: The path part of every gate's node id: ``cutover::chain_trusted[us2/abcd]``, ``cutover::no_lb_cert[us2]``.
PREFIX = "cutover"
#: The folder's file a bare ``pytest`` runs the gates on.
FILE_NAME = "datacenters.toml"
#: How many folders the look for the folder's own tests visits before it assumes there are some: a
#: datacenters.toml in a home folder must not cost a walk of the whole disk.
_WALK_BUDGET = 2000


def gate_files(gate: str | None = None) -> list[str]:
    """The gate modules (one gate's, or all in their folder's order), named as test paths: files, not the folder,
    so that an ini file's ``python_files`` cannot leave them out."""
    names = [gate] if gate is not None else sorted(registry.NAMES)
    return [str(paths.CHECKS / f"test_{name}.py") for name in names]


class GateModule(pytest.Module):
    """A gate module as the gate run collects it: its node id is ``cutover``, its test is the function named after
    its gate (whatever the ini's ``python_functions`` says), so a gate test's id is ``cutover::<gate>[<where>]``
    wherever pytest settled its rootdir and wherever the package is installed."""

    def funcnamefilter(self, name: str) -> bool:
        return name in registry.NAMES


class Gates:
    """A gate run's collection: the gate modules as `GateModule`, and what ``--pod`` leaves out.

    ``--pod`` chooses pods (`cutover.config.PodChoice`): the configuration keeps only those pods, and here the
    data centre (store) gates and, for ``soa:us2/abcd``, the other clients' gates of the pod are deselected, as
    ``--deselect`` would, so the summary counts them.
    """

    def __init__(self, config: Config) -> None:
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
        if module_path.parent != paths.CHECKS or not module_path.name.startswith("test_"):
            return None  # not a gate module: pytest makes its own
        module: GateModule = GateModule.from_parent(parent, path=module_path, nodeid=PREFIX)
        return module

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        choices = self.config.pod_choices
        if not choices:
            return
        keep = [item for item in items if not isinstance(item.parent, GateModule) or _chosen(item, choices)]
        if len(keep) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if item not in keep])
            items[:] = keep


def _chosen(item: pytest.Item, choices: Sequence[PodChoice]) -> bool:
    """A pod gate of a chosen pod, for a chosen client (or a gate that is not per client)."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    target, client = params.get("target"), params.get("client")
    if not isinstance(target, Target):
        return False  # a data centre gate: --pod runs none
    return any(c.chooses(target.dc, target.pod) and (c.client is None or not isinstance(client, Client)
                                                      or c.client == client.name) for c in choices)


def _as_gate_id(config: pytest.Config, arg: str) -> tuple[str, str | None, str | None] | None:
    """(``cutover``, gate, the rest after the gate) when `arg` is a gate id as printed, else None.

    The terminal prints ids relative to the folder pytest was started in (``../cutover::...`` when it rooted
    itself elsewhere), the JUnit XML and the reports relative to the rootdir (``cutover::...``): an id is a gate's
    when its path part is ``cutover`` in the rootdir, or is ``cutover`` and no such file or folder is here.
    ``cutover`` alone (all gates) counts only where no such path exists, so a clone's package folder stays a path.
    """
    head, sep, rest = arg.partition("::")
    invoked = config.invocation_params.dir
    rooted = Path(os.path.normpath(invoked / head)) == Path(os.path.normpath(config.rootpath / PREFIX))
    if not (rooted or head == PREFIX) or (not sep and (invoked / head).exists()):
        return None
    if not sep:
        return PREFIX, None, None
    gate, bracket, where = rest.partition("[")
    if gate not in registry.NAMES:
        raise pytest.UsageError(f"{arg}: no gate {gate!r}; the gates are {', '.join(registry.NAMES)} "
                                f"(ids look like {PREFIX}::chain_trusted[us2/abcd], as the terminal prints them).")
    return PREFIX, gate, f"{bracket}{where}" if bracket else None


def gate_args(config: pytest.Config) -> bool:
    """Rewrite every gate id among the test paths into its module and test name; True if there was one.

    ``--deselect`` is matched against node ids as pytest keeps them (relative to the rootdir), so a gate id
    given there relative to another folder is rewritten to that form too.
    """
    found = False
    out: list[str] = []
    for arg in config.args:
        parsed = _as_gate_id(config, arg)
        if parsed is None:
            out.append(arg)
            continue
        found = True
        _, gate, params = parsed
        if gate is None:
            out.extend(gate_files())
        else:
            out.append(f"{gate_files(gate)[0]}::{gate}{params or ''}")
    config.args[:] = out
    deselect = config.getoption("deselect", None) or []
    for i, arg in enumerate(deselect):
        parsed = _as_gate_id(config, arg) if "::" in arg else None
        if parsed is not None:
            deselect[i] = f"{PREFIX}::{arg.partition('::')[2]}"
    return found


def own_tests(folder: Path, config: pytest.Config) -> bool:
    """Whether pytest would find tests of the folder's own in it: a file its ``python_files`` patterns match,
    outside the folders ``norecursedirs`` and virtual environments leave out (as pytest walks it). A folder too
    big to look through within the budget counts as a test project: the plugin then stays out of its way."""
    patterns = [p for p in config.getini("python_files") if "/" not in p]
    skip = config.getini("norecursedirs")
    for visited, (top, dirs, files) in enumerate(os.walk(folder)):
        if visited >= _WALK_BUDGET:
            return True
        if any(fnmatch.fnmatch(f, p) for f in files for p in patterns if f != "conftest.py"):
            return True
        dirs[:] = [d for d in dirs if not any(fnmatch.fnmatch(d, p) for p in skip)
                   and not (Path(top, d, "pyvenv.cfg").is_file() or Path(top, d, "conda-meta").is_dir())]
    return False


def runs_gates(config: pytest.Config) -> bool:
    """Whether this run is a gate run; if so, its test paths become the gate modules (or what an id selects).

    A run that names no test path but gives a gate option (``pytest --datacenters /x/dc.toml``, from any
    folder) is a gate run, since pytest may have settled its rootdir next to that file and would otherwise
    collect whatever lies in the current folder; so is one whose paths point into the gates or name a gate id,
    and a bare ``pytest`` where ``./datacenters.toml`` is and no test of the folder's own.
    """
    if gate_args(config):
        return True
    source = config.args_source
    explicit = source == pytest.Config.ArgsSource.ARGS
    wants_gates = bool(config.getoption("sandbox") or config.getoption("datacenters")
                       or config.getoption("truststore"))
    if not explicit and wants_gates:
        config.args[:] = gate_files()
        return True
    if config.getoption("sandbox"):
        return True
    base = config.invocation_params.dir
    for arg in config.args:
        p = (base / arg.split("::")[0]).resolve()
        if p == paths.CHECKS or paths.CHECKS in p.parents or p in paths.CHECKS.parents:
            if not explicit:
                config.args[:] = gate_files()
            return True
    if (source == pytest.Config.ArgsSource.INVOCATION_DIR and (base / FILE_NAME).is_file()
            and not own_tests(base, config)):
        config.args[:] = gate_files()
        return True
    return False


class Note:
    """What a run that is not a gate run says about the gates, in one line, where a person looks for them.

    In a folder with a datacenters.toml whose own tests run instead, the report header names the command that
    runs the gates; a bare ``pytest`` that collected nothing says where the gates looked for their file.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.folder = config.invocation_params.dir
        self.bare = config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR
        self.here = (self.folder / FILE_NAME).is_file()
        self.collected = 0

    def pytest_itemcollected(self) -> None:
        self.collected += 1  # before any -k or --deselect: the folder's tests are there even if none were chosen

    def pytest_report_header(self) -> list[str]:
        if not self.here:
            return []
        return [f"cutover: this run collects the folder's own tests, not the gates; to run the gates on "
                f"./{FILE_NAME}: pytest --datacenters={FILE_NAME}"]

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.here or not self.bare or self.collected:
            return
        terminalreporter.write_line(
            f"cutover: no gates collected: a bare pytest runs them on ./{FILE_NAME} of the folder it starts in, and "
            f"{self.folder / FILE_NAME} does not exist; write one (docs/configuration.md), give --datacenters, "
            "or try the gates on the simulated edge: pytest --sandbox")
