"""The HTML of a stopped run: the banner that says where it stopped, and the pods it saw that no gate ran on.

Two small functions the report's summary places (near the top, cutover.plugin.report.summary_html): a
stopped run's page must never read as evidence of readiness, yet what it had observed is evidence and
is shown, each pod folded, the way a gate row shows it.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping

from cutover.evidence import Evidence
from cutover.gates.run_verdict import INCOMPLETE
from cutover.history.phases import Phase
from cutover.outputs import html as html_mod


def banner_html(step: str, not_run: int, collected: int) -> str:
    """``interrupted at <step>: this run is incomplete, not evidence of readiness``, and what did not run."""
    unrun = f" {not_run} of {collected} gate test(s) did not run." if collected else " No gate test ran."
    return ("<p id='cutover-interrupted' style='background:#6a1b9a;color:#fff;padding:8px;font-weight:bold'>"
            f"interrupted at {html.escape(step)}: {INCOMPLETE}.{html.escape(unrun)}</p>")


def observed_html(evidence: Evidence, phases: Mapping[str, Phase], shown: Collection[str]) -> str:
    """Each pod observed whole before the stop that no gate row shows (`shown`: the target ids that have
    rows), folded, with every client's verdicts received on it; '' when there is none."""
    pods = [p for tid, p in evidence.pods.items() if tid not in shown]
    if not pods:
        return ""
    clients = list(evidence.clients.values())
    parts = [f"<h2 id='cutover-observed'>Observed before the stop ({len(pods)} pod(s), no gate test ran on "
             "them)</h2>"]
    for pod in pods:
        tid = pod.target.id
        asked = [c for c in clients if pod.target.dc in c.client.datacenters]
        judged = [c for c in asked if tid in c.verdicts]
        said = f"verdicts received for {len(judged)} of {len(asked)} client(s)" if judged else "no verdict received"
        body = "".join(html_mod.pod_html(pod, c, None, phases.get(tid)) for c in judged) if judged \
            else html_mod.pod_html(pod, None, None, phases.get(tid))
        parts.append(f"<details class='cutover-fold'><summary>{html.escape(tid)}: {html.escape(said)}</summary>"
                     f"<div class='cutover'>{body}</div></details>")
    return "".join(parts)
