"""What a gate decides: a GateVerdict, and the one way to build a failing one.

Kept apart from the decisions so the plugin, the report and the fix plan can read a verdict without
importing the evidence or any gate. A verdict's remedy is its actions; their keytool commands are text,
made where text is made (`cutover.outputs.fixtext.commands`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from cutover.gates.fixplan import Action, with_files


@dataclass(frozen=True)
class GateVerdict:
    """A gate's decision.

    Attributes:
        ok: the gate passes.
        message: one paragraph: what was observed, or what is wrong and how to fix it.
        warnings: things a person should look at that do not fail the gate.
        actions: what fixes the failure, as data the fix plan merges across the run (cutover.gates.fixplan).
    """

    ok: bool
    message: str
    warnings: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()


def failed(message: str, *actions: Action, warnings: tuple[str, ...] = ()) -> GateVerdict:
    """A failing verdict with its remedies (the fix plan merges them; the message's "To fix it" lists their
    keytool commands)."""
    return GateVerdict(False, message, warnings, tuple(actions))


def with_cert_files(verdict: GateVerdict, files: Mapping[str, str]) -> GateVerdict:
    """The verdict with its imports pointing at the certificate files written beside the report (SHA-256 -> path
    as printed): the decision knows the bundle, the run knows where files go."""
    if not files or not any(a.kind == "import" for a in verdict.actions):
        return verdict
    return replace(verdict, actions=with_files(verdict.actions, files))
