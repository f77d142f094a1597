"""The report's matrix: every pod's gates at a glance, a table where it fits and a card per pod where it does not.

A team reads the matrix on a desktop and on a phone handed round at the cutover. A table of 3 clients' gates is
wider than a phone (on one, 3 of its 11 gate columns showed and a failing store gate scrolled out of sight inside
its box), so below the width the table needs, each pod's row is drawn as a card with its gates as labelled rows
(matrix-cards.css), its data centre's gates repeated in each of its pods' cards. The width is the table's own
(its columns counted: one client's table turns into cards on a phone, three clients' on a small laptop), so no
width scrolls sideways, neither the page nor a box inside it (tests/outputs/test_report.py checks every cell).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping
from importlib import resources
from urllib.parse import quote

from cutover.base.text import html_text as _text
from cutover.config import Config, DataCenter
from cutover.gates.outcomes import Record
from cutover.gates.registry import CLIENT_GATES, POD_GATES
from cutover.gates.registry import NAMES as GATES
from cutover.history.phases import Phase

e = html.escape

#: An outcome in the matrix and on a per-SR page's test heading.
OUTCOME_WORDS = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}

#: The card layout's rules (package data), put in a media query at the width the table needs.
CARDS_CSS = resources.files("cutover.outputs").joinpath("matrix-cards.css").read_text(encoding="utf-8")

#: What the table needs to read well, in CSS pixels, measured in Chromium (12 px text, gate names broken after their
#: underscores; its min-content is smaller, 844 px for 3 clients with an SR, but cramped): the data centre, pod and
#: phase columns with the page's margins and a scroll bar, the SR column, and each gate column.
_LABELS_PX, _SR_PX, _GATE_PX = 300, 90, 64


def cards_below(columns: int, with_sr: bool) -> int:
    """The viewport width under which the matrix is drawn as cards: one client's table (5 gate columns) turns into
    cards on a phone, three clients' (11) on a small laptop; at 1280 px both are tables."""
    return _LABELS_PX + (_SR_PX if with_sr else 0) + _GATE_PX * columns


def _cell(record: Record | None, label: str, rowspan: int = 1, again: bool = False) -> str:
    """One verdict: a coloured link to its row. `label` names it in a card; `again`: a data centre gate's copy for
    its second and later pods, shown in their cards only (the table has the one cell spanning them)."""
    span = f" rowspan='{rowspan}'" if rowspan > 1 else ""
    cls = " cutover-again" if again else ""
    if record is None:
        return f"<td{span} class='cutover-none{cls}' data-label='{e(label)}'>-</td>"
    return (f"<td{span} class='cutover-cell cutover-{record.outcome}{cls}' data-label='{e(label)}'>"
            f"<a href='#{quote(record.nodeid, safe='')}' "
            f"title='{_text(record.message, 300)}'>{OUTCOME_WORDS.get(record.outcome, record.outcome)}</a></td>")


def _columns(config: Config) -> tuple[list[tuple[str, str | None]], str]:
    """The gate columns (gate, client: None for the network gates) and the header's rows."""
    several = config.several_clients
    sr = "<th rowspan='2'>SR</th>" if several else "<th>SR</th>"
    sr = sr if config.srs else ""
    columns: list[tuple[str, str | None]]
    if several:
        columns = [(g, None) for g in GATES if g not in CLIENT_GATES] + \
                  [(g, c.name) for c in config.clients for g in CLIENT_GATES]
        top = (f"<tr><th rowspan='2'>data centre</th><th rowspan='2'>pod</th>{sr}<th rowspan='2'>phase</th>"
               f"<th colspan='{len(GATES) - len(CLIENT_GATES)}'>network</th>"
               + "".join(f"<th colspan='{len(CLIENT_GATES)}'>client {e(c.name)}</th>" for c in config.clients)
               + "</tr>")
        return columns, top + "<tr>" + "".join(f"<th>{_breakable(g)}</th>" for g, _ in columns) + "</tr>"
    first = config.clients[0].name if config.clients else None
    columns = [(g, first if g in CLIENT_GATES else None) for g in GATES]
    return columns, (f"<tr><th>data centre</th><th>pod</th>{sr}<th>phase</th>"
                     f"{''.join(f'<th>{_breakable(g)}</th>' for g in GATES)}</tr>")


