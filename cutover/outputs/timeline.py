"""The renewal at a glance: each pod's phase on each run's day, drawn from the closing's series.

A QA lead who runs the gates nightly for weeks wants one picture, not sixty reports: which pods were
staged when, which cut over on the renewal date, where a gate failed. The series (`cutover.closing.series`)
is the runs history read and this one; the JSON carries it (`cutover.outputs.evidence_json.timeline_json`)
and the full report draws it here (`timeline_html`) as inline SVG: no script, no network, and a page that
still reads when saved and mailed to the provider.

The picture's rules, so that 56 pods over 60 runs stay readable: one row per pod (``dc/pod``), a
column per day (a day with several runs shares its column among them), labels of 12 px drawn at
their size (the picture scrolls in its own box on a phone rather than shrinking the text), each phase
told by colour AND pattern, a failing gate by a red corner mark whose tooltip names the gates, the
renewal date as a labelled vertical line.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

from cutover.base.text import html_text, printable
from cutover.closing.series import FUTURE_DAYS, Cell, RunPoint, Series
from cutover.history.phases import CUT_OVER, NOT_STAGED, PHASES, ROLLING, STAGED, UNKNOWN

# -- the picture -------------------------------------------------------------------------------------------

FONT = 12          # px: labels are drawn at their size (the picture never scales down)
ROW = 16           # px per pod row; its cell is 12 px high
DC_GAP = 6         # px between data centres
TOP = 40           # px above the first row: the renewal label, then the days
WIDTH = 1180       # px the picture aims at: the report's width at a 1280 px window, less its margins
MIN_DAY, MAX_DAY = 6, 44
#: px a run's cell gets at least where a day has several runs (re-runs after a fix): its pattern must show
MIN_RUN = 12

#: phase -> (fill, pattern colour, pattern kind); the pattern tells the phase apart without colour.
STYLES = {
    NOT_STAGED: ("#e3e3e3", "#7a7a7a", "lines"),
    STAGED: ("#b9d6ee", "#1f5f9e", "dots"),
    CUT_OVER: ("#2e7d32", "", "solid"),
    ROLLING: ("#fdd0a2", "#c2410c", "stripes"),
    UNKNOWN: ("#ffffff", "#6b6b6b", "cross"),
}
LEGEND = {
    NOT_STAGED: "not staged (grey, lines)",
    STAGED: "staged (blue, dots)",
    CUT_OVER: "cut over (green, solid)",
    ROLLING: "rolling (orange, stripes)",
    UNKNOWN: "unknown (white, cross-hatched)",
}
FAIL = "#b00020"
FONTS = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

e = html.escape


def _id(prefix: str, phase: str) -> str:
    return f"{prefix}-{phase.replace(' ', '-')}"


def _pattern(prefix: str, phase: str) -> str:
    """The SVG pattern of a phase: its fill colour under lines, dots, stripes or a cross-hatch."""
    fill, ink, kind = STYLES[phase]
    marks = {
        "lines": f"<path d='M0 2.5H5' stroke='{ink}' stroke-width='1'/>",
        "dots": f"<circle cx='2.5' cy='2.5' r='1.1' fill='{ink}'/>",
        "stripes": f"<path d='M-1 6L6 -1M4 6L6 4M-1 1L1 -1' stroke='{ink}' stroke-width='1.4'/>",
        "cross": f"<path d='M0 0L5 5M5 0L0 5' stroke='{ink}' stroke-width='0.8'/>",
        "solid": "",
    }[kind]
    return (f"<pattern id='{_id(prefix, phase)}' width='5' height='5' patternUnits='userSpaceOnUse'>"
            f"<rect width='5' height='5' fill='{fill}'/>{marks}</pattern>")


def _label(text: str, limit: int = 30) -> str:
    return html_text(text, limit)


@dataclass(frozen=True)
class _Axis:
    """Where things go across: the label column, the first day, the width of a day."""

    left: float
    first: dt.date
    days: int
    day_w: float

    def x(self, day: dt.date) -> float:
        return self.left + (day - self.first).days * self.day_w

    @property
    def right(self) -> float:
        return self.left + self.days * self.day_w


def _axis(s: Series) -> _Axis:
    dates = [r.started.astimezone(dt.UTC).date() for r in s.runs]
    first, last = min(dates), max(dates)
    for d, _ in s.renewals:
        if last < d <= s.today + dt.timedelta(days=FUTURE_DAYS):
            last = d
    days = (last - first).days + 1
    left = float(min(240, 7.5 * max((len(printable(p, 30)) for p in s.pods), default=8) + 16))
    per_day = max(dates.count(d) for d in set(dates))
    day_w = max(min((WIDTH - left - 8) / days, MAX_DAY), MIN_DAY, MIN_RUN * per_day)
    return _Axis(left, first, days, day_w)


def _days(a: _Axis, height: float, lines: Sequence[float] = ()) -> list[str]:
    """A faint line at each day, a date label every few days (never closer than a label's width, never
    across one of the renewal `lines`)."""
    step = max(1, math.ceil(46 / a.day_w))
    out = []
    for i in range(a.days):
        x = a.left + i * a.day_w
        day = a.first + dt.timedelta(days=i)
        out.append(f"<line x1='{x:.1f}' y1='{TOP - 4}' x2='{x:.1f}' y2='{height:.0f}' stroke='#ececec'/>")
        if i % step == 0 and not any(x + 2 < r < x + 44 for r in lines):
            out.append(f"<text x='{x + 1:.1f}' y='{TOP - 8}' font-size='{FONT}'>{day:%b %d}</text>")
    return out


def _renewals(s: Series, a: _Axis, height: float) -> list[str]:
    """Each renewal date: a vertical line at the start of its day, or an arrow at the edge when off the axis."""
    out = []
    for d, dcs in s.renewals:
        whose = f" ({', '.join(dcs)})" if len(s.renewals) > 1 else ""
        y = 13
        if d < a.first:
            text, x, anchor = f"\u2190 renewal {d:%Y-%m-%d}{whose}", a.left, "start"
        elif d > a.first + dt.timedelta(days=a.days - 1):
            text, x, anchor = f"renewal {d:%Y-%m-%d}{whose} in {(d - s.today).days} days \u2192", a.right, "end"
        else:
            x = a.x(d)
            text, anchor = f"renewal {d:%Y-%m-%d}{whose}", "end" if x > a.right - 140 else "start"
            out.append(f"<line class='cutover-renewal' data-date='{d.isoformat()}' x1='{x:.1f}' y1='2' "
                       f"x2='{x:.1f}' y2='{height:.0f}' stroke='{FAIL}' stroke-width='2' stroke-dasharray='5 3'/>")
        dx = 4 if anchor == "start" else -4
        out.append(f"<text x='{x + dx:.1f}' y='{y}' font-size='{FONT}' font-weight='bold' fill='{FAIL}' "
                   f"text-anchor='{anchor}'>{e(text)}</text>")
    return out


def _slots(s: Series, a: _Axis) -> list[tuple[float, float]]:
    """(x, width) of each run's cell: its day's column, shared with the other runs of that day."""
    dates = [r.started.astimezone(dt.UTC).date() for r in s.runs]
    slots: list[tuple[float, float]] = []
    seen: dict[dt.date, int] = {}
    for d in dates:
        w = a.day_w / dates.count(d)
        slots.append((a.x(d) + seen.get(d, 0) * w, w))
        seen[d] = seen.get(d, 0) + 1
    return slots


def _rows(s: Series, a: _Axis) -> tuple[list[str], float]:
    """Each pod's label and its runs; returns the SVG parts and the height reached.

    Runs in a row that say the same (phase, failing gates) on touching slots are drawn as one bar with one
    tooltip: 56 pods over 61 runs are a few hundred elements, 100 KB, not 3,400 cells and 1.1 MB of page.
    """
    slots = _slots(s, a)
    out: list[str] = []
    y, dc = float(TOP), None
    for tid in s.pods:
        if dc is not None and tid.split("/")[0] != dc:
            y += DC_GAP
        dc = tid.split("/")[0]
        out.append(f"<text x='{a.left - 6:.0f}' y='{y + 11:.0f}' font-size='{FONT}' text-anchor='end'>"
                   f"<title>{html_text(tid, 300)}</title>{_label(tid)}</text>")
        cells, first = s.cells[tid], 0
        for i in range(1, len(cells) + 1):
            if i < len(cells) and cells[i] == cells[first] and abs(sum(slots[i - 1]) - slots[i][0]) < 0.01:
                continue
            out.append(_segment(tid, first, i - 1, s.runs, cells[first], slots, y))
            first = i
        y += ROW
    return out, y


def _segment(tid: str, first: int, last: int, runs: Sequence[RunPoint], cell: Cell,
             slots: Sequence[tuple[float, float]], y: float) -> str:
    """Runs `first`..`last` of a pod, alike: its phase's pattern, a red corner on each run where a gate
    failed; the tooltip says when, what, and which gates."""
    if cell.phase is None and not cell.failing:
        return ""

    def when(run: RunPoint) -> str:
        return f"{run.started.astimezone(dt.UTC):%Y-%m-%d %H:%MZ}" + (" (this run)" if run.file is None else "")

    span = when(runs[first]) if first == last else f"{when(runs[first])} to {when(runs[last])}, {last - first + 1} runs"
    phase = (cell.phase or "no phase recorded") + (f" (the file says {cell.recorded!r})" if cell.recorded else "")
    tip = f"{tid}, {span}: {phase}" + (f"; failing: {', '.join(cell.failing)}" if cell.failing else "")
    x0, (x1, w1) = slots[first][0], slots[last]
    gap = 1.0 if w1 > 3 else 0.0
    parts = [f"<g class='cutover-cell' data-pod='{e(tid)}' data-first='{first}' data-last='{last}' "
             f"data-phase='{e(cell.phase or '')}' data-failing='{e(' '.join(cell.failing))}'>"
             f"<title>{html_text(tip, 600)}</title>"]
    if cell.phase is not None:
        parts.append(f"<rect x='{x0:.1f}' y='{y + 2:.0f}' width='{max(x1 + w1 - gap - x0, 1.0):.1f}' height='12' "
                     f"fill='url(#{_id('cutover-tl', cell.phase)})'/>")
    if cell.failing:
        marks = []
        for x, w in slots[first:last + 1]:
            t = min(7.0, max(w - gap, 1.0))
            marks.append(f"M{x + max(w - gap, 1.0) - t:.1f} {y + 2:.0f}h{t:.1f}v{t:.1f}z")
        parts.append(f"<path class='cutover-failing' d='{''.join(marks)}'/>")
    return "".join(parts) + "</g>"


def svg(s: Series) -> str:
    """The picture, drawn at its size: a row per pod, a column per day, the renewal date as a line."""
    a = _axis(s)
    rows, bottom = _rows(s, a)
    height = bottom + 4
    width = a.right + 8
    dates = [r.started.astimezone(dt.UTC).date() for r in s.runs]
    future = "" if a.right <= a.x(s.today) + a.day_w else (
        f"<rect x='{a.x(s.today) + a.day_w:.1f}' y='{TOP - 4}' width='{a.right - a.x(s.today) - a.day_w:.1f}' "
        f"height='{height - TOP + 4:.0f}' fill='#f6f6f6'/>")
    this = a.x(dates[-1])
    desc = (f"Each pod's renewal phase at each of {len(s.runs)} runs, {dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}; "
            "a red corner marks failing gates.")
    return "".join([
        f"<svg xmlns='http://www.w3.org/2000/svg' id='cutover-timeline-svg' width='{width:.0f}' height='{height:.0f}' "
        f"viewBox='0 0 {width:.0f} {height:.0f}' role='img' aria-label='{e(desc)}' "
        f"font-family='{FONTS}' style='display:block;max-width:none'>",
        # One rule for every bar and mark, not the same attributes on each of hundreds.
        f"<style>.cutover-cell rect{{stroke:#00000033;stroke-width:.5}} .cutover-failing{{fill:{FAIL};stroke:#fff;"
        "stroke-width:.6}</style>",
        "<defs>", *(_pattern("cutover-tl", p) for p in PHASES), "</defs>",
        future, *_days(a, height, [a.x(d) for d, _ in s.renewals]),
        f"<rect x='{this:.1f}' y='{TOP - 4}' width='{a.day_w:.1f}' height='{height - TOP + 4:.0f}' fill='none' "
        "stroke='#555' stroke-width='1' stroke-dasharray='2 2'><title>the day of this run</title></rect>",
        *rows, *_renewals(s, a, height), "</svg>",
    ])


def _legend() -> str:
    keys = []
    for phase in PHASES:
        keys.append(f"<span style='display:inline-block;margin:0 12px 2px 0;white-space:nowrap'>"
                    f"<svg width='14' height='12' style='vertical-align:-1px'><defs>{_pattern('cutover-tlk', phase)}"
                    f"</defs><rect width='14' height='12' fill='url(#{_id('cutover-tlk', phase)})' stroke='#888' "
                    f"stroke-width='0.5'/></svg> {e(LEGEND[phase])}</span>")
    keys.append("<span style='display:inline-block;margin:0 12px 2px 0;white-space:nowrap'><svg width='14' "
                f"height='12' style='vertical-align:-1px'><rect width='14' height='12' fill='#fff' stroke='#888' "
                f"stroke-width='0.5'/><path d='M7 0h7v7z' fill='{FAIL}'/></svg> a gate failed (hover: which)</span>")
    keys.append(f"<span style='display:inline-block;white-space:nowrap;color:{FAIL};font-weight:bold'>"
                "- - renewal date</span>")
    return "<p class='cutover-timeline-legend' style='font-size:12px;margin:2px 0'>" + "".join(keys) + "</p>"


def timeline_html(s: Series | None) -> str:
    """The report's section: a heading, the legend, the picture in a box that scrolls sideways on its own."""
    if s is None:
        return ""
    dates = [r.started.astimezone(dt.UTC).date() for r in s.runs]
    renewal = "; ".join(f"renewal {d:%Y-%m-%d}" + (f" ({', '.join(dcs)})" if len(s.renewals) > 1 else "")
                        for d, dcs in s.renewals)
    span = f"on {dates[0]:%Y-%m-%d}" if dates[0] == dates[-1] else f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}"
    head = (f"The renewal at a glance: {len(s.pods)} pod(s), {len(s.runs)} run(s) of this datacenters file, {span}"
            + (f"; {renewal}" if renewal else ""))
    return (f"<div id='cutover-timeline'><p><b>{e(head)}</b></p>{_legend()}"
            "<div class='cutover-timeline-box' role='region' aria-label='timeline, scrolls sideways' tabindex='0' "
            f"style='overflow-x:auto;max-width:100%;margin:4px 0 10px 0'>{svg(s)}</div></div>")
