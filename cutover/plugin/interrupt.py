"""A stopped gate run (Ctrl-C, SIGTERM): it keeps what it had gathered and every output says where it stopped.

A person presses Ctrl-C, or a CI job's timeout sends SIGTERM, at any moment. What the run had observed
by then is still evidence, and must be in the JSON and the HTML; what it had not is no evidence of
readiness, and no output may read as "ready". So a stop is made a decision of the run, not a crash:

- while the evidence is gathered, the signal raises KeyboardInterrupt in the main thread (the only way to
  break its waits); `cutover.evidence.gather` turns it into `GatherInterrupted` with what every pod's
  pipeline had finished, and the run stops before the first gate with `pytest.Session.Interrupted`;
- anywhere else (collection, the gates), the signal only sets ``session.shouldstop``: pytest ends the
  test that is running and stops with ``Interrupted``, pytest's own way to end a session early, whose
  one line (``!!! Interrupted: at <step>: ... !!!``) replaces the KeyboardInterrupt banner and traceback;
- once the reports are being written, they say what was decided when writing began; a signal then is
  noted (`Interrupt.late`) and the reports are finished, whole, rather than cut.

A second signal gets the default action at once: the first one's stop may be what hangs. SIGTERM does
what SIGINT does. A signal that was ignored when the run started (a script's background job ignores
SIGINT) stays ignored. The handlers are installed in the main thread only and restored when pytest
cleans up. Under pytest-xdist every process has them: the group's signal reaches the controller, which
stops scheduling (``DSession.shouldstop``), and each worker, which ends its current test.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

import pytest

from cutover.config import Config
from cutover.evidence import Evidence
from cutover.gates.run_verdict import INCOMPLETE

#: The signals that stop a run the way Ctrl-C does.
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_Handler = Callable[[int, FrameType | None], Any] | int | None


class Interrupt:
    """Where the run is, and where it was stopped; registered as a plugin next to the run (cutover-interrupt).

    Attributes:
        step: what the run is doing now, in words a person understands.
        stopped_at: the step at which the run was stopped; None while it goes on.
        late: a stop signal arrived once the reports were being written (they were finished first).
        collected: the node ids of the gate tests collected (the xdist controller's from its first worker).
    """

    def __init__(self, config: pytest.Config, ran: Callable[[], int]) -> None:
        self.config = config
        self.step = "starting the run"
        self.stopped_at: str | None = None
        self.late = False
        self.collected: list[str] = []
        self._ran = ran
        self._raising = False
        self._frozen = False
        self._signalled = False
        self._session: pytest.Session | None = None
        self._previous: dict[int, _Handler] = {}

    # -- the handlers --------------------------------------------------------------------------------------

    def install(self) -> None:
        """Take SIGINT and SIGTERM over for this run (main thread only: pytester runs in-process threads too)."""
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            if previous is signal.SIG_IGN:  # a background job's Ctrl-C: ignored by whoever started us
                continue
            self._previous[sig] = previous
            signal.signal(sig, self._handle)
        self.config.add_cleanup(self.restore)

    def restore(self) -> None:
        """Give back the handlers found at install: a process that runs the gates again must not keep ours.

        Not after a stop signal: the process is ending, maybe still waiting on a handshake in flight, and a
        second Ctrl-C must end it at once (the default action), not raise KeyboardInterrupt into the
        interpreter's exit, which prints a traceback.
        """
        if not self._signalled:
            for sig, previous in self._previous.items():
                signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._signalled = True
        for sig in self._previous:  # a second signal: the default action, at once
            signal.signal(sig, signal.SIG_DFL)
        if self._frozen:
            self.late = True
        elif self._raising:
            raise KeyboardInterrupt(signal.Signals(signum).name)
        else:
            self.stop(self.describe())

    # -- the steps -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def gathering(self) -> Iterator[None]:
        """While the evidence is gathered, a signal raises KeyboardInterrupt to break the main thread's waits
        (`cutover.evidence.gather` keeps what was seen); the step is the run's again afterwards."""
        before, self.step = self.step, "gathering evidence"
        self._raising = True
        try:
            yield
        finally:
            self._raising = False
            self.step = before

    def describe(self) -> str:
        """The step now, with its progress: ``running the gates: 40 of 112``."""
        if self.step == "running the gates" and self.collected:
            return f"running the gates: {self._ran()} of {len(self.collected)}"
        return self.step

    def stop(self, step: str) -> None:
        """Stop the run at `step`: pytest ends the current test, then the session (see the module's doc)."""
        if self.stopped_at is None:
            self.stopped_at = step
        if self._session is not None:
            self._session.shouldstop = self.message
        dsession = self.config.pluginmanager.get_plugin("dsession")  # the xdist controller's scheduler
        if dsession is not None:
            dsession.shouldstop = self.message

    @property
    def message(self) -> str:
        """The line pytest prints (after ``Interrupted: ``) and the reason the session stops with."""
        return f"at {self.stopped_at}: {INCOMPLETE}"

    def check(self) -> None:
        """Raise pytest's Interrupted when the run was stopped: the session ends before the next test."""
        if self.stopped_at is not None:
            raise pytest.Session.Interrupted(self.message)

    def freeze(self, exitstatus: int) -> str | None:
        """The reports are being written from now on: return the step they name (None: the run was not
        stopped). A KeyboardInterrupt that came from elsewhere (a plugin, a signal we did not handle)
        stopped the run too, at the step it was in."""
        if exitstatus == pytest.ExitCode.INTERRUPTED and self.stopped_at is None:
            self.stopped_at = self.describe()
        self._frozen = True
        self.step = "writing the reports"
        return self.stopped_at

    def terminal_note(self, tr: pytest.TerminalReporter) -> None:
        """Say so when a stop signal came while the reports were written: they are whole, and the run's own."""
        if self.late:
            tr.line("a stop signal arrived while the reports were being written: they were finished first, "
                    "and say what the run had decided by then", yellow=True)

    def not_run(self, ran: Sequence[str]) -> list[str]:
        """The collected gate tests that did not report (in the order collected)."""
        done = set(ran)
        return [n for n in self.collected if n not in done]

    # -- pytest's hooks: the step the run is in -----------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        self.step = "collecting the gate tests"

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [item.nodeid for item in session.items]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: Sequence[str]) -> None:
        if not self.collected:
            self.collected = list(ids)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Stopped before the first test (while collecting or gathering in the xdist controller): end here."""
        self.check()
        self.step = "running the gates"


def gathering_step(config: Config, evidence: Evidence | None) -> str:
    """``gathering evidence: 13 of 14 data centres observed, waiting on em5``: a data centre is observed when
    every pod of it was seen whole and judged for every client that talks to it. Those seen but not yet
    judged are named apart: then it is the JVM that was still at work."""
    dcs = [dc for dc in config.datacenters if dc.targets]
    if evidence is None:
        return f"gathering evidence: 0 of {len(dcs)} data centres observed"
    unseen = [dc.code for dc in dcs if any(t.id not in evidence.pods for t in dc.targets)]
    unjudged = [dc.code for dc in dcs if dc.code not in unseen and any(
        t.id not in c.verdicts for c in evidence.clients.values() if dc.code in c.client.datacenters
        for t in dc.targets)]
    done = len(dcs) - len(unseen) - len(unjudged)
    step = f"gathering evidence: {done} of {len(dcs)} data centres observed"
    if not unseen and not unjudged:
        return step.replace(f"{done} of", "all")
    waits = ([_named(unseen)] if unseen else []) + ([f"the verdicts on {_named(unjudged)}"] if unjudged else [])
    return f"{step}, waiting on {' and '.join(waits)}"


def _named(codes: Sequence[str]) -> str:
    return ", ".join(codes[:6]) + (f" and {len(codes) - 6} more" if len(codes) > 6 else "")
