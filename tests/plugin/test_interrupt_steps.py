"""What a stop means at each step of a run, decided without a child process (tests/plugin/test_interrupt.py
sends the real signals): the verdict of a stopped run is never "ready", and a stop signal is handled by
the step it arrives in."""

from __future__ import annotations

import signal

import pytest

from cutover.gates.outcomes import Record
from cutover.gates.run_verdict import INCOMPLETE, RunVerdict
from cutover.gates.run_verdict import sentence as verdict_sentence
from cutover.plugin.interrupt import Interrupt


def test_a_stopped_run_is_never_ready_and_a_failure_that_ran_still_counts() -> None:
    passed = [Record("t[us2/acme]", "chain_trusted", "us2/acme"), Record("t[us2]", "no_lb_cert", "us2")]
    assert verdict_sentence(passed) == RunVerdict("ready for cutover: all 2 gate tests passed", True)
    step = "running the gates: 2 of 112"
    assert verdict_sentence(passed, step) == RunVerdict(f"not proven: interrupted at {step}: {INCOMPLETE}", False)
    assert verdict_sentence([], step).ready is False
    failed = [*passed, Record("t[em3/acme]", "chain_trusted", "em3/acme", outcome="failed")]
    said = verdict_sentence(failed, step)
    sentence, ready = said.sentence, said.ready
    assert not ready and sentence.startswith("NOT ready for cutover: 1 of the 3 gate test(s) that ran failed; ")
    assert sentence.endswith(f"interrupted at {step}: {INCOMPLETE}")


def _interrupt(pytestconfig: pytest.Config) -> tuple[Interrupt, list[int]]:
    ran: list[int] = []
    return Interrupt(pytestconfig, ran=lambda: len(ran)), ran


def test_while_gathering_a_signal_breaks_the_wait(pytestconfig: pytest.Config) -> None:
    stop, _ = _interrupt(pytestconfig)
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), stop.gathering():
        assert stop.describe() == "gathering evidence"
        stop._handle(signal.SIGTERM, None)
    assert stop.stopped_at is None  # the step is said once gather tells what it had seen
    assert stop.describe() == "starting the run"


def test_while_the_gates_run_a_signal_stops_after_the_current_test(pytestconfig: pytest.Config) -> None:
    stop, ran = _interrupt(pytestconfig)
    stop.collected = [f"checks/test_x.py::test_x[{i}]" for i in range(112)]
    stop.step = "running the gates"
    ran += [1] * 40
    stop._handle(signal.SIGINT, None)  # returns: pytest ends the test running, then Interrupted
    assert stop.stopped_at == "running the gates: 40 of 112"
    assert stop.message == f"at running the gates: 40 of 112: {INCOMPLETE}"
    with pytest.raises(pytest.Session.Interrupted, match="at running the gates: 40 of 112"):
        stop.check()
    assert stop.freeze(pytest.ExitCode.INTERRUPTED) == "running the gates: 40 of 112"
    assert stop.not_run(stop.collected[:40]) == stop.collected[40:]


def test_while_the_reports_are_written_a_signal_lets_them_finish(pytestconfig: pytest.Config) -> None:
    stop, _ = _interrupt(pytestconfig)
    assert stop.freeze(pytest.ExitCode.OK) is None
    stop._handle(signal.SIGTERM, None)
    assert stop.late and stop.stopped_at is None
    stop.check()  # does not raise: the run had gone to its end


def test_a_keyboard_interrupt_from_elsewhere_names_the_step_it_came_in(pytestconfig: pytest.Config) -> None:
    stop, _ = _interrupt(pytestconfig)
    stop.step = "collecting the gate tests"
    assert stop.freeze(pytest.ExitCode.INTERRUPTED) == "collecting the gate tests"
