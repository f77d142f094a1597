"""Each client's runtime in the HTML report: which file was judged and why, its SHA-256, and the JDK that judged.

Renewals go wrong where the root was imported into a store the runtime never reads, or where an upgrade replaced
the runtime's store; the reader of a report needs to see which file, which content and which JDK the verdict is
about, next to the store's entries. The words come from the same record the JSON writes and the next run compares
(`cutover.history.inputs.runtime`), so the report, the JSON and "since the last run" cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from cutover.base.text import html_text as _text
from cutover.evidence import Evidence
from cutover.history import inputs as judged


def runtime_lines(ev: Evidence, only: Iterable[str] | None = None) -> list[tuple[str, list[str]]]:
    """(client, its lines): the judged file(s) with their SHA-256 and why, and the JDK; `only`: those clients."""
    wanted = set(only) if only is not None else set(ev.clients)
    out = []
    for name, c in ev.clients.items():
        if name not in wanted:
            continue
        r = judged.runtime(c)
        files = [f"{f['path']} (SHA-256 {f['sha256']})" for f in r["files"] if isinstance(f, dict)] \
            if isinstance(r["files"], list) else []
        lines = [f"judged file{'s' if len(files) > 1 else ''}: {', '.join(files)}" if files else
                 f"judged file: none read ({c.store_error or 'not read'})"]
        if r["why"]:
            lines.append(f"why this file: {r['why']}")
        jdk = r["jdk"]
        lines.append(f"JDK: {jdk['vendor']} {jdk['version']} at {jdk['home']}" if isinstance(jdk, dict)
                     else f"JDK: {r['jdk_note']}")
        out.append((name, lines))
    return out


def runtime_html(ev: Evidence, only: Iterable[str] | None = None) -> str:
    """The runtime block of each client (`only`: those), before the stores' entries."""
    items = "".join(f"<li>client {_text(name)}: <ul>{''.join(f'<li>{_text(x, 2000)}</li>' for x in lines)}</ul></li>"
                    for name, lines in runtime_lines(ev, only))
    return f"<div id='cutover-runtimes'><h3>Runtime of each client</h3><ul>{items}</ul></div>" if items else ""
