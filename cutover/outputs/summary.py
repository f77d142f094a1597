"""The summary's sections, in a reader's order: banner, verdict, (fix plan, matrix: cutover.outputs.html), since the
last run, the run's environment, and pytest-html's own environment folded at the end.

A lead reads the full report in 30 seconds every morning: what they need first is the verdict and what to do,
then what changed; the Python version and the installed plugins matter to whoever debugs cutover itself, so they
are kept, folded, after the rows. Every string from the network or a file is escaped here as in cutover.outputs.html.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from cutover.base.text import html_text as _text
from cutover.config import Config

e = html.escape

_GREEN, _RED = "#1b7f3b", "#b00020"


def title(config: Config, srs: Sequence[str] | None = None) -> str:
    """A report's title, the full one's and each per-SR page's: it names the SR(s) the report is attached to
    (`srs`, default the run's), and a simulated report never passes for evidence."""
    srs = config.srs if srs is None else srs
    base = "cutover: certificate renewal gates" + (f" for SR {', '.join(srs)}" if srs else "")
    return f"SIMULATED staging edge (sandbox '{config.sandbox_scenario}'): {base}" if config.simulated else base


def simulated_html(scenario: str | None) -> str:
    """The banner on top of every page made against the sandbox: a simulated report never passes for evidence."""
    return ("<p id='cutover-simulated' style='background:#b00020;color:#fff;padding:8px;font-weight:bold'>SIMULATED: "
            f"produced against the built-in sandbox (scenario {e(str(scenario))}), not the provider's staging "
            "network. This report is not evidence of readiness.</p>")


def verdict_line(verdict: str, ready: bool, to_prove: Sequence[str] = ()) -> str:
    """The run's verdict, the first thing under the title: green only when ready (or cut over); for a run that is
    not proven, what to add to prove it right under it."""
    color = _GREEN if ready else _RED
    line = f"<p id='cutover-verdict' style='font-size:1.3em;font-weight:bold;color:{color}'>Verdict: {e(verdict)}</p>"
    if not to_prove:
        return line
    return line + "<p>Skipped, and what proves it:</p><ul id='cutover-to-prove'>" + "".join(
        f"<li>{_text(x, 2000)}</li>" for x in to_prove) + "</ul>"


def env_table(env: Mapping[str, str]) -> str:
    return "<table id='cutover-environment' class='cutover-table'>" + "".join(
        f"<tr><td>{e(k)}</td><td>{_text(v, 2000)}</td></tr>" for k, v in env.items()) + "</table>"


def environment_html(env: Mapping[str, str]) -> str:
    """The run's own environment (SR, files and their SHA-256, JDK, nameservers, proxy), after the matrix."""
    return "<div id='cutover-env'><h2>Environment of this run</h2>" + env_table(env) + "</div>"


def _flat(value: object) -> str:
    """pytest-metadata's values: strings, or dicts of name -> version (Packages, Plugins)."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def tool_environment_html(metadata: Mapping[str, object], ours: Mapping[str, str]) -> str:
    """pytest-html's own Environment rows that are not cutover's (Python, Platform, Packages, Plugins, any
    --metadata), folded: for whoever debugs the tooling, not for the reader of the verdict.

    pytest-html has already redacted the values its ``environment_table_redact_list`` names (in place, at session
    start); they are shown as it left them.
    """
    rows = {k: _flat(v) for k, v in metadata.items() if k not in ours}
    if not rows:
        return ""
    body = "".join(f"<tr><td>{e(str(k))}</td><td>{_text(v, 2000)}</td></tr>" for k, v in rows.items())
    return ("<details id='cutover-tool-env' class='cutover-fold'><summary>pytest-html's environment (Python, "
            f"platform, packages, plugins)</summary><table class='cutover-table'>{body}</table></details>")


def since_html(heading: str, lines: Sequence[str], ignored: Sequence[str] = ()) -> str:
    """The "since the last run" section: its lines are already in order of news (cutover.history.runs)."""
    items = "".join(f"<li>{_text(line, 1000)}</li>" for line in lines)
    out = f"<div id='cutover-since'><p><b>{_text(heading, 1000)}</b></p>" + (f"<ul>{items}</ul>" if items else "")
    if ignored:
        out += "<p>history files ignored:</p><ul>" + "".join(f"<li>{_text(x, 1000)}</li>" for x in ignored) + "</ul>"
    return out + "</div>"


def no_sr_html(pods: Sequence[str]) -> str:
    """With --report-per-sr: the pods in no per-SR file (they have no SR), so nobody takes the files for all pods."""
    if not pods:
        return ""
    return (f"<p id='cutover-no-sr'>In no per-SR report ({len(pods)} pod(s) without an SR; this report has them): "
            f"{_text(', '.join(pods), 4000)}. Set <code>sr</code> on their data centre or pod to give them one.</p>")


def store_diff_html(diff: Mapping[str, object]) -> str:
    """The summary's table of what `python -m cutover prepare` changed in the copy of the store."""
    changes = diff.get("changes")
    rows = "".join(
        f"<tr><td>{e(str(c.get('change')))}</td><td>{e(str(c.get('alias')))}</td>"
        f"<td>{e(str(c.get('sha256_before') or '-'))}</td>"
        f"<td>{e(str(c.get('sha256_after') or '-'))}</td></tr>"
        for c in (changes if isinstance(changes, list) else []) if isinstance(c, dict)
    ) or "<tr><td colspan='4'>no entry changed</td></tr>"
    return (f"<div id='store-diff'><h2>Prepared store</h2><p>Judged: the copy {e(str(diff.get('copy')))} of "
            f"{e(str(diff.get('original')))} (original SHA-256 {e(str(diff.get('sha256_original')))}, only read). "
            "Entries changed in the copy:</p><table class='cutover-table'><tr><th>change</th><th>alias</th>"
            f"<th>SHA-256 before</th><th>SHA-256 after</th></tr>{rows}</table></div>")
