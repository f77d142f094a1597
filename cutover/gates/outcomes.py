"""A gate test's outcome, as the plugin records it from pytest's reports (in the xdist controller too).

The run's verdict (`cutover.gates.run_verdict`), the fix plan (`cutover.gates.fixplan.plan`) and every output
read the same records, so the verdict a person reads on top of the report is the one the JSON carries.
"""

from __future__ import annotations

from collections.abc import Sequence
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
