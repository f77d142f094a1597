"""The goals of issue #24, printed by `make bench` with each one's measure: met, or missed by how much.

No test asserts them (a timed test on a shared machine would be a coin toss); the README's speed section
quotes one run's lines. A ratio goal says its miss in seconds too, so the reader sees what is left to find.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    """One goal and what the bench measured for it.

    Attributes:
        name: what is compared, as the issue says it.
        measured: the ratio (or the value) measured; None when the bench skipped what it needs.
        limit: the goal; met when `measured` <= it (< for `strict`).
        unit: ``x`` for a ratio, else the value's unit (``MB``).
        base: for a ratio, the seconds of its denominator: the miss in seconds is (measured - limit) * base.
        strict: the goal is "less than", not "at most".
    """

    name: str
    measured: float | None
    limit: float
    unit: str = "x"
    base: float | None = None
    strict: bool = False

    @property
    def met(self) -> bool | None:
        """Met or not; None when not measured."""
        if self.measured is None:
            return None
        return self.measured < self.limit if self.strict else self.measured <= self.limit

    def line(self) -> str:
        if self.measured is None:
            return f"  {self.name:<44} not measured (skipped)"
        op = "<" if self.strict else "<="
        digits = 2 if self.unit == "x" else 0
        head = f"  {self.name:<44} {self.measured:6.{digits}f}{self.unit}  goal {op} {self.limit:g}{self.unit}: "
        if self.met:
            return head + "met"
        miss = f"missed by {self.measured - self.limit:.{digits}f}{self.unit}"
        if self.base is not None:
            miss += f" ({(self.measured - self.limit) * self.base:.2f} s)"
        return head + miss


def ratio(num: float | None, den: float | None) -> float | None:
    """num / den, or None when either was not measured."""
    return num / den if num is not None and den else None


def print_goals(goals: list[Goal]) -> None:
    print("goals (issue #24; asserted by no test):")
    for goal in goals:
        print(goal.line())
    missed = [g.name for g in goals if g.met is False]
    measured = [g for g in goals if g.met is not None]
    said = f"; missed: {', '.join(missed)}" if missed else ""
    print(f"  {len(measured) - len(missed)} of {len(measured)} measured goals met{said}", flush=True)
