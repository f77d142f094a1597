"""Instants as cutover writes and reads them: ``--at``, the JVM's ``Instant.parse``, the evidence's times.

Every time here is an aware UTC datetime; a naive one read from a file or the command line means UTC.
"""

from __future__ import annotations

import datetime as dt


def utc(when: dt.datetime) -> dt.datetime:
    """`when` in UTC; a naive time is taken to be UTC already (what a user means by ``--at 2026-12-15``)."""
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def parse_when(text: str) -> dt.datetime:
    """``2026-12-15`` or ``2026-12-15T10:00[:00][Z|+01:00]`` as an aware UTC datetime; ValueError otherwise
    (the caller names the option or field it came from)."""
    return utc(dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


def format_instant(when: dt.datetime) -> str:
    """`when` as the ISO instant handed to the JVM (``Instant.parse``) and shown in messages and evidence.

    Every digit given is kept: a leaf expiring at 00:00:00Z is still valid at that second and expired
    a millisecond later, so ``--at 2024-04-01T00:00:00.005Z`` cut to the second would ask Java another
    question. Milliseconds when that is all the fraction holds (Java's ``Date`` stops there), else
    microseconds; no fraction at all for a whole second.
    """
    u = when.astimezone(dt.UTC)
    text = f"{u:%Y-%m-%dT%H:%M:%S}"
    if u.microsecond:
        fraction = f"{u.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text + "Z"


def parse_instant(text: str) -> dt.datetime:
    """The inverse of `format_instant`: an instant the judge was asked about, fraction included."""
    return parse_when(text)


def from_json(text: object) -> dt.datetime:
    """A time an evidence file wrote with ``isoformat()``; ValueError for anything that is not one."""
    if not isinstance(text, str):
        raise ValueError("not a time")
    return utc(dt.datetime.fromisoformat(text))


def iso_of_timestamp(ts: float | None) -> str | None:
    """A POSIX timestamp (pytest's report times) as the evidence writes it; None for none."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat() if ts else None
