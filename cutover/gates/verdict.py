"""What a gate decides: a Verdict, and the one way to build a failing one.

Kept apart from the decisions so the plugin, the report and the fix plan can read a verdict without
importing the evidence or any gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from cutover.gates.fixplan import Action, with_files


@dataclass(frozen=True)
class Verdict:
    """A gate's decision.

    Attributes:
        ok: the gate passes.
        message: one paragraph: what was observed, or what is wrong and how to fix it.
        warnings: things a person should look at that do not fail the gate.
        remedy: shell commands that fix the failure, in order (the keytool commands of `actions`).
        actions: what fixes the failure, as data the fix plan merges across the run (cutover.gates.fixplan).
    """

    ok: bool
    message: str
    warnings: tuple[str, ...] = ()
    remedy: tuple[str, ...] = field(default=())
    actions: tuple[Action, ...] = ()


def failed(message: str, *actions: Action, warnings: tuple[str, ...] = ()) -> Verdict:
    """A failing verdict with its remedies; the keytool ones also go into the message's "To fix it"."""
    remedy = tuple(a.command for a in actions if a.command)
    return Verdict(False, message, warnings, remedy, tuple(actions))


def failure_text(message: str, remedy: Sequence[str]) -> str:
    """A failure as pytest and the JUnit XML say it: the message, then its commands under "To fix it"."""
    return message + ("\nTo fix it:\n  " + "\n  ".join(remedy) if remedy else "")


def with_cert_files(verdict: Verdict, files: Mapping[str, str]) -> Verdict:
    """The verdict with its imports pointing at the certificate files written beside the report (SHA-256 -> path
    as printed), its commands re-made from them: the decision knows the bundle, the run knows where files go."""
    if not files or not any(a.kind == "import" for a in verdict.actions):
        return verdict
    actions = with_files(verdict.actions, files)
    return replace(verdict, remedy=tuple(a.command for a in actions if a.command), actions=actions)
