"""The run's verdict: decided once, here, from the gate tests' records, and carried by the run's closing record.

Every output renders it (the HTML summary, the terminal, the JSON, each per-SR file for its part of the
records) and none decides it again: a reader sees one verdict wherever they look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cutover.evidence import Evidence
from cutover.gates.lifecycle import all_cut_over
from cutover.gates.outcomes import Record
from cutover.history.phases import Phase


@dataclass(frozen=True)
class RunVerdict:
    """The verdict of a run, or of one SR's part of it.

    Attributes:
        sentence: what the report, the terminal and the JSON say, in one sentence.
        ready: every gate passed and the run went to its end (ready for cutover, or cut over): green.
        to_prove: for a run that failed nothing but skipped gate tests, what to add to prove it (each skip's
            reason, once: ``us2: no bundle configured ...; set bundle = "..."``); empty otherwise. A run with
            these is "not proven" and exits 6 (cutover.base.exit_codes.NOT_PROVEN), never green.
    """

    sentence: str
    ready: bool
    to_prove: tuple[str, ...] = ()

    @property
    def not_proven(self) -> bool:
        """Nothing failed, the run went to its end, and still it proves nothing: a gate test was skipped."""
        return bool(self.to_prove)


def decide(records: Sequence[Record], evidence: Evidence | None, phases: Mapping[str, Phase],
           stopped_at: str | None) -> RunVerdict:
    """The one verdict the JSON, the HTML and the terminal say: never "ready" once the run was stopped (at the step
    `stopped_at`); "cut over" once every pod of `records` is (the pods the run judged, not every pod it observed),
    and every client accepts production."""
    done = evidence is not None and all_cut_over(evidence, phases, {r.target for r in records if r.pod is not None})
    return sentence(records, stopped_at, cut_over=done)


#: What every output says of a run stopped before its end (Ctrl-C, SIGTERM): cutover.plugin.interrupt.
INCOMPLETE = "this run is incomplete, not evidence of readiness"
#: The verdict once the renewal is done: distinct from "ready for cutover", which is news before the switch.
CUT_OVER_VERDICT = "cut over: every pod serves the new certificate and every client accepts it"


def sentence(records: Iterable[Record], interrupted_at: str | None = None, cut_over: bool = False) -> RunVerdict:
    """The run's verdict in one sentence, and whether it is 'ready'. Ready only when every gate passed and
    the run was not stopped (`interrupted_at`: the step it was stopped at): the gates that did not run
    prove nothing, though a failure among those that ran is a real "not ready".

    `cut_over`: every pod judged is cut over and every client accepts production
    (`cutover.gates.lifecycle.all_cut_over`): with every gate passed, the verdict says the renewal is done.
    """
    rs = list(records)
    failed = sum(r.outcome == "failed" for r in rs)
    skipped = sum(r.outcome == "skipped" for r in rs)
    if interrupted_at is not None:
        if failed:
            return RunVerdict(f"NOT ready for cutover: {failed} of the {len(rs)} gate test(s) that ran failed; "
                              f"interrupted at {interrupted_at}: {INCOMPLETE}", False)
        return RunVerdict(f"not proven: interrupted at {interrupted_at}: {INCOMPLETE}", False)
    if not rs:
        return RunVerdict("not proven: no gate test ran", False)
    if failed:
        clients = {r.client for r in rs if r.client is not None}
        blamed = list(dict.fromkeys(r.client for r in rs if r.outcome == "failed" and r.client is not None))
        named = f"; clients not ready: {', '.join(blamed)}" if len(clients) > 1 and blamed else ""
        network = sum(r.outcome == "failed" and r.client is None for r in rs)
        if named and network:
            named += f" (and {network} network gate test(s) failed, which every client depends on)"
        return RunVerdict(f"NOT ready for cutover: {failed} of {len(rs)} gate test(s) failed{named}", False)
    if skipped:
        reasons = dict.fromkeys(r.message or f"{r.target}: {r.gate} was skipped" for r in rs if r.outcome == "skipped")
        return RunVerdict(f"not proven: no gate failed, but {skipped} gate test(s) were skipped; what proves it is "
                          "said below", False, tuple(reasons))
    if cut_over:
        return RunVerdict(f"{CUT_OVER_VERDICT} (all {len(rs)} gate tests passed)", True)
    return RunVerdict(f"ready for cutover: all {len(rs)} gate tests passed", True)

