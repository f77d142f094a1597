"""One report per service request: the provider asks for an SR per environment, and QA attaches its evidence.

A file attached to the us2 SR must hold the us2 pods' evidence and nothing of another SR's pods, so the
split is made once, in the run's closing (`cutover.closing.record.sr_parts`), each part with its own fix plan
and verdict, and each part is written here as its own self-contained HTML page,
JSON evidence and JUnit XML. The HTML is rendered by us rather than by a second pytest-html pass: the
records and the evidence already hold everything a row shows, and every string from the network or a
file goes through the same escaping (`cutover.outputs.html`) as the full report's; the JSON is written by
`cutover.outputs.evidence_json`, the one writer of the evidence document.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

from cutover.base import atomic
from cutover.base.text import html_text, printable
from cutover.closing.record import Part
from cutover.config import Config
from cutover.gates.outcomes import Record
from cutover.outputs import evidence_json, summary
from cutover.outputs import html as html_mod
from cutover.outputs import matrix as matrix_mod
from cutover.outputs import runtime as runtime_mod
from cutover.outputs.evidence_json import RunFacts
from cutover.outputs.fixtext import failure_text

e = html.escape


def without_sr(config: Config) -> list[str]:
    """The pods that no per-SR file holds (they have no SR): the terminal and the full report name them, so a
    set of per-SR files is never taken for every pod."""
    return [t.id for t in config.targets if not t.sr]


def file_stem(stem: str, sr: str) -> str:
    """``<stem>-SR-<number>``; the SR was checked to be letters, digits, dots and hyphens (cutover.config.values)."""
    return f"{stem}-SR-{sr}"


def html_document(run: RunFacts, sr: str, part: Part) -> str:
    """A self-contained page: verdict, fix plan, matrix, environment, the store and bundles once, each test."""
    config, ev, records = run.config, run.evidence, part.records
    only = {r.target for r in records}
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(summary.title(config, [sr]))}</title>",
             html_mod.STYLE, "<style>body { font-family: sans-serif; margin: 8px 16px; } "
             "section { border-top: 1px solid #ccc; margin-top: 10px; } h3 { margin: 6px 0; }</style></head><body>",
             f"<h1 id='title'>{e(summary.title(config, [sr]))}</h1>"]
    if config.simulated:
        parts.append(summary.simulated_html(config.sandbox_scenario))
    v = part.verdict
    parts += [summary.verdict_line(v.sentence, v.ready, v.to_prove), html_mod.fix_plan_html(part.plan),
              matrix_mod.matrix_html(config, records, only=only, phases=run.phases)]
    parts.append("<h2>Environment</h2>" + summary.env_table({**run.env, "Service request": sr}))
    if ev is not None:
        dc_codes = {r.dc for r in records if r.pod is None}
        own = {r.client for r in records if r.client} or set(ev.clients)  # a one-client run's records name none
        parts.append(runtime_mod.runtime_html(ev, own))
        parts.append(html_mod.stores_html(ev, {r.client for r in records if r.pod is None and r.client}))
        parts.append(html_mod.bundles_html(config, ev.bundles, dc_codes))
    parts.append("<h2>Gate tests</h2>")
    parts += [_test_section(run, r) for r in records]
    parts.append("</body></html>")
    return "".join(parts)


def _test_section(run: RunFacts, r: Record) -> str:
    """One gate test's section: its verdict, then the evidence it decided on."""
    ev = run.evidence
    dcs = {d.code: d for d in run.config.datacenters}
    word = matrix_mod.OUTCOME_WORDS.get(r.outcome, r.outcome)
    body = html_mod.verdict_html(r.outcome == "passed", r.message, r.warnings, r.remedy) \
        if r.outcome != "skipped" else f"<p><b>SKIP</b>: {html_text(r.message, 4000)}</p>"
    client = ev.clients.get(r.client) if ev is not None and r.client else None
    if ev is not None and r.pod is not None and r.target in ev.pods:
        body += html_mod.pod_html(ev.pods[r.target], client, r.gate, run.phases.get(r.target))
    elif ev is not None and r.pod is None and r.dc in dcs:
        body += html_mod.dc_html(dcs[r.dc], client.store if client else None, ev.bundles.get(r.dc),
                                 html_mod.bundle_anchor(run.config, r.dc),
                                 html_mod.store_anchors(ev).get(r.client or "", ""))
    return (f"<section id='{e(r.nodeid)}' class='cutover cutover-{e(r.outcome)}'><h3>{e(r.gate)} "
            f"{e(r.label)}: {word}</h3>{body}</section>")


_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str, limit: int) -> str:
    """Text XML 1.0 can hold: control characters shown as escapes, as in the terminal."""
    return _XML_BAD.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                        printable(text, limit, keep="\n"))


def junit_xml(records: Sequence[Record], name: str) -> bytes:
    """JUnit XML of these records, in the shape pytest writes it (classname from the module, name with the id)."""
    failures = sum(r.outcome == "failed" for r in records)
    skipped = sum(r.outcome == "skipped" for r in records)
    total = sum((r.stop - r.start) for r in records if r.start and r.stop)
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name=name, errors="0", failures=str(failures), skipped=str(skipped),
                          tests=str(len(records)), time=f"{total:.3f}")
    for r in records:
        path, _, test = r.nodeid.partition("::")
        case = ET.SubElement(suite, "testcase", classname=path.removesuffix(".py").replace("/", "."), name=test,
                             time=f"{(r.stop - r.start) if r.start and r.stop else 0:.3f}")
        if r.outcome == "failed":
            failure = ET.SubElement(case, "failure", message=_xml_text(r.message, 1000))
            failure.text = _xml_text(failure_text(r.message, r.remedy), 20_000)
        elif r.outcome == "skipped":
            ET.SubElement(case, "skipped", type="pytest.skip", message=_xml_text(r.message, 1000))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write(folder: Path, stem: str, run: RunFacts, parts: Mapping[str, Part]) -> list[tuple[str, Path]]:
    """Write ``<stem>-SR-<n>.html``, ``.json`` and ``.xml`` for every SR of the run; returns (SR, HTML path).

    Each file holds its own pods' lifecycle entries. The "since the last run" section stays in the full
    report: it compares whole runs, and names other SRs' pods.
    """
    written = []
    for sr, part in parts.items():
        name = file_stem(stem, sr)  # not with_suffix: an SR may hold a dot
        # Whole or not at all, like the full report (cutover.base.atomic): a killed run leaves no half file.
        evidence_json.write(folder / f"{name}.json", evidence_json.sr_document(run, sr, part))
        atomic.write_text(folder / f"{name}.xml", junit_xml(part.records, f"cutover SR {sr}").decode("utf-8"))
        atomic.write_text(folder / f"{name}.html", html_document(run, sr, part))
        written.append((sr, folder / f"{name}.html"))
    return written
