"""A gate test's outcome as the outputs know it, and the run's verdict sentence made from them.

Every output (the HTML summary, the per-SR files, the JSON evidence, the terminal, the fix plan) reads
the same records, so the verdict a person reads on top of the report is the one the JSON carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cutover.gates.fixplan import Action


@dataclass
class Record:
    """One gate test's outcome, for the matrix and the JSON evidence.

    Attributes:
        nodeid: pytest's id, also the id of the report's row.
        gate: the gate's name.
        target: ``dc/pod`` for pod gates, ``dc`` for data centre gates.
        client: the client a client gate judged for; None for the network gates (the same for all).
        outcome: ``passed``, ``failed`` or ``skipped`` (an error in setup counts as failed).
        message: the verdict's message, or the skip/failure reason.
        remedy: commands that fix the failure.
        warnings: what to look at that did not fail the gate.
        start, stop: UTC times of the test's call.
        actions: the remedies the gate derived, merged across the run by the fix plan.
        sr: the service request of the pod (pod gates) or None; data centre gates go to their pods' SRs.
    """

    nodeid: str
    gate: str
    target: str
    outcome: str = "passed"
    message: str = ""
    remedy: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    start: float | None = None
    stop: float | None = None
    client: str | None = None
    actions: Sequence[Action] = field(default_factory=list)  # as cutover.gates.fixplan.Failed reads them
    sr: str | None = None

    @property
    def label(self) -> str:
        """The test's own id (``us2/abcd``, ``us2``, or ``client:us2/abcd`` with several clients)."""
        return self.nodeid.rpartition("[")[2].rstrip("]") if self.nodeid.endswith("]") else self.target

    @property
    def dc(self) -> str:
        return self.target.split("/")[0]

    @property
    def pod(self) -> str | None:
        return self.target.split("/")[1] if "/" in self.target else None


#: What every output says of a run stopped before its end (Ctrl-C, SIGTERM): cutover.plugin.interrupt.
INCOMPLETE = "this run is incomplete, not evidence of readiness"
#: The verdict once the renewal is done: distinct from "ready for cutover", which is news before the switch.
CUT_OVER_VERDICT = "cut over: every pod serves the new certificate and every client accepts it"


def verdict_sentence(records: Iterable[Record], interrupted_at: str | None = None,
                     cut_over: bool = False) -> tuple[str, bool]:
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
            return (f"NOT ready for cutover: {failed} of the {len(rs)} gate test(s) that ran failed; "
                    f"interrupted at {interrupted_at}: {INCOMPLETE}"), False
        return f"not proven: interrupted at {interrupted_at}: {INCOMPLETE}", False
    if not rs:
        return "not proven: no gate test ran", False
    if failed:
        clients = {r.client for r in rs if r.client is not None}
        blamed = list(dict.fromkeys(r.client for r in rs if r.outcome == "failed" and r.client is not None))
        named = f"; clients not ready: {', '.join(blamed)}" if len(clients) > 1 and blamed else ""
        network = sum(r.outcome == "failed" and r.client is None for r in rs)
        if named and network:
            named += f" (and {network} network gate test(s) failed, which every client depends on)"
        return f"NOT ready for cutover: {failed} of {len(rs)} gate test(s) failed{named}", False
    if skipped:
        return f"not proven: no gate failed, but {skipped} gate test(s) were skipped (see their reasons)", False
    if cut_over:
        return f"{CUT_OVER_VERDICT} (all {len(rs)} gate tests passed)", True
    return f"ready for cutover: all {len(rs)} gate tests passed", True