def _label(gate: str, client: str | None, several: bool, dc: str) -> str:
    """A verdict's name in a card: the gate, its client when there are several, its data centre for its gates."""
    where = "" if gate in POD_GATES else f" ({dc})"
    return f"client {client}: {gate}{where}" if several and client else f"{gate}{where}"


def _phase(phase: Phase | None) -> str:
    if phase is None:
        return "<td class='cutover-phase' data-label='phase'>-</td>"
    since = f"<br><small>{e(phase.since_short)}</small>" if phase.since else ""
    return (f"<td class='cutover-phase' data-label='phase' title='{_text(phase.why, 300)}'><span>{e(phase.name)}"
            f"{since}</span></td>")


def matrix_html(config: Config, records: Iterable[Record], only: set[str] | None = None,
                phases: Mapping[str, Phase] | None = None) -> str:
    """Data centres and pods down, each pod's phase, then the gates across; each cell links to its row.

    With several clients the network gates come first, then one column group per client (its three
    gates): 3 clients x 56 pods stay one table a person can scan along a pod's row. `only`: the pod ids
    (``dc/pod``) and data centre codes to show (a per-SR report); None shows all.
    """
    rs = list(records)
    phases = phases or {}
    by = {(r.gate, r.client if r.gate in CLIENT_GATES else None, r.target): r for r in rs}
    columns, head = _columns(config)
    several, with_sr = config.several_clients, bool(config.srs)
    if not several:  # records of a one-client run may carry the client's name or none
        by |= {(r.gate, columns[GATES.index(r.gate)][1], r.target): r for r in rs if r.gate in GATES}
    rows = []
    today = dt.datetime.now(dt.UTC).date()
    for dc in config.datacenters:
        targets = [t for t in dc.targets if only is None or t.id in only]
        if only is not None and not targets and dc.code not in only:
            continue
        pods: list[str | None] = [t.pod for t in targets] or [None]  # a data centre without pods: one row
        srs = {t.pod: t.sr for t in targets}
        name = f" <span class='cutover-dcname'>{_text(dc.name, 100)}</span>" if dc.name != dc.code else ""
        for i, pod in enumerate(pods):
            cells = (f"<th class='cutover-dc{' cutover-dc-again' if i else ''}'>{e(dc.code)}{name if i == 0 else ''}"
                     f"{_renewal(dc, today) if i == 0 else ''}</th>"
                     f"<th class='cutover-pod'><span class='cutover-podid'>{e(dc.code)}/</span>"
                     f"{e(pod) if pod else '(no pods)'}</th>")
            if with_sr:
                cells += (f"<td class='cutover-sr' data-label='SR'>"
                          f"{e(srs.get(pod) or '-') if pod else e(dc.sr or '-')}</td>")
            cells += _phase(phases.get(f"{dc.code}/{pod}") if pod else None)
            for gate, client in columns:
                label = _label(gate, client, several, dc.code)
                if gate in POD_GATES:
                    cells += _cell(by.get((gate, client, f"{dc.code}/{pod}")) if pod else None, label)
                else:  # the table's one cell spans the data centre's pods; each pod's card has a copy
                    cells += _cell(by.get((gate, client, dc.code)), label, len(pods) if i == 0 else 1, i > 0)
            rows.append(f"<tr data-pod='{e(dc.code)}/{e(pod or '')}'>{cells}</tr>")
    width = cards_below(len(columns), with_sr)
    return (f"<style>@media (max-width: {width - 1}px) {{\n{CARDS_CSS}}}</style>"
            f"<div class='cutover-scroll'><table id='cutover-matrix' class='cutover-table'><thead>{head}</thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _renewal(dc: DataCenter, today: dt.date) -> str:
    """The data centre's renewal date under its code, counted down until it passes."""
    if dc.renewal_date is None:
        return ""
    left = (dc.renewal_date - today).days
    return f"<br><small>renewal {dc.renewal_date:%Y-%m-%d}: {left} day(s) left</small>" if left >= 0 \
        else f"<br><small>renewed {dc.renewal_date:%Y-%m-%d}</small>"


def _breakable(gate: str) -> str:
    """``staging_<wbr>resolves``: a gate's name may break after its underscores, and nowhere else."""
    return e(gate).replace("_", "_<wbr>")
