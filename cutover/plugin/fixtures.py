"""The fixtures the gates in checks/ ask for: the run, its evidence, a pod's phase, and `expect_pass`.

The gates stay a few lines each: they call a decision from `cutover.gates` and hand it to `expect_pass`.
Each fixture reaches the run through ``config.stash`` (`cutover.plugin.run.RUN`), which is what ties a
fixture to its own session when pytest runs in-process more than once.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from cutover.base.text import printable
from cutover.config import Client, Target
from cutover.evidence import ClientEvidence, Evidence, PodEvidence
from cutover.gates.storeplan import StorePlan
from cutover.gates.verdict import GateVerdict, with_cert_files
from cutover.history.phases import Phase
from cutover.outputs.fixtext import commands, failure_text
from cutover.plugin.keys import VERDICT, CutoverWarning
from cutover.plugin.run import RUN, GateRun


@pytest.fixture(scope="session")
def cutover_run(pytestconfig: pytest.Config) -> GateRun:
    run = pytestconfig.stash.get(RUN, None)
    if run is None:
        pytest.fail("the cutover gates were not configured: run them from checks/ or with --sandbox", pytrace=False)
    return run


@pytest.fixture(scope="session")
def evidence(cutover_run: GateRun) -> Evidence:
    """Every network observation of the run, gathered once, concurrently, on first use (`GateRun.ensure_gathered`)."""
    return cutover_run.ensure_gathered().evidence


@pytest.fixture
def pod_evidence(target: Target, evidence: Evidence) -> PodEvidence:
    return evidence.pods[target.id]


@pytest.fixture
def phase(target: Target, evidence: Evidence, cutover_run: GateRun) -> Phase | None:
    """Where the pod stands in its renewal, decided on the gathered evidence and the previous run."""
    return cutover_run.ensure_gathered().phases.get(target.id)


@pytest.fixture
def client_evidence(client: Client, evidence: Evidence) -> ClientEvidence:
    """What `client` decided: its store as its JVM read it and its verdicts (`client` is parametrized)."""
    return evidence.clients[client.name]


@pytest.fixture
def store_plan(client_evidence: ClientEvidence, cutover_run: GateRun) -> StorePlan | None:
    """The steps decided for the whole file `client` reads (shared with every client reading it); None when
    the store could not be read."""
    return cutover_run.store_plan(client_evidence.client.name)


@pytest.fixture
def expect_pass(request: pytest.FixtureRequest) -> Callable[[GateVerdict], None]:
    """Record a gate's verdict for the report and fail the test, with its message and fix, when it is not ok."""

    run = request.config.stash.get(RUN, None)
    files = run.setup.cert_files if run is not None else {}
    params = request.node.callspec.params if hasattr(request.node, "callspec") else {}
    where = params.get("target") or params.get("datacenter")
    key = where.id if isinstance(where, Target) else getattr(where, "code", "")

    def check(verdict: GateVerdict) -> None:
        __tracebackhide__ = True
        verdict = with_cert_files(verdict, files)  # imports name the files written beside the report
        request.node.stash[VERDICT] = verdict
        for w in verdict.warnings:
            # Located at the pod's or data centre's own line of the user's datacenters file, not at our code.
            if run is not None:
                warnings.warn_explicit(CutoverWarning(printable(w, 4000)), CutoverWarning, str(run.config.path),
                                       run.config.line_of(key), module="datacenters")
        if not verdict.ok:
            text = failure_text(verdict.message, commands(verdict.actions))
            pytest.fail(printable(text, 20_000, keep="\n"), pytrace=False)

    return check
