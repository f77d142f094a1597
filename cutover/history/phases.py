"""A pod's renewal phase, as every stage names it: the vocabulary, the decided phase, an earlier run's view.

The phase is decided by the gates (`cutover.gates.lifecycle.decide`), from the evidence and the previous run
that history reads (`cutover.history.runs`); the previous run's phases are read before any gate runs. So
the words and the records live here, below both, and each stage imports them downward.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

NOT_STAGED = "not staged"
STAGED = "staged"
CUT_OVER = "cut over"
ROLLING = "rolling"
UNKNOWN = "unknown"
PHASES = (NOT_STAGED, STAGED, CUT_OVER, ROLLING, UNKNOWN)


@dataclass(frozen=True)
class Previous:
    """What the most recent earlier run knew about a pod (read from its JSON evidence).

    Attributes:
        when: when that run started.
        phase: its phase then.
        new_leaves: SHA-256 of what it knew to be the new certificate; empty when it did not know.
        production_leaves: SHA-256 of the leaves production served then.
        cut_over_since: when production was first seen serving the new certificate, if it was.
    """

    when: dt.datetime
    phase: str
    new_leaves: frozenset[str] = frozenset()
    production_leaves: frozenset[str] = frozenset()
    cut_over_since: dt.datetime | None = None


@dataclass(frozen=True)
class Phase:
    """A pod's phase and the evidence it rests on.

    Attributes:
        name: one of PHASES.
        why: one sentence: what was seen, and how old and new were told apart.
        new_leaves: SHA-256 of the certificate(s) known to be the new one; empty when not known.
        known_by: how the new certificate is known (``the bundle``, ...); empty when it is not.
        since: for ``cut over``, when production was first seen serving the new certificate.
        first_seen_now: `since` is this run (no earlier run saw the pod cut over).
        staging_only_production: the staging name resolved only to production addresses (or to none),
            so the new chain was not seen at staging at all.
    """

    name: str
    why: str
    new_leaves: frozenset[str] = frozenset()
    known_by: str = ""
    since: dt.datetime | None = None
    first_seen_now: bool = False
    staging_only_production: bool = False

    @property
    def since_short(self) -> str:
        """``since 2026-12-15 02:17Z``, for a matrix cell."""
        return f"since {self.since.astimezone(dt.UTC):%Y-%m-%d %H:%M}Z" if self.since is not None else ""

    @property
    def since_text(self) -> str:
        """``since 2026-12-15 02:17Z (first seen by the run of 2026-12-15 02:17Z)`` or ``... (first seen in this
        run)``: the run that first saw production serve the new leaf is named, so a reader can open its report."""
        if self.since is None:
            return ""
        when = f"{self.since.astimezone(dt.UTC):%Y-%m-%d %H:%M}Z"
        by = "first seen in this run" if self.first_seen_now else f"first seen by the run of {when}"
        return f"since {when} ({by})"
